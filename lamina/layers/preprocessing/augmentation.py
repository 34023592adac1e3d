"""The base of the image augmentation layers (``RandomFlip``, ``RandomRotation``, ...): random in
training, the identity at inference, one random draw per image, never reordering the batch.

As in Keras, ``training`` defaults to True for these layers: called by hand (``layer(images)``,
or a ``Sequential`` of them) they augment; inside a model, ``fit`` augments while ``predict``,
``evaluate`` and ``fit``'s validation pass ``training=False``, which the layers inherit.

Images are channels-last, batched ``(batch, height, width, channels)`` or one image
``(height, width, channels)``. Outputs are floats (``floatx``), as Keras's.

>>> import numpy as np
>>> from lamina.layers import RandomBrightness
>>> layer = RandomBrightness(0.5, seed=1)
>>> x = np.full((2, 4, 4, 3), 100.0, "float32")
>>> bool((layer(x).numpy() == x).all()), bool((layer(x, training=False).numpy() == x).all())
(False, True)
"""

from __future__ import annotations

import numbers

from lamina import backend, ops
from lamina.layers.layer import Layer
from lamina.random import SeedGenerator


def factor_range(
    value,
    name: str,
    who: str,
    low: float = -1.0,
    high: float = 1.0,
    *,
    symmetric: bool = True,
    open_low: bool = False,
) -> tuple[float, float]:
    """Keras's factor forms -> ``(lower, upper)``: a number ``f`` gives ``(-|f|, |f|)`` (or
    ``(|f|, |f|)`` with ``symmetric=False``), a pair is sorted. Every number must lie in
    ``[low, high]`` (``(low, high]`` with ``open_low``)."""

    def is_number(v):
        return isinstance(v, numbers.Real) and not isinstance(v, bool)

    if is_number(value):
        values = [float(value)]
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(map(is_number, value)):
        values = [float(v) for v in value]
    else:
        raise ValueError(f"{who} {name} must be a number or a pair (lower, upper), got {value!r}")
    inside = [(low < v <= high) if open_low else (low <= v <= high) for v in values]
    if not all(inside):
        bounds = f"{'(' if open_low else '['}{low:g}, {high:g}]"
        raise ValueError(f"{who} {name} values must be in {bounds}, got {value!r}")
    if len(values) == 2:
        lower, upper = sorted(values)
        return lower, upper
    f = abs(values[0])
    return (-f, f) if symmetric else (f, f)


def check_seed(seed, who: str):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"{who} seed must be None or a non-negative integer, got {seed!r}")
    return seed


def check_data_format(data_format, who: str) -> str:
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{who} takes channels-last images (data_format='channels_last'), got "
            f"data_format={data_format!r}: transpose channels-first images with "
            "ops.transpose(x, (0, 2, 3, 1)) first"
        )
    return "channels_last"


def check_image_rank(shape, who: str) -> None:
    if len(shape) not in (3, 4):
        raise ValueError(
            f"{who} expects images (batch, height, width, channels) or one image "
            f"(height, width, channels), got shape {tuple(shape)}"
        )


class _ImageAugmentation(Layer):
    """Shared by the augmentation layers: ``seed``, the rank check, the float cast, the
    inference identity (``training=False``; the default is True, as in Keras), and one image
    treated as a batch of one.

    A subclass implements ``_augment(images, rng)`` on a float batch ``(batch, height, width,
    channels)``, drawing everything random from ``rng`` (a NumPy-style generator), one draw per
    image. ``seed=None`` draws from lamina's global generator (``lamina.seed(n)`` makes it
    reproducible); an integer gives the layer a generator of its own, so the same seed gives the
    same sequence of transforms.
    """

    def __init__(self, seed: int | None = None, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        who = type(self).__name__
        self.seed = check_seed(seed, who)
        self.data_format = check_data_format(data_format, who)
        self._seed_generator = None if seed is None else SeedGenerator(seed)

    def _rng(self):
        return backend.rng() if self._seed_generator is None else self._seed_generator.next()

    def build(self, input_shape):
        check_image_rank(input_shape, self.name)

    def call(self, inputs, training=True):
        check_image_rank(inputs.shape, self.name)
        x = inputs if inputs.dtype == self.dtype else ops.cast(inputs, self.dtype)
        if not training:
            return x
        if x.ndim == 3:
            return self._augment(x[None], self._rng())[0]
        return self._augment(x, self._rng())

    def _augment(self, images, rng):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}
