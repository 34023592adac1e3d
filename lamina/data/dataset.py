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

Batches are ``BatchArray``: NumPy arrays that also have ``.numpy()``, as the tensors a
``tf.data`` pipeline yields do, so ``for x, y in ds.take(1): print(x.numpy().shape)`` runs.

>>> [x.numpy().tolist() for x, y in ds.skip(1).take(1)]
[[4, 5, 6, 7]]
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator

import numpy as np

from lamina import backend


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class BatchArray(np.ndarray):
    """A batch as ``BatchDataset`` serves it: a NumPy array (a view, no copy) with the
    ``.numpy()`` of TensorFlow and PyTorch tensors. lamina's models read it as a plain array.

    >>> batch = np.arange(3).view(BatchArray)
    >>> type(batch.numpy()).__name__, batch.numpy().tolist()
    ('ndarray', [0, 1, 2])
    """

    def numpy(self) -> np.ndarray:
        """The batch as a plain ``numpy.ndarray`` (a view of the same memory)."""
        return self.view(np.ndarray)

    def __getitem__(self, index):
        # one element stays a (0-d) BatchArray, so ``y[0].numpy()`` works as on a tensor
        item = super().__getitem__(index)
        return np.asarray(item).view(BatchArray) if isinstance(item, np.generic) else item


def _batch(array) -> BatchArray:
    return np.ascontiguousarray(array).view(BatchArray)


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
        self._skipped = 0  # batches (samples when batch_size is None) left out by skip()
        self._limit = None  # at most this many, by take()

    @property
    def num_samples(self) -> int:
        return len(self.x)

    def _full_length(self) -> int:
        if self.batch_size is None:
            return self.num_samples
        return math.ceil(self.num_samples / self.batch_size)

    def __len__(self) -> int:
        left = max(self._full_length() - self._skipped, 0)
        return left if self._limit is None else min(left, self._limit)

    def __iter__(self) -> Iterator:
        n = self.num_samples
        order = self._rng.permutation(n) if self.shuffle else None
        first, last = self._skipped, self._skipped + len(self)
        if self.batch_size is None:
            for i in range(first, last):
                j = i if order is None else order[i]
                x = _batch(self.x[j])
                yield x if self.y is None else (x, np.asarray(self.y[j]).view(BatchArray))
            return
        for start in range(first * self.batch_size, last * self.batch_size, self.batch_size):
            stop = min(start + self.batch_size, n)
            index = slice(start, stop) if order is None else order[start:stop]
            x = _batch(self.x[index])
            yield x if self.y is None else (x, _batch(self.y[index]))

    def take(self, count: int) -> BatchDataset:
        """The first ``count`` batches of each pass (all of them for ``count=-1``), as
        ``tf.data.Dataset.take``. The new dataset shares the arrays and the shuffling generator.

        >>> len(BatchDataset(np.arange(10), batch_size=4).take(2))
        2
        """
        count = _check_count(count, "take")
        view = copy.copy(self)
        if count >= 0:
            view._limit = count if self._limit is None else min(self._limit, count)
        return view

    def skip(self, count: int) -> BatchDataset:
        """Each pass without its first ``count`` batches (without any for ``count=-1``), as
        ``tf.data.Dataset.skip``.

        >>> [x.tolist() for x in BatchDataset(np.arange(5), batch_size=2).skip(1)]
        [[2, 3], [4]]
        """
        count = _check_count(count, "skip")
        view = copy.copy(self)
        left = len(self)
        count = left if count < 0 else min(count, left)
        view._skipped = self._skipped + count
        if self._limit is not None:
            view._limit = self._limit - count
        return view

    def __repr__(self) -> str:
        return (
            f"<BatchDataset samples={self.num_samples}, batch_size={self.batch_size}, "
            f"batches={len(self)}, shuffle={self.shuffle}>"
        )


def _check_count(count, what: str) -> int:
    if not (_is_int(count) and count >= -1):
        raise ValueError(f"{what}() count must be an integer >= -1 (-1: all), got {count!r}")
    return int(count)
