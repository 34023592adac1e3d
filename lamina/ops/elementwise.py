"""More elementwise functions with Keras's names: ``sin``, ``cos``, ``erf``, ``log1p``,
``rsqrt``, the rounding family ``sign``, ``floor``, ``ceil``, ``round`` (gradient 0, as in
PyTorch) and ``nan_to_num``. Integer inputs are computed in the float dtype.

>>> import lamina
>>> x = lamina.tensor([0.0, 2.7], requires_grad=True)
>>> (lamina.ops.sin(x) + lamina.ops.floor(x)).sum().backward(); x.grad[0].item()
1.0
"""

from __future__ import annotations

import math

from lamina import backend
from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


def _t(x):
    """Python numbers and lists become tensors (so ``a.dtype`` exists in ``forward``)."""
    return x if isinstance(x, Tensor) or hasattr(x, "dtype") else Tensor(x)


def _float(a):
    return a if a.dtype.kind in "fc" else a.astype(backend.floatx())


class Sin(Function):
    def forward(self, a):
        self.a = _float(a)
        return xp.sin(self.a)

    def backward(self, grad):
        return (grad * xp.cos(self.a),)

    def backward_graph(self, grad):
        return (grad * cos(self.inputs[0]),)


class Cos(Function):
    def forward(self, a):
        self.a = _float(a)
        return xp.cos(self.a)

    def backward(self, grad):
        return (-grad * xp.sin(self.a),)

    def backward_graph(self, grad):
        return (-grad * sin(self.inputs[0]),)


class Erf(Function):
    """erf'(x) = 2 / sqrt(pi) exp(-x^2)."""

    def forward(self, a):
        self.a = _float(a)
        return backend.erf(self.a)

    def backward(self, grad):
        return (grad * (2 / math.sqrt(math.pi)) * xp.exp(-self.a * self.a),)

    def backward_graph(self, grad):
        from lamina.ops.math import exp

        x = self.inputs[0]
        return (grad * (2 / math.sqrt(math.pi)) * exp(-x * x),)


class Log1p(Function):
    """log(1 + x), accurate for small x;  d/dx = 1 / (1 + x)."""

    def forward(self, a):
        self.a = _float(a)
        return xp.log1p(self.a)

    def backward(self, grad):
        return (grad / (1 + self.a),)

    def backward_graph(self, grad):
        return (grad / (1 + self.inputs[0]),)


class Rsqrt(Function):
    """y = 1 / sqrt(x);  dy/dx = -y^3 / 2."""

    def forward(self, a):
        self.out = 1 / xp.sqrt(_float(a))
        return self.out

    def backward(self, grad):
        return (grad * -0.5 * self.out**3,)

    def backward_graph(self, grad):
        return (grad * -0.5 * rsqrt(self.inputs[0]) ** 3,)


class _Step(Function):
    """A piecewise-constant function: its gradient is 0 wherever it is defined."""

    def backward(self, grad):
        return (xp.zeros_like(grad),)

    def backward_graph(self, grad):
        return (grad * 0,)


class Sign(_Step):
    def forward(self, a):
        return xp.sign(a)


class Floor(_Step):
    def forward(self, a):
        return xp.floor(_float(a))


class Ceil(_Step):
    def forward(self, a):
        return xp.ceil(_float(a))


class Round(_Step):
    def forward(self, a, decimals=0):
        return xp.round(a, decimals)


class NanToNum(Function):
    """Replace NaN and infinities; the gradient passes where the input was finite."""

    def forward(self, a, nan=0.0, posinf=None, neginf=None):
        self.finite = xp.isfinite(a)
        return xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad):
        return (grad * self.finite,)

    def backward_graph(self, grad):
        return (grad * self.finite,)


def sin(x):
    """Sine (radians)."""
    return Sin.apply(_t(x))


def cos(x):
    """Cosine (radians)."""
    return Cos.apply(_t(x))


def erf(x):
    """The error function ``2 / sqrt(pi) * integral of exp(-t^2) from 0 to x``."""
    return Erf.apply(_t(x))


def log1p(x):
    """``log(1 + x)``, accurate for small ``x``."""
    return Log1p.apply(_t(x))


def rsqrt(x):
    """``1 / sqrt(x)``."""
    return Rsqrt.apply(_t(x))


def sign(x):
    """-1, 0 or 1 by the sign of each element (gradient 0)."""
    return Sign.apply(_t(x))


def floor(x):
    """Largest integer (as a float) not above each element (gradient 0)."""
    return Floor.apply(_t(x))


def ceil(x):
    """Smallest integer (as a float) not below each element (gradient 0)."""
    return Ceil.apply(_t(x))


def round(x, decimals=0):  # noqa: A001 - Keras's name
    """Round to ``decimals`` places, halves to even as NumPy and Keras do (gradient 0).

    >>> import lamina
    >>> round(lamina.tensor([0.5, 1.5, 2.5, -0.7])).tolist()
    [0.0, 2.0, 2.0, -1.0]
    """
    return Round.apply(_t(x), decimals=decimals)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN becomes ``nan``, +inf ``posinf`` and -inf ``neginf`` (default: the dtype's largest
    and smallest values); other values are kept and get their gradient.

    >>> import lamina
    >>> nan_to_num(lamina.tensor([float("nan"), 1.0, float("inf")]), posinf=9.0).tolist()
    [0.0, 1.0, 9.0]
    """
    return NanToNum.apply(_t(x), nan=nan, posinf=posinf, neginf=neginf)
