"""``batch_norm`` and ``layer_norm``: normalization as single fused nodes with hand-written
backward passes.

>>> import lamina
>>> x = lamina.tensor([[1.0, 10.0], [3.0, 30.0]])
>>> batch_norm(x, epsilon=0.0).tolist()
[[-1.0, -1.0], [1.0, 1.0]]
>>> layer_norm(lamina.tensor([[1.0, 3.0]]), epsilon=0.0).tolist()
[[-1.0, 1.0]]
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


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


class LayerNorm(Function):
    """Normalize each sample over ``axes`` (the same formulas as ``BatchNorm`` with the roles of
    the axes swapped); ``gamma``/``beta`` span the normalized axes:
        dx = s (d - mean(d) - xhat mean(d xhat)),  d = gamma g,  means over ``axes``;
        dgamma = sum(g xhat),  dbeta = sum(g),  sums over the other axes.
    """

    def forward(self, x, gamma=None, beta=None, axes=(-1,), epsilon=1e-3):
        self.axes = axes
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
