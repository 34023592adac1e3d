"""Gathering by integer indices, with NumPy's and Keras's names: ``take`` (whole slices along
an axis) and ``take_along_axis`` (one element per position, e.g. the values at ``argsort``'s
indices). Gradients are scattered back with ``add.at``, so repeated indices add up.

>>> import lamina
>>> from lamina import ops
>>> x = lamina.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> ops.take(x, [1, 1], axis=0).sum().backward(); x.grad.tolist()
[[0.0, 0.0], [2.0, 2.0]]
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.ops.shaping import ScatterItem


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _indices(indices, who):
    idx = indices.data if isinstance(indices, Tensor) else xp.asarray(indices)
    if idx.dtype.kind not in "iu":
        if idx.size and xp.any(idx != xp.floor(idx)):
            raise ValueError(f"{who} expects integer indices, got values like {idx.ravel()[:3]}")
        idx = idx.astype(xp.int64)
    return idx


class Take(Function):
    """``out[..., j, ...] = a[..., indices[j], ...]`` along ``axis``."""

    def forward(self, a, indices=None, axis=0):
        n = a.shape[axis]
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise IndexError(
                f"take: indices must lie in [{-n}, {n}) for axis {axis} of shape {a.shape}, "
                f"got values in [{int(indices.min())}, {int(indices.max())}]"
            )
        self.shape, self.index = a.shape, (slice(None),) * axis + (indices % n if n else indices,)
        return a[self.index]

    def backward(self, grad):
        return (ScatterItem().forward(grad, shape=self.shape, index=self.index),)

    def backward_graph(self, grad):
        return (ScatterItem.apply(grad, shape=self.shape, index=self.index),)


class TakeAlongAxis(Function):
    """``out[i, j, k] = a[i, indices[i, j, k], k]`` for ``axis=1`` (and likewise for any axis),
    the other axes broadcast between ``a`` and ``indices``."""

    def forward(self, a, indices=None, axis=0):
        if indices.ndim != a.ndim:
            raise ValueError(
                f"take_along_axis needs indices with as many dimensions as x ({a.ndim}), got "
                f"shape {indices.shape}"
            )
        n = a.shape[axis]
        grid = []
        for d in range(a.ndim):
            if d == axis:
                grid.append(indices % n if n else indices)
            else:
                shape = [1] * a.ndim
                shape[d] = a.shape[d]
                grid.append(xp.arange(a.shape[d]).reshape(shape))
        self.shape, self.index = a.shape, tuple(grid)
        return a[self.index]

    def backward(self, grad):
        return (ScatterItem().forward(grad, shape=self.shape, index=self.index),)

    def backward_graph(self, grad):
        return (ScatterItem.apply(grad, shape=self.shape, index=self.index),)


def take(x, indices, axis=None):
    """The slices of ``x`` at ``indices`` along ``axis`` (negative indices count from the end);
    with ``axis=None``, elements of the flattened ``x``. The result's shape is
    ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``.

    >>> import lamina
    >>> take(lamina.tensor([[1, 2], [3, 4]]), [3, 0]).tolist()
    [4, 1]
    """
    x = _as_tensor(x)
    idx = _indices(indices, "take")
    if axis is None:
        x, axis = x.reshape(-1), 0
    return Take.apply(x, indices=idx, axis=axis % x.ndim)


def take_along_axis(x, indices, axis=None):
    """Elements of ``x`` picked along ``axis`` by ``indices``, which has ``x``'s number of
    dimensions (NumPy's rule; ``axis=None`` works on the flattened tensors).

    >>> import lamina
    >>> x = lamina.tensor([[10.0, 30.0, 20.0]])
    >>> take_along_axis(x, lamina.ops.argsort(x, axis=1), axis=1).tolist()
    [[10.0, 20.0, 30.0]]
    """
    x = _as_tensor(x)
    idx = _indices(indices, "take_along_axis")
    if axis is None:
        x, idx, axis = x.reshape(-1), idx.reshape(-1), 0
    return TakeAlongAxis.apply(x, indices=idx, axis=axis % x.ndim)
