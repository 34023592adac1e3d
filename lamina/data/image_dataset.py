"""``image_dataset_from_directory``: a folder of class subfolders of images as batches, as
``keras.utils.image_dataset_from_directory`` makes them.

Images are read when their batch is served (``load_img``: Pillow for every format, lamina's
own decoder for PNG without it), converted to ``color_mode``, and resized to ``image_size`` as
TensorFlow's ``resize`` does (no antialiasing, the arithmetic of ``layers.Resizing``); batches
are float32 in ``[0, 255]``.

>>> import os, tempfile
>>> import numpy as np
>>> from lamina.utils import save_img
>>> root = tempfile.mkdtemp()
>>> for name in ["cat/1.png", "cat/2.png", "dog/1.png"]:
...     os.makedirs(os.path.join(root, os.path.dirname(name)), exist_ok=True)
...     save_img(os.path.join(root, name), np.full((8, 6, 3), 200.0), scale=False)
>>> ds = image_dataset_from_directory(root, image_size=(4, 4), batch_size=2, shuffle=False)
Found 3 files belonging to 2 classes.
>>> ds.class_names, len(ds)
(['cat', 'dog'], 2)
>>> x, y = next(iter(ds))
>>> x.shape, x.dtype, float(x.max()), y.numpy().tolist()
((2, 4, 4, 3), dtype('float32'), 200.0, [0, 0])
"""

from __future__ import annotations

import numpy as np

from lamina import image_utils
from lamina.data.directory import FileDataset, dataset_from_directory

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
INTERPOLATIONS = ("bilinear", "nearest")
_KERAS_ONLY = ("bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size=(256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    verbose: bool = True,
) -> FileDataset | list[FileDataset]:
    """Batches of the images (.bmp .gif .jpeg .jpg .png) under ``directory``.

    Args:
        directory: with ``labels="inferred"``, one subdirectory of images per class.
        labels: ``"inferred"`` (class ``i`` is the ``i``-th subdirectory), ``None`` (images
            only), or a list of integer labels for the files in their sorted path order.
        label_mode: ``"int"`` (int32 ``(batch,)``), ``"categorical"`` (float32 one-hot),
            ``"binary"`` (float32 ``(batch, 1)``, two classes) or ``None`` (images only).
        class_names: with ``labels="inferred"``, the subdirectories to use, in label order
            (default: all, sorted).
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``: 1, 3 or 4 channels.
        batch_size: images per batch; ``None`` yields single images.
        image_size: ``(height, width)`` (or one int) every image is resized to.
        shuffle: shuffle the files (once, with ``seed``, as Keras does) and reshuffle every
            pass; ``False`` serves them in sorted path order.
        seed: seeds the shuffling; needed with ``validation_split`` and ``shuffle``.
        validation_split, subset: keep the first ``1 - validation_split`` of the shuffled files
            (``subset="training"``), the rest (``"validation"``), or return both datasets as a
            list (``"both"``). Two calls with the same seed give disjoint subsets.
        interpolation: ``"bilinear"`` or ``"nearest"`` (Keras's other methods are not
            implemented in lamina).
        follow_links: visit subdirectories that are symbolic links.
        crop_to_aspect_ratio: crop the largest centered window of the target's aspect ratio
            before resizing; ``pad_to_aspect_ratio``: pad with zeros to it instead.
        data_format: ``"channels_last"`` (``(batch, h, w, c)``) or ``"channels_first"``;
            default ``lamina.config.image_data_format()``.
        verbose: print how many files and classes were found.

    Returns:
        A ``FileDataset`` (with ``class_names`` and ``file_paths``) yielding ``(images,
        labels)``, or ``images`` alone when ``labels`` or ``label_mode`` is ``None``; a list
        ``[training, validation]`` for ``subset="both"`` (the validation one not shuffled).
    """
    if color_mode not in _CHANNELS:
        raise ValueError(f'color_mode must be "rgb", "rgba" or "grayscale", got {color_mode!r}')
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if not (
        isinstance(image_size, (list, tuple))
        and len(image_size) == 2
        and all(isinstance(s, (int, np.integer)) and s > 0 for s in image_size)
    ):
        raise ValueError(
            f"image_size must be (height, width), two positive ints, got {image_size!r}"
        )
    image_size = (int(image_size[0]), int(image_size[1]))
    interpolation = str(interpolation).lower()
    if interpolation not in INTERPOLATIONS:
        detail = (
            " (a Keras method lamina does not implement)" if interpolation in _KERAS_ONLY else ""
        )
        raise ValueError(
            f'interpolation must be "bilinear" or "nearest", got {interpolation!r}{detail}'
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("pass only one of crop_to_aspect_ratio and pad_to_aspect_ratio")
    data_format = image_utils._data_format(data_format)
    load = _ImageLoader(image_size, color_mode, interpolation, crop_to_aspect_ratio,
                        pad_to_aspect_ratio, data_format)  # fmt: skip
    dataset = dataset_from_directory(
        directory,
        load,
        ALLOWLIST_FORMATS,
        "images",
        labels=labels,
        label_mode=label_mode,
        class_names=class_names,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        validation_split=validation_split,
        subset=subset,
        follow_links=follow_links,
        verbose=verbose,
    )
    _check_pillow(dataset)
    return dataset


def _check_pillow(dataset) -> None:
    """Without Pillow only PNG files can be read: say so now rather than mid-epoch."""
    if image_utils._pil() is not None:
        return
    datasets = dataset if isinstance(dataset, list) else [dataset]
    others = [p for ds in datasets for p in ds.file_paths if not p.lower().endswith(".png")]
    if others:
        raise ImportError(
            f"{len(others)} of the images are not PNG files (such as {others[0]!r}): lamina reads "
            "PNG without an imaging library, other formats need Pillow: pip install pillow"
        )


class _ImageLoader:
    """A list of paths -> a float32 batch of images of one size."""

    def __init__(self, image_size, color_mode, interpolation, crop, pad, data_format):
        self.image_size, self.color_mode, self.interpolation = image_size, color_mode, interpolation
        self.crop, self.pad, self.data_format = crop, pad, data_format

    def __call__(self, paths) -> np.ndarray:
        height, width = self.image_size
        batch = np.empty((len(paths), height, width, _CHANNELS[self.color_mode]), np.float32)
        for i, path in enumerate(paths):
            try:
                img = image_utils.load_img(path, color_mode=self.color_mode)
            except (OSError, ValueError) as exc:  # PIL's UnidentifiedImageError is an OSError
                raise ValueError(f"could not read image {path!r}: {exc}") from exc
            pixels = image_utils.img_to_array(img, data_format="channels_last", dtype="float32")
            batch[i] = resize_image(
                pixels, self.image_size, self.interpolation, self.crop, self.pad
            )
        return batch if self.data_format == "channels_last" else batch.transpose(0, 3, 1, 2)


def resize_image(
    image: np.ndarray,
    size,
    interpolation: str = "bilinear",
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
) -> np.ndarray:
    """One float32 image ``(rows, cols, channels)`` resized to ``size = (height, width)`` as
    ``keras.ops.image.resize`` (and ``layers.Resizing``) does: rows, then columns, each one
    matrix product of interpolation weights (half-pixel centers, no antialiasing).

    >>> resize_image(np.array([[[0.0], [2.0]]], "float32"), (1, 4))[0, :, 0].tolist()
    [0.0, 0.5, 1.5, 2.0]
    """
    # imported here: the layers package is heavy, and lamina.data must not need it to import
    from lamina.layers.preprocessing.image_preprocessing import _crop_box, _weights

    height, width = size
    rows, cols = image.shape[:2]
    top, left, box_rows, box_cols = 0, 0, rows, cols
    if crop_to_aspect_ratio:
        top, left, box_rows, box_cols = _crop_box(rows, cols, height, width)
    elif pad_to_aspect_ratio:
        pad_top = int((max(rows, int(cols * height / width)) - rows) / 2)
        pad_left = int((max(cols, int(rows * width / height)) - cols) / 2)
        if pad_top or pad_left:
            image = np.pad(image, ((pad_top, pad_top), (pad_left, pad_left), (0, 0)))
            rows, cols = box_rows, box_cols = image.shape[:2]
    out = image
    if (height, box_rows) != (rows, rows):
        w_rows = _weights(rows, height, interpolation, top, box_rows).astype(np.float32)
        out = (w_rows @ out.reshape(rows, -1)).reshape(height, cols, -1)
    if (width, box_cols) != (cols, cols):
        w_cols = _weights(cols, width, interpolation, left, box_cols).astype(np.float32)
        out = np.matmul(w_cols, out)  # (width, cols) @ (height, cols, c) -> (height, width, c)
    return out
