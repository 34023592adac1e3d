"""Small utilities that Keras tutorials use: ``to_categorical``, ``pad_sequences``,
``timeseries_dataset_from_array`` (which lives in ``lamina/data/timeseries.py``), ``save_img``
and ``image_grid`` (PNG files by ``lamina/png.py``, no imaging library needed), ``get_file``
(``lamina/file_utils.py``), ``load_img``, ``img_to_array`` and ``array_to_img``
(``lamina/image_utils.py``), ``plot_model`` and ``model_to_dot``
(``lamina/model_visualization.py``).

>>> to_categorical([0, 2, 1], num_classes=3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
>>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
[[2, 3], [0, 4]]
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from lamina import image_utils
from lamina.backend import seed as set_random_seed  # keras.utils.set_random_seed
from lamina.data.image_dataset import image_dataset_from_directory
from lamina.data.text_dataset import text_dataset_from_directory
from lamina.data.timeseries import timeseries_dataset_from_array
from lamina.file_utils import get_file
from lamina.image_utils import array_to_img, img_to_array, load_img
from lamina.model_visualization import model_to_dot, plot_model
from lamina.png import write_png


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero vectors stay zero), as
    ``keras.utils.normalize``.

    >>> normalize([[3.0, 4.0], [0.0, 0.0]]).tolist()
    [[0.6, 0.8], [0.0, 0.0]]
    """
    x = np.asarray(x, dtype=np.float64 if np.asarray(x).dtype == np.float64 else np.float32)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels: shape ``(..., )`` -> ``(..., num_classes)`` float32.

    A trailing axis of size 1 is dropped first, as Keras does for labels of shape ``(n, 1)``.
    """
    x = np.asarray(x)
    if x.dtype.kind == "f":
        if not np.all(x == np.rint(x)):
            raise ValueError("to_categorical needs integer class labels, got fractional values")
        x = x.astype(np.int64)
    if x.dtype.kind not in "iu":
        raise TypeError(f"to_categorical needs integer labels, got dtype {x.dtype}")
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if x.size and x.min() < 0:
        raise ValueError(f"class labels must be >= 0, got {x.min()}")
    largest = int(x.max()) + 1 if x.size else 0
    num_classes = largest if num_classes is None else int(num_classes)
    if largest > num_classes:
        raise ValueError(f"label {largest - 1} is out of range for num_classes={num_classes}")
    out = np.zeros((*x.shape, num_classes), dtype=np.float32)
    np.put_along_axis(out, x[..., None], 1.0, axis=-1)
    return out


def pad_sequences(
    sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0
):
    """Lists of ids of different lengths -> one ``(n, maxlen)`` array, as Keras's.

    ``padding``/``truncating`` "pre" (Keras's default) or "post" say at which end values are
    added or cut; ``maxlen`` defaults to the longest sequence.
    """
    for name, where in (("padding", padding), ("truncating", truncating)):
        if where not in ("pre", "post"):
            raise ValueError(f'{name} must be "pre" or "post", got {where!r}')
    sequences = [np.asarray(s) for s in sequences]
    if maxlen is None:
        maxlen = max((len(s) for s in sequences), default=0)
    if not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"maxlen must be a non-negative integer, got {maxlen!r}")
    feature_shape = next((s.shape[1:] for s in sequences if len(s)), ())
    out = np.full((len(sequences), maxlen, *feature_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "post":
            out[i, : len(s)] = s
        else:
            out[i, maxlen - len(s) :] = s
    return out


__all__ = ["array_to_img", "get_file", "image_grid", "img_to_array", "load_img", "model_to_dot",
           "normalize", "pad_sequences", "plot_model", "save_img", "set_random_seed",
           "timeseries_dataset_from_array", "to_categorical"]  # fmt: skip
__all__ += ["image_dataset_from_directory", "text_dataset_from_directory"]


def image_grid(images, cols=None, padding=2, pad_value=None):
    """Tile images of shape ``(n, height, width[, channels])`` into one image, row by row, with
    ``padding`` pixels between them (of ``pad_value``, by default the images' minimum).

    >>> image_grid(np.ones((6, 2, 3)), cols=3, padding=1).shape
    (5, 11)
    """
    images = np.asarray(images)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"image_grid needs images of shape (n, h, w[, c]), got {images.shape}")
    n, h, w = images.shape[:3]
    cols = int(cols or np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    fill = images.min() if pad_value is None else pad_value
    grid = np.full(
        (rows * h + (rows - 1) * padding, cols * w + (cols - 1) * padding, *images.shape[3:]),
        fill,
        dtype=images.dtype,
    )
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        grid[
            r * (h + padding) : r * (h + padding) + h, c * (w + padding) : c * (w + padding) + w
        ] = image
    return grid


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an image array to a file, as ``keras.utils.save_img``: PNG by lamina's own writer,
    other formats (JPEG, ...) through Pillow when it is installed (``kwargs`` go to its
    ``Image.save``).

    ``x`` has shape ``(height, width)`` or ``(height, width, channels)`` with 1, 3 or 4 channels
    (``data_format="channels_first"`` for ``(channels, height, width)``). With ``scale`` the
    values are stretched to 0..255 (minimum to black, maximum to white); without it they must
    already be in 0..255.
    """
    fmt = (file_format or os.path.splitext(os.fspath(path))[1].lstrip(".") or "png").lower()
    if fmt != "png":
        if image_utils._pil() is None:
            raise ValueError(
                f"save_img writes PNG files only without Pillow, got format {fmt!r}: "
                "pip install pillow to write other formats"
            )
        img = array_to_img(x if np.ndim(x) == 3 else np.asarray(x)[..., None], data_format, scale)
        fmt = "jpeg" if fmt == "jpg" else fmt
        if img.mode == "RGBA" and fmt == "jpeg":
            warnings.warn(
                "The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2
            )
            img = img.convert("RGB")
        img.save(path, format=fmt, **kwargs)
        return
    x = np.asarray(x, dtype=np.float64)
    if data_format == "channels_first" and x.ndim == 3:
        x = np.moveaxis(x, 0, -1)
    if not np.isfinite(x).all():
        raise ValueError("save_img got NaN or infinite pixel values")
    if scale:
        x = x - x.min()
        if x.max() > 0:
            x = x / x.max()
        x = x * 255.0
    elif x.min() < 0 or x.max() > 255:
        raise ValueError(f"with scale=False pixels must be in [0, 255], got {x.min()}..{x.max()}")
    write_png(path, np.rint(x).astype(np.uint8))
