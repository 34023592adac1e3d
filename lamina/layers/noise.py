"""Noise layers, active during training only (the identity at inference): ``GaussianNoise``
adds noise, ``GaussianDropout`` multiplies by noise, ``AlphaDropout`` drops to SELU's
saturation value while keeping mean and variance.

Random numbers come from ``lamina.random``: with ``seed=None`` from lamina's global generator
(``lamina.seed(n)`` makes them reproducible), with an int seed from the layer's own
``SeedGenerator``.

>>> import lamina
>>> from lamina.layers import GaussianNoise
>>> x = lamina.tensor([[1.0, 2.0]])
>>> GaussianNoise(0.1)(x).tolist()  # inference: identity
[[1.0, 2.0]]
>>> bool((GaussianNoise(0.1)(x, training=True).numpy() != x.numpy()).all())
True
"""

from __future__ import annotations

import math

from lamina import random as lamina_random
from lamina.layers.layer import Layer

# SELU's constants (Klambauer et al., 2017): selu(x) -> -ALPHA * SCALE as x -> -inf
ALPHA = 1.6732632423543772848170429916717
SCALE = 1.0507009873554804934193349852946


def _check_rate(layer, rate):
    if not 0 <= rate < 1:
        raise ValueError(f"{layer} rate must be in [0, 1), got {rate}")
    return float(rate)


class _Noise(Layer):
    """What the noise layers share: masking passes through, shapes are kept, a seed."""

    supports_masking = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._seed_generator = None if seed is None else lamina_random.SeedGenerator(seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class GaussianNoise(_Noise):
    """Additive zero-centred Gaussian noise during training: ``y = x + n``,
    ``n ~ N(0, stddev²)``.

    >>> import lamina
    >>> lamina.seed(0)
    >>> y = GaussianNoise(0.5)(lamina.ops.zeros((1000, 100)), training=True).numpy()
    >>> round(float(y.std()), 2)
    0.5
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not stddev >= 0:
            raise ValueError(f"GaussianNoise stddev must be >= 0, got {stddev}")
        self.stddev = float(stddev)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = lamina_random.normal(
            inputs.shape, stddev=self.stddev, dtype=inputs.dtype, seed=self._seed_generator
        )
        return inputs + noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_Noise):
    """Multiplicative one-centred Gaussian noise during training: ``y = x * n``,
    ``n ~ N(1, rate / (1 - rate))``, the variance of inverted ``Dropout(rate)``'s multiplier.

    >>> import lamina
    >>> lamina.seed(0)
    >>> y = GaussianDropout(0.5)(lamina.ops.ones((1000, 100)), training=True).numpy()
    >>> round(float(y.mean()), 1), round(float(y.std()), 1)
    (1.0, 1.0)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate("GaussianDropout", rate)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = lamina_random.normal(
            inputs.shape, mean=1.0, stddev=stddev, dtype=inputs.dtype, seed=self._seed_generator
        )
        return inputs * noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class AlphaDropout(_Noise):
    """Dropout for self-normalizing (SELU) networks: during training a fraction ``rate`` of
    the values is set to SELU's saturation value ``α' = -ALPHA * SCALE`` and an affine map
    restores zero mean and unit variance:

        y = a * (x * m + α' * (1 - m)) + b,   m ~ Bernoulli(1 - rate),
        a = ((1 - rate) * (1 + rate * α'²)) ** -0.5,   b = -a * α' * rate.

    ``noise_shape`` shares one draw along its size-1 axes (None: the input's size).

    >>> import lamina
    >>> lamina.seed(0)
    >>> y = AlphaDropout(0.2)(lamina.random.normal((1000, 100)), training=True).numpy()
    >>> round(float(y.mean()), 1), round(float(y.std()), 1)
    (0.0, 1.0)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate("AlphaDropout", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def build(self, input_shape):
        if self.noise_shape is not None and len(self.noise_shape) != len(input_shape):
            raise ValueError(
                f"{self.name} noise_shape {self.noise_shape} needs one entry per input axis, "
                f"got inputs of shape {tuple(input_shape)}"
            )

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for n, s in zip(self.noise_shape, inputs.shape))
        draw = lamina_random.uniform(shape, dtype=inputs.dtype, seed=self._seed_generator)
        keep = (draw.data >= self.rate).astype(inputs.dtype)
        alpha_p = -ALPHA * SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        dropped = (alpha_p * (1 - keep)).astype(inputs.dtype)
        return (inputs * keep + dropped) * a + b

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape}
