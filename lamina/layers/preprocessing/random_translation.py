"""``RandomTranslation``: shift each image by its own random offset, in training only.

>>> import numpy as np
>>> from lamina.layers import RandomTranslation
>>> row = np.arange(1.0, 5.0, dtype="float32").reshape(1, 1, 4, 1)
>>> right = RandomTranslation(0.0, (0.25, 0.25), fill_mode="constant")  # one pixel right
>>> right(row, training=True)[0, 0, :, 0].tolist()
[0.0, 1.0, 2.0, 3.0]
"""

from __future__ import annotations

from lamina.layers.preprocessing.affine import _RandomAffine, translation_matrices, uniform
from lamina.layers.preprocessing.augmentation import factor_range


class RandomTranslation(_RandomAffine):
    """Shift each image by fractions of its height and width drawn from ``height_factor`` and
    ``width_factor``: a number ``f`` gives ``[-f, f]``, a pair ``(lower, upper)`` that range,
    each value in ``[-1, 1]``. Positive shifts move the image down / right. Uncovered pixels are
    filled by ``fill_mode``; ``interpolation`` is ``"bilinear"`` or ``"nearest"``. The identity
    outside training.
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        who = type(self).__name__
        self.height_lower, self.height_upper = factor_range(height_factor, "height_factor", who)
        self.width_lower, self.width_upper = factor_range(width_factor, "width_factor", who)
        self.height_factor = height_factor
        self.width_factor = width_factor

    def _matrices(self, n, height, width, rng):
        dy = height * uniform(rng, self.height_lower, self.height_upper, n)
        dx = width * uniform(rng, self.width_lower, self.width_upper, n)
        return translation_matrices(dx, dy)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
