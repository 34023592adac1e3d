"""Activation functions, each one fused Function with a hand-written backward.

All are numerically stable: no overflow, NaN or warning for inputs of +-1000.

>>> import lamina
>>> lamina.ops.sigmoid(lamina.tensor([-1000.0, 0.0, 1000.0])).tolist()
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

import math

from lamina import backend
from lamina.autograd.function import Function
from lamina.backend import xp

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


class ReLU(Function):
    """relu(x) = max(x, 0);  relu'(x) = 1 if x > 0 else 0."""

    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, grad):
        return (grad * self.mask,)

    def backward_graph(self, grad):
        return (grad * self.mask,)


class LeakyReLU(Function):
    """f(x) = x if x > 0 else a x;  f'(x) = 1 if x > 0 else a."""

    def forward(self, x, negative_slope=0.2):
        self.slope = xp.where(x > 0, x.dtype.type(1), x.dtype.type(negative_slope))
        return x * self.slope

    def backward(self, grad):
        return (grad * self.slope,)

    def backward_graph(self, grad):
        return (grad * self.slope,)


class ELU(Function):
    """f(x) = x if x > 0 else alpha (e^x - 1);  f'(x) = 1 if x > 0 else alpha e^x."""

    def forward(self, x, alpha=1.0, scale=1.0):
        self.pos = x > 0
        self.neg_exp = alpha * xp.exp(xp.minimum(x, 0))  # alpha e^x on the negative side
        self.scale, self.alpha = scale, alpha
        return scale * xp.where(self.pos, x, self.neg_exp - alpha)

    def backward(self, grad):
        return (grad * self.scale * xp.where(self.pos, 1, self.neg_exp),)

    def backward_graph(self, grad):
        from lamina.ops.math import exp, minimum, where

        x = self.inputs[0]
        slope = where(self.pos, 1.0, self.alpha * exp(minimum(x, 0.0)))
        return (grad * self.scale * slope,)


class GELU(Function):
    """Exact: x Phi(x), Phi the normal CDF. Approximate: 0.5 x (1 + tanh(c (x + 0.044715 x^3))),
    c = sqrt(2/pi)."""

    def forward(self, x, approximate=False):
        self.x, self.approximate = x, approximate
        if approximate:
            c = math.sqrt(2 / math.pi)
            self.t = xp.tanh(c * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + backend.erf(x * (1 / math.sqrt(2))))
        return x * self.cdf

    def backward(self, grad):
        x = self.x
        if self.approximate:
            c = math.sqrt(2 / math.pi)
            dt = (1 - self.t**2) * c * (1 + 3 * 0.044715 * x**2)
            return (grad * (0.5 * (1 + self.t) + 0.5 * x * dt),)
        pdf = xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return (grad * (self.cdf + x * pdf),)

    def backward_graph(self, grad):
        from lamina.autograd.higher_order import composite_backward

        return composite_backward(self, grad, self._composite)

    def _composite(self, x):
        """The forward with recorded ops, for higher-order gradients."""
        from lamina.ops.elementwise import erf

        if self.approximate:
            c = math.sqrt(2 / math.pi)
            return 0.5 * x * (1 + tanh(c * (x + 0.044715 * x**3)))
        return x * (0.5 * (1 + erf(x * (1 / math.sqrt(2)))))


class Sigmoid(Function):
    """s(x) = 1 / (1 + e^-x), computed as (1 + tanh(x/2)) / 2 (stable);  s' = s (1 - s)."""

    def forward(self, x):
        self.x = x  # the logits, read by fused losses (binary cross-entropy)
        self.out = 0.5 * (1 + xp.tanh(0.5 * x))
        return self.out

    def backward(self, grad):
        return (grad * self.out * (1 - self.out),)

    def backward_graph(self, grad):
        s = sigmoid(self.inputs[0])
        return (grad * s * (1 - s),)


class Tanh(Function):
    """tanh'(x) = 1 - tanh(x)^2."""

    def forward(self, x):
        self.out = xp.tanh(x)
        return self.out

    def backward(self, grad):
        return (grad * (1 - self.out * self.out),)

    def backward_graph(self, grad):
        t = tanh(self.inputs[0])
        return (grad * (1 - t * t),)


class Softplus(Function):
    """softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|);  softplus' = sigmoid."""

    def forward(self, x):
        self.x = x
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad):
        return (grad * (0.5 * (1 + xp.tanh(0.5 * self.x))),)

    def backward_graph(self, grad):
        return (grad * sigmoid(self.inputs[0]),)


class SiLU(Function):
    """silu(x) = x s(x) (also called swish);  silu' = s (1 + x (1 - s))."""

    def forward(self, x):
        self.x = x
        self.s = 0.5 * (1 + xp.tanh(0.5 * x))
        return x * self.s

    def backward(self, grad):
        s = self.s
        return (grad * s * (1 + self.x * (1 - s)),)

    def backward_graph(self, grad):
        x = self.inputs[0]
        s = sigmoid(x)
        return (grad * s * (1 + x * (1 - s)),)


class Softmax(Function):
    """softmax(x)_i = e^(x_i - max x) / sum_j e^(x_j - max x);  dx = y (g - sum(g y))."""

    def forward(self, x, axis=-1):
        self.x, self.axis = x, axis  # the logits, read by fused losses (cross-entropy)
        e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
        self.out = e / xp.sum(e, axis=axis, keepdims=True)
        return self.out

    def backward(self, grad):
        y = self.out
        return (y * (grad - xp.sum(grad * y, axis=self.axis, keepdims=True)),)

    def backward_graph(self, grad):
        y = softmax(self.inputs[0], axis=self.axis)
        return (y * (grad - (grad * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """log_softmax(x) = x - max - log(sum e^(x - max));  dx = g - softmax(x) sum(g)."""

    def forward(self, x, axis=-1):
        self.axis = axis
        shifted = x - xp.max(x, axis=axis, keepdims=True)
        out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
        self.out = out
        return out

    def backward(self, grad):
        return (grad - xp.exp(self.out) * xp.sum(grad, axis=self.axis, keepdims=True),)

    def backward_graph(self, grad):
        y = softmax(self.inputs[0], axis=self.axis)
        return (grad - y * grad.sum(axis=self.axis, keepdims=True),)


def relu(x):
    """Rectified linear unit: ``max(x, 0)``."""
    return ReLU.apply(x)


def leaky_relu(x, negative_slope=0.2):
    """``x`` for positive inputs, ``negative_slope * x`` otherwise (Keras ops default 0.2)."""
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    """Exponential linear unit."""
    return ELU.apply(x, alpha=alpha)


def selu(x):
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017)."""
    return ELU.apply(x, alpha=SELU_ALPHA, scale=SELU_SCALE)


def gelu(x, approximate=False):
    """Gaussian error linear unit, exact (erf) or with the tanh approximation."""
    return GELU.apply(x, approximate=approximate)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``."""
    return Sigmoid.apply(x)


def tanh(x):
    """Hyperbolic tangent."""
    return Tanh.apply(x)


def softplus(x):
    """Smooth ReLU: ``log(1 + exp(x))``."""
    return Softplus.apply(x)


def silu(x):
    """Sigmoid-weighted linear unit ``x * sigmoid(x)`` (a.k.a. swish)."""
    return SiLU.apply(x)


swish = silu


def softmax(x, axis=-1):
    """Normalized exponentials along ``axis``."""
    return Softmax.apply(x, axis=axis)


def log_softmax(x, axis=-1):
    """Logarithm of softmax along ``axis``, computed without forming the softmax."""
    return LogSoftmax.apply(x, axis=axis)
