"""``RandomRotation``: rotate each image by its own random angle, in training only.

>>> import numpy as np
>>> from lamina.layers import RandomRotation
>>> image = np.arange(9.0, dtype="float32").reshape(1, 3, 3, 1)
>>> quarter = RandomRotation(factor=(0.25, 0.25))  # exactly 90 degrees counter-clockwise
>>> quarter(image, training=True)[0, :, :, 0].numpy().round(4).tolist()
[[2.0, 5.0, 8.0], [1.0, 4.0, 7.0], [0.0, 3.0, 6.0]]
"""

from __future__ import annotations

import math

from lamina.layers.preprocessing.affine import _RandomAffine, rotation_matrices, uniform
from lamina.layers.preprocessing.augmentation import factor_range


class RandomRotation(_RandomAffine):
    """Rotate each image about its center by an angle drawn from ``factor`` (fractions of a full
    turn, 2 pi): a number ``f`` gives ``[-f, f]``, a pair ``(lower, upper)`` gives that range;
    positive angles turn counter-clockwise, and ``(0.25, 0.25)`` is ``np.rot90``. Every value must
    be in ``[-1, 1]``. Empty corners are filled by ``fill_mode`` (``"reflect"``, ``"wrap"``,
    ``"constant"`` with ``fill_value``, ``"nearest"``); ``interpolation`` is ``"bilinear"`` or
    ``"nearest"``. The identity outside training.
    """

    def __init__(
        self,
        factor,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.lower, self.upper = factor_range(factor, "factor", type(self).__name__)
        self.factor = factor

    def _matrices(self, n, height, width, rng):
        angles = 2 * math.pi * uniform(rng, self.lower, self.upper, n)
        return rotation_matrices(angles, height, width)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}
