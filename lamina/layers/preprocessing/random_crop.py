"""``RandomCrop``: crop images to ``(height, width)`` at a random place in training, and to the
center (resizing where needed) at inference.

>>> import numpy as np
>>> from lamina.layers import RandomCrop
>>> images = np.arange(2 * 6 * 8, dtype="float32").reshape(2, 6, 8, 1)
>>> layer = RandomCrop(4, 4, seed=0)
>>> layer(images).shape, layer(images, training=False).shape
((2, 4, 4, 1), (2, 4, 4, 1))
>>> RandomCrop(6, 4)(images)[0, 0, :, 0].tolist()  # not larger in height: the center columns
[2.0, 3.0, 4.0, 5.0]
"""

from __future__ import annotations

from lamina import ops
from lamina.layers.preprocessing.augmentation import _ImageAugmentation, check_image_rank
from lamina.layers.preprocessing.image_preprocessing import _check_size, _crop_box, resize


class RandomCrop(_ImageAugmentation):
    """Crop channels-last images ``(batch, rows, cols, channels)`` (or one image) to
    ``(height, width)``; outputs are floats.

    Training (the default when called directly; ``fit``): when the images are larger than the
    target on both axes, one random window for the whole batch, as in Keras 3.15. Otherwise,
    as Keras 3.15 does, the ``(height, width)`` window starting at the corner of the largest
    centered window of the target's aspect ratio, resized (bilinear) to the target where it
    comes out smaller (an image of the target size is returned as is; one larger on a single
    axis is center-cropped).

    Inference (``training=False``: ``predict``, ``evaluate``, validation): the largest centered
    window of the target's aspect ratio, resized (bilinear) to ``(height, width)``, as Keras
    documents and Keras 2 did (``Resizing(height, width, crop_to_aspect_ratio=True)``).
    Keras 3.15 instead returns the images unchanged at inference (keras-team/keras#21868),
    so that its models see other shapes in ``predict`` than in ``fit``; lamina keeps the output
    shape of ``compute_output_shape`` in both.
    """

    def __init__(
        self,
        height: int,
        width: int,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height, self.width = _check_size(height, width, "RandomCrop")

    def call(self, inputs, training=True):
        check_image_rank(inputs.shape, self.name)
        x = inputs if inputs.dtype == self.dtype else ops.cast(inputs, self.dtype)
        images = x if x.ndim == 4 else x[None]
        out = self._crop(images, training)
        return out if x.ndim == 4 else out[0]

    def _crop(self, images, training):
        rows, cols = images.shape[1:3]
        height, width = self.height, self.width
        if not training:
            return resize(images, height, width, "bilinear", _crop_box(rows, cols, height, width))
        if rows > height and cols > width:
            rng = self._rng()
            top = int(rng.integers(0, rows - height + 1))
            left = int(rng.integers(0, cols - width + 1))
            return images[:, top : top + height, left : left + width]
        top, left, _, _ = _crop_box(rows, cols, height, width)
        window = images[:, top : top + height, left : left + width]
        if window.shape[1:3] != (height, width):
            window = resize(window, height, width, "bilinear")
        return window

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[-3:-1] = [self.height, self.width]
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}
