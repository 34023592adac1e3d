"""Ops that move values without changing them: reshape, transpose, broadcast, squeeze, concatenate,
stack, split, pad and indexing. Their gradients move the values back.

>>> import lamina
>>> x = lamina.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x[:, 1].sum().backward(); x.grad.tolist()
[[0.0, 1.0], [0.0, 1.0]]
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


class Reshape(Function):
    def forward(self, a, shape=None):
        self.shape = a.shape
        try:
            return xp.reshape(a, shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {a.shape} into {shape}") from None

    def backward(self, grad):
        return (xp.reshape(grad, self.shape),)

    def backward_graph(self, grad):
        return (reshape(grad, self.shape),)


class Transpose(Function):
    def forward(self, a, axes=None):
        self.axes = (
            tuple(range(a.ndim))[::-1] if axes is None else tuple(ax % a.ndim for ax in axes)
        )
        if sorted(self.axes) != list(range(a.ndim)):
            raise ValueError(f"transpose axes {axes} are not a permutation of a {a.ndim}-D tensor")
        return xp.transpose(a, self.axes)

    def backward(self, grad):
        return (xp.transpose(grad, tuple(xp.argsort(xp.asarray(self.axes)).tolist())),)

    def backward_graph(self, grad):
        return (transpose(grad, tuple(xp.argsort(xp.asarray(self.axes)).tolist())),)


class BroadcastTo(Function):
    def forward(self, a, shape=None):
        return xp.broadcast_to(a, shape)

    def backward(self, grad):
        return (grad,)  # the engine's unbroadcast sums over the stretched axes

    def backward_graph(self, grad):
        return (grad,)


class Concatenate(Function):
    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return xp.concatenate(arrays, axis=axis)

    def backward(self, grad):
        bounds = xp.cumsum(xp.asarray(self.sizes[:-1])).tolist()
        return tuple(xp.split(grad, bounds, axis=self.axis))

    def backward_graph(self, grad):
        bounds = [0, *xp.cumsum(xp.asarray(self.sizes)).tolist()]
        pre = (slice(None),) * (self.axis % grad.ndim)
        return tuple(grad[pre + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:]))


class Stack(Function):
    def forward(self, *arrays, axis=0):
        self.axis = axis
        return xp.stack(arrays, axis=axis)

    def backward(self, grad):
        n = grad.shape[self.axis]
        return tuple(xp.take(grad, i, axis=self.axis) for i in range(n))

    def backward_graph(self, grad):
        pre = (slice(None),) * (self.axis % grad.ndim)
        return tuple(grad[pre + (i,)] for i in range(grad.shape[self.axis]))


class Pad(Function):
    def forward(self, a, pad_width=None, constant_values=0):
        self.pad_width = pad_width
        return xp.pad(a, pad_width, mode="constant", constant_values=constant_values)

    def backward(self, grad):
        index = tuple(slice(lo, grad.shape[i] - hi) for i, (lo, hi) in enumerate(self.pad_width))
        return (grad[index],)

    def backward_graph(self, grad):
        index = tuple(slice(lo, grad.shape[i] - hi) for i, (lo, hi) in enumerate(self.pad_width))
        return (grad[index],)


def _as_tensor(a):
    return a if isinstance(a, Tensor) else Tensor(a)


def _is_basic(index):
    """Basic indices (ints, slices, None, ...) select each element at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    """``a[index]``; the gradient is scattered back with ``add.at`` so repeated indices add up."""

    def forward(self, a, index=None):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, grad):
        return (ScatterItem().forward(grad, shape=self.shape, index=self.index),)

    def backward_graph(self, grad):
        return (ScatterItem.apply(grad, shape=self.shape, index=self.index),)


class ScatterItem(Function):
    """The gradient of ``a[index]``: ``values`` added at ``index`` into zeros of ``shape``
    (repeated indices add up). Its own gradient is ``GetItem`` again."""

    def forward(self, values, shape=None, index=None):
        self.index = index
        full = xp.zeros(shape, dtype=values.dtype)
        if _is_basic(index):
            full[index] = values
        else:
            xp.add.at(full, index, values)
        return full

    def backward(self, grad):
        return (grad[self.index],)

    def backward_graph(self, grad):
        return (GetItem.apply(grad, index=self.index),)


def _plain_index(index):
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return xp.asarray(index)
    return index


def reshape(a, shape):
    """Same values, new shape (one dimension may be -1)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Reshape.apply(a, shape=shape)


def transpose(a, axes=None):
    """Permute axes (reverse them when ``axes`` is None)."""
    return Transpose.apply(a, axes=axes)


permute = transpose


def broadcast_to(a, shape):
    """Stretch size-1 dimensions to ``shape``, as NumPy broadcasting does."""
    return BroadcastTo.apply(a, shape=tuple(shape))


expand = broadcast_to


def squeeze(a, axis=None):
    """Remove size-1 dimensions (all of them, or ``axis``)."""
    a = _as_tensor(a)
    shape = a.shape
    if axis is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axes = {ax % len(shape) for ax in ((axis,) if isinstance(axis, int) else axis)}
        for ax in axes:
            if shape[ax] != 1:
                raise ValueError(f"cannot squeeze axis {ax} of size {shape[ax]} (shape {shape})")
        new = tuple(n for i, n in enumerate(shape) if i not in axes)
    return reshape(a, new)


def unsqueeze(a, axis):
    """Insert a size-1 dimension at ``axis``."""
    a = _as_tensor(a)
    shape = list(a.shape)
    axis = axis % (len(shape) + 1)
    shape.insert(axis, 1)
    return reshape(a, shape)


expand_dims = unsqueeze


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis."""
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Join tensors along a new axis."""
    return Stack.apply(*tensors, axis=axis)


def split(a, indices_or_sections, axis=0):
    """Split into a list of tensors: equal ``sections`` or at the given indices (NumPy's rule)."""
    a = _as_tensor(a)
    n = a.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(
                f"cannot split axis of size {n} into {indices_or_sections} equal parts"
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0, *indices_or_sections, n]
    pre = (slice(None),) * (axis % a.ndim)
    return [a[pre + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def pad(a, pad_width, constant_values=0):
    """Pad with a constant; ``pad_width`` is ``((before, after), ...)``, one pair, or an int."""
    a = _as_tensor(a)
    ndim = a.ndim
    if isinstance(pad_width, int):
        pad_width = ((pad_width, pad_width),) * ndim
    elif len(pad_width) == 2 and isinstance(pad_width[0], int):
        pad_width = (tuple(pad_width),) * ndim
    pad_width = tuple((int(lo), int(hi)) for lo, hi in pad_width)
    if len(pad_width) != ndim:
        raise ValueError(f"pad_width has {len(pad_width)} pairs for a {ndim}-D tensor")
    return Pad.apply(a, pad_width=pad_width, constant_values=constant_values)


def getitem(a, index):
    """``a[index]`` with slices, integers, integer arrays or boolean masks."""
    return GetItem.apply(a, index=_plain_index(index))
