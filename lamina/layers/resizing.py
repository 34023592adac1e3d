"""``UpSampling``, ``ZeroPadding`` and ``Cropping`` in 1, 2 and 3 spatial dimensions, each a thin
subclass of a rank-generic base. Inputs are channels-last ``(batch, *spatial, channels)`` unless
``data_format="channels_first"``.

>>> import numpy as np
>>> from lamina.layers.resizing import Cropping2D, UpSampling2D, ZeroPadding2D
>>> x = np.ones((1, 4, 4, 3), "float32")
>>> UpSampling2D()(x).shape, ZeroPadding2D(((1, 0), (2, 2)))(x).shape, Cropping2D(1)(x).shape
((1, 8, 8, 3), (1, 5, 8, 3), (1, 2, 2, 3))
"""

from __future__ import annotations

from lamina import ops
from lamina.layers.layer import Layer
from lamina.ops.resize import upsample

_DATA_FORMATS = ("channels_last", "channels_first")


def _data_format(value, who):
    value = "channels_last" if value is None else value
    if value not in _DATA_FORMATS:
        raise ValueError(f"{who} data_format must be one of {_DATA_FORMATS}, got {value!r}")
    return value


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _sizes(value, rank, who):
    """An int or ``rank`` ints -> ``rank`` positive ints."""
    sizes = (value,) * rank if _is_int(value) else tuple(value)
    if len(sizes) != rank or not all(_is_int(s) and s >= 1 for s in sizes):
        raise ValueError(f"{who} size must be a positive integer or {rank} of them, got {value!r}")
    return sizes


def _pairs(value, rank, name, who):
    """Keras's forms of per-side amounts -> ``rank`` ``(before, after)`` pairs: an int (every
    side), ``rank`` ints (symmetric per axis; for rank 1, ``(before, after)``), or ``rank``
    pairs."""
    try:
        if _is_int(value):
            pairs = ((value, value),) * rank
        elif rank == 1 and len(value) == 2 and all(_is_int(v) for v in value):
            pairs = (tuple(value),)
        elif len(value) == rank and all(_is_int(v) for v in value):
            pairs = tuple((v, v) for v in value)
        else:
            pairs = tuple(tuple(p) for p in value)
        ok = len(pairs) == rank and all(
            len(p) == 2 and all(_is_int(v) and v >= 0 for v in p) for p in pairs
        )
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(
            f"{who} {name} must be a non-negative int, {rank} ints or {rank} (before, after) "
            f"pairs, got {value!r}"
        )
    return tuple((int(a), int(b)) for a, b in pairs)


class _SpatialResizing(Layer):
    """Shared by the resizing layers: ``rank`` spatial axes located by ``data_format``."""

    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, type(self).__name__)

    @property
    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def build(self, input_shape):
        if len(input_shape) != self.rank + 2:
            layout = "(batch, " + "spatial, " * self.rank + "channels)"
            if self.data_format == "channels_first":
                layout = "(batch, channels" + ", spatial" * self.rank + ")"
            raise ValueError(
                f"{self.name} expected {self.rank + 2}-D input {layout}, "
                f"got shape {tuple(input_shape)}"
            )

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for i, axis in enumerate(self._spatial_axes):
            if shape[axis] is not None:
                shape[axis] = self._output_size(i, shape[axis])
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class _UpSampling(_SpatialResizing):
    """Repeat each value ``size`` times along each spatial axis (or interpolate linearly)."""

    def __init__(self, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        who = type(self).__name__
        self.size = _sizes(size, self.rank, who)
        allowed = ("nearest", {1: "linear", 2: "bilinear", 3: "trilinear"}[self.rank])
        if interpolation not in allowed:
            raise ValueError(f"{who} interpolation must be one of {allowed}, got {interpolation!r}")
        self.interpolation = interpolation

    def _output_size(self, i, n):
        return n * self.size[i]

    def call(self, inputs, training=False):
        return upsample(inputs, self.size, self._spatial_axes, self.interpolation)

    def get_config(self):
        return {
            **super().get_config(),
            "size": list(self.size),
            "interpolation": self.interpolation,
        }


class _ZeroPadding(_SpatialResizing):
    """Add rows/columns of zeros before and after each spatial axis."""

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding", type(self).__name__)

    def _output_size(self, i, n):
        return n + sum(self.padding[i])

    def call(self, inputs, training=False):
        pad_width = [(0, 0)] * inputs.ndim
        for axis, pair in zip(self._spatial_axes, self.padding, strict=True):
            pad_width[axis] = pair
        return ops.pad(inputs, pad_width)

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class _Cropping(_SpatialResizing):
    """Remove ``(before, after)`` entries from the ends of each spatial axis."""

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping", type(self).__name__)

    def _output_size(self, i, n):
        return n - sum(self.cropping[i])

    def build(self, input_shape):
        super().build(input_shape)
        for axis, (a, b) in zip(self._spatial_axes, self.cropping, strict=True):
            n = input_shape[axis]
            if n is not None and a + b >= n:
                raise ValueError(
                    f"{self.name} cropping {[list(p) for p in self.cropping]} removes all "
                    f"{n} entries of axis {axis} of inputs of shape {tuple(input_shape)}"
                )

    def call(self, inputs, training=False):
        index = [slice(None)] * inputs.ndim
        for axis, (a, b) in zip(self._spatial_axes, self.cropping, strict=True):
            index[axis] = slice(a, inputs.shape[axis] - b)
        return ops.getitem(inputs, tuple(index))

    def get_config(self):
        return {**super().get_config(), "cropping": [list(p) for p in self.cropping]}


class UpSampling1D(_UpSampling):
    """``(batch, steps, channels)`` -> ``(batch, steps * size, channels)``."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, **kwargs)


class UpSampling2D(_UpSampling):
    """``(batch, rows, cols, channels)`` -> ``(batch, rows * size[0], cols * size[1], channels)``;
    ``interpolation="nearest"`` repeats values, ``"bilinear"`` interpolates (half-pixel
    centers, as Keras)."""

    rank = 2

    def __init__(self, size=(2, 2), **kwargs):
        super().__init__(size, **kwargs)


class UpSampling3D(_UpSampling):
    """``(batch, d1, d2, d3, channels)`` -> each spatial size times its ``size``."""

    rank = 3

    def __init__(self, size=(2, 2, 2), **kwargs):
        super().__init__(size, **kwargs)


class ZeroPadding1D(_ZeroPadding):
    """Pad the steps axis: ``padding`` is an int or ``(left, right)``."""

    rank = 1

    def __init__(self, padding=1, **kwargs):
        super().__init__(padding, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pad rows and columns: ``padding`` is an int, ``(rows, cols)`` (symmetric) or
    ``((top, bottom), (left, right))``."""

    rank = 2

    def __init__(self, padding=(1, 1), **kwargs):
        super().__init__(padding, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pad three spatial axes: an int, three ints (symmetric) or three ``(before, after)``."""

    rank = 3

    def __init__(self, padding=(1, 1, 1), **kwargs):
        super().__init__(padding, **kwargs)


class Cropping1D(_Cropping):
    """Crop the steps axis: ``cropping`` is an int or ``(start, end)``."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Crop rows and columns: ``cropping`` is an int, ``(rows, cols)`` (symmetric) or
    ``((top, bottom), (left, right))``."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping3D(_Cropping):
    """Crop three spatial axes: an int, three ints (symmetric) or three ``(before, after)``."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), **kwargs):
        super().__init__(cropping, **kwargs)
