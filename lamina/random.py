"""Random tensors with Keras's ``keras.random`` API: ``normal``, ``uniform``, ``randint``,
``truncated_normal``, ``dropout``, ``shuffle`` and ``SeedGenerator``.

``seed`` works as in Keras: None draws from lamina's global generator (``lamina.seed(n)``
makes it reproducible), an int gives the same numbers on every call, and a ``SeedGenerator``
gives new, reproducible numbers on every call. Results are constant tensors (``dropout``
passes gradients to its input).

>>> import lamina
>>> z = lamina.random.normal((2, 3), seed=7)
>>> z.shape, bool((z.numpy() == lamina.random.normal((2, 3), seed=7).numpy()).all())
((2, 3), True)
>>> g = SeedGenerator(42)
>>> bool((uniform((4,), seed=g).numpy() == uniform((4,), seed=g).numpy()).all())
False
"""

from __future__ import annotations

import numbers

from lamina import backend
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


class SeedGenerator:
    """A random state of its own: each draw that uses it advances it (Keras's SeedGenerator).

    >>> a, b = SeedGenerator(1), SeedGenerator(1)
    >>> bool((normal((3,), seed=a).numpy() == normal((3,), seed=b).numpy()).all())
    True
    """

    def __init__(self, seed=None):
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
        ):
            raise ValueError(f"seed must be None or a non-negative integer, got {seed!r}")
        self._generator = xp.random.default_rng(seed)

    def next(self):
        return self._generator


def _generator(seed):
    if seed is None:
        return backend.rng()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be None, a non-negative int or a SeedGenerator, got {seed!r}")
    return xp.random.default_rng(seed)


def _shape(shape):
    return (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)


def _float(dtype):
    return dtype or backend.floatx()


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Samples of N(mean, stddev²)."""
    z = _generator(seed).standard_normal(_shape(shape))
    return Tensor((z * stddev + mean).astype(_float(dtype)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    """Samples of U[minval, maxval)."""
    u = _generator(seed).random(_shape(shape))
    return Tensor((minval + u * (maxval - minval)).astype(_float(dtype)))


def randint(shape, minval, maxval, dtype="int32", seed=None) -> Tensor:
    """Integers in [minval, maxval)."""
    return Tensor(_generator(seed).integers(minval, maxval, _shape(shape)).astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Samples of N(mean, stddev²) redrawn until within two standard deviations of the mean."""
    gen = _generator(seed)
    z = gen.standard_normal(_shape(shape))
    bad = xp.abs(z) > 2
    while bool(bad.any()):
        z[bad] = gen.standard_normal(int(bad.sum()))
        bad = xp.abs(z) > 2
    return Tensor((z * stddev + mean).astype(_float(dtype)))


def dropout(inputs, rate, noise_shape=None, seed=None) -> Tensor:
    """``inputs`` with a fraction ``rate`` of entries zeroed and the rest scaled by
    ``1 / (1 - rate)``; ``noise_shape`` broadcasts one mask (e.g. ``(batch, 1, features)``)."""
    inputs = inputs if isinstance(inputs, Tensor) else Tensor(inputs)
    if not 0 <= rate < 1:
        raise ValueError(f"rate must be in [0, 1), got {rate}")
    keep = _generator(seed).random(_shape(noise_shape or inputs.shape)) >= rate
    dtype = inputs.data.dtype
    return inputs * Tensor(keep.astype(dtype) / dtype.type(1 - rate))  # differentiable


def shuffle(x, axis=0, seed=None) -> Tensor:
    """``x`` with its entries along ``axis`` in a random order."""
    data = x.data if isinstance(x, Tensor) else xp.asarray(x)
    order = _generator(seed).permutation(data.shape[axis])
    return Tensor(xp.take(data, order, axis=axis))
