"""Pooling layers, channels-last as in Keras: ``MaxPooling1D/2D/3D``,
``AveragePooling1D/2D/3D``, ``GlobalMaxPooling1D/2D/3D``, ``GlobalAveragePooling1D/2D/3D`` (and
Keras's short aliases, ``MaxPool2D``, ``AvgPool3D``, ``GlobalAvgPool3D``, ...).

>>> import numpy as np
>>> from lamina.layers.pooling import GlobalAveragePooling2D, MaxPooling2D
>>> x = np.zeros((2, 28, 28, 3), np.float32)
>>> MaxPooling2D()(x).shape, GlobalAveragePooling2D()(x).shape
((2, 14, 14, 3), (2, 3))
"""

from __future__ import annotations

from lamina import ops
from lamina.backend import xp
from lamina.layers.conv import check_input, normalize_data_format
from lamina.layers.layer import Layer
from lamina.ops import conv as conv_ops
from lamina.ops import pooling as pool_ops


class BasePooling(Layer):
    """Max or average over sliding windows of ``pool_size``; ``strides`` default to
    ``pool_size``; ``padding`` "valid" or "same" ("same" average pooling leaves the padding out
    of each window's count, as Keras)."""

    _op = None  # the pooling Function

    def __init__(self, rank, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.pool_size = conv_ops.normalize_tuple(pool_size, rank, "pool_size")
        self.strides = (
            self.pool_size
            if strides is None
            else conv_ops.normalize_tuple(strides, rank, "strides")
        )
        self.padding = conv_ops.normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)

    def build(self, input_shape):
        check_input(self, input_shape, self.rank)
        spatial = self.compute_output_shape(tuple(input_shape))[1:-1]
        if any(s is not None and s < 1 for s in spatial):
            raise ValueError(
                f"{self.name}: input of shape {tuple(input_shape)} is smaller than the pool "
                f"{self.pool_size}: use padding='same' or a smaller pool_size"
            )

    def call(self, inputs, training=False):
        check_input(self, inputs.shape, self.rank)
        return self._op.apply(
            inputs, pool_size=self.pool_size, strides=self.strides, padding=self.padding
        )

    def compute_output_shape(self, input_shape):
        spatial = [
            conv_ops.conv_output_length(size, p, s, self.padding)
            for size, p, s in zip(input_shape[1:-1], self.pool_size, self.strides)
        ]
        return (input_shape[0], *spatial, input_shape[-1])

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
        }


class MaxPooling1D(BasePooling):
    """Max over windows of ``pool_size`` steps of ``(batch, steps, channels)``."""

    _op = pool_ops.MaxPool

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(1, pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(BasePooling):
    """Max over ``pool_size`` windows of ``(batch, height, width, channels)``.

    >>> import numpy as np
    >>> MaxPooling2D((3, 3), strides=2, padding="same")(np.zeros((1, 7, 7, 2), np.float32)).shape
    (1, 4, 4, 2)
    """

    _op = pool_ops.MaxPool

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(2, pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(BasePooling):
    """Max over ``pool_size`` windows of volumes ``(batch, depth, height, width, channels)``.

    >>> import numpy as np
    >>> MaxPooling3D()(np.zeros((1, 6, 7, 8, 2), np.float32)).shape
    (1, 3, 3, 4, 2)
    """

    _op = pool_ops.MaxPool

    def __init__(
        self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs
    ):
        super().__init__(3, pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(BasePooling):
    """Mean over windows of ``pool_size`` steps of ``(batch, steps, channels)``."""

    _op = pool_ops.AvgPool

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(1, pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(BasePooling):
    """Mean over ``pool_size`` windows of ``(batch, height, width, channels)``."""

    _op = pool_ops.AvgPool

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(2, pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(BasePooling):
    """Mean over ``pool_size`` windows of volumes ``(batch, depth, height, width, channels)``."""

    _op = pool_ops.AvgPool

    def __init__(
        self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs
    ):
        super().__init__(3, pool_size, strides, padding, data_format, **kwargs)


class BaseGlobalPooling(Layer):
    """Max or mean over every spatial position: ``(batch, ..., channels)`` -> ``(batch,
    channels)``, or ``(batch, 1, ..., 1, channels)`` with ``keepdims=True``."""

    _reduce = None  # ops.max or ops.mean

    def __init__(self, rank, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self._axes = tuple(range(1, rank + 1))

    def build(self, input_shape):
        check_input(self, input_shape, self.rank)

    def call(self, inputs, training=False):
        check_input(self, inputs.shape, self.rank)
        return type(self)._reduce(inputs, axis=self._axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return (input_shape[0], *(1,) * self.rank, input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over steps: ``(batch, steps, channels)`` -> ``(batch, channels)``. With a mask (from
    ``Embedding(mask_zero=True)`` or ``Masking``) the mean is over the unmasked steps only
    (0 for a sequence with none)."""

    _reduce = ops.mean
    supports_masking = True

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)

    def call(self, inputs, training=False, mask=None):
        if mask is None:
            return super().call(inputs, training=training)
        check_input(self, inputs.shape, self.rank)
        weights = xp.asarray(mask).astype(inputs.dtype)[..., None]  # (batch, steps, 1)
        counts = xp.maximum(weights.sum(axis=1, keepdims=self.keepdims), 1)
        return ops.sum(inputs * weights, axis=1, keepdims=self.keepdims) / counts

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width: ``(batch, h, w, channels)`` -> ``(batch, channels)``."""

    _reduce = ops.mean

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over depth, height and width: ``(batch, d, h, w, channels)`` -> ``(batch, channels)``.

    >>> import numpy as np
    >>> x = np.zeros((2, 4, 5, 6, 3), np.float32)
    >>> GlobalAveragePooling3D()(x).shape, GlobalAveragePooling3D(keepdims=True)(x).shape
    ((2, 3), (2, 1, 1, 1, 3))
    """

    _reduce = ops.mean

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Max over steps: ``(batch, steps, channels)`` -> ``(batch, channels)``."""

    _reduce = ops.max

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Max over height and width: ``(batch, h, w, channels)`` -> ``(batch, channels)``."""

    _reduce = ops.max

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Max over depth, height and width: ``(batch, d, h, w, channels)`` -> ``(batch, channels)``."""

    _reduce = ops.max

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


# Keras's aliases
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
