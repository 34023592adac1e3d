"""Occlusion sensitivity (Zeiler and Fergus, 2014, "Visualizing and Understanding Convolutional
Networks"): how much the class score drops when a patch of the input is hidden.

A window slides over the input with a stride; each position is replaced by ``baseline`` and the
drop ``score(x) - score(occluded)`` is added to every pixel the window covered, then averaged
over the windows covering each pixel. All occluded copies run through the model in batches.

>>> import numpy as np
>>> from lamina.models import Sequential
>>> from lamina.layers import Dense, Flatten
>>> model = Sequential([Flatten(input_shape=(4, 4, 1)), Dense(2)])
>>> occlusion(model, np.ones((1, 4, 4, 1)), window=2, stride=2).shape
(1, 4, 4)
"""

from __future__ import annotations

import numpy as np

from lamina import backend
from lamina.autograd.grad_mode import enable_grad, no_grad
from lamina.autograd.tensor import Tensor
from lamina.explain._common import as_inputs, check_batch_size, logits_of, targets_for


def _scores(model, x, targets, batch_size):
    """The class score (logit) of each row of ``x`` for ``targets``, forward only."""
    out = []
    for start in range(0, len(x), batch_size):
        with enable_grad():  # keeps the softmax node, whose input is the logits
            y = model(Tensor(x[start : start + batch_size]), training=False)
        logits = backend.to_numpy(logits_of(y).data).reshape(len(y.data), -1)
        t = targets[start : start + batch_size]
        out.append(logits[np.arange(len(t)), t])
    return np.concatenate(out)


def _sizes(value, rank, what):
    sizes = (value,) * rank if isinstance(value, (int, np.integer)) else tuple(value)
    if len(sizes) != rank or any(int(s) < 1 for s in sizes):
        raise ValueError(f"{what} must be a positive int or {rank} of them, got {value!r}")
    return tuple(int(s) for s in sizes)


def occlusion(
    model, x, target=None, window=None, stride=None, baseline: float = 0.0, batch_size: int = 256
) -> np.ndarray:
    """Occlusion maps of shape ``(n, height, width)`` for images ``(n, height, width, channels)``
    (or ``(n, length)`` for vectors / ``(n, steps, features)`` sequences, occluding steps).

    ``window`` and ``stride`` are an int or one per spatial axis (defaults: a seventh of the
    smaller side, and half the window); ``target`` as in ``saliency``. Positive values mark
    regions whose hiding lowers the class score.
    """
    x = as_inputs(x, "occlusion")
    batch_size = check_batch_size(batch_size)
    n = len(x)
    spatial = x.shape[1:3] if x.ndim == 4 else x.shape[1:2]
    rank = len(spatial)
    window = _sizes(window or max(1, min(spatial) // 7), rank, "window")
    stride = _sizes(stride or max(1, min(window) // 2), rank, "stride")
    if any(w > s for w, s in zip(window, spatial)):
        raise ValueError(f"window {window} is larger than the input's spatial shape {spatial}")
    starts = [list(range(0, s - w + 1, st)) for s, w, st in zip(spatial, window, stride)]
    for axis, (s, w) in enumerate(zip(spatial, window)):  # cover the far edge too
        if starts[axis][-1] != s - w:
            starts[axis].append(s - w)
    positions = (
        [(i, j) for i in starts[0] for j in starts[1]] if rank == 2 else [(i,) for i in starts[0]]
    )
    with no_grad():
        outputs = [model(Tensor(x[s : s + batch_size]), training=False).data
                   for s in range(0, n, batch_size)]  # fmt: skip
    targets = targets_for(backend.to_numpy(backend.xp.concatenate(outputs)), target, n)
    clean = _scores(model, x, targets, batch_size)
    total = np.zeros((n, *spatial), dtype=np.float64)
    count = np.zeros(spatial, dtype=np.float64)
    for pos in positions:
        region = tuple(slice(p, p + w) for p, w in zip(pos, window))
        count[region] += 1
    per_pass = max(1, batch_size // max(1, n))
    for start in range(0, len(positions), per_pass):
        chunk = positions[start : start + per_pass]
        copies = np.repeat(x[None], len(chunk), axis=0)  # (positions, n, ...)
        for k, pos in enumerate(chunk):
            copies[(k, slice(None), *(slice(p, p + w) for p, w in zip(pos, window)))] = baseline
        scores = _scores(
            model, copies.reshape(len(chunk) * n, *x.shape[1:]), np.tile(targets, len(chunk)),
            batch_size,
        ).reshape(len(chunk), n)  # fmt: skip
        for k, pos in enumerate(chunk):
            region = (slice(None),) + tuple(slice(p, p + w) for p, w in zip(pos, window))
            total[region] += (clean - scores[k])[(slice(None),) + (None,) * rank]
    return (total / np.maximum(count, 1)).astype(x.dtype)
