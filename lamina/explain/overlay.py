"""Attribution maps drawn over their image, as PNG files (no imaging library needed).

A ``"heat"`` map (blue, green, yellow, red, like the "jet" map of Grad-CAM figures) shows
non-negative maps (Grad-CAM, occlusion, ``|saliency|``); a ``"signed"`` map shows positive
evidence in red and negative in blue. Each pixel blends the (dimmed) image with the map's
colour in proportion to the attribution's magnitude, so unimportant regions show the image.

>>> import numpy as np, os, tempfile
>>> image, attribution = np.zeros((8, 8)), np.eye(8)
>>> overlay(image, attribution, scale=2).shape
(16, 16, 3)
>>> path = os.path.join(tempfile.mkdtemp(), "overlay.png")
>>> save_overlay(path, image, attribution); open(path, "rb").read(4)
b'\\x89PNG'
"""

from __future__ import annotations

import numpy as np

from lamina.png import write_png

# anchor colours of each map, from 0 to 1 (RGB in 0..1)
COLORMAPS = {
    "heat": [(0.0, (0.0, 0.0, 0.55)), (0.25, (0.0, 0.45, 1.0)), (0.5, (0.1, 0.85, 0.45)),
             (0.75, (1.0, 0.85, 0.0)), (1.0, (0.9, 0.05, 0.0))],
    "signed": [(0.0, (0.1, 0.3, 1.0)), (0.5, (1.0, 1.0, 1.0)), (1.0, (1.0, 0.15, 0.1))],
}  # fmt: skip


def colorize(values: np.ndarray, cmap: str = "heat") -> np.ndarray:
    """Values in [0, 1] -> RGB in [0, 1] (shape ``(..., 3)``) along a colour map.

    >>> colorize(np.array([0.0, 1.0]), "signed").round(2).tolist()
    [[0.1, 0.3, 1.0], [1.0, 0.15, 0.1]]
    """
    if cmap not in COLORMAPS:
        raise ValueError(f"unknown colour map {cmap!r}; use one of {sorted(COLORMAPS)}")
    stops = np.array([s for s, _ in COLORMAPS[cmap]])
    colors = np.array([c for _, c in COLORMAPS[cmap]])
    v = np.clip(values, 0, 1)
    return np.stack([np.interp(v, stops, colors[:, i]) for i in range(3)], axis=-1)


def _as_rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ValueError(f"image must be (h, w), (h, w, 1) or (h, w, 3), got {image.shape}")
    image = image[..., :3]
    low, high = image.min(), image.max()
    return (image - low) / (high - low) if high > low else np.zeros_like(image)


def overlay(
    image, attribution, alpha: float = 0.8, cmap: str | None = None, scale=None, dim: float = 0.5
):
    """The blended picture as a uint8 RGB array of shape ``(h * scale, w * scale, 3)``.

    ``image`` is ``(h, w)`` or ``(h, w, 1 | 3)`` in any range (stretched to 0..1) and shown at
    ``dim`` of its brightness, so that colours stand out on white strokes; ``attribution`` is
    ``(h, w)``. ``cmap`` None picks ``"signed"`` when the map has negative values, else
    ``"heat"``. ``scale`` enlarges by an integer factor (nearest neighbour; default: to at
    least 112 pixels on the longer side). ``alpha=0, dim=1`` gives the image alone.
    """
    rgb = _as_rgb(image) * dim
    a = np.asarray(attribution, dtype=np.float64)
    if a.shape != rgb.shape[:2]:
        raise ValueError(
            f"attribution has shape {a.shape}, the image {rgb.shape[:2]}: they must match "
            "(explain the image batch, then pass one map and one image)"
        )
    if not np.isfinite(a).all():
        raise ValueError("attribution has NaN or infinite values")
    if cmap is None:
        cmap = "signed" if a.min() < 0 else "heat"
    peak = np.abs(a).max()
    if cmap == "signed":
        weight = np.abs(a) / peak if peak > 0 else np.zeros_like(a)
        color = colorize(0.5 + 0.5 * (a / peak if peak > 0 else a), cmap)
    else:
        low, high = a.min(), a.max()
        weight = (a - low) / (high - low) if high > low else np.zeros_like(a)
        color = colorize(weight, cmap)
    weight = (alpha * weight)[..., None]
    pixels = np.rint(255 * ((1 - weight) * rgb + weight * color)).astype(np.uint8)
    if scale is None:
        scale = max(1, -(-112 // max(pixels.shape[:2])))
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    return np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)


def save_overlay(
    path, image, attribution, alpha: float = 0.8, cmap=None, scale=None, dim: float = 0.5
) -> None:
    """Write ``overlay(image, attribution, ...)`` to ``path`` as a PNG file, atomically."""
    write_png(path, overlay(image, attribution, alpha=alpha, cmap=cmap, scale=scale, dim=dim))
