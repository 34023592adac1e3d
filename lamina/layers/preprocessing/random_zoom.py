"""``RandomZoom``: zoom each image in or out by its own random amount, in training only.

>>> import numpy as np
>>> from lamina.layers import RandomZoom
>>> image = np.arange(16.0, dtype="float32").reshape(1, 4, 4, 1)
>>> twice = RandomZoom((-0.5, -0.5), interpolation="nearest")  # show half: 2x magnified
>>> twice(image, training=True)[0, :, :, 0].tolist()  # the central 2 x 2 pixels, enlarged
[[5.0, 5.0, 6.0, 6.0], [5.0, 5.0, 6.0, 6.0], [9.0, 9.0, 10.0, 10.0], [9.0, 9.0, 10.0, 10.0]]
"""

from __future__ import annotations

from lamina.layers.preprocessing.affine import _RandomAffine, uniform, zoom_matrices
from lamina.layers.preprocessing.augmentation import factor_range


class RandomZoom(_RandomAffine):
    """Zoom each image about its center: the factor drawn from ``height_factor`` (a number ``f``
    gives ``[-f, f]``, a pair that range, each in ``(-1, 1]``) scales the height of the region
    shown by ``1 + factor``, so positive values zoom out and negative values zoom in.
    ``width_factor`` does the same for the width; ``None`` (the default) uses the height's
    factor, keeping the aspect ratio. Uncovered pixels are filled by ``fill_mode``. The identity
    outside training.
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        who = type(self).__name__
        self.height_lower, self.height_upper = factor_range(
            height_factor, "height_factor", who, open_low=True
        )
        if width_factor is not None:
            self.width_lower, self.width_upper = factor_range(
                width_factor, "width_factor", who, open_low=True
            )
        self.height_factor = height_factor
        self.width_factor = width_factor

    def _matrices(self, n, height, width, rng):
        zy = 1.0 + uniform(rng, self.height_lower, self.height_upper, n)
        zx = zy
        if self.width_factor is not None:
            zx = 1.0 + uniform(rng, self.width_lower, self.width_upper, n)
        return zoom_matrices(zx, zy, height, width)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
