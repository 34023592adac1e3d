"""``timeseries_dataset_from_array``: sliding windows over a series, batched, as Keras makes them.

Window ``i`` starts at ``start_index + i * sequence_stride`` and holds the rows
``start + j * sampling_rate`` for ``j`` in ``range(sequence_length)``; only windows that fit
entirely inside ``data[start_index:end_index]`` are made. ``targets[s]`` is the target of the
window that starts at row ``s`` (Keras's contract), so to predict the value that follows each
window pass ``targets=data[sequence_length:]`` with ``data=data[:-sequence_length]``.

The windows are a strided view of ``data`` (no copy); each batch is copied out when it is served.

>>> import numpy as np
>>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10, sequence_length=3,
...                                    sequence_stride=2, batch_size=2)
>>> [(x.tolist(), y.tolist()) for x, y in ds]  # doctest: +NORMALIZE_WHITESPACE
[([[0, 1, 2], [2, 3, 4]], [0, 20]), ([[4, 5, 6], [6, 7, 8]], [40, 60])]
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lamina.data.dataset import BatchDataset, _is_int


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
) -> BatchDataset:
    """Windows of ``data`` (and their targets) as a ``BatchDataset`` of ``(x, y)`` batches.

    Args:
        data: array whose first axis is time, shape ``(steps, ...)``.
        targets: ``targets[s]`` pairs with the window starting at row ``s``; ``None`` yields the
            windows alone. It may be shorter than ``data``: windows without a target are dropped.
        sequence_length: rows per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between consecutive rows of a window.
        batch_size: windows per batch; ``None`` yields single windows.
        shuffle: serve the windows in a new random order every pass (seeded by ``seed``).
        start_index, end_index: only rows ``start_index <= row < end_index`` are used
            (defaults: the whole series).

    Returns:
        A ``BatchDataset`` yielding ``x`` of shape ``(batch, sequence_length, ...)`` with the
        dtype of ``data``, and ``y`` batches of ``targets``.
    """
    data = data if isinstance(data, np.ndarray) else np.asarray(data)
    if data.ndim == 0:
        raise ValueError("data must be an array with time on its first axis, got a scalar")
    for name, value in [
        ("sequence_length", sequence_length),
        ("sequence_stride", sequence_stride),
        ("sampling_rate", sampling_rate),
    ]:
        if not (_is_int(value) and value > 0):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    steps = len(data)
    start = 0 if start_index is None else start_index
    end = steps if end_index is None else end_index
    if not (_is_int(start) and 0 <= start < steps):
        raise ValueError(
            f"start_index must be in [0, {steps}) for data of {steps} steps, got {start_index!r}"
        )
    if not (_is_int(end) and start < end <= steps):
        raise ValueError(
            f"end_index must be in ({start}, {steps}] (after start_index={start}, at most the "
            f"{steps} steps of data), got {end_index!r}"
        )
    span = (sequence_length - 1) * sampling_rate + 1
    if span > end - start:
        raise ValueError(
            f"a window of sequence_length={sequence_length} with sampling_rate={sampling_rate} "
            f"spans {span} steps, but only {end - start} are available (data has {steps} steps, "
            f"start_index={start}, end_index={end}): use a shorter window or more data"
        )
    count = end - start - span + 1  # windows that fit, before the stride
    if targets is not None:
        targets = targets if isinstance(targets, np.ndarray) else np.asarray(targets)
        if targets.ndim == 0:
            raise ValueError("targets must be an array with one target per step, got a scalar")
        count = min(count, len(targets) - start)
        if count <= 0:
            raise ValueError(
                f"targets has {len(targets)} entries, so no window starting at or after "
                f"start_index={start} has a target"
            )
    windows = sliding_window_view(data[start:end], span, axis=0)[:count:sequence_stride]
    windows = np.moveaxis(windows[..., ::sampling_rate], -1, 1)
    y = None if targets is None else targets[start : start + count : sequence_stride]
    return BatchDataset(windows, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
