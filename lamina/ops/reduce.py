"""Reductions over axes: sum, mean, var, max, min, and argmax/argmin (no gradient).

>>> import lamina
>>> lamina.ops.mean(lamina.tensor([[1.0, 3.0], [5.0, 7.0]]), axis=0).tolist()
[3.0, 5.0]
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axes) if ndim else ()


def _expand_to(grad, shape, axes, keepdims):
    """Re-insert reduced axes into ``grad`` so it broadcasts against the input."""
    if not keepdims:
        grad = xp.reshape(grad, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return grad


class Sum(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _axes(axis, a.ndim), keepdims
        return xp.sum(a, axis=axis, keepdims=keepdims)

    def backward(self, grad):
        g = _expand_to(grad, self.shape, self.axes, self.keepdims)
        return (xp.broadcast_to(g, self.shape),)


class Mean(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _axes(axis, a.ndim), keepdims
        self.count = 1
        for i in self.axes:
            self.count *= a.shape[i]
        return xp.mean(a, axis=axis, keepdims=keepdims)

    def backward(self, grad):
        g = _expand_to(grad, self.shape, self.axes, self.keepdims) / self.count
        return (xp.broadcast_to(g, self.shape),)


class Var(Function):
    """var = sum((x - mean)^2) / (N - ddof);  d var / dx = 2 (x - mean) / (N - ddof)."""

    def forward(self, a, axis=None, keepdims=False, ddof=0):
        self.shape, self.axes, self.keepdims = a.shape, _axes(axis, a.ndim), keepdims
        count = 1
        for i in self.axes:
            count *= a.shape[i]
        self.centered = a - xp.mean(a, axis=self.axes, keepdims=True)
        self.denom = count - ddof
        return xp.sum(self.centered**2, axis=axis, keepdims=keepdims) / self.denom

    def backward(self, grad):
        g = _expand_to(grad, self.shape, self.axes, self.keepdims)
        return (g * self.centered * (2 / self.denom),)


class _Extreme(Function):
    """max/min over axes; ties share the gradient evenly (like ``torch.amax``)."""

    reduce = None

    def forward(self, a, axis=None, keepdims=False):
        if a.size == 0:
            raise ValueError(f"{type(self).__name__.lower()} of an empty tensor (shape {a.shape})")
        self.a, self.axes, self.keepdims = a, _axes(axis, a.ndim), keepdims
        self.out = type(self).reduce(a, axis=self.axes, keepdims=True)
        return self.out if keepdims else xp.reshape(self.out, _reduced(a.shape, self.axes))

    def backward(self, grad):
        g = _expand_to(grad, self.a.shape, self.axes, self.keepdims)
        mask = (self.a == self.out).astype(g.dtype)
        return (g * mask / xp.sum(mask, axis=self.axes, keepdims=True),)


def _reduced(shape, axes):
    return tuple(n for i, n in enumerate(shape) if i not in axes)


class Max(_Extreme):
    reduce = staticmethod(lambda a, **kw: xp.max(a, **kw))


class Min(_Extreme):
    reduce = staticmethod(lambda a, **kw: xp.min(a, **kw))


def sum(a, axis=None, keepdims=False):  # noqa: A001
    """Sum over ``axis`` (an int, a tuple, or None for all)."""
    return Sum.apply(a, axis=axis, keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``."""
    return Mean.apply(a, axis=axis, keepdims=keepdims)


def var(a, axis=None, keepdims=False, ddof=0):
    """Variance over ``axis`` (population variance, ``ddof=0``, as NumPy and Keras)."""
    return Var.apply(a, axis=axis, keepdims=keepdims, ddof=ddof)


def max(a, axis=None, keepdims=False):  # noqa: A001
    """Largest value over ``axis``."""
    return Max.apply(a, axis=axis, keepdims=keepdims)


def min(a, axis=None, keepdims=False):  # noqa: A001
    """Smallest value over ``axis``."""
    return Min.apply(a, axis=axis, keepdims=keepdims)


def argmax(a, axis=None):
    """Index of the largest value (an integer tensor, outside the graph)."""
    data = a.data if isinstance(a, Tensor) else xp.asarray(a)
    return Tensor(xp.argmax(data, axis=axis))


def argmin(a, axis=None):
    """Index of the smallest value (an integer tensor, outside the graph)."""
    data = a.data if isinstance(a, Tensor) else xp.asarray(a)
    return Tensor(xp.argmin(data, axis=axis))
