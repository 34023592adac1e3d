"""Sorting with Keras's names: ``sort`` (differentiable: each value's gradient goes back to
where it came from), ``argsort`` (indices, outside the graph) and ``top_k`` (the ``k`` largest
values along the last axis and their indices).

>>> import lamina
>>> from lamina import ops
>>> values, indices = ops.top_k(lamina.tensor([[1.0, 5.0, 3.0]]), 2)
>>> values.tolist(), indices.tolist()
([[5.0, 3.0]], [[1, 2]])
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.ops.indexing import take_along_axis


def _data(x):
    return x.data if isinstance(x, Tensor) else xp.asarray(x)


class Sort(Function):
    def forward(self, a, axis=-1):
        self.order, self.axis = xp.argsort(a, axis=axis, kind="stable"), axis
        return xp.take_along_axis(a, self.order, axis=axis)

    def backward(self, grad):
        full = xp.empty_like(grad)
        xp.put_along_axis(full, self.order, grad, axis=self.axis)  # a permutation: no repeats
        return (full,)


def sort(x, axis=-1):
    """Values sorted in ascending order along ``axis`` (None: the flattened tensor)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return Sort.apply(x, axis=axis)


def argsort(x, axis=-1):
    """The indices that sort ``x`` along ``axis`` (stable: ties keep their order), as an int64
    tensor outside the graph.

    >>> import lamina
    >>> argsort(lamina.tensor([3.0, 1.0, 2.0])).tolist()
    [1, 2, 0]
    """
    data = _data(x)
    if axis is None:
        data, axis = data.reshape(-1), 0
    return Tensor._from_op(xp.argsort(data, axis=axis, kind="stable"), None)


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's argument name
    """``(values, indices)``: the ``k`` largest entries along the last axis, largest first, and
    their positions (ties: the lower index first). ``values`` is differentiable; ``indices``
    is an int64 tensor outside the graph. ``sorted=False`` is accepted (Keras leaves the order
    unspecified then); the result is sorted either way.
    """
    del sorted
    x = x if isinstance(x, Tensor) else Tensor(x)
    n = x.shape[-1] if x.ndim else 0
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"top_k: k must be an integer in [1, {n}] for shape {x.shape}, got {k!r}")
    data = x.data
    # descending by value, ties by ascending index (as TensorFlow): a stable sort of -x
    if data.dtype.kind == "b":
        negated = ~data
    elif data.dtype.kind == "u":  # -x wraps around for unsigned integers
        negated = xp.iinfo(data.dtype).max - data
    else:
        negated = -data
    indices = xp.argsort(negated, axis=-1, kind="stable")[..., :k]
    return take_along_axis(x, indices, axis=-1), Tensor._from_op(indices, None)
