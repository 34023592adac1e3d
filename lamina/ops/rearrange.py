"""Ops that copy or reorder values along axes, with NumPy's and Keras's names: ``tile``,
``repeat``, ``flip``, ``swapaxes`` and ``moveaxis``. Gradients sum the copies back (``tile``,
``repeat``) or undo the reordering.

>>> import lamina
>>> from lamina import ops
>>> x = lamina.tensor([1.0, 2.0], requires_grad=True)
>>> y = ops.repeat(x, 3)
>>> y.tolist()
[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
>>> y.sum().backward(); x.grad.tolist()
[3.0, 3.0]
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.ops.shaping import transpose


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


class Tile(Function):
    """Output axis i holds ``reps[i]`` copies of input axis i (both padded with leading 1s to the
    same length); the gradient sums each axis's copies."""

    def forward(self, a, repeats=None):
        reps = (repeats,) if isinstance(repeats, int) else tuple(repeats)
        rank = max(a.ndim, len(reps))
        self.shape = a.shape
        self.padded = (1,) * (rank - a.ndim) + a.shape
        self.reps = (1,) * (rank - len(reps)) + reps
        return xp.tile(a, reps)

    def backward(self, grad):
        interleaved = [n for pair in zip(self.reps, self.padded) for n in pair]
        g = grad.reshape(interleaved).sum(axis=tuple(range(0, len(interleaved), 2)))
        return (g.reshape(self.shape),)


class Repeat(Function):
    """Each element along ``axis`` repeated ``repeats`` times (an int, or one count per
    element); the gradient sums each element's copies."""

    def forward(self, a, repeats=None, axis=0):
        self.shape, self.axis = a.shape, axis
        self.counts = repeats if isinstance(repeats, int) else xp.asarray(repeats)
        return xp.repeat(a, repeats, axis=axis)

    def backward(self, grad):
        axis, n = self.axis, self.shape[self.axis]
        g = xp.moveaxis(grad, axis, 0)
        if isinstance(self.counts, int):
            g = g.reshape(n, self.counts, *g.shape[1:]).sum(axis=1)
        else:  # segments of unequal length, some maybe empty: scatter-add by source index
            source = xp.repeat(xp.arange(n), xp.broadcast_to(self.counts, (n,)))
            out = xp.zeros((n, *g.shape[1:]), dtype=g.dtype)
            xp.add.at(out, source, g)
            g = out
        return (xp.moveaxis(g, 0, axis),)


class Flip(Function):
    def forward(self, a, axis=None):
        self.axis = axis
        return xp.flip(a, axis=axis)

    def backward(self, grad):
        return (xp.flip(grad, axis=self.axis),)


def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis (an int repeats the last axis).

    >>> import lamina
    >>> tile(lamina.tensor([[1, 2]]), (2, 2)).tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    return Tile.apply(_as_tensor(x), repeats=repeats)


def repeat(x, repeats, axis=None):
    """Each element repeated ``repeats`` times (an int, or one count per element) along
    ``axis``; with ``axis=None`` the flattened tensor is repeated."""
    x = _as_tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    if not isinstance(repeats, int):
        repeats = repeats.data if isinstance(repeats, Tensor) else xp.asarray(repeats)
        if repeats.size == 1:
            repeats = int(repeats.reshape(-1)[0])
    return Repeat.apply(x, repeats=repeats, axis=axis % x.ndim)


def flip(x, axis=None):
    """Reverse the order of elements along ``axis`` (an int, a tuple, or None for all)."""
    return Flip.apply(_as_tensor(x), axis=axis)


def swapaxes(x, axis1, axis2):
    """Exchange two axes.

    >>> import lamina
    >>> swapaxes(lamina.tensor([[[0.0, 1.0, 2.0]]]), 0, 2).shape
    (3, 1, 1)
    """
    x = _as_tensor(x)
    axes = list(range(x.ndim))
    a, b = axis1 % x.ndim, axis2 % x.ndim
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, axes)


def moveaxis(x, source, destination):
    """Move axes (an int or a sequence) to new positions, the other axes keeping their order.

    >>> import lamina
    >>> moveaxis(lamina.ops.zeros((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    x = _as_tensor(x)
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    if len(source) != len(destination):
        raise ValueError(
            f"moveaxis: source {source} and destination {destination} need the same length"
        )
    source = [s % x.ndim for s in source]
    destination = [d % x.ndim for d in destination]
    order = [i for i in range(x.ndim) if i not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return transpose(x, order)
