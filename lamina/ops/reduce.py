"""Reductions over axes: sum, mean, var, std, prod, max, min, logsumexp, and argmax/argmin (no
gradient); and the running sum ``cumsum``.

>>> import lamina
>>> lamina.ops.mean(lamina.tensor([[1.0, 3.0], [5.0, 7.0]]), axis=0).tolist()
[3.0, 5.0]
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.ops.math import sqrt as _sqrt


def _axes(axis, ndim):
    """``axis`` (None, an int, or a tuple or list of ints, as Keras takes) as a tuple of
    non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axes) if ndim else ()


def _expand_to(grad, shape, axes, keepdims):
    """Re-insert reduced axes into ``grad`` so it broadcasts against the input."""
    if not keepdims:
        grad = xp.reshape(grad, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return grad


def _spread(grad, shape, axes, keepdims):
    """``_expand_to`` and the broadcast back to ``shape``, with recorded ops (a tensor ``grad``)."""
    from lamina.ops.shaping import broadcast_to, reshape

    if not keepdims:
        grad = reshape(grad, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return broadcast_to(grad, shape)


class Sum(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _axes(axis, a.ndim), keepdims
        return xp.sum(a, axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        g = _expand_to(grad, self.shape, self.axes, self.keepdims)
        return (xp.broadcast_to(g, self.shape),)

    def backward_graph(self, grad):
        return (_spread(grad, self.shape, self.axes, self.keepdims),)


class Mean(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _axes(axis, a.ndim), keepdims
        self.count = 1
        for i in self.axes:
            self.count *= a.shape[i]
        return xp.mean(a, axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        g = _expand_to(grad, self.shape, self.axes, self.keepdims) / self.count
        return (xp.broadcast_to(g, self.shape),)

    def backward_graph(self, grad):
        return (_spread(grad, self.shape, self.axes, self.keepdims) / self.count,)


class Var(Function):
    """var = sum((x - mean)^2) / (N - ddof);  d var / dx = 2 (x - mean) / (N - ddof)."""

    def forward(self, a, axis=None, keepdims=False, ddof=0):
        self.shape, self.axes, self.keepdims = a.shape, _axes(axis, a.ndim), keepdims
        count = 1
        for i in self.axes:
            count *= a.shape[i]
        self.centered = a - xp.mean(a, axis=self.axes, keepdims=True)
        self.denom = count - ddof
        return xp.sum(self.centered**2, axis=self.axes, keepdims=keepdims) / self.denom

    def backward(self, grad):
        g = _expand_to(grad, self.shape, self.axes, self.keepdims)
        return (g * self.centered * (2 / self.denom),)

    def backward_graph(self, grad):
        x = self.inputs[0]
        centered = x - mean(x, axis=self.axes, keepdims=True)
        return (_spread(grad, self.shape, self.axes, self.keepdims) * centered * (2 / self.denom),)


class Prod(Function):
    """d prod / dx_i = product of the other x_j: computed from exclusive running products from
    both sides, so zeros in the input need no special case."""

    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _axes(axis, a.ndim), keepdims
        self.a = a
        return xp.prod(a, axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        g = _expand_to(grad, self.shape, self.axes, self.keepdims)
        kept = [i for i in range(len(self.shape)) if i not in self.axes]
        order = kept + list(self.axes)
        moved = xp.transpose(self.a, order)
        flat = moved.reshape(*moved.shape[: len(kept)], -1)
        ones = xp.ones((*flat.shape[:-1], 1), dtype=flat.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (left * right).reshape(moved.shape)
        return (g * xp.transpose(others, xp.argsort(xp.asarray(order)).tolist()),)


class LogSumExp(Function):
    """y = m + log(sum(exp(x - m))), m = max(x) for stability;  dy/dx = exp(x - y)."""

    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _axes(axis, a.ndim), keepdims
        m = xp.max(a, axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, xp.zeros((), dtype=m.dtype))  # all -inf: no NaN
        self.a = a
        total = xp.sum(xp.exp(a - m), axis=self.axes, keepdims=True)
        logs = xp.log(xp.where(total > 0, total, xp.ones((), dtype=total.dtype)))
        self.out = xp.where(total > 0, m + logs, xp.asarray(-xp.inf, dtype=total.dtype))
        return self.out if keepdims else xp.reshape(self.out, _reduced(a.shape, self.axes))

    def backward(self, grad):
        g = _expand_to(grad, self.shape, self.axes, self.keepdims)
        return (g * xp.exp(self.a - self.out),)

    def backward_graph(self, grad):
        from lamina.ops.math import exp

        x = self.inputs[0]
        out = logsumexp(x, axis=self.axes, keepdims=True)
        return (_spread(grad, self.shape, self.axes, self.keepdims) * exp(x - out),)


class CumSum(Function):
    """Running sum along ``axis``; its gradient is the running sum of the gradient from the
    other end."""

    def forward(self, a, axis=0):
        self.axis = axis
        return xp.cumsum(a, axis=axis)

    def backward(self, grad):
        flipped = xp.flip(grad, axis=self.axis)
        return (xp.flip(xp.cumsum(flipped, axis=self.axis), axis=self.axis),)


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

    def backward_graph(self, grad):
        mask = (self.a == self.out).astype(grad.dtype)
        share = mask / xp.sum(mask, axis=self.axes, keepdims=True)
        return (_spread(grad, self.a.shape, self.axes, self.keepdims) * share,)


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


def std(a, axis=None, keepdims=False):
    """Standard deviation over ``axis`` (population, as NumPy and Keras): ``sqrt(var)``."""
    return _sqrt(var(a, axis=axis, keepdims=keepdims))


def prod(a, axis=None, keepdims=False, dtype=None):
    """Product over ``axis``.

    >>> import lamina
    >>> prod(lamina.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1).tolist()
    [2.0, 12.0]
    """
    a = _as_tensor(a) if dtype is None else _as_tensor(a).astype(dtype)
    return Prod.apply(a, axis=axis, keepdims=keepdims)


def logsumexp(a, axis=None, keepdims=False):
    """``log(sum(exp(a)))`` over ``axis``, computed without overflow.

    >>> import lamina
    >>> round(logsumexp(lamina.tensor([1000.0, 1000.0], dtype="float64")).item(), 4)
    1000.6931
    """
    return LogSumExp.apply(_as_tensor(a), axis=axis, keepdims=keepdims)


def cumsum(a, axis=None, dtype=None):
    """Running sum along ``axis`` (None: over the flattened tensor).

    >>> import lamina
    >>> cumsum(lamina.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [1.0, 3.0, 6.0, 10.0]
    """
    a = _as_tensor(a) if dtype is None else _as_tensor(a).astype(dtype)
    if axis is None:
        a, axis = a.reshape(-1), 0
    return CumSum.apply(a, axis=axis % a.ndim if a.ndim else 0)


def max(a, axis=None, keepdims=False):  # noqa: A001
    """Largest value over ``axis``."""
    return Max.apply(a, axis=axis, keepdims=keepdims)


def min(a, axis=None, keepdims=False):  # noqa: A001
    """Smallest value over ``axis``."""
    return Min.apply(a, axis=axis, keepdims=keepdims)


def argmax(a, axis=None, keepdims=False):
    """Index of the largest value (an integer tensor, outside the graph)."""
    data = a.data if isinstance(a, Tensor) else xp.asarray(a)
    return Tensor(xp.argmax(data, axis=axis, keepdims=keepdims))


def argmin(a, axis=None, keepdims=False):
    """Index of the smallest value (an integer tensor, outside the graph)."""
    data = a.data if isinstance(a, Tensor) else xp.asarray(a)
    return Tensor(xp.argmin(data, axis=axis, keepdims=keepdims))


def _as_tensor(a):
    return a if isinstance(a, Tensor) else Tensor(a)
