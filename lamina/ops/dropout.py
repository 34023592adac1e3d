"""Inverted dropout: zero each element with probability ``rate`` and scale the rest by 1/(1-rate),
so the expected value is unchanged and inference needs no rescaling.

>>> import lamina
>>> lamina.seed(0)
>>> y = lamina.ops.dropout(lamina.tensor([[1.0] * 8]), rate=0.5)
>>> sorted(set(y.numpy().ravel().tolist()))
[0.0, 2.0]
"""

from __future__ import annotations

from lamina import backend
from lamina.autograd.function import Function


class Dropout(Function):
    """y = x * m / (1 - rate), m ~ Bernoulli(1 - rate);  dx = g * m / (1 - rate)."""

    def forward(self, x, rate=0.5, noise_shape=None):
        shape = x.shape if noise_shape is None else noise_shape
        keep = backend.rng().random(shape, dtype=x.dtype) >= rate
        self.mask = keep * x.dtype.type(1 / (1 - rate))
        return x * self.mask

    def backward(self, grad):
        return (grad * self.mask,)

    def backward_graph(self, grad):
        return (grad * self.mask,)


def dropout(x, rate, noise_shape=None):
    """Apply inverted dropout (always; layers decide when, i.e. only in training)."""
    if not 0 <= rate < 1:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    if rate == 0:
        return x
    return Dropout.apply(x, rate=rate, noise_shape=noise_shape)
