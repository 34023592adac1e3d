"""``RandomContrast`` and ``RandomBrightness``: change each image's contrast or brightness by
its own random amount, in training only, keeping values inside ``value_range``.

>>> import numpy as np
>>> from lamina.layers import RandomContrast
>>> image = np.array([[[[40.0], [60.0]]]], "float32")  # one 1 x 2 image, mean 50
>>> more = RandomContrast((0.0, 1.0), seed=0)  # contrast factor drawn from [1, 2]
>>> out = more(image, training=True).numpy().ravel()
>>> bool(20 <= out[1] - out[0] <= 40), float(out.mean())
(True, 50.0)
"""

from __future__ import annotations

import numbers

from lamina import ops
from lamina.layers.preprocessing.affine import uniform
from lamina.layers.preprocessing.augmentation import _ImageAugmentation, factor_range


def _value_range(value_range, who: str) -> tuple[float, float]:
    ok = isinstance(value_range, (list, tuple)) and len(value_range) == 2
    ok = ok and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value_range)
    if not ok or not value_range[0] < value_range[1]:
        raise ValueError(
            f"{who} value_range must be a pair (low, high) with low < high, such as (0, 255) or "
            f"(0, 1), got {value_range!r}"
        )
    return float(value_range[0]), float(value_range[1])


class _RandomColor(_ImageAugmentation):
    def __init__(self, factor, value_range=(0, 255), seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.value_range = _value_range(value_range, type(self).__name__)
        self.factor = factor

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": list(self.value_range),
        }


class RandomContrast(_RandomColor):
    """Scale each image's deviations from its per-channel mean by a contrast factor drawn from
    ``[1 - lower, 1 + upper]``: ``factor`` is a number ``f`` (``lower = upper = f``) or a pair
    ``(lower, upper)``, each in ``[0, 1]``, as Keras documents it. One factor per image, shared by
    its channels; the output is clipped to ``value_range``. The identity outside training.
    """

    def __init__(self, factor, value_range=(0, 255), seed: int | None = None, **kwargs):
        super().__init__(factor, value_range, seed, **kwargs)
        self.lower, self.upper = factor_range(
            factor, "factor", type(self).__name__, 0.0, 1.0, symmetric=False
        )

    def _augment(self, images, rng):
        n = images.shape[0]
        contrast = uniform(rng, 1.0 - self.lower, 1.0 + self.upper, n).reshape(n, 1, 1, 1)
        mean = ops.mean(images, axis=(1, 2), keepdims=True)
        out = (images - mean) * contrast.astype(images.dtype) + mean
        return ops.clip(out, *self.value_range)


class RandomBrightness(_RandomColor):
    """Add to each image a random delta: a fraction drawn from ``factor`` (a number ``f`` gives
    ``[-f, f]``, a pair that range, each in ``[-1, 1]``) of the width of ``value_range``; -1
    makes the image black, 1 white. One delta per image; the output is clipped to
    ``value_range``. The identity outside training.
    """

    def __init__(self, factor, value_range=(0, 255), seed: int | None = None, **kwargs):
        super().__init__(factor, value_range, seed, **kwargs)
        self.lower, self.upper = factor_range(factor, "factor", type(self).__name__)

    def _augment(self, images, rng):
        n = images.shape[0]
        low, high = self.value_range
        delta = (high - low) * uniform(rng, self.lower, self.upper, n).reshape(n, 1, 1, 1)
        return ops.clip(images + delta.astype(images.dtype), low, high)
