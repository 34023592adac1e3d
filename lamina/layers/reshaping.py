"""``Flatten`` and ``Reshape``: change the shape of each sample, keep the batch axis.

>>> import lamina
>>> from lamina.layers import Flatten, Reshape
>>> x = lamina.tensor([[[1.0, 2.0], [3.0, 4.0]]])
>>> Flatten()(x).shape, Reshape((4, 1))(x).shape
((1, 4), (1, 4, 1))
"""

from __future__ import annotations

import math

from lamina import ops
from lamina.layers.layer import Layer


class Flatten(Layer):
    """``(batch, d1, d2, ...)`` -> ``(batch, d1 * d2 * ...)``."""

    def call(self, inputs, training=False):
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(s) for s in target_shape)
        if sum(s == -1 for s in self.target_shape) > 1:
            raise ValueError(f"Reshape target_shape may contain one -1, got {self.target_shape}")

    def build(self, input_shape):
        size = math.prod(input_shape[1:])
        known = math.prod(s for s in self.target_shape if s != -1)
        if (-1 in self.target_shape and size % known) or (
            -1 not in self.target_shape and size != known
        ):
            raise ValueError(
                f"{self.name} cannot reshape samples of shape {tuple(input_shape[1:])} "
                f"({size} values) to {self.target_shape}"
            )

    def call(self, inputs, training=False):
        return ops.reshape(inputs, (inputs.shape[0], *self.target_shape))

    def compute_output_shape(self, input_shape):
        size = math.prod(input_shape[1:])
        known = math.prod(s for s in self.target_shape if s != -1)
        return (input_shape[0], *(size // known if s == -1 else s for s in self.target_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
