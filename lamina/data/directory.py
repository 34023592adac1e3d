"""Datasets of the files in a directory, as Keras's ``*_dataset_from_directory`` make them.

``index_directory`` lists the files (one subdirectory per class, sorted), shuffles them once
with NumPy's ``RandomState(seed)`` exactly as Keras does (so a seed selects the same training and
validation files) and ``dataset_from_directory`` splits them and wraps them in a
``FileDataset``: re-iterable batches whose files are read only when their batch is served.

>>> import os, tempfile
>>> root = tempfile.mkdtemp()
>>> for name in ["neg/a.txt", "neg/b.txt", "pos/c.txt"]:
...     os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
...     with open(os.path.join(root, name), "w") as f:
...         _ = f.write(name[-5])
>>> paths, labels, class_names = index_directory(root, "inferred", (".txt",), shuffle=False)
Found 3 files belonging to 2 classes.
>>> [os.path.relpath(p, root) for p in paths], labels.tolist(), class_names
(['neg/a.txt', 'neg/b.txt', 'pos/c.txt'], [0, 0, 1], ['neg', 'pos'])
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Iterator

import numpy as np

from lamina import backend
from lamina.data.dataset import BatchArray, _check_count, _is_int

LABEL_MODES = ("int", "categorical", "binary", None)
SUBSETS = ("training", "validation", "both")


class FileDataset:
    """Batches of files, read by ``load`` when served: what ``image_dataset_from_directory``
    and ``text_dataset_from_directory`` return, in place of a ``tf.data.Dataset``.

    Each ``iter()`` is a fresh pass yielding ``(x, y)`` (``x`` alone without labels) as
    ``BatchArray`` (arrays with ``.numpy()``); with ``shuffle=True`` every pass draws a new
    order from a generator seeded once by ``seed``. ``len()`` is the number of batches.
    ``class_names`` and ``file_paths`` are set as Keras sets them.

    The parts of ``tf.data.Dataset`` that tutorials chain: ``take``, ``skip``, ``map``,
    ``shuffle`` (the order of the batches, reshuffled every pass), ``cardinality`` and
    ``as_numpy_iterator``. ``cache()`` and ``prefetch()`` return the dataset unchanged: files
    are read again on every pass, one batch at a time, so memory holds one batch.

    Args:
        file_paths: the files, in the order of a pass without shuffling.
        labels: one encoded label per file (an array), or ``None``.
        load: a function from a list of paths to an array with one sample per path.
        batch_size: files per batch (the last may be smaller); ``None`` yields single samples.
        shuffle: reshuffle the files at the start of every pass.
        seed: seeds the shuffling; ``None`` takes a seed from lamina's global generator.
        class_names: the names of the label values, or ``None``.

    >>> ds = FileDataset(["a", "b", "c"], np.array([0, 1, 0]), lambda paths: np.array(paths),
    ...                  batch_size=2)
    >>> len(ds), [(x.tolist(), y.tolist()) for x, y in ds]
    (2, [(['a', 'b'], [0, 1]), (['c'], [0])])
    >>> [x.numpy().tolist() for x in ds.map(lambda x, y: x).take(1)]
    [['a', 'b']]
    """

    def __init__(
        self,
        file_paths,
        labels,
        load: Callable,
        batch_size: int | None = 32,
        shuffle: bool = False,
        seed: int | None = None,
        class_names: list[str] | None = None,
    ):
        if batch_size is not None and not (_is_int(batch_size) and batch_size > 0):
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
        self.file_paths = list(file_paths)
        self.labels = None if labels is None else np.asarray(labels)
        if self.labels is not None and len(self.labels) != len(self.file_paths):
            raise ValueError(
                f"labels has {len(self.labels)} entries for {len(self.file_paths)} files"
            )
        self.class_names = class_names
        self.batch_size = None if batch_size is None else int(batch_size)
        self._load = load
        self._shuffle = bool(shuffle)
        if seed is None:
            seed = int(backend.rng().integers(0, 2**31 - 1))
        self._rng = np.random.default_rng(seed)
        self._skipped = 0  # batches left out by skip()
        self._limit = None  # at most this many, by take()
        self._maps: tuple = ()  # functions applied to every element, by map()
        self._shuffle_batches = False  # by shuffle()

    def __len__(self) -> int:
        n = len(self.file_paths)
        full = n if self.batch_size is None else math.ceil(n / self.batch_size)
        left = max(full - self._skipped, 0)
        return left if self._limit is None else min(left, self._limit)

    def __iter__(self) -> Iterator:
        n = len(self.file_paths)
        order = self._rng.permutation(n) if self._shuffle else np.arange(n)
        batches = np.arange(self._skipped, self._skipped + len(self))
        if self._shuffle_batches:
            batches = self._rng.permutation(batches)
        size = self.batch_size or 1
        for b in batches:
            index = order[b * size : (b + 1) * size]
            x = np.asarray(self._load([self.file_paths[i] for i in index]))
            y = None if self.labels is None else self.labels[index]
            if self.batch_size is None:
                x, y = x[0], (None if y is None else y[0])
            element = _served(x) if y is None else (_served(x), _served(y))
            for fn in self._maps:  # a tuple is passed as separate arguments, as tf.data does
                element = _as_batches(fn(*element) if isinstance(element, tuple) else fn(element))
            yield element

    def take(self, count: int) -> FileDataset:
        """The first ``count`` batches of each pass (all of them for ``count=-1``)."""
        count = _check_count(count, "take")
        view = copy.copy(self)
        if count >= 0:
            view._limit = count if self._limit is None else min(self._limit, count)
        return view

    def skip(self, count: int) -> FileDataset:
        """Each pass without its first ``count`` batches (without any for ``count=-1``)."""
        count = _check_count(count, "skip")
        view = copy.copy(self)
        left = len(self)
        count = left if count < 0 else min(count, left)
        view._skipped = self._skipped + count
        if self._limit is not None:
            view._limit = self._limit - count
        return view

    def map(self, map_func: Callable, num_parallel_calls=None, deterministic=None, name=None):
        """A dataset whose elements are ``map_func(x, y)`` (``map_func(x)`` without labels),
        computed as each batch is served. ``num_parallel_calls`` and ``deterministic`` are
        accepted for ``tf.data`` compatibility; batches are mapped one at a time, in order.

        >>> ds = FileDataset(["a"], np.array([1]), lambda paths: np.zeros((1, 2)))
        >>> [(x.tolist(), y.tolist()) for x, y in ds.map(lambda x, y: (x + 1, y * 10))]
        [([[1.0, 1.0]], [10])]
        """
        if not callable(map_func):
            raise TypeError(f"map() needs a function, got {type(map_func).__name__}")
        view = copy.copy(self)
        view._maps = self._maps + (map_func,)
        return view

    def shuffle(self, buffer_size=None, seed=None, reshuffle_each_iteration=None) -> FileDataset:
        """The batches served in a new random order every pass (as ``tf.data``'s ``shuffle``
        after ``batch``); the arguments are accepted for compatibility."""
        view = copy.copy(self)
        view._shuffle_batches = True
        return view

    def cache(self, filename: str = "", name=None) -> FileDataset:
        """This dataset: lamina reads the files of each batch again on every pass."""
        return self

    def prefetch(self, buffer_size=None, name=None) -> FileDataset:
        """This dataset: batches are loaded when asked for, one at a time."""
        return self

    def cardinality(self) -> BatchArray:
        """The number of batches, as a 0-d array with ``.numpy()``."""
        return np.asarray(len(self), dtype=np.int64).view(BatchArray)

    def as_numpy_iterator(self) -> Iterator:
        """The elements with plain NumPy arrays in place of ``BatchArray``."""
        for element in self:
            if isinstance(element, tuple):
                yield tuple(_plain(e) for e in element)
            else:
                yield _plain(element)

    def __repr__(self) -> str:
        return (
            f"<FileDataset files={len(self.file_paths)}, batch_size={self.batch_size}, "
            f"batches={len(self)}, shuffle={self._shuffle}, class_names={self.class_names}>"
        )


def _served(array) -> BatchArray:
    return np.asarray(array).view(BatchArray)


def _plain(value):
    return value.view(np.ndarray) if isinstance(value, BatchArray) else value


def _as_batches(value):
    """What ``map`` returned, with plain NumPy arrays given ``.numpy()`` again."""
    if isinstance(value, tuple):
        return tuple(_as_batches(v) for v in value)
    return value.view(BatchArray) if type(value) is np.ndarray else value


def check_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed):
    """Keras's checks of the arguments shared by the ``*_dataset_from_directory`` functions."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                'labels must be "inferred" (from the subdirectory names), None (no labels) or a '
                "list/tuple of integer labels, one per file in the alphanumeric order of the "
                f"file paths, got {labels!r}"
            )
        if class_names:
            raise ValueError(
                f'class_names can only be passed with labels="inferred", got labels={labels!r} '
                f"and class_names={class_names!r}"
            )
    if label_mode not in LABEL_MODES:
        raise ValueError(
            f'label_mode must be one of "int", "categorical", "binary" or None, got {label_mode!r}'
        )
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be between 0 and 1, got {validation_split!r}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(
            "subset and validation_split go together: pass both (e.g. validation_split=0.2, "
            f'subset="training"), or neither; got validation_split={validation_split!r}, '
            f"subset={subset!r}"
        )
    if subset not in (*SUBSETS, None):
        raise ValueError(f'subset must be "training", "validation" or "both", got {subset!r}')
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "validation_split with shuffle=True needs a seed, so that the training and the "
            "validation subsets are drawn from the same shuffled order and do not overlap: "
            "pass the same seed=... to both calls"
        )


def _valid_files(directory: str, follow_links: bool, formats: tuple[str, ...]):
    """``(root, name)`` of the files under ``directory`` ending with one of ``formats`` (any
    case), in Keras's order: directories sorted by path, then names sorted."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda w: w[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield root, name


def index_directory(
    directory,
    labels,
    formats: tuple[str, ...],
    class_names=None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
    verbose: bool = True,
):
    """The files of ``directory`` as ``(file_paths, labels, class_names)``, as Keras lists them.

    With ``labels="inferred"`` each non-hidden subdirectory (sorted, or in the order of
    ``class_names``) is a class and every file below it (recursively) gets its index; otherwise
    all files below ``directory`` are taken, labelled by the given list (``class_names`` are
    then its sorted distinct values, as strings) or not at all (``labels=None``). With
    ``shuffle`` the files are shuffled once by ``numpy.random.RandomState(seed)``.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"directory {directory!r} does not exist or is not a directory")
    if labels == "inferred":
        subdirs = [
            name
            for name in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "class_names must name subdirectories of the directory: expected some of "
                    f"{subdirs}, got class_names={list(class_names)}"
                )
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(
                'class_names can only be passed with labels="inferred" (with a list of labels '
                "they are its sorted distinct values)"
            )
        subdirs = [""]
    paths, indices = [], []
    for index, subdir in enumerate(subdirs):
        for root, name in _valid_files(os.path.join(directory, subdir), follow_links, formats):
            paths.append(os.path.join(root, name))
            indices.append(index)
    if labels == "inferred":
        class_names = list(subdirs)
        labels = np.asarray(indices, dtype=np.int32)
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(
                f"labels has {len(labels)} entries but {len(paths)} files were found in "
                f"directory {directory!r}: give one label per file"
            )
        class_names = [str(label) for label in sorted(set(labels))]
        labels = list(labels)
    if verbose:
        if labels is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(class_names)} classes.")
    if shuffle:  # Keras's global shuffle: the same seed gives the same files the same places
        if seed is None:
            seed = int(backend.rng().integers(0, 10**6))
        order = np.random.RandomState(seed).permutation(len(paths))
        paths = [paths[i] for i in order]
        if labels is not None:
            labels = [labels[i] for i in order]
    if isinstance(labels, list):
        labels = np.asarray(labels)
    return paths, labels, class_names


def split(paths, labels, validation_split, subset):
    """``paths`` and ``labels`` of the training subset (all but the last
    ``int(validation_split * len(paths))``) or of the validation subset (those last ones)."""
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    if n_val == 0:
        raise ValueError(
            f"validation_split={validation_split} of {len(paths)} files selects no file for "
            f"validation (int({validation_split} * {len(paths)}) = 0): use a larger "
            "validation_split or more files"
        )
    if subset == "training":
        print(f"Using {len(paths) - n_val} files for training.")
        chosen = slice(None, -n_val)
    else:
        print(f"Using {n_val} files for validation.")
        chosen = slice(-n_val, None)
    return paths[chosen], None if labels is None else labels[chosen]


def encode_labels(labels, label_mode, num_classes: int):
    """Integer labels as Keras serves them: ``"int"`` int32 ``(n,)``, ``"binary"`` float32
    ``(n, 1)``, ``"categorical"`` float32 one-hot ``(n, num_classes)`` (a label outside
    ``range(num_classes)`` gives a row of zeros, as ``tf.one_hot``).

    >>> encode_labels([0, 2], "categorical", 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    labels = np.asarray(labels)
    if label_mode is None:
        return None
    if label_mode == "binary":
        return labels.astype(np.float32)[:, None]
    labels = labels.astype(np.int32)
    if label_mode == "categorical":
        return (labels[:, None] == np.arange(num_classes)).astype(np.float32)
    return labels


def dataset_from_directory(
    directory,
    load: Callable,
    formats: tuple[str, ...],
    what: str,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """The ``FileDataset`` (a list ``[training, validation]`` for ``subset="both"``) of the
    files of ``directory`` ending with ``formats``, each read by ``load`` (a list of paths to
    an array); ``what`` names the files in errors ("images", "text files"). The other
    arguments are those of ``image_dataset_from_directory``."""
    if isinstance(labels, np.ndarray):  # Keras takes lists and tuples only; an array is as good
        labels = labels.tolist()
    check_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed)
    if batch_size is not None and not (_is_int(batch_size) and batch_size > 0):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if seed is None:
        seed = int(backend.rng().integers(0, 10**6))
    paths, labels, class_names = index_directory(
        directory, labels, formats, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'label_mode="binary" needs exactly 2 classes, got class_names='
            f'{class_names}: use label_mode="int" or "categorical" for more'
        )
    if not paths:
        hint = ""
        if labels is not None and class_names is not None and not class_names:
            hint = (
                ': labels="inferred" reads the files of its subdirectories (one per class), '
                "pass labels=None to read the files of the directory itself"
            )
        raise ValueError(
            f"No {what} found in directory {os.fspath(directory)!r} (allowed formats: "
            f"{', '.join(formats)}){hint}"
        )
    num_classes = len(class_names) if class_names else 0

    def make(subset_name, subset_shuffle):
        chosen, chosen_labels = split(paths, labels, validation_split, subset_name)
        encoded = (
            None if chosen_labels is None else encode_labels(chosen_labels, label_mode, num_classes)
        )
        return FileDataset(chosen, encoded, load, batch_size, subset_shuffle, seed, class_names)

    if subset == "both":
        return [make("training", shuffle), make("validation", False)]
    return make(subset, shuffle)
