"""What ``optimizer.learning_rate`` and ``optimizer.iterations`` return: a plain Python number
that also answers the methods of the Keras Variable that Keras returns, so tutorial code such as
``optimizer.learning_rate.numpy()``, ``optimizer.iterations.numpy()`` or
``optimizer.learning_rate.assign(1e-4)`` runs unchanged.

>>> import lamina
>>> opt = lamina.optimizers.Adam(learning_rate=0.01)
>>> opt.learning_rate * 2, opt.learning_rate.numpy()
(0.02, np.float32(0.01))
>>> opt.learning_rate.assign(0.001)
>>> opt.learning_rate, int(opt.iterations.numpy())
(0.001, 0)
"""

from __future__ import annotations

import operator

import numpy as np


class _OptimizerScalar:
    """The Keras Variable methods; ``_set`` writes the new value back to the optimizer.

    Arithmetic gives plain numbers, computed from the plain value: NumPy 2 treats only an exact
    Python float or int as a "weak" scalar, so ``float32_array * subclass_value`` would be
    float64. ``__array_ufunc__ = None`` makes NumPy hand ``array * value`` to ``__rmul__``.
    """

    _dtype = None
    __array_ufunc__ = None

    def __new__(cls, value, setter):
        scalar = super().__new__(cls, value)
        scalar._set = setter
        return scalar

    def numpy(self):
        """The value as a NumPy scalar (float32 or int64, as Keras's variables)."""
        return self._dtype(self)

    def item(self):
        return self._base(self)

    @property
    def value(self):
        return self._base(self)

    @property
    def shape(self) -> tuple:
        return ()

    def assign(self, value) -> None:
        """Set the optimizer's value (this number itself does not change)."""
        self._set(value)

    def assign_add(self, delta) -> None:
        self.assign(self._base(self) + delta)

    def assign_sub(self, delta) -> None:
        self.assign(self._base(self) - delta)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._base(self), dtype=dtype or self._dtype)

    def __repr__(self):
        return repr(self._base(self))

    def __reduce__(self):  # copies and pickles are plain numbers, not tied to the optimizer
        return (self._base, (self._base(self),))


def _binary(op, reflected):
    if reflected:
        return lambda self, other: op(other, self._base(self))
    return lambda self, other: op(self._base(self), other)


def _unary(op):
    return lambda self: op(self._base(self))


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow"):
    _op = getattr(operator, _name)
    setattr(_OptimizerScalar, f"__{_name}__", _binary(_op, reflected=False))
    setattr(_OptimizerScalar, f"__r{_name}__", _binary(_op, reflected=True))
for _name in ("neg", "pos", "abs"):
    setattr(_OptimizerScalar, f"__{_name}__", _unary(getattr(operator, _name)))


class LearningRate(_OptimizerScalar, float):
    """``optimizer.learning_rate``: a float with ``numpy()`` and ``assign()``."""

    _base, _dtype = float, np.float32


class Iterations(_OptimizerScalar, int):
    """``optimizer.iterations``: an int with ``numpy()`` and ``assign()``."""

    _base, _dtype = int, np.int64
