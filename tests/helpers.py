"""Shared test helpers."""

from __future__ import annotations

import numpy as np

from lamina.testing import check_gradients


def check_op(fn, *shapes, seed=0, positive=False, **kwargs):
    """Gradient-check ``fn`` on float64 random inputs of the given shapes."""
    rng = np.random.default_rng(seed)
    inputs = [
        rng.uniform(0.5, 2.0, size=s) if positive else rng.normal(size=s) for s in shapes
    ]
    return check_gradients(fn, *inputs, **kwargs)
