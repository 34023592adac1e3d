"""Integrated Gradients (Sundararajan, Taly and Yan, 2017, "Axiomatic Attribution for Deep
Networks"): ``(x - baseline) * integral_0^1 d score(baseline + a (x - baseline)) / dx da``.

Its attributions add up to ``score(x) - score(baseline)`` (completeness); the integral is taken
with Gauss-Legendre quadrature by default, as Captum does, all steps of a chunk of samples in
one batched pass.

>>> import numpy as np
>>> from lamina.models import Sequential
>>> from lamina.layers import Dense
>>> model = Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(2)])
>>> x = np.array([[1.0, -2.0, 0.5]])
>>> attributions, delta = integrated_gradients(model, x, target=0, return_delta=True)
>>> attributions.shape, bool(abs(delta[0]) < 1e-4)
((1, 3), True)
"""

from __future__ import annotations

import numpy as np

from lamina.explain._common import as_inputs, check_batch_size, input_gradients, reduce_channels

METHODS = ("gausslegendre", "riemann_trapezoid", "riemann_middle")


def path_points(steps: int, method: str = "gausslegendre"):
    """The ``(alphas, weights)`` of the quadrature on [0, 1] (the weights sum to 1).

    >>> alphas, weights = path_points(3, "riemann_trapezoid")
    >>> alphas.tolist(), weights.tolist()
    ([0.0, 0.5, 1.0], [0.25, 0.5, 0.25])
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return (nodes + 1) / 2, weights / 2
    if method == "riemann_middle":
        return (np.arange(steps) + 0.5) / steps, np.full(steps, 1.0 / steps)
    if method == "riemann_trapezoid":
        if steps < 2:
            raise ValueError("riemann_trapezoid needs steps >= 2")
        weights = np.full(steps, 1.0 / (steps - 1))
        weights[[0, -1]] /= 2
        return np.linspace(0.0, 1.0, steps), weights
    raise ValueError(f"unknown method {method!r}; use one of {METHODS}")


def integrated_gradients(
    model,
    x,
    target=None,
    baseline=None,
    steps: int = 50,
    method: str = "gausslegendre",
    batch_size: int = 256,
    return_delta: bool = False,
):
    """Integrated Gradients of the class score for each sample of ``x``.

    Args:
        model, x, target: as in ``saliency`` (target None: the class predicted for ``x``).
        baseline: the reference input: None (zeros, a black image), a number, or an array
            broadcastable to ``x``.
        steps: points on the straight path from baseline to input.
        method: the quadrature: ``"gausslegendre"``, ``"riemann_trapezoid"`` or
            ``"riemann_middle"``.
        batch_size: path points per forward/backward pass.
        return_delta: also return, per sample, the completeness error
            ``sum(attributions) - (score(x) - score(baseline))``.

    Returns:
        attributions of the input's shape (images: summed over channels, which keeps the
        total), and the deltas with ``return_delta``.
    """
    x = as_inputs(x, "integrated_gradients")
    batch_size = check_batch_size(batch_size)
    base = np.zeros_like(x) if baseline is None else np.asarray(baseline, dtype=x.dtype)
    base = np.broadcast_to(base, x.shape).astype(x.dtype)
    alphas, weights = path_points(steps, method)
    _, end_scores, targets = input_gradients(model, x, target, batch_size)
    _, start_scores, _ = input_gradients(model, base, targets, batch_size)
    n, diff = len(x), (x - base).astype(np.float64)
    shape = (1,) + (1,) * (x.ndim - 1)
    avg = np.zeros(x.shape, dtype=np.float64)
    per_chunk = max(1, batch_size // steps)  # samples whose whole path fits in one pass
    for start in range(0, n, per_chunk):
        sl = slice(start, start + per_chunk)
        k = len(x[sl])
        path = base[sl][None] + alphas.reshape((-1, 1) + shape[1:]) * (x[sl] - base[sl])[None]
        grads, _, _ = input_gradients(
            model, path.reshape(steps * k, *x.shape[1:]).astype(x.dtype),
            np.tile(targets[sl], steps), batch_size,
        )  # fmt: skip
        grads = grads.reshape(steps, k, *x.shape[1:]).astype(np.float64)
        avg[sl] = np.tensordot(weights, grads, axes=1)
    attributions = diff * avg
    if return_delta:
        delta = attributions.reshape(n, -1).sum(axis=1) - (end_scores - start_scores)
        return reduce_channels(attributions, "sum").astype(x.dtype), delta
    return reduce_channels(attributions, "sum").astype(x.dtype)
