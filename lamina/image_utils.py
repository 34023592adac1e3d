"""Image files to arrays and back, as ``keras.utils.load_img``, ``img_to_array`` and
``array_to_img``.

Keras works on PIL images, and so does lamina when Pillow is installed (``pip install pillow``):
``load_img`` returns a ``PIL.Image.Image`` and ``array_to_img`` makes one, so ``.resize()``,
``.save()`` and ``plt.imshow`` behave as in the tutorials. Without Pillow, ``load_img`` still
reads PNG files (``lamina/png.py``) into an ``ArrayImage``, a small stand-in with the parts of a
PIL image that tutorials use (``size``, ``mode``, ``resize``, ``convert``, ``save`` to PNG,
``np.asarray(img)``), resized with Pillow's arithmetic; other formats and ``array_to_img`` then
raise an ``ImportError`` that says to install Pillow.

>>> import numpy as np, os, tempfile
>>> from lamina.utils import save_img
>>> path = os.path.join(tempfile.mkdtemp(), "gray.png")
>>> save_img(path, np.arange(12.0).reshape(3, 4, 1))
>>> img = load_img(path, color_mode="grayscale", target_size=(6, 8))
>>> img.size  # (width, height), as a PIL image
(8, 6)
>>> img_to_array(img).shape
(6, 8, 1)
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np

from lamina.config import image_data_format
from lamina.png import PNG_SIGNATURE, decode_png, write_png

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}  # channels -> PIL mode
_PILLOW = "pip install pillow"


def _pil():
    """``PIL.Image``, or None when Pillow is not installed (imported on first use only)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def load_img(
    path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False
):
    """Load an image file as a PIL image (an ``ArrayImage`` of a PNG file without Pillow).

    ``color_mode``: "grayscale", "rgb" or "rgba"; ``target_size``: ``(height, width)`` to resize
    to, with ``interpolation`` one of ``INTERPOLATIONS``; ``keep_aspect_ratio`` crops the
    largest centered window of the target's aspect ratio before resizing.
    """
    if color_mode not in ("grayscale", "rgb", "rgba"):
        raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba", got {color_mode!r}')
    if isinstance(path, io.BytesIO):
        data = path.getvalue()
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as stream:
            data = stream.read()
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    image_module = _pil()
    if image_module is not None:
        img = image_module.open(io.BytesIO(data))
        if color_mode == "grayscale":
            if img.mode not in ("L", "I;16", "I"):
                img = img.convert("L")
        elif img.mode != color_mode.upper():
            img = img.convert(color_mode.upper())
    else:
        if data[:8] != PNG_SIGNATURE:
            raise ImportError(
                f"load_img reads PNG files without Pillow; {path!r} is not a PNG file: "
                f"{_PILLOW} to read JPEG, GIF, BMP and other formats"
            )
        try:
            pixels = decode_png(data)
        except ValueError as exc:
            raise ValueError(f"{path!r}: {exc}") from None
        img = ArrayImage(pixels).convert(
            {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}[color_mode]
        )
    if target_size is None:
        return img
    size = (int(target_size[1]), int(target_size[0]))
    if img.size == size:
        return img
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            f"{', '.join(INTERPOLATIONS)}"
        )
    box = None
    if keep_aspect_ratio:  # Keras's arithmetic, integer division included
        width, height = img.size
        crop_height = min(height, (width * size[1]) // size[0])
        crop_width = min(width, (height * size[0]) // size[1])
        top, left = (height - crop_height) // 2, (width - crop_width) // 2
        box = (left, top, left + crop_width, top + crop_height)
    if isinstance(img, ArrayImage):
        return img.resize(size, interpolation, box=box)
    resampling = getattr(image_module, "Resampling", image_module)
    return img.resize(size, getattr(resampling, interpolation.upper()), box=box)


def img_to_array(img, data_format=None, dtype=None) -> np.ndarray:
    """A PIL image (or ``ArrayImage``, or array) as a 3-D float array: ``(height, width,
    channels)``, or ``(channels, height, width)`` with ``data_format="channels_first"``.

    >>> img_to_array(np.zeros((2, 3), np.uint8)).shape
    (2, 3, 1)
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or _floatx())
    if x.ndim == 2:
        x = x[None] if data_format == "channels_first" else x[..., None]
    elif x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array as a PIL image (needs Pillow): 1 channel gives mode "L" (or "I" above 255),
    3 "RGB", 4 "RGBA". With ``scale`` the values are stretched to 0..255 first."""
    data_format = _data_format(data_format)
    image_module = _pil()
    if image_module is None:
        raise ImportError(
            f"array_to_img returns a PIL image and so needs Pillow: {_PILLOW} "
            "(lamina.utils.save_img writes an array to a PNG file without it)"
        )
    x = np.asarray(x, dtype=dtype or _floatx())
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        if np.max(x) != 0:
            x /= np.max(x)
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image_module.fromarray(x.astype("uint8"), _MODES[channels])
    if channels == 1:
        if np.max(x) > 255:
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def _data_format(data_format):
    data_format = data_format or image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f'data_format must be "channels_last" or "channels_first", got {data_format!r}'
        )
    return data_format


def _floatx():
    from lamina.backend import floatx

    return floatx()


class ArrayImage:
    """An 8-bit image held as a NumPy array: what ``load_img`` returns without Pillow.

    It has the parts of a PIL image that tutorials use: ``size`` (width, height), ``width``,
    ``height``, ``mode`` ("L", "LA", "RGB" or "RGBA"), ``convert(mode)``, ``resize(size)``,
    ``save(path)`` (PNG) and ``np.asarray(img)`` (``(h, w)`` for "L", else ``(h, w, c)``).

    >>> img = ArrayImage(np.zeros((2, 3, 3), np.uint8))
    >>> img.size, img.mode, np.asarray(img.convert("L")).shape
    ((3, 2), 'RGB', (2, 3))
    """

    def __init__(self, pixels):
        pixels = np.asarray(pixels)
        if pixels.dtype != np.uint8:
            raise TypeError(f"ArrayImage needs uint8 pixels, got {pixels.dtype}")
        if pixels.ndim == 3 and pixels.shape[2] == 1:
            pixels = pixels[..., 0]
        if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in _MODES):
            raise ValueError(f"ArrayImage needs (h, w) or (h, w, 1-4) pixels, got {pixels.shape}")
        self._pixels = pixels

    @property
    def mode(self) -> str:
        return "L" if self._pixels.ndim == 2 else _MODES[self._pixels.shape[2]]

    @property
    def size(self) -> tuple[int, int]:
        return self._pixels.shape[1], self._pixels.shape[0]

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]

    def __array__(self, dtype=None, copy=None):
        return self._pixels.astype(dtype) if dtype is not None else self._pixels.copy()

    def __repr__(self):
        return f"<ArrayImage mode={self.mode} size={self.size[0]}x{self.size[1]}>"

    def convert(self, mode: str) -> ArrayImage:
        """The image in ``mode`` ("L", "LA", "RGB", "RGBA"), converted as Pillow does (gray is
        ITU-R 601 luma, alpha is dropped or set to 255)."""
        if mode not in _MODES.values():
            raise ValueError(f"ArrayImage converts to {list(_MODES.values())}, got {mode!r}")
        x = self._pixels if self._pixels.ndim == 3 else self._pixels[..., None]
        color, alpha = (x[..., :3], x[..., 3:]) if x.shape[2] >= 3 else (x[..., :1], x[..., 1:])
        if mode in ("L", "LA") and color.shape[2] == 3:
            weights = np.array([19595, 38470, 7471], np.uint32)  # Pillow's fixed-point luma
            color = ((color @ weights + 0x8000) >> 16).astype(np.uint8)[..., None]
        elif mode in ("RGB", "RGBA") and color.shape[2] == 1:
            color = np.repeat(color, 3, axis=2)
        if mode in ("LA", "RGBA"):
            if not alpha.shape[2]:
                alpha = np.full(color.shape[:2] + (1,), 255, np.uint8)
            color = np.concatenate([color, alpha], axis=2)
        return ArrayImage(color)

    def resize(self, size, resample="nearest", box=None) -> ArrayImage:
        """The image resized to ``size = (width, height)`` with Pillow's arithmetic (``resample``:
        one of ``INTERPOLATIONS``, or Pillow's number for it); ``box = (left, top, right,
        bottom)`` resizes that window only."""
        names = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}
        resample = names.get(resample, resample)
        if resample not in INTERPOLATIONS:
            raise ValueError(f"resample must be one of {INTERPOLATIONS}, got {resample!r}")
        width, height = (int(s) for s in size)
        if width < 1 or height < 1:
            raise ValueError(f"size must be positive (width, height), got {size}")
        box = tuple(float(b) for b in (box or (0, 0, *self.size)))
        if (width, height) == self.size and box == (0, 0, *self.size):
            return ArrayImage(self._pixels.copy())
        x = self._pixels if self._pixels.ndim == 3 else self._pixels[..., None]
        if resample == "nearest":
            rows = _nearest(box[1], box[3], height, x.shape[0])
            cols = _nearest(box[0], box[2], width, x.shape[1])
            return ArrayImage(x[rows][:, cols])
        premultiply = x.shape[2] in (2, 4)  # Pillow resizes colour premultiplied by alpha
        if premultiply:
            alpha = x[..., -1:].astype(np.float64)
            x = np.concatenate([np.rint(x[..., :-1] * alpha / 255), alpha], axis=2)
        x = x.astype(np.int64)
        if (width, box[0], box[2]) != (x.shape[1], 0, x.shape[1]):  # columns first, as Pillow
            x = _resample(x.transpose(1, 0, 2), box[0], box[2], width, resample).transpose(1, 0, 2)
        if (height, box[1], box[3]) != (x.shape[0], 0, x.shape[0]):
            x = _resample(x, box[1], box[3], height, resample)
        if premultiply:  # back to straight alpha, in integers as Pillow
            color, alpha = x[..., :-1], x[..., -1:]
            partial = (alpha > 0) & (alpha < 255)
            color = np.where(partial, np.minimum(color * 255 // np.maximum(alpha, 1), 255), color)
            x = np.concatenate([color, alpha], axis=2)
        return ArrayImage(x.astype(np.uint8))

    def save(self, fp, format=None, **params):  # noqa: A002 (PIL's name)
        """Write the image as a PNG file (other formats need Pillow)."""
        ext = format or os.path.splitext(os.fspath(fp))[1].lstrip(".") or "png"
        if ext.lower() != "png":
            raise ImportError(f"ArrayImage saves PNG files only, got {ext!r}: {_PILLOW}")
        if params:
            warnings.warn(f"ArrayImage.save ignores {sorted(params)}", stacklevel=2)
        write_png(fp, self._pixels)


# ----- resampling with Pillow's arithmetic (libImaging/Resample.c, Geometry.c) -----


def _nearest(start: float, stop: float, size_out: int, size_in: int) -> np.ndarray:
    """Source index of each output pixel: Pillow steps ``start + (j + 0.5) * scale`` by
    repeated addition, and so does this, to land on the same pixels."""
    scale = (stop - start) / size_out
    steps = np.full(size_out, scale)
    steps[0] = start + scale * 0.5
    return np.clip(np.cumsum(steps).astype(np.int64), 0, size_in - 1)


def _sinc(x):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x == 0, 1.0, np.sin(np.pi * x) / (np.pi * x))


_FILTERS = {  # name -> (support, kernel)
    "box": (0.5, lambda x: ((x > -0.5) & (x <= 0.5)).astype(np.float64)),
    "bilinear": (1.0, lambda x: np.maximum(1.0 - np.abs(x), 0.0)),
    "hamming": (
        1.0,
        lambda x: np.where(np.abs(x) < 1, _sinc(x) * (0.54 + 0.46 * np.cos(np.pi * x)), 0.0),
    ),
    "bicubic": (
        2.0,
        lambda x: np.where(
            np.abs(x) < 1,
            (1.5 * np.abs(x) - 2.5) * np.abs(x) ** 2 + 1,
            np.where(np.abs(x) < 2, ((np.abs(x) - 5) * np.abs(x) + 8) * np.abs(x) * -0.5 + 2, 0),
        ),
    ),
    "lanczos": (3.0, lambda x: np.where((x >= -3) & (x < 3), _sinc(x) * _sinc(x / 3), 0.0)),
}
_PRECISION_BITS = 22  # 32 - 8 - 2: Pillow's fixed-point weights for 8-bit images


def _resample(x: np.ndarray, start: float, stop: float, size_out: int, name: str) -> np.ndarray:
    """Resample axis 0 of int64 ``x`` (8-bit values) over the window ``[start, stop)``."""
    support, kernel = _FILTERS[name]
    scale = (stop - start) / size_out
    filter_scale = max(scale, 1.0)
    support *= filter_scale
    weights = np.zeros((size_out, x.shape[0]), np.int64)
    for j in range(size_out):
        center = start + (j + 0.5) * scale
        low = max(int(center - support + 0.5), 0)
        high = min(int(center + support + 0.5), x.shape[0])
        w = kernel((np.arange(low, high) - center + 0.5) / filter_scale)
        total = w.sum()
        w = w / total if total != 0 else w
        # C's (int) truncates toward zero: round half away from zero
        weights[j, low:high] = np.trunc(w * (1 << _PRECISION_BITS) + np.where(w < 0, -0.5, 0.5))
    out = np.tensordot(weights, x, axes=(1, 0)) + (1 << (_PRECISION_BITS - 1))
    return np.clip(out >> _PRECISION_BITS, 0, 255)
