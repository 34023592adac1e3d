"""``Dropout``: randomly zero a fraction ``rate`` of the inputs during training only.

>>> import lamina
>>> from lamina.layers import Dropout
>>> Dropout(0.5)(lamina.tensor([[1.0, 2.0]])).tolist()  # inference: identity
[[1.0, 2.0]]
"""

from __future__ import annotations

from lamina import ops
from lamina.layers.layer import Layer


class Dropout(Layer):
    """Inverted dropout: surviving units are scaled by ``1 / (1 - rate)`` during training, so
    inference is the identity."""

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        noise_shape = None
        if self.noise_shape is not None:
            noise_shape = tuple(
                n if s is None else s for s, n in zip(self.noise_shape, inputs.shape)
            )
        return ops.dropout(inputs, self.rate, noise_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }
