"""Pooling, channels-last: ``max_pool1d``, ``max_pool2d``, ``avg_pool1d``, ``avg_pool2d``.

Inputs are ``(batch, width, channels)`` or ``(batch, height, width, channels)``; ``strides``
default to ``pool_size``; ``padding`` is "valid" or "same" (TensorFlow's rule, as in
``lamina.ops.conv``). Max pooling pads with -inf and gives a window's gradient to its first
maximum (row-major within the window), as PyTorch and TensorFlow give it to one element;
average pooling with "same" divides by the number of real (unpadded) values in each window.

Both are a loop over the ``ph * pw`` window offsets of whole-array operations on strided views
(``x[:, i::sh, j::sw]``): 3 ``maximum`` calls for a 2x2 max pool. For the common
non-overlapping case (strides == pool_size) the backward writes each offset's slice of the
input gradient once instead of accumulating into a zeroed array.

>>> import lamina
>>> x = lamina.tensor([[[[1.0], [2.0]], [[3.0], [4.0]]]])  # (1, 2, 2, 1)
>>> max_pool2d(x, 2).tolist(), avg_pool2d(x, 2).tolist()
([[[[4.0]]]], [[[[2.5]]]])
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.grad_mode import is_grad_enabled
from lamina.backend import xp
from lamina.ops.conv import (
    geometry,
    normalize_padding,
    normalize_tuple,
    offset_view,
    pad2d,
)


class _Pool(Function):
    """Shared setup: the input as rank 2, the geometry, and the padded input."""

    pad_value = 0.0
    what = "pool"

    def _setup(self, x, pool_size, strides, padding):
        self.x_shape = x.shape
        if x.ndim != len(pool_size) + 2:
            raise ValueError(
                f"{self.what} with a {len(pool_size)}-D pool expects an input of rank "
                f"{len(pool_size) + 2} (batch, ..., channels), got shape {tuple(x.shape)}"
            )
        x4 = x[:, None] if x.ndim == 3 else x
        self.pool = (1, *pool_size)[-2:]
        self.strides = (1, *strides)[-2:]
        n, h, w, c = x4.shape
        self.in_hw = (h, w)
        self.out_shape, self.pads = geometry(
            (h, w), self.pool, self.strides, (1, 1), padding, what=self.what
        )
        xpad = pad2d(x4, self.pads, self.pad_value)
        # windows that neither overlap nor leave gaps: write the gradient instead of adding it
        self.tiled = self.strides == self.pool
        return xpad

    def _offsets(self):
        ph, pw = self.pool
        return [(i, j) for i in range(ph) for j in range(pw)]

    def _grad_canvas(self, shape, dtype):
        """The input gradient, zeroed where the gradient loop will not write: everywhere when
        windows overlap or leave gaps (it adds), else only the rows and columns that no window
        reaches ("valid")."""
        if not self.tiled:
            return xp.zeros(shape, dtype=dtype)
        canvas = xp.empty(shape, dtype=dtype)
        (ho, wo), (ph, pw) = self.out_shape, self.pool
        canvas[:, ho * ph :] = 0
        canvas[:, :, wo * pw :] = 0
        return canvas

    def _crop(self, gpad):
        (top, _), (left, _) = self.pads
        h, w = self.in_hw
        return gpad[:, top : top + h, left : left + w].reshape(self.x_shape)

    def _output(self, out):
        return out[:, 0] if len(self.x_shape) == 3 else out


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
        views = [offset_view(xpad, i, j, self.out_shape, self.strides) for i, j in self._offsets()]
        self.pad_shape = xpad.shape
        self.rises = []  # rises[k - 1]: where offset k beats every earlier offset of its window
        out = views[0].copy()
        if not is_grad_enabled():
            for view in views[1:]:
                xp.maximum(out, view, out=out)
            return self._output(out)
        spare = xp.empty_like(out)
        for view in views[1:]:
            # max(a, v) > a exactly where v > a: a contiguous comparison, not a strided one
            xp.maximum(out, view, out=spare)
            self.rises.append(spare > out)
            out, spare = spare, out
        self.out = out
        return self._output(out)

    def _relu_conv(self):
        """The conv node (with a fused ReLU) that made this op's input, if there is one and
        nobody asked to keep the input's own gradient (``retain_grad``)."""
        from lamina.ops.conv import Conv

        x = self.inputs[0]
        node = getattr(x, "_node", None)
        if isinstance(node, Conv) and node.out is not None and not x._retain_grad:
            return node
        return None

    def backward(self, grad):
        g = grad.reshape(self.pad_shape[0], *self.out_shape, grad.shape[-1])
        conv = self._relu_conv()
        if conv is not None:
            g = g * (self.out > 0).astype(g.dtype)
        gpad = self._grad_canvas(self.pad_shape, grad.dtype)
        offsets = self._offsets()
        taken = None  # windows whose first max lies at a later offset than the current one
        for k in range(len(offsets) - 1, -1, -1):
            if k == 0:
                mask = None if taken is None else xp.logical_not(taken)
            else:
                rise = self.rises[k - 1]
                mask = rise if taken is None else xp.greater(rise, taken)  # rise and not taken
                taken = rise if taken is None else xp.logical_or(taken, rise)
            target = offset_view(gpad, *offsets[k], self.out_shape, self.strides)
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


class AvgPool(_Pool):
    """y = sum over each window / (values in it, padding excluded). dx[window] += g / count."""

    what = "avg_pool"

    def forward(self, x, pool_size=(2, 2), strides=(2, 2), padding="valid"):
        xpad = self._setup(x, pool_size, strides, padding)
        views = [offset_view(xpad, i, j, self.out_shape, self.strides) for i, j in self._offsets()]
        total = views[0].copy()
        for view in views[1:]:
            xp.add(total, view, out=total)
        if any(self.pads[0] + self.pads[1]):
            ones = pad2d(xp.ones((1, *self.in_hw, 1), dtype=x.dtype), self.pads)
            count = 0
            for i, j in self._offsets():
                count = count + offset_view(ones, i, j, self.out_shape, self.strides)
            self.scale = 1 / count  # (1, Ho, Wo, 1): windows at the border hold fewer values
        else:
            self.scale = x.dtype.type(1 / (self.pool[0] * self.pool[1]))
        total *= self.scale
        self.pad_shape = xpad.shape
        return self._output(total)

    def backward(self, grad):
        g = grad.reshape(self.pad_shape[0], *self.out_shape, grad.shape[-1]) * self.scale
        gpad = self._grad_canvas(self.pad_shape, grad.dtype)
        for i, j in self._offsets():
            target = offset_view(gpad, i, j, self.out_shape, self.strides)
            if self.tiled:
                target[...] = g
            else:
                target += g
        return (self._crop(gpad),)


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
