"""``Resizing`` and ``CenterCrop``: bring channels-last images to a fixed height and width,
inside the model, in training and inference alike.

Resizing is two small matrix products per image (rows, then columns), each row of a matrix
holding the interpolation weights of one output pixel, so it is differentiable and needs no new
op. ``"bilinear"`` samples output pixel ``j`` at input ``(j + 0.5) * in / out - 0.5`` clamped at
the edges (half-pixel centers), ``"nearest"`` takes input ``floor((j + 0.5) * in / out)``, as
TensorFlow's ``resize`` behind Keras does without antialiasing.

>>> import numpy as np
>>> from lamina.layers import CenterCrop, Resizing
>>> row = np.array([[[[0.0], [2.0]]]], "float32")  # (1, 1, 2, 1)
>>> Resizing(1, 4)(row)[0, 0, :, 0].tolist()
[0.0, 0.5, 1.5, 2.0]
>>> CenterCrop(2, 2)(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0].tolist()
[[5.0, 6.0], [9.0, 10.0]]
"""

from __future__ import annotations

import numpy as np

from lamina import ops
from lamina.backend import xp
from lamina.layers.layer import Layer
from lamina.layers.preprocessing.augmentation import check_data_format, check_image_rank
from lamina.layers.text_vectorization import _is_int

INTERPOLATIONS = ("bilinear", "nearest")


def _weights(size_in: int, size_out: int, interpolation: str, start: int = 0, length=None):
    """``(size_out, size_in)`` matrix resampling the window ``[start, start + length)`` of an
    axis of ``size_in`` pixels to ``size_out`` pixels."""
    length = size_in if length is None else length
    scale = length / size_out
    j = np.arange(size_out)
    weights = np.zeros((size_out, size_in))
    if interpolation == "nearest":
        source = np.minimum(np.floor((j + 0.5) * scale), length - 1).astype(np.int64)
        weights[j, start + source] = 1.0
        return weights
    source = np.clip((j + 0.5) * scale - 0.5, 0, length - 1)
    low = np.floor(source).astype(np.int64)
    high = np.minimum(low + 1, length - 1)
    frac = source - low
    np.add.at(weights, (j, start + low), 1.0 - frac)
    np.add.at(weights, (j, start + high), frac)
    return weights


def resize(images, height: int, width: int, interpolation: str = "bilinear", box=None):
    """Resize a float batch ``(n, rows, cols, channels)`` to ``(n, height, width, channels)``;
    ``box = (top, left, box_height, box_width)`` resizes that window only."""
    n, rows, cols, channels = images.shape
    top, left, box_rows, box_cols = box or (0, 0, rows, cols)
    dtype = images.dtype
    out = images
    if (height, box_rows) != (rows, rows):
        w_rows = xp.asarray(_weights(rows, height, interpolation, top, box_rows), dtype=dtype)
        out = ops.matmul(w_rows, ops.reshape(out, (n, rows, cols * channels)))
        out = ops.reshape(out, (n, height, cols, channels))
    if (width, box_cols) != (cols, cols):
        w_cols = xp.asarray(_weights(cols, width, interpolation, left, box_cols).T, dtype=dtype)
        out = ops.transpose(ops.matmul(ops.transpose(out, (0, 1, 3, 2)), w_cols), (0, 1, 3, 2))
    return out


def _crop_box(rows: int, cols: int, height: int, width: int):
    """The largest centered window of the target aspect ratio (Keras's ``smart_resize``)."""
    box_rows = max(min(rows, int(cols * height / width)), 1)
    box_cols = max(min(cols, int(rows * width / height)), 1)
    return int((rows - box_rows) / 2), int((cols - box_cols) / 2), box_rows, box_cols


def _check_size(height, width, who):
    for name, value in (("height", height), ("width", width)):
        if not _is_int(value) or value < 1:
            raise ValueError(f"{who} {name} must be a positive integer, got {value!r}")
    return int(height), int(width)


class _ImageResizing(Layer):
    """Shared by ``Resizing`` and ``CenterCrop``: target size, rank check, batching."""

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        who = type(self).__name__
        self.height, self.width = _check_size(height, width, who)
        self.data_format = check_data_format(data_format, who)

    def build(self, input_shape):
        check_image_rank(input_shape, self.name)

    def call(self, inputs, training=False):
        check_image_rank(inputs.shape, self.name)
        x = inputs if inputs.ndim == 4 else inputs[None]
        out = self._resize(x if x.dtype.kind == "f" else ops.cast(x, self.dtype))
        return out if inputs.ndim == 4 else out[0]

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[-3:-1] = [self.height, self.width]
        return tuple(shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }


class Resizing(_ImageResizing):
    """Resize images ``(batch, rows, cols, channels)`` (or one image ``(rows, cols, channels)``)
    to ``(height, width)`` with ``interpolation`` ``"bilinear"`` or ``"nearest"``.

    ``crop_to_aspect_ratio=True`` first crops the largest centered window with the target's
    aspect ratio (no distortion); ``pad_to_aspect_ratio=True`` instead pads both sides of the
    short dimension with ``fill_value``. Float inputs give float outputs; integer images are
    rounded and clipped back to their dtype, as in Keras.
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs,
    ):
        super().__init__(height, width, data_format, **kwargs)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"Resizing interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}"
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing takes only one of crop_to_aspect_ratio and pad_to_aspect_ratio"
            )
        if fill_mode != "constant":
            raise ValueError(f"Resizing fill_mode must be 'constant', got {fill_mode!r}")
        if antialias:
            raise ValueError("Resizing antialias=True is not supported: use antialias=False")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        self.antialias = False

    def call(self, inputs, training=False):
        out = super().call(inputs)
        if inputs.dtype.kind in "iu":
            info = np.iinfo(inputs.dtype)
            data = xp.clip(xp.rint(out.data), info.min, info.max)
            return ops.convert_to_tensor(data.astype(inputs.dtype))
        return out

    def _resize(self, images):
        rows, cols = images.shape[1:3]
        box = None
        if self.crop_to_aspect_ratio:
            box = _crop_box(rows, cols, self.height, self.width)
        elif self.pad_to_aspect_ratio:
            pad_rows = max(rows, int(cols * self.height / self.width))
            pad_cols = max(cols, int(rows * self.width / self.height))
            top, left = int((pad_rows - rows) / 2), int((pad_cols - cols) / 2)
            if top or left:
                padding = ((0, 0), (top, top), (left, left), (0, 0))
                images = ops.pad(images, padding, constant_values=self.fill_value)
        return resize(images, self.height, self.width, self.interpolation, box)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }


class CenterCrop(_ImageResizing):
    """Keep the central ``(height, width)`` pixels of each image (when the input is larger by an
    odd number of pixels, the extra one is cut at the bottom / right). An image smaller than the
    target along either axis is instead cropped to the target's aspect ratio and resized
    (bilinear), as Keras does. Outputs are floats.
    """

    def _resize(self, images):
        rows, cols = images.shape[1:3]
        if rows >= self.height and cols >= self.width:
            top, left = (rows - self.height) // 2, (cols - self.width) // 2
            return images[:, top : top + self.height, left : left + self.width]
        box = _crop_box(rows, cols, self.height, self.width)
        return resize(images, self.height, self.width, "bilinear", box)
