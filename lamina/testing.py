"""``check_gradients``: compare analytic gradients with float64 central differences.

Use it to test any op, including your own ``Function`` subclasses.

>>> import lamina, numpy as np
>>> check_gradients(lambda x: lamina.ops.tanh(x) * x, np.random.default_rng(0).normal(size=(3, 4)))
True
"""

from __future__ import annotations

import numpy as np

from lamina.autograd.grad_mode import enable_grad, no_grad
from lamina.autograd.tensor import Tensor


def check_gradients(fn, *inputs, eps=1e-6, atol=1e-6, rtol=1e-4, wrt=None, seed=0):
    """Check d fn / d inputs by central differences in float64; raise AssertionError on mismatch.

    ``fn`` takes tensors and returns a tensor. A non-scalar output is reduced with fixed random
    weights, so every output element is checked. ``wrt`` lists the indices of the inputs to
    check (default: every floating input). Integer and boolean inputs are passed through as
    constants. Returns True, so it can stand in an ``assert``.
    """
    arrays = [np.asarray(a) for a in inputs]
    # C order, so that the flat views written below are views, not copies
    arrays = [a.astype(np.float64, order="C") if a.dtype.kind == "f" else a for a in arrays]
    if wrt is None:
        wrt = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    if not wrt:
        raise ValueError("check_gradients needs at least one floating-point input")

    with no_grad():
        probe = _as_output(fn(*[Tensor(a) for a in arrays]))
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=probe.shape)

    def scalar(values):
        with no_grad():
            return float(np.sum(_as_output(fn(*[Tensor(a) for a in values])) * weights))

    tensors = [Tensor(a, requires_grad=i in wrt) for i, a in enumerate(arrays)]
    with enable_grad():
        out = fn(*tensors)
    if not isinstance(out, Tensor) or not out.requires_grad:
        raise AssertionError("fn's output does not depend on the checked inputs through the graph")
    out.backward(weights.astype(np.float64).reshape(out.shape))

    problems = []
    for i in wrt:
        analytic = tensors[i].grad
        analytic = np.zeros_like(arrays[i]) if analytic is None else np.asarray(analytic)
        if analytic.shape != arrays[i].shape:
            raise AssertionError(f"input {i}: gradient shape {analytic.shape} != {arrays[i].shape}")
        if analytic.dtype != np.float64:
            raise AssertionError(f"input {i}: float64 input got a {analytic.dtype} gradient")
        numeric = np.zeros_like(arrays[i])
        flat = arrays[i].reshape(-1)
        for j in range(flat.size):
            values = [a.copy() for a in arrays]
            values[i].reshape(-1)[j] = flat[j] + eps
            plus = scalar(values)
            values[i].reshape(-1)[j] = flat[j] - eps
            minus = scalar(values)
            numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        err = np.abs(analytic - numeric)
        bound = atol + rtol * np.abs(numeric)
        if np.any(~(err <= bound)):
            excess = np.where(np.isnan(err), np.inf, err - bound)  # a NaN is the worst
            worst = np.unravel_index(np.argmax(excess), err.shape)
            problems.append(
                f"input {i} (shape {arrays[i].shape}): {int(np.sum(~(err <= bound)))} of "
                f"{err.size} elements differ; worst at index {tuple(int(w) for w in worst)}: "
                f"analytic {analytic[worst]:.8g}, numeric {numeric[worst]:.8g}, "
                f"abs error {err[worst]:.3g} (allowed {bound[worst]:.3g})"
            )
    if problems:
        raise AssertionError("gradient check failed:\n  " + "\n  ".join(problems))
    return True


def _as_output(out):
    return np.asarray(out.numpy() if isinstance(out, Tensor) else out, dtype=np.float64)
