"""Elementwise arithmetic and matrix multiplication, each a ``Function`` with its backward.

Broadcasting follows NumPy; the engine reduces each gradient back to its input's shape.

>>> import lamina
>>> a = lamina.tensor([[1.0, 2.0]], requires_grad=True)
>>> lamina.ops.matmul(a, lamina.tensor([[3.0], [4.0]])).item()
11.0
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


def _shape(x):
    return getattr(x, "shape", ())


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad

    def backward_graph(self, grad):
        return grad, grad


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad

    def backward_graph(self, grad):
        return grad, -grad


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return grad * self.b, grad * self.a

    def backward_graph(self, grad):
        a, b = self.inputs
        return grad * b, grad * a


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        ga = grad / self.b
        return ga, -ga * self.a / self.b

    def backward_graph(self, grad):
        a, b = self.inputs
        ga = grad / b
        return ga, -ga * a / b


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)

    def backward_graph(self, grad):
        return (-grad,)


class Pow(Function):
    """d(a^b)/da = b a^(b-1);  d(a^b)/db = a^b ln a (defined where a > 0)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad):
        # constants are told apart by the inputs, not the arrays: the array of a 0-d result
        # (x.mean()) is a NumPy scalar, and np.float64 is a Python float
        a, b = self.a, self.b
        ga = _power_rule(grad, a, b) if isinstance(self.inputs[0], Tensor) else None
        if not isinstance(self.inputs[1], Tensor):
            return ga, None
        safe = xp.where(a > 0, a, 1)
        gb = grad * self.out * xp.log(safe)
        return ga, gb

    def backward_graph(self, grad):
        a, b = self.inputs
        ga = _power_rule(grad, a, b) if isinstance(a, Tensor) else None
        if not isinstance(b, Tensor):
            return ga, None
        safe = where(_data(a) > 0, a, 1.0)
        return ga, grad * a**b * log(safe)


def _power_rule(grad, a, b):
    """grad * b a^(b-1), without the 0 * a^-1 = NaN at a = 0 that the constant exponents 0 and
    1 would give in this derivative or the next (PyTorch gives 0 there too); arrays or tensors.
    For b = 1 it is grad * a^0, which keeps a recorded gradient connected to ``a``."""
    if isinstance(b, (int, float)) and b in (0, 1):
        if b == 0:
            return grad * 0
        return grad * a**0 if isinstance(a, Tensor) else grad
    return grad * b * a ** (b - 1)


class Exp(Function):
    def forward(self, a):
        self.out = xp.exp(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)

    def backward_graph(self, grad):
        return (grad * exp(self.inputs[0]),)


class Log(Function):
    def forward(self, a):
        self.a = a
        return xp.log(a)

    def backward(self, grad):
        return (grad / self.a,)

    def backward_graph(self, grad):
        return (grad / self.inputs[0],)


class Sqrt(Function):
    def forward(self, a):
        self.out = xp.sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad / (2 * self.out),)

    def backward_graph(self, grad):
        return (grad / (2 * sqrt(self.inputs[0])),)


class Abs(Function):
    def forward(self, a):
        self.a = a
        return xp.abs(a)

    def backward(self, grad):
        return (grad * xp.sign(self.a),)

    def backward_graph(self, grad):
        return (grad * xp.sign(self.a),)


class Maximum(Function):
    """Elementwise max; on ties the gradient is split evenly, as in PyTorch."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.maximum(a, b)

    def backward(self, grad):
        wa = ((self.a > self.b) + 0.5 * (self.a == self.b)).astype(grad.dtype)
        return grad * wa, grad * (1 - wa)

    def backward_graph(self, grad):
        wa = ((self.a > self.b) + 0.5 * (self.a == self.b)).astype(grad.dtype)
        return grad * wa, grad * (1 - wa)


class Minimum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.minimum(a, b)

    def backward(self, grad):
        wa = ((self.a < self.b) + 0.5 * (self.a == self.b)).astype(grad.dtype)
        return grad * wa, grad * (1 - wa)

    def backward_graph(self, grad):
        wa = ((self.a < self.b) + 0.5 * (self.a == self.b)).astype(grad.dtype)
        return grad * wa, grad * (1 - wa)


class Clip(Function):
    """Gradient passes where ``lo <= x <= hi`` (bounds included, as in PyTorch)."""

    def forward(self, a, lo=None, hi=None):
        self.a, self.lo, self.hi = a, lo, hi
        return xp.clip(a, lo, hi)

    def backward(self, grad):
        inside = xp.ones(self.a.shape, dtype=bool)
        if self.lo is not None:
            inside &= self.a >= self.lo
        if self.hi is not None:
            inside &= self.a <= self.hi
        return (grad * inside,)

    def backward_graph(self, grad):
        inside = self.backward(xp.ones(self.a.shape, dtype=grad.dtype))[0]
        return (grad * inside,)


class Where(Function):
    def forward(self, cond, a, b):
        self.cond = cond
        return xp.where(cond, a, b)

    def backward(self, grad):
        zero = xp.zeros((), dtype=grad.dtype)
        return None, xp.where(self.cond, grad, zero), xp.where(self.cond, zero, grad)

    def backward_graph(self, grad):
        zero = xp.zeros((), dtype=grad.dtype)
        return None, where(self.cond, grad, zero), where(self.cond, zero, grad)


class Cast(Function):
    def forward(self, a, dtype=None):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return (grad.astype(self.dtype) if self.dtype.kind == "f" else None,)

    def backward_graph(self, grad):
        return (cast(grad, self.dtype) if self.dtype.kind == "f" else None,)


class MatMul(Function):
    """``a @ b`` for 1-D, 2-D and batched operands with broadcast batch dimensions."""

    def forward(self, a, b):
        a_shape, b_shape = _shape(a), _shape(b)
        if len(a_shape) == 0 or len(b_shape) == 0:
            raise ValueError(
                f"matmul needs arrays of at least 1 dimension, got {a_shape} and {b_shape}"
            )
        k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
        if a_shape[-1] != k_b:
            which = "first" if len(b_shape) == 1 else "second-to-last"
            raise ValueError(
                f"matmul shape mismatch: {a_shape} @ {b_shape}: the last dimension of the first "
                f"({a_shape[-1]}) must equal the {which} dimension of the second ({k_b})"
            )
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if b.ndim == 1:  # b's axis first: for 1-D @ 1-D, grad is 0-D
            g = xp.expand_dims(g, -1)
        if a.ndim == 1:
            g = xp.expand_dims(g, -2)
        ga = g @ xp.swapaxes(b2, -1, -2)
        if b2.ndim == 2 and a2.ndim > 2:  # x (..., k) @ W (k, n): one GEMM, not a batch of them
            gb = a2.reshape(-1, a2.shape[-1]).T @ g.reshape(-1, g.shape[-1])
        else:
            gb = xp.swapaxes(a2, -1, -2) @ g
        if a.ndim == 1:
            ga = xp.squeeze(ga, -2)
        if b.ndim == 1:
            gb = xp.squeeze(gb, -1)
        return ga, gb

    def backward_graph(self, grad):
        """1-D operands become matrices (a row, a column) and back; the engine sums the
        gradient over broadcast batch axes."""
        from lamina.ops.shaping import reshape

        a, b = self.inputs
        a2 = reshape(a, (1, -1)) if self.a.ndim == 1 else a
        b2 = reshape(b, (-1, 1)) if self.b.ndim == 1 else b
        g = grad
        if self.b.ndim == 1:
            g = reshape(g, (*g.shape, 1))
        if self.a.ndim == 1:
            g = reshape(g, (*g.shape[:-1], 1, g.shape[-1]))
        ga = matmul(g, _swap_last(b2))
        gb = matmul(_swap_last(a2), g)
        if self.a.ndim == 1:  # (..., 1, k) -> (k,) after summing over the batch axes
            ga = reshape(ga, (-1, ga.shape[-1])).sum(axis=0)
        if self.b.ndim == 1:
            gb = reshape(gb, (*gb.shape[:-2], gb.shape[-2]))
        return ga, gb


def _swap_last(t):
    from lamina.ops.shaping import transpose

    axes = list(range(t.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose(t, axes)


def _data(x):
    return getattr(x, "data", x)


def add(a, b):
    """``a + b`` with broadcasting."""
    return Add.apply(a, b)


def sub(a, b):
    """``a - b`` with broadcasting."""
    return Sub.apply(a, b)


def mul(a, b):
    """``a * b`` with broadcasting."""
    return Mul.apply(a, b)


def square(a):
    """``a * a``."""
    return Mul.apply(a, a)


def div(a, b):
    """``a / b`` with broadcasting."""
    return Div.apply(a, b)


def neg(a):
    """``-a``."""
    return Neg.apply(a)


def pow(a, b):  # noqa: A001 - the op's natural name
    """``a ** b``."""
    return Pow.apply(a, b)


def exp(a):
    """``e ** a``."""
    return Exp.apply(a)


def log(a):
    """Natural logarithm."""
    return Log.apply(a)


def sqrt(a):
    """Square root."""
    return Sqrt.apply(a)


def abs(a):  # noqa: A001
    """Absolute value (gradient ``sign(a)``, 0 at 0)."""
    return Abs.apply(a)


def maximum(a, b):
    """Elementwise maximum of two tensors."""
    return Maximum.apply(a, b)


def minimum(a, b):
    """Elementwise minimum of two tensors."""
    return Minimum.apply(a, b)


def clip(x, x_min=None, x_max=None, *, min=None, max=None):  # noqa: A002 - NumPy's names
    """Limit values to ``[x_min, x_max]`` (Keras's names; either bound may be None).
    ``min=`` and ``max=`` (NumPy's and PyTorch's names) work too.

    >>> import lamina
    >>> clip(lamina.tensor([-2.0, 0.5, 3.0]), x_min=0.0, x_max=1.0).tolist()
    [0.0, 0.5, 1.0]
    """
    if min is not None:
        if x_min is not None:
            raise TypeError("clip got both x_min and min: give one (x_min is Keras's name)")
        x_min = min
    if max is not None:
        if x_max is not None:
            raise TypeError("clip got both x_max and max: give one (x_max is Keras's name)")
        x_max = max
    if x_min is None and x_max is None:
        raise ValueError("clip needs at least one of x_min and x_max")
    return Clip.apply(x, lo=x_min, hi=x_max)


def where(condition, a, b):
    """``a`` where ``condition`` is true, else ``b``; the condition gets no gradient."""
    cond = (
        condition.data if hasattr(condition, "data") and hasattr(condition, "_node") else condition
    )
    return Where.apply(cond, a, b)


def cast(a, dtype):
    """Convert to ``dtype``; gradients flow back between float dtypes."""
    return Cast.apply(a, dtype=xp.dtype(dtype))


def matmul(a, b):
    """Matrix product; 1-D operands and broadcast batch dimensions follow NumPy's ``@``."""
    return MatMul.apply(a, b)


# Keras's (NumPy's) names for the arithmetic ops
multiply = mul
subtract = sub
divide = div
negative = neg
power = pow
true_divide = div
