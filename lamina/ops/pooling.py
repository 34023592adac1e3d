"""Pooling, channels-last: ``max_pool1d``, ``max_pool2d``, ``max_pool3d``, ``avg_pool1d``,
``avg_pool2d``, ``avg_pool3d``.

Inputs are ``(batch, width, channels)``, ``(batch, height, width, channels)`` or
``(batch, depth, height, width, channels)``; ``strides`` default to ``pool_size``; ``padding``
is "valid" or "same" (TensorFlow's rule, as in ``lamina.ops.conv``). Max pooling pads with -inf
and gives a window's gradient to its first maximum (row-major within the window), as PyTorch and
TensorFlow give it to one element; average pooling with "same" divides by the number of real
(unpadded) values in each window.

Both are a loop over the window offsets (``ph * pw`` in 2-D) of whole-array operations on
strided views (``x[:, i::sh, j::sw]``): 3 ``maximum`` calls for a 2x2 max pool. For the common
non-overlapping case (strides == pool_size) the backward writes each offset's slice of the
input gradient once instead of accumulating into a zeroed array.

>>> import lamina
>>> x = lamina.tensor([[[[1.0], [2.0]], [[3.0], [4.0]]]])  # (1, 2, 2, 1)
>>> max_pool2d(x, 2).tolist(), avg_pool2d(x, 2).tolist()
([[[[4.0]]]], [[[[2.5]]]])
"""

from __future__ import annotations

import itertools
import math

from lamina.autograd.function import Function
from lamina.autograd.grad_mode import is_grad_enabled
from lamina.backend import xp
from lamina.ops.conv import (
    crop_spatial,
    geometry,
    normalize_padding,
    normalize_tuple,
    pad_spatial,
    window_index,
)


class _Pool(Function):
    """Shared setup for any number of spatial axes: the geometry and the padded input."""

    pad_value = 0.0
    what = "pool"

    def _setup(self, x, pool_size, strides, padding):
        rank = len(pool_size)
        self.x_shape = x.shape
        if x.ndim != rank + 2:
            raise ValueError(
                f"{self.what} with a {rank}-D pool expects an input of rank {rank + 2} "
                f"(batch, ..., channels), got shape {tuple(x.shape)}"
            )
        self.pool, self.strides = tuple(pool_size), tuple(strides)
        self.out_shape, self.pads = geometry(
            x.shape[1:-1], self.pool, self.strides, (1,) * rank, padding, what=self.what
        )
        xpad = pad_spatial(x, self.pads, self.pad_value)
        # windows that neither overlap nor leave gaps: write the gradient instead of adding it
        self.tiled = self.strides == self.pool
        return xpad

    def _views(self, a):
        """The strided view of ``a`` (padded) that each window offset meets, row-major."""
        return [a[index] for index in self._indices()]

    def _indices(self):
        """The index of each window offset's strided view, row-major."""
        offsets = itertools.product(*(range(p) for p in self.pool))
        return [window_index(offset, self.out_shape, self.strides) for offset in offsets]

    def _scatter_graph(self, parts):
        """``backward_graph``'s input gradient: the pooled-space gradient ``parts[k]`` of each
        window offset (tensors, None to skip) added at the offset's positions, then cropped;
        recorded ops only."""
        from lamina.ops.shaping import ScatterItem

        gpad = None
        for index, part in zip(self._indices(), parts, strict=True):
            if part is not None:
                placed = ScatterItem.apply(part, shape=self.pad_shape, index=index)
                gpad = placed if gpad is None else gpad + placed
        return self._crop(gpad)

    def _grad_canvas(self, shape, dtype):
        """The input gradient, zeroed where the gradient loop will not write: everywhere when
        windows overlap or leave gaps (it adds), else only the slabs that no window reaches
        ("valid")."""
        if not self.tiled:
            return xp.zeros(shape, dtype=dtype)
        canvas = xp.empty(shape, dtype=dtype)
        for axis, (o, p) in enumerate(zip(self.out_shape, self.pool), start=1):
            canvas[(slice(None),) * axis + (slice(o * p, None),)] = 0
        return canvas

    def _crop(self, gpad):
        return crop_spatial(gpad, [before for before, _ in self.pads], self.x_shape[1:-1])


class MaxPool(_Pool):
    """y = max over each window (pads are -inf). dx: each window's gradient to its first max.

    While the input is still in cache, the forward pass records, for each window offset
    k > 0, where ``x_k > max(x_0 .. x_{k-1})`` (when a gradient may be asked for): a window's
    first maximum is the last offset with a True flag (offset 0 if none). The backward pass
    then only writes ``g * mask_k`` into the input gradient, without reading the input again.

    Pooling the output of a conv with a fused ReLU (``Conv2D(..., activation="relu")`` then
    ``MaxPooling2D``), the gradient reaches only each window's maximum, where the ReLU's
    derivative is ``out > 0``: this op applies that mask in pooled space (a quarter of the
    size) and hands the conv node its result, which the conv then need not mask again (see
    ``Conv.backward``).
    """

    pad_value = -float("inf")
    what = "max_pool"

    def forward(self, x, pool_size=(2, 2), strides=(2, 2), padding="valid"):
        xpad = self._setup(x, pool_size, strides, padding)
        views = self._views(xpad)
        self.pad_shape = xpad.shape
        self.rises = []  # rises[k - 1]: where offset k beats every earlier offset of its window
        out = views[0].copy()
        if not is_grad_enabled():
            for view in views[1:]:
                xp.maximum(out, view, out=out)
            return out
        spare = xp.empty_like(out)
        for view in views[1:]:
            # max(a, v) > a exactly where v > a: a contiguous comparison, not a strided one
            xp.maximum(out, view, out=spare)
            self.rises.append(spare > out)
            out, spare = spare, out
        self.out = out
        return out

    def _relu_conv(self):
        """The conv node (with a fused ReLU) that made this op's input, if there is one and
        nobody asked to keep the input's own gradient (``retain_grad``)."""
        from lamina.ops.conv import Conv, ConvNd

        x = self.inputs[0]
        node = getattr(x, "_node", None)
        if isinstance(node, (Conv, ConvNd)) and node.out is not None and not x._retain_grad:
            return node
        return None

    def backward(self, grad):
        g = grad.reshape(self.pad_shape[0], *self.out_shape, grad.shape[-1])
        conv = self._relu_conv()
        if conv is not None:
            g = g * (self.out > 0).astype(g.dtype)
        gpad = self._grad_canvas(self.pad_shape, grad.dtype)
        targets = self._views(gpad)
        for k, mask in self._first_max_masks():
            target = targets[k]
            if not self.tiled:
                target += g if mask is None else g * mask
            elif mask is None:
                target[...] = g
            else:
                xp.multiply(g, mask, out=target)
        gx = self._crop(gpad)
        if conv is not None:
            conv.premasked = gx  # the conv skips its ReLU mask if it receives exactly this array
        return (gx,)

    def _first_max_masks(self):
        """``(k, mask)`` from the last window offset to the first: where offset k holds its
        window's first maximum (None: everywhere)."""
        taken = None  # windows whose first max lies at a later offset than the current one
        for k in range(len(self.rises), -1, -1):
            if k == 0:
                mask = None if taken is None else xp.logical_not(taken)
            else:
                rise = self.rises[k - 1]
                mask = rise if taken is None else xp.greater(rise, taken)  # rise and not taken
                taken = rise if taken is None else xp.logical_or(taken, rise)
            yield k, mask

    def backward_graph(self, grad):
        """The gradient routed to each window's first maximum by constant masks (so its own
        derivative with respect to x is 0, as for relu)."""
        from lamina.ops.shaping import reshape

        g = reshape(grad, (self.pad_shape[0], *self.out_shape, grad.shape[-1]))
        parts = [None] * (len(self.rises) + 1)
        for k, mask in self._first_max_masks():
            parts[k] = g if mask is None else g * mask
        return (self._scatter_graph(parts),)


class AvgPool(_Pool):
    """y = sum over each window / (values in it, padding excluded). dx[window] += g / count."""

    what = "avg_pool"

    def forward(self, x, pool_size=(2, 2), strides=(2, 2), padding="valid"):
        xpad = self._setup(x, pool_size, strides, padding)
        views = self._views(xpad)
        total = views[0].copy()
        for view in views[1:]:
            xp.add(total, view, out=total)
        if any(before or after for before, after in self.pads):
            ones = pad_spatial(xp.ones((1, *x.shape[1:-1], 1), dtype=x.dtype), self.pads)
            count = sum(self._views(ones))  # values per window
            self.scale = 1 / count  # (1, *out, 1): windows at the border hold fewer values
        else:
            self.scale = x.dtype.type(1 / math.prod(self.pool))
        total *= self.scale
        self.pad_shape = xpad.shape
        return total

    def backward(self, grad):
        g = grad.reshape(self.pad_shape[0], *self.out_shape, grad.shape[-1]) * self.scale
        gpad = self._grad_canvas(self.pad_shape, grad.dtype)
        for target in self._views(gpad):
            if self.tiled:
                target[...] = g
            else:
                target += g
        return (self._crop(gpad),)

    def backward_graph(self, grad):
        from lamina.ops.shaping import reshape

        g = reshape(grad, (self.pad_shape[0], *self.out_shape, grad.shape[-1])) * self.scale
        return (self._scatter_graph([g] * len(self._indices())),)


def _pool(cls, x, pool_size, strides, padding, rank):
    pool_size = normalize_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, rank, "strides")
    padding = normalize_padding(padding)
    return cls.apply(x, pool_size=pool_size, strides=strides, padding=padding)


def max_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Max over windows of ``pool_size`` steps of ``x`` (N, W, C)."""
    return _pool(MaxPool, x, pool_size, strides, padding, 1)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Max over ``pool_size`` windows of ``x`` (N, H, W, C); ``strides`` default to the pool.

    >>> import lamina
    >>> x = lamina.tensor([[[[1.0], [5.0], [2.0]], [[3.0], [4.0], [6.0]]]])  # (1, 2, 3, 1)
    >>> max_pool2d(x, 2, padding="same")[0, :, :, 0].tolist()
    [[5.0, 6.0]]
    """
    return _pool(MaxPool, x, pool_size, strides, padding, 2)


def avg_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Mean over windows of ``pool_size`` steps of ``x`` (N, W, C)."""
    return _pool(AvgPool, x, pool_size, strides, padding, 1)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Mean over ``pool_size`` windows of ``x`` (N, H, W, C); with "same", padded positions are
    left out of each window's count (TensorFlow's rule).

    >>> import lamina
    >>> x = lamina.tensor([[[[1.0], [5.0], [2.0]], [[3.0], [4.0], [6.0]]]])  # (1, 2, 3, 1)
    >>> avg_pool2d(x, 2, padding="same")[0, :, :, 0].tolist()
    [[3.25, 4.0]]
    """
    return _pool(AvgPool, x, pool_size, strides, padding, 2)


def max_pool3d(x, pool_size=2, strides=None, padding="valid"):
    """Max over ``pool_size`` windows of ``x`` (N, D, H, W, C); ``strides`` default to the pool.

    >>> import numpy as np
    >>> x = np.arange(24.0).reshape(1, 2, 3, 4, 1)
    >>> max_pool3d(x, 2)[..., 0].tolist(), max_pool3d(x, 2, padding="same").shape
    ([[[[17.0, 19.0]]]], (1, 1, 2, 2, 1))
    """
    return _pool(MaxPool, x, pool_size, strides, padding, 3)


def avg_pool3d(x, pool_size=2, strides=None, padding="valid"):
    """Mean over ``pool_size`` windows of ``x`` (N, D, H, W, C); with "same", padded positions are
    left out of each window's count (TensorFlow's rule).

    >>> import numpy as np
    >>> x = np.arange(24.0).reshape(1, 2, 3, 4, 1)
    >>> avg_pool3d(x, 2)[..., 0].tolist(), avg_pool3d(x, 2, padding="same")[0, 0, 1, 1, 0].item()
    ([[[[8.5, 10.5]]]], 16.5)
    """
    return _pool(AvgPool, x, pool_size, strides, padding, 3)
