"""``RandomFlip``: flip each image left-right and/or upside down at random, in training only.

>>> import numpy as np
>>> from lamina.layers import RandomFlip
>>> images = np.arange(8.0, dtype="float32").reshape(4, 1, 2, 1)
>>> out = RandomFlip("horizontal", seed=3)(images, training=True).numpy()
>>> [row.tolist() for row in out[:, 0, :, 0]]  # each image kept or mirrored, order kept
[[1.0, 0.0], [3.0, 2.0], [4.0, 5.0], [6.0, 7.0]]
"""

from __future__ import annotations

from lamina import ops
from lamina.layers.preprocessing.augmentation import _ImageAugmentation

MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(_ImageAugmentation):
    """Flip each image with probability 1/2: ``mode="horizontal"`` mirrors left-right (the width
    axis), ``"vertical"`` upside down (the height axis), ``"horizontal_and_vertical"`` (the
    default) draws both flips independently, so each of the four outcomes has probability 1/4.
    The identity outside training.
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if mode not in MODES:
            raise ValueError(f"RandomFlip mode must be one of {MODES}, got {mode!r}")
        self.mode = mode

    def _augment(self, images, rng):
        n = images.shape[0]
        out = images
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flip = (rng.random(n) < 0.5).reshape(n, 1, 1, 1)
            out = ops.where(flip, out[:, :, ::-1], out)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            flip = (rng.random(n) < 0.5).reshape(n, 1, 1, 1)
            out = ops.where(flip, out[:, ::-1], out)
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}
