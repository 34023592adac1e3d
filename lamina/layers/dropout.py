"""``Dropout``: randomly zero a fraction ``rate`` of the inputs during training only;
``SpatialDropout1D/2D/3D`` zero whole channels instead of single values.

>>> import lamina
>>> from lamina.layers import Dropout, SpatialDropout1D
>>> Dropout(0.5)(lamina.tensor([[1.0, 2.0]])).tolist()  # inference: identity
[[1.0, 2.0]]
>>> lamina.seed(3)
>>> y = SpatialDropout1D(0.5)(lamina.ops.ones((1, 3, 4)), training=True).numpy()
>>> y[0].tolist()  # each channel (column) is zeroed, or kept x 1 / (1 - rate), at every step
[[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0]]
"""

from __future__ import annotations

from lamina import ops
from lamina import random as lamina_random
from lamina.layers.conv import normalize_data_format
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


class _SpatialDropout(Dropout):
    """Dropout with one draw per (sample, channel), shared by every position of the channel
    (Tompson et al., 2015): ``y = x * m / (1 - rate)``, ``m ~ Bernoulli(1 - rate)`` of shape
    ``(batch, 1, ..., 1, channels)``. Channels last; the identity at inference."""

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self._seed_generator = None if seed is None else lamina_random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != self.rank + 2:
            layout = ("steps", "height, width", "depth, height, width")[self.rank - 1]
            raise ValueError(
                f"{self.name} expects inputs of shape (batch, {layout}, channels), got shape "
                f"{tuple(input_shape)}"
            )

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        noise_shape = (inputs.shape[0], *(1,) * self.rank, inputs.shape[-1])
        return lamina_random.dropout(inputs, self.rate, noise_shape, seed=self._seed_generator)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drop whole channels of ``(batch, steps, channels)`` inputs during training:
    ``y = x * m / (1 - rate)`` with one ``m ~ Bernoulli(1 - rate)`` per sample and channel.

    >>> import lamina
    >>> y = SpatialDropout1D(0.5)(lamina.ops.ones((2, 10, 3)), training=True).numpy()
    >>> bool((y == y[:, :1]).all())  # every step of a channel shares its draw
    True
    """

    rank = 1


class _SpatialDropoutND(_SpatialDropout):
    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = normalize_data_format(data_format)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout2D(_SpatialDropoutND):
    """Drop whole feature maps of ``(batch, height, width, channels)`` inputs during training:
    ``y = x * m / (1 - rate)`` with one ``m ~ Bernoulli(1 - rate)`` per sample and channel.

    >>> import lamina
    >>> y = SpatialDropout2D(0.5)(lamina.ops.ones((2, 4, 4, 3)), training=True).numpy()
    >>> bool((y == y[:, :1, :1]).all()), sorted(set(y.ravel().tolist())) <= [0.0, 2.0]
    (True, True)
    """

    rank = 2


class SpatialDropout3D(_SpatialDropoutND):
    """Drop whole feature volumes of ``(batch, depth, height, width, channels)`` inputs during
    training: ``y = x * m / (1 - rate)`` with one ``m ~ Bernoulli(1 - rate)`` per sample and
    channel.

    >>> import lamina
    >>> x = lamina.ops.ones((2, 3, 3, 3, 4))
    >>> SpatialDropout3D(0.5)(x).shape, bool((SpatialDropout3D(0.5)(x).numpy() == 1).all())
    ((2, 3, 3, 3, 4), True)
    """

    rank = 3
