"""Affine resampling of a batch of images, each with its own transform, in one gather; the base
of ``RandomRotation``, ``RandomTranslation`` and ``RandomZoom``.

A transform is a ``(2, 3)`` matrix ``M`` that maps each output pixel ``(x, y)`` (column, row)
to the input point ``M @ (x, y, 1)`` it is read from (TensorFlow's and Keras's convention).
Points between pixels are interpolated (``"bilinear"``: the four neighbours, or ``"nearest"``),
and neighbours outside the image are found by ``fill_mode``, as Keras defines them:

- ``"reflect"``: ``(d c b a | a b c d | d c b a)``, mirrored about the edge of the last pixel;
- ``"wrap"``: ``(a b c d | a b c d | a b c d)``;
- ``"nearest"``: ``(a a a a | a b c d | d d d d)``;
- ``"constant"``: ``(k k k k | a b c d | k k k k)`` with ``k = fill_value``.

>>> import numpy as np
>>> image = np.arange(4.0, dtype="float32").reshape(1, 1, 4, 1)  # one row: a b c d
>>> shift = translation_matrices(np.array([-2.0]), np.array([0.0]))  # 2 pixels left
>>> [affine_transform(image, shift, fill_mode=m)[0, 0, :, 0].tolist() for m in FILL_MODES]
[[2.0, 3.0, 3.0, 2.0], [2.0, 3.0, 0.0, 1.0], [2.0, 3.0, 0.0, 0.0], [2.0, 3.0, 3.0, 3.0]]
"""

from __future__ import annotations

import math

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers.preprocessing.augmentation import _ImageAugmentation

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def rotation_matrices(angles, height: int, width: int):
    """Rotations by ``angles`` (radians; positive = counter-clockwise on screen) about the image
    center; ``(n, 2, 3)``."""
    cos, sin = xp.cos(angles), xp.sin(angles)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    return _matrices(cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy)


def translation_matrices(dx, dy):
    """Shifts by ``dx`` pixels right and ``dy`` pixels down; ``(n, 2, 3)``."""
    one, zero = xp.ones_like(dx), xp.zeros_like(dx)
    return _matrices(one, zero, -dx, zero, one, -dy)


def zoom_matrices(zx, zy, height: int, width: int):
    """Zooms about the image center: a factor above 1 shows more of the image (zooms out);
    ``(n, 2, 3)``."""
    zero = xp.zeros_like(zx)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    return _matrices(zx, zero, cx * (1 - zx), zero, zy, cy * (1 - zy))


def _matrices(a0, a1, a2, b0, b1, b2):
    return xp.stack([xp.stack([a0, a1, a2], -1), xp.stack([b0, b1, b2], -1)], -2)


def _fold(index, size: int, fill_mode: str):
    """Integer pixel coordinates -> coordinates inside ``[0, size)`` by ``fill_mode`` (through a
    table over the coordinates' range, cheaper than folding every one), and for ``"constant"``
    a mask of those that were inside (None when all were)."""
    low, high = int(index.min()), int(index.max())
    if low >= 0 and high < size:
        return index, None
    positions = xp.arange(low, high + 1)
    inside = None
    if fill_mode == "reflect":
        table = positions % (2 * size)
        table = xp.where(table >= size, 2 * size - 1 - table, table)
    elif fill_mode == "wrap":
        table = positions % size
    else:
        table = xp.clip(positions, 0, size - 1)
        if fill_mode == "constant":
            inside = ((positions >= 0) & (positions < size))[index - low]
    return table[index - low], inside


class _Resample(Function):
    """``out[p] = sum_k weights[k, p] * x[index[k, p]] + fill[p]``: each output pixel blends
    the input pixels (rows of ``x`` viewed as ``(pixels, channels)``) at its taps;
    ``dx`` scatters ``g * weights`` back onto those pixels."""

    def forward(self, images, index=None, weights=None, fill=None):
        self.shape, self.index, self.weights = images.shape, index, weights
        pixels = images.reshape(-1, images.shape[-1])
        out = None
        for k in range(len(index)):  # the 1 or 4 taps, each a gather over the whole batch
            tap = xp.take(pixels, index[k], axis=0)
            if weights is not None:
                tap *= weights[k][..., None]
            out = tap if out is None else out + tap
        return out if fill is None else out + fill[..., None]

    def backward(self, grad):
        size, channels = math.prod(self.shape[:3]), self.shape[3]
        flat = self.index.ravel()
        dx = xp.empty((size, channels), dtype=grad.dtype)
        for c in range(channels):  # bincount is 1-D: one pass per channel, not per pixel
            g = grad[None, ..., c] if self.weights is None else self.weights * grad[None, ..., c]
            g = xp.broadcast_to(g, self.index.shape).ravel()
            dx[:, c] = xp.bincount(flat, weights=g, minlength=size)
        return (dx.reshape(self.shape),)


def affine_transform(images, matrices, interpolation: str = "bilinear",
                     fill_mode: str = "reflect", fill_value: float = 0.0) -> Tensor:  # fmt: skip
    """Resample each image ``images[i]`` (``(batch, height, width, channels)``) through
    ``matrices[i]`` (``(batch, 2, 3)``, output pixel -> input point): one gather per tap for the
    whole batch, differentiable with respect to ``images``."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    images = images if isinstance(images, Tensor) else Tensor(images)
    n, height, width, _ = images.shape
    dtype = images.dtype
    m = xp.asarray(matrices, dtype="float64").reshape(n, 2, 3)[:, :, :, None, None]
    rows, cols = xp.meshgrid(
        xp.arange(height, dtype="float64"), xp.arange(width, dtype="float64"), indexing="ij"
    )
    # (batch, height, width), snapped to 1e-9 pixel so that quarter turns and whole-pixel shifts
    # land exactly on pixels despite the rounding of cos and sin
    src_x = xp.round(m[:, 0, 0] * cols + m[:, 0, 1] * rows + m[:, 0, 2], 9)
    src_y = xp.round(m[:, 1, 0] * cols + m[:, 1, 1] * rows + m[:, 1, 2], 9)
    if interpolation == "nearest":
        src_y, src_x = src_y + 0.5, src_x + 0.5
    y0, x0 = xp.floor(src_y), xp.floor(src_x)
    ones = xp.ones_like(y0)
    if interpolation == "nearest":
        ys, xs = [(y0, ones)], [(x0, ones)]
    else:
        fy, fx = src_y - y0, src_x - x0
        ys, xs = [(y0, 1 - fy), (y0 + 1, fy)], [(x0, 1 - fx), (x0 + 1, fx)]
    batch = xp.arange(n).reshape(n, 1, 1) * height
    folded_x = [(_fold(x.astype("int64"), width, fill_mode), wx) for x, wx in xs]
    index, weights, outside = [], [], xp.zeros_like(y0)
    for y, wy in ys:
        row, inside_y = _fold(y.astype("int64"), height, fill_mode)
        for (col, inside_x), wx in folded_x:
            weight = wy * wx
            inside = _both(inside_y, inside_x)
            if inside is not None:
                outside += weight * ~inside
                weight = weight * inside
            index.append((batch + row) * width + col)
            weights.append(weight)
    weights = None if interpolation == "nearest" and not outside.any() else xp.stack(weights)
    fill = None
    if fill_value != 0 and outside.any():
        fill = (outside * fill_value).astype(dtype)
    return _Resample.apply(
        images,
        index=xp.stack(index),
        weights=None if weights is None else weights.astype(dtype),
        fill=fill,
    )


def _both(a, b):
    if a is None:
        return b
    return a if b is None else a & b


class _RandomAffine(_ImageAugmentation):
    """Shared by the random geometric layers: ``fill_mode``, ``interpolation``, ``fill_value``,
    and ``_matrices(batch, height, width, rng)`` drawing one transform per image."""

    def __init__(
        self,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        who = type(self).__name__
        if fill_mode not in FILL_MODES:
            raise ValueError(f"{who} fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"{who} interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}"
            )
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    def _augment(self, images, rng):
        n, height, width, _ = images.shape
        matrices = self._matrices(n, height, width, rng)
        return affine_transform(
            images, matrices, self.interpolation, self.fill_mode, self.fill_value
        )

    def _matrices(self, n, height, width, rng):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


def uniform(rng, lower: float, upper: float, n: int):
    """``n`` draws from ``U[lower, upper)`` (float64)."""
    return lower + (upper - lower) * rng.random(n)
