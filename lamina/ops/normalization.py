"""``batch_norm``, ``layer_norm``, ``group_norm`` and ``l2_normalize``: normalization as single
fused nodes with hand-written backward passes; ``normalize`` is Keras's name for the L2 (or
any Lp) case.

>>> import lamina
>>> x = lamina.tensor([[1.0, 10.0], [3.0, 30.0]])
>>> batch_norm(x, epsilon=0.0).tolist()
[[-1.0, -1.0], [1.0, 1.0]]
>>> layer_norm(lamina.tensor([[1.0, 3.0]]), epsilon=0.0).tolist()
[[-1.0, 1.0]]
>>> import numpy as np
>>> l2_normalize(np.array([[3.0, 4.0]])).tolist()
[[0.6, 0.8]]
"""

from __future__ import annotations

from lamina import backend
from lamina.autograd.function import Function
from lamina.autograd.higher_order import composite_backward
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.ops import math as _math
from lamina.ops import reduce as _reduce


def _reshape(x, shape):
    from lamina.ops.shaping import reshape

    return reshape(x, shape)


def _affine(xhat, gamma, beta, shape):
    """gamma xhat + beta, the parameters reshaped to broadcast (either may be None)."""
    out = xhat if gamma is None else xhat * _reshape(gamma, shape)
    return out if beta is None else out + _reshape(beta, shape)


def _normalize_axes(axis, ndim, who):
    axes = tuple(int(a) for a in axis) if isinstance(axis, (list, tuple)) else (int(axis),)
    if not axes or any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f"{who}: axis {axis} is out of range for a {ndim}-D input")
    axes = tuple(sorted({a % ndim for a in axes}))
    return axes


class BatchNorm(Function):
    """Normalize each channel (the entries along ``axis``) over every other axis.

    With batch statistics (``mean``/``variance`` not given), over the ``N`` reduced entries:
        mu = mean(x),  var = mean((x - mu)^2),  s = 1 / sqrt(var + eps),  xhat = (x - mu) s,
        y = gamma xhat + beta;
        dbeta = sum(g),  dgamma = sum(g xhat),
        dx = gamma s (g - dbeta / N - xhat dgamma / N).
    With given statistics it is affine: dx = gamma s g, dmean = -gamma s dbeta,
    dvariance = -gamma s^2 dgamma / 2.
    """

    def forward(
        self,
        x,
        gamma=None,
        beta=None,
        mean=None,
        variance=None,
        axis=-1,
        epsilon=1e-3,
        moments=None,
    ):
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        self.shape, self.epsilon = tuple(shape), epsilon
        self.reduce = tuple(i for i in range(x.ndim) if i != axis)
        self.has_gamma, self.has_beta = gamma is not None, beta is not None
        self.batch_stats = mean is None
        if self.batch_stats:
            mean = x.mean(axis=self.reduce, keepdims=True)
            centered = x - mean
            variance = (centered * centered).mean(axis=self.reduce, keepdims=True)
        else:
            mean, variance = xp.reshape(mean, shape), xp.reshape(variance, shape)
            centered = x - mean
        if moments is not None:  # a list the caller reads the statistics from
            moments.extend((mean.reshape(-1), variance.reshape(-1)))
        inv_std = 1.0 / xp.sqrt(variance + epsilon)
        xhat = centered
        xhat *= inv_std
        self.xhat, self.inv_std = xhat, inv_std
        self.gamma = None if gamma is None else xp.reshape(gamma, shape)
        out = xhat.copy() if gamma is None else xhat * self.gamma  # xhat is kept
        if beta is not None:
            out = out + xp.reshape(beta, shape)
        return out

    def backward(self, grad):
        xhat, inv_std, gamma = self.xhat, self.inv_std, self.gamma
        dbeta = grad.sum(axis=self.reduce, keepdims=True)
        dgamma = (grad * xhat).sum(axis=self.reduce, keepdims=True)
        scale = inv_std if gamma is None else gamma * inv_std
        if self.batch_stats:
            n = grad.size // dbeta.size
            gx = scale * (grad - dbeta / n - xhat * (dgamma / n))
            gmean = gvar = None
        else:
            gx = grad * scale
            gmean = (-scale * dbeta).reshape(-1)
            gvar = (-0.5 * scale * inv_std * dgamma).reshape(-1)
        return (
            gx,
            dgamma.reshape(-1) if self.has_gamma else None,
            dbeta.reshape(-1) if self.has_beta else None,
            gmean,
            gvar,
        )

    def backward_graph(self, grad):
        return composite_backward(self, grad, self._composite)

    def _composite(self, x, gamma=None, beta=None, mean=None, variance=None):
        """The forward with recorded ops, for higher-order gradients."""
        if self.batch_stats:
            mean = _reduce.mean(x, axis=self.reduce, keepdims=True)
            variance = _reduce.mean(_math.square(x - mean), axis=self.reduce, keepdims=True)
        else:
            mean, variance = _reshape(mean, self.shape), _reshape(variance, self.shape)
        return _affine((x - mean) / _math.sqrt(variance + self.epsilon), gamma, beta, self.shape)


class LayerNorm(Function):
    """Normalize each sample over ``axes`` (the same formulas as ``BatchNorm`` with the roles of
    the axes swapped); ``gamma``/``beta`` span the normalized axes:
        dx = s (d - mean(d) - xhat mean(d xhat)),  d = gamma g,  means over ``axes``;
        dgamma = sum(g xhat),  dbeta = sum(g),  sums over the other axes.
    """

    def forward(self, x, gamma=None, beta=None, axes=(-1,), epsilon=1e-3):
        self.axes, self.epsilon = axes, epsilon
        self.others = tuple(i for i in range(x.ndim) if i not in axes)
        self.param_shape = tuple(x.shape[a] for a in axes)
        shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
        mean = x.mean(axis=axes, keepdims=True)
        xhat = x - mean
        variance = (xhat * xhat).mean(axis=axes, keepdims=True)
        self.inv_std = 1.0 / xp.sqrt(variance + epsilon)
        xhat *= self.inv_std
        self.xhat, self.has_beta = xhat, beta is not None
        self.gamma = None if gamma is None else xp.reshape(gamma, shape)
        out = xhat.copy() if gamma is None else xhat * self.gamma  # xhat is kept
        if beta is not None:
            out = out + xp.reshape(beta, shape)
        return out

    def backward(self, grad):
        xhat, gamma = self.xhat, self.gamma
        d = grad if gamma is None else grad * gamma
        gx = d - d.mean(axis=self.axes, keepdims=True)
        gx -= xhat * (d * xhat).mean(axis=self.axes, keepdims=True)
        gx *= self.inv_std
        dgamma = dbeta = None
        if gamma is not None:
            dgamma = (grad * xhat).sum(axis=self.others).reshape(self.param_shape)
        if self.has_beta:
            dbeta = grad.sum(axis=self.others).reshape(self.param_shape)
        return gx, dgamma, dbeta

    def backward_graph(self, grad):
        return composite_backward(self, grad, self._composite)

    def _composite(self, x, gamma=None, beta=None):
        """The forward with recorded ops, for higher-order gradients."""
        axes = tuple(a % x.ndim for a in self.axes)
        shape = tuple(n if i in axes else 1 for i, n in enumerate(x.shape))
        mean = _reduce.mean(x, axis=axes, keepdims=True)
        variance = _reduce.mean(_math.square(x - mean), axis=axes, keepdims=True)
        return _affine((x - mean) / _math.sqrt(variance + self.epsilon), gamma, beta, shape)


class GroupNorm(Function):
    """Normalize each sample's channel groups: the ``C`` channels along ``axis`` are split into
    ``groups`` runs of ``C / groups`` consecutive channels, and each run is normalized over its
    channels and every other non-batch axis (``LayerNorm`` per group, ``M`` entries each);
    ``gamma``/``beta`` have one value per channel:
        xhat = (x - mean) / sqrt(var + eps),  y = gamma xhat + beta;
        dgamma = sum(g xhat),  dbeta = sum(g),  sums over all but the channel axis;
        dx = s (d - mean(d) - xhat mean(d xhat)),  d = gamma g,  means over each group.
    The input is viewed as ``(N, P, C, Q)`` (``P``/``Q``: the sizes before/after ``axis``).
    Statistics are summed per sample and channel first, then per group, and broadcast back
    per channel, so that every full-size pass runs along whole rows of channels or of ``Q``.
    """

    def forward(self, x, gamma=None, beta=None, groups=1, axis=-1, epsilon=1e-3):
        self.x_shape, self.groups = x.shape, groups
        n, c = x.shape[0], x.shape[axis]
        before = after = 1
        for size in x.shape[1:axis]:
            before *= size
        for size in x.shape[axis + 1 :]:
            after *= size
        x4 = x.reshape(n, before, c, after)
        self.view, self.epsilon = (n, before, c, after), epsilon
        self.count = before * after * (c // groups)  # M
        mean = self._group_sums(_channel_sums(x4)) / self.count
        xhat = x4 - mean
        variance = self._group_sums(_channel_sums(xhat * xhat)) / self.count
        self.inv_std = 1.0 / xp.sqrt(variance + epsilon)
        xhat *= self.inv_std
        self.xhat, self.has_beta = xhat, beta is not None
        self.gamma = None if gamma is None else xp.reshape(gamma, (1, 1, c, 1))
        out = xhat.copy() if gamma is None else xhat * self.gamma  # xhat is kept
        if beta is not None:
            out += xp.reshape(beta, (1, 1, c, 1))
        return out.reshape(self.x_shape)

    def _group_sums(self, per_channel):
        """(N, C) sums per channel -> their sums per group, repeated per channel: (N, 1, C, 1)."""
        n, c = per_channel.shape
        sums = per_channel.reshape(n, self.groups, c // self.groups).sum(axis=2, keepdims=True)
        return xp.broadcast_to(sums, (n, self.groups, c // self.groups)).reshape(n, 1, c, 1)

    def backward(self, grad):
        xhat, gamma, inv_std = self.xhat, self.gamma, self.inv_std
        g = grad.reshape(xhat.shape)
        sum_gx = _channel_sums(g * xhat)  # (N, C)
        sum_g = _channel_sums(g)
        if gamma is not None:
            c = gamma.size
            mean_d = self._group_sums(sum_g * gamma.reshape(1, c)) / self.count
            mean_dx = self._group_sums(sum_gx * gamma.reshape(1, c)) / self.count
            gx = g * (gamma * inv_std)
        else:
            mean_d = self._group_sums(sum_g) / self.count
            mean_dx = self._group_sums(sum_gx) / self.count
            gx = g * inv_std
        gx -= xhat * (mean_dx * inv_std)
        gx -= mean_d * inv_std
        dgamma = sum_gx.sum(axis=0) if gamma is not None else None
        dbeta = sum_g.sum(axis=0) if self.has_beta else None
        return gx.reshape(self.x_shape), dgamma, dbeta

    def backward_graph(self, grad):
        return composite_backward(self, grad, self._composite)

    def _composite(self, x, gamma=None, beta=None):
        """The forward with recorded ops, for higher-order gradients: (N, P, G, C / G, Q)."""
        n, before, c, after = self.view
        grouped = _reshape(x, (n, before, self.groups, c // self.groups, after))
        mean = _reduce.mean(grouped, axis=(1, 3, 4), keepdims=True)
        variance = _reduce.mean(_math.square(grouped - mean), axis=(1, 3, 4), keepdims=True)
        xhat = _reshape((grouped - mean) / _math.sqrt(variance + self.epsilon), self.view)
        return _reshape(_affine(xhat, gamma, beta, (1, 1, c, 1)), self.x_shape)


def _channel_sums(a):
    """Sums of a (N, P, C, Q) array over P and Q: shape (N, C). Channels-last (Q = 1) as one
    GEMV per sample, several times faster than ``sum(axis=1)``."""
    n, p, c, q = a.shape
    if q > 1:
        return a.sum(axis=(1, 3))
    if p == 1:  # (N, C) inputs: nothing to sum
        return a.reshape(n, c)
    return xp.ones(p, dtype=a.dtype) @ a.reshape(n, p, c)


class L2Normalize(Function):
    """y = x / max(||x||, eps), the L2 norm taken over ``axes`` (Keras's ``ops.normalize``,
    PyTorch's ``F.normalize``):
        dx = (g - y sum(g y)) / ||x||  where ||x|| > eps,  g / eps  elsewhere.
    """

    def forward(self, x, axes=(-1,), epsilon=1e-12):
        norm = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        self.active = norm > epsilon
        self.denom = xp.maximum(norm, xp.asarray(epsilon, dtype=x.dtype))
        self.out, self.axes = x / self.denom, axes
        return self.out

    def backward(self, grad):
        dot = (grad * self.out).sum(axis=self.axes, keepdims=True)
        dot *= self.active
        return ((grad - self.out * dot) / self.denom,)


def _size(t):
    return None if t is None else int(t.size)


def _check_param(name, value, size, who, shape):
    if value is not None and _size(value) != size:
        raise ValueError(
            f"{who}: {name} has shape {tuple(value.shape)}, but the input of shape {shape} "
            f"needs {size} values"
        )


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def batch_norm(
    x,
    gamma=None,
    beta=None,
    mean=None,
    variance=None,
    axis: int = -1,
    epsilon: float = 1e-3,
    return_moments: bool = False,
):
    """Batch normalization of ``x`` per channel along ``axis`` (channels-last by default):
    ``gamma * (x - mean) / sqrt(variance + epsilon) + beta``.

    Without ``mean``/``variance`` (training mode) the statistics are the batch's, over every
    axis but ``axis`` (biased variance), and gradients flow through them. With them (inference
    mode, e.g. moving averages) the op is affine. ``gamma``/``beta`` (``None``: 1 and 0) and the
    statistics have one value per channel. ``return_moments=True`` also returns the mean and
    variance used, as 1-D tensors outside the graph (how ``BatchNormalization`` updates its
    moving averages).

    >>> import lamina
    >>> y, mean, var = batch_norm(lamina.tensor([[0.0], [2.0]]), return_moments=True)
    >>> mean.tolist(), var.tolist()
    ([1.0], [1.0])
    """
    x = _as_tensor(x)
    if x.ndim < 1:
        raise ValueError("batch_norm needs an input with at least one axis")
    (axis,) = _normalize_axes(axis, x.ndim, "batch_norm")
    if (mean is None) != (variance is None):
        raise ValueError("batch_norm: give both mean and variance (inference) or neither")
    channels = x.shape[axis]
    for name, value in (("gamma", gamma), ("beta", beta), ("mean", mean), ("variance", variance)):
        _check_param(name, value, channels, "batch_norm", x.shape)
    moments = [] if return_moments else None
    out = BatchNorm.apply(
        x, gamma, beta, mean, variance, axis=axis, epsilon=float(epsilon), moments=moments
    )
    if not return_moments:
        return out
    return out, Tensor(moments[0]), Tensor(moments[1])


def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon: float = 1e-3):
    """Layer normalization of each sample over ``axis`` (an int or a tuple; default the last):
    ``gamma * (x - mean) / sqrt(var + epsilon) + beta`` with per-sample mean and (biased)
    variance. ``gamma``/``beta`` (``None``: 1 and 0) have the shape of ``x`` along ``axis``.

    >>> import lamina
    >>> layer_norm(lamina.tensor([[0.0, 2.0]]), beta=lamina.tensor([1.0, 1.0]), epsilon=0).tolist()
    [[0.0, 2.0]]
    """
    x = _as_tensor(x)
    axes = _normalize_axes(axis, x.ndim, "layer_norm")
    size = 1
    for a in axes:
        size *= x.shape[a]
    for name, value in (("gamma", gamma), ("beta", beta)):
        _check_param(name, value, size, "layer_norm", x.shape)
    return LayerNorm.apply(x, gamma, beta, axes=axes, epsilon=float(epsilon))


def group_norm(x, groups: int, gamma=None, beta=None, axis: int = -1, epsilon: float = 1e-3):
    """Group normalization: the channels along ``axis`` (channels-last by default) split into
    ``groups`` groups of consecutive channels, each normalized per sample over its channels and
    every other non-batch axis, then ``gamma * xhat + beta`` per channel (``None``: 1 and 0).
    ``groups=1`` normalizes each sample as a whole; ``groups`` = the channel count is instance
    normalization.

    >>> import lamina
    >>> group_norm(lamina.tensor([[1.0, 3.0, 10.0, 30.0]]), 2, epsilon=0.0).tolist()
    [[-1.0, 1.0, -1.0, 1.0]]
    """
    x = _as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"group_norm needs a batch axis and a channel axis, got shape {x.shape}")
    (axis,) = _normalize_axes(axis, x.ndim, "group_norm")
    if axis == 0:
        raise ValueError("group_norm: axis 0 is the batch axis; pass the channel axis")
    channels = x.shape[axis]
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"group_norm: groups must be a positive integer, got {groups!r}")
    if channels % groups:
        raise ValueError(
            f"group_norm: {channels} channels (axis {axis} of shape {x.shape}) cannot be split "
            f"into {groups} groups: groups must divide the channel count"
        )
    for name, value in (("gamma", gamma), ("beta", beta)):
        _check_param(name, value, channels, "group_norm", x.shape)
    return GroupNorm.apply(x, gamma, beta, groups=groups, axis=axis, epsilon=float(epsilon))


def l2_normalize(x, axis=-1, epsilon: float = 1e-12):
    """``x / max(||x||_2, epsilon)``, the norm over ``axis`` (an int or a tuple): unit vectors
    along ``axis``, zero vectors kept at zero (Keras 3's ``ops.normalize(x, order=2)``).

    >>> import lamina
    >>> l2_normalize(lamina.tensor([[1.0, 0.0], [0.0, 0.0]]), axis=1).tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    """
    x = _as_tensor(x)
    axes = _normalize_axes(axis, x.ndim, "l2_normalize")
    if not float(epsilon) > 0:
        raise ValueError(f"l2_normalize: epsilon must be positive, got {epsilon}")
    return L2Normalize.apply(x, axes=axes, epsilon=float(epsilon))


def normalize(x, axis=-1, order=2, epsilon=None):
    """Keras's ``ops.normalize``: ``x / max(||x||_order, epsilon)`` over ``axis``, ``epsilon``
    defaulting to ``lamina.backend.epsilon()`` (1e-7). ``order=2`` is ``l2_normalize``; other
    integer orders are composed from ops.

    >>> import lamina
    >>> normalize(lamina.tensor([[1.0, -3.0]]), order=1).tolist()
    [[0.25, -0.75]]
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an integer >= 1, got {order!r}")
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x = _as_tensor(x)
    if x.ndim == 0:
        x = x.reshape((1,))
    if order == 2:
        return l2_normalize(x, axis=axis, epsilon=epsilon)
    axes = _normalize_axes(axis, x.ndim, "normalize")
    magnitude = _math.abs(x) if order == 1 else _math.pow(_math.abs(x), order)
    norm = _reduce.sum(magnitude, axis=axes, keepdims=True)
    if order != 1:
        norm = _math.pow(norm, 1.0 / order)
    return _math.div(x, _math.maximum(norm, xp.asarray(epsilon, dtype=x.dtype)))
