"""``BatchDataset``: arrays served in mini-batches, re-iterable, optionally reshuffled each pass.

Each ``iter()`` starts a fresh pass; ``len()`` is the number of batches in a pass. It yields
``(x_batch, y_batch)``, or ``x_batch`` alone when there is no ``y``. With ``batch_size=None`` it
yields single samples (no batch axis). With ``shuffle=True`` every pass draws a new order from a
generator seeded once by ``seed``, so a dataset made with the same seed repeats the same sequence
of orders.

>>> import numpy as np
>>> ds = BatchDataset(np.arange(10), np.arange(10) * 10, batch_size=4)
>>> len(ds), [x.tolist() for x, y in ds]
(3, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
>>> shuffled = BatchDataset(np.arange(5), batch_size=2, shuffle=True, seed=0)
>>> sorted(int(x) for batch in shuffled for x in batch)  # every sample once per pass
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from lamina import backend


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class BatchDataset:
    """Mini-batches of ``x`` (and ``y``) along their first axis.

    Args:
        x: an array (or anything ``np.asarray`` accepts) with the samples on its first axis.
            Batches are taken by indexing, so a strided view (such as the windows of
            ``timeseries_dataset_from_array``) is copied one batch at a time, never whole.
        y: targets with as many samples as ``x``, or ``None``.
        batch_size: samples per batch (the last one may be smaller); ``None`` yields single
            samples.
        shuffle: draw a new order of the samples at the start of every pass.
        seed: seeds the order; ``None`` takes a seed from lamina's global generator
            (``lamina.seed``), so runs are reproducible once that is seeded.
    """

    def __init__(self, x, y=None, batch_size: int | None = 32, shuffle: bool = False, seed=None):
        self.x = x if isinstance(x, np.ndarray) else np.asarray(x)
        self.y = None if y is None else (y if isinstance(y, np.ndarray) else np.asarray(y))
        if self.x.ndim == 0:
            raise ValueError("x must have a sample axis, got a scalar")
        if self.y is not None and (self.y.ndim == 0 or len(self.y) != len(self.x)):
            got = "a scalar" if self.y.ndim == 0 else f"{len(self.y)} samples"
            raise ValueError(
                f"x and y must have the same number of samples: x has {len(self.x)}, y has {got}"
            )
        if batch_size is not None and not (_is_int(batch_size) and batch_size > 0):
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        if seed is None:
            seed = int(backend.rng().integers(0, 2**31 - 1))
        self._rng = np.random.default_rng(seed)

    @property
    def num_samples(self) -> int:
        return len(self.x)

    def __len__(self) -> int:
        if self.batch_size is None:
            return self.num_samples
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self) -> Iterator:
        n = self.num_samples
        order = self._rng.permutation(n) if self.shuffle else None
        if self.batch_size is None:
            for i in range(n):
                j = i if order is None else order[i]
                x = np.ascontiguousarray(self.x[j])
                yield x if self.y is None else (x, self.y[j])
            return
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            index = slice(start, stop) if order is None else order[start:stop]
            x = np.ascontiguousarray(self.x[index])
            yield x if self.y is None else (x, np.ascontiguousarray(self.y[index]))

    def __repr__(self) -> str:
        return (
            f"<BatchDataset samples={self.num_samples}, batch_size={self.batch_size}, "
            f"batches={len(self)}, shuffle={self.shuffle}>"
        )
