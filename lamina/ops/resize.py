"""``upsample``: enlarge spatial axes by integer factors, by repetition (nearest) or linear
interpolation, as one node. (Zero padding and cropping are ``ops.pad`` and indexing.)

>>> import lamina
>>> x = lamina.tensor([[[1.0], [3.0]]])  # (batch, steps, channels)
>>> upsample(x, 2)[0, :, 0].tolist()
[1.0, 1.0, 3.0, 3.0]
>>> upsample(x, 2, interpolation="linear")[0, :, 0].tolist()
[1.0, 1.5, 2.5, 3.0]
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp

INTERPOLATIONS = ("nearest", "linear", "bilinear", "trilinear")


def _along(axis, index):
    """An index that applies ``index`` to ``axis`` and keeps every other axis whole."""
    return (slice(None),) * axis + (index,)


def _taps(s):
    """For output offset ``r`` in ``0..s-1`` within an input cell: ``(a, f)`` such that output
    ``s*i + r`` is ``(1 - f) * xpad[i + a] + f * xpad[i + a + 1]``, where ``xpad`` is the input
    with its edge values repeated once on each side. Half-pixel centers: output ``j`` samples the
    input at ``(j + 0.5) / s - 0.5`` (Keras/TensorFlow ``resize``, PyTorch
    ``align_corners=False``), clamped at the edges."""
    taps = []
    for r in range(s):
        f = (r + 0.5) / s - 0.5
        taps.append((0, f + 1.0) if f < 0 else (1, f))
    return taps


def _linear_up(x, s, axis):
    n = x.shape[axis]
    xpad = xp.concatenate(
        [x[_along(axis, slice(0, 1))], x, x[_along(axis, slice(n - 1, n))]], axis=axis
    )
    parts = []
    for a, f in _taps(s):
        lo = xpad[_along(axis, slice(a, a + n))]
        hi = xpad[_along(axis, slice(a + 1, a + 1 + n))]
        parts.append(lo * (1.0 - f) + hi * f if f else lo)
    out = xp.stack(parts, axis=axis + 1)
    return out.reshape(x.shape[:axis] + (n * s,) + x.shape[axis + 1 :])


def _linear_up_grad(grad, s, axis):
    shape = grad.shape
    n = shape[axis] // s
    g = grad.reshape(shape[:axis] + (n, s) + shape[axis + 1 :])
    gpad = xp.zeros(shape[:axis] + (n + 2,) + shape[axis + 1 :], dtype=grad.dtype)
    for r, (a, f) in enumerate(_taps(s)):
        gr = g[_along(axis + 1, r)]
        gpad[_along(axis, slice(a, a + n))] += gr * (1.0 - f) if f else gr
        if f:
            gpad[_along(axis, slice(a + 1, a + 1 + n))] += gr * f
    gx = gpad[_along(axis, slice(1, n + 1))]
    gx[_along(axis, slice(0, 1))] += gpad[_along(axis, slice(0, 1))]
    gx[_along(axis, slice(n - 1, n))] += gpad[_along(axis, slice(n + 1, n + 2))]
    return gx


class Upsample(Function):
    """Nearest: ``y[.., s*i + r, ..] = x[.., i, ..]``; ``dx`` sums ``g`` over each block.
    Linear: each output is a fixed blend of two neighbouring inputs per axis, applied axis by
    axis; ``dx`` spreads ``g`` back with the same weights (the transposed interpolation)."""

    def forward(self, x, size=(2,), axes=(1,), interpolation="nearest"):
        self.size, self.axes, self.nearest = size, axes, interpolation == "nearest"
        self.shape = x.shape
        if not self.nearest:
            for axis, s in zip(axes, size, strict=True):
                if s > 1:
                    x = _linear_up(x, s, axis)
            return x
        factor = dict(zip(axes, size, strict=True))
        split, stretched, out = [], [], []
        for i, n in enumerate(x.shape):
            s = factor.get(i, 1)
            split += [n, 1] if i in factor else [n]
            stretched += [n, s] if i in factor else [n]
            out.append(n * s)
        return xp.broadcast_to(x.reshape(split), stretched).reshape(out)

    def backward(self, grad):
        if not self.nearest:
            for axis, s in reversed(list(zip(self.axes, self.size, strict=True))):
                if s > 1:
                    grad = _linear_up_grad(grad, s, axis)
            return (grad,)
        factor = dict(zip(self.axes, self.size, strict=True))
        split, block_axes = [], []
        for i, n in enumerate(self.shape):
            if i in factor:
                split += [n, factor[i]]
                block_axes.append(len(split) - 1)
            else:
                split.append(n)
        return (grad.reshape(split).sum(axis=tuple(block_axes)),)


def upsample(x, size=2, axes=None, interpolation: str = "nearest"):
    """Enlarge ``x`` by integer factors ``size`` (an int, or one per axis) along ``axes``.

    ``axes`` defaults to the spatial axes of a channels-last input ``(batch, *spatial,
    channels)``: all of them for an int ``size``, the first ``len(size)`` otherwise.
    ``interpolation`` is ``"nearest"`` (repeat each value) or ``"linear"`` (``"bilinear"``,
    ``"trilinear"``: the same, along every axis), with half-pixel centers as Keras's
    ``UpSampling2D(interpolation="bilinear")`` and PyTorch's ``align_corners=False``.

    >>> import lamina
    >>> upsample(lamina.tensor([[[[1.0]]]]), (2, 3)).shape
    (1, 2, 3, 1)
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"upsample interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}"
        )
    if axes is None:
        count = max(x.ndim - 2, 1) if isinstance(size, int) else len(size)
        axes = tuple(range(1, 1 + count))
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    if any(not -x.ndim <= a < x.ndim for a in axes):
        raise ValueError(f"upsample axes {axes} are out of range for a {x.ndim}-D input")
    axes = tuple(a % x.ndim for a in axes)
    size = (size,) * len(axes) if isinstance(size, int) else tuple(size)
    if len(size) != len(axes) or len(set(axes)) != len(axes):
        raise ValueError(f"upsample needs one size per distinct axis, got size {size}, axes {axes}")
    if any(not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in size):
        raise ValueError(f"upsample sizes must be positive integers, got {size}")
    order = sorted(range(len(axes)), key=lambda i: axes[i])
    return Upsample.apply(
        x,
        size=tuple(size[i] for i in order),
        axes=tuple(axes[i] for i in order),
        interpolation="nearest" if interpolation == "nearest" else "linear",
    )
