"""Comparisons, logical operators and value tests with Keras's names: ``equal``, ``not_equal``,
``greater``, ``greater_equal``, ``less``, ``less_equal``, ``logical_and``, ``logical_or``,
``logical_xor``, ``logical_not``, ``isnan``, ``isinf``, ``isfinite``. They broadcast as NumPy
does and give boolean tensors outside the graph (no gradient, as in every framework).

>>> import lamina
>>> from lamina import ops
>>> ops.greater(lamina.tensor([1.0, 3.0]), 2.0).tolist()
[False, True]
>>> ops.logical_and([True, True], [True, False]).tolist()
[True, False]
"""

from __future__ import annotations

from lamina.autograd.tensor import Tensor
from lamina.backend import xp


def _data(x):
    return x.data if isinstance(x, Tensor) else xp.asarray(x)


def _binary(fn, x1, x2) -> Tensor:
    return Tensor._from_op(xp.asarray(fn(_data(x1), _data(x2))), None)


def _unary(fn, x) -> Tensor:
    return Tensor._from_op(xp.asarray(fn(_data(x))), None)


def equal(x1, x2) -> Tensor:
    """``x1 == x2`` elementwise."""
    return _binary(xp.equal, x1, x2)


def not_equal(x1, x2) -> Tensor:
    """``x1 != x2`` elementwise."""
    return _binary(xp.not_equal, x1, x2)


def greater(x1, x2) -> Tensor:
    """``x1 > x2`` elementwise."""
    return _binary(xp.greater, x1, x2)


def greater_equal(x1, x2) -> Tensor:
    """``x1 >= x2`` elementwise."""
    return _binary(xp.greater_equal, x1, x2)


def less(x1, x2) -> Tensor:
    """``x1 < x2`` elementwise."""
    return _binary(xp.less, x1, x2)


def less_equal(x1, x2) -> Tensor:
    """``x1 <= x2`` elementwise."""
    return _binary(xp.less_equal, x1, x2)


def logical_and(x1, x2) -> Tensor:
    """True where both are true (nonzero)."""
    return _binary(xp.logical_and, x1, x2)


def logical_or(x1, x2) -> Tensor:
    """True where either is true (nonzero)."""
    return _binary(xp.logical_or, x1, x2)


def logical_xor(x1, x2) -> Tensor:
    """True where exactly one is true (nonzero)."""
    return _binary(xp.logical_xor, x1, x2)


def logical_not(x) -> Tensor:
    """True where ``x`` is false (zero)."""
    return _unary(xp.logical_not, x)


def isnan(x) -> Tensor:
    """True where ``x`` is NaN."""
    return _unary(xp.isnan, x)


def isinf(x) -> Tensor:
    """True where ``x`` is +inf or -inf."""
    return _unary(xp.isinf, x)


def isfinite(x) -> Tensor:
    """True where ``x`` is neither NaN nor infinite."""
    return _unary(xp.isfinite, x)
