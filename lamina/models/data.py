"""Turning user data into validated arrays and mini-batches for ``fit``/``evaluate``/``predict``.

>>> batch_slices(10, 4, shuffle=False)
[slice(0, 4, None), slice(4, 8, None), slice(8, 10, None)]
"""

from __future__ import annotations

import numpy as np

from lamina import backend
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


def as_array(data, what: str, float_dtype=None, strings: bool = False):
    """A NumPy-backend array from arrays, lists or tensors; floats cast to ``float_dtype``.

    Strings are an error unless ``strings`` (the input of a model that reads text, see
    ``takes_strings``); they are then a NumPy array of ``str``, ``bytes`` or objects.

    >>> as_array(["a movie", "a book"], "x", strings=True).tolist()
    ['a movie', 'a book']
    """
    if isinstance(data, Tensor):
        data = data.data
    if strings and not hasattr(data, "__cuda_array_interface__"):
        text = np.asarray(data) if not isinstance(data, np.ndarray) else data
        if text.dtype.kind in "OSU":
            if text.ndim == 0:
                raise ValueError(f"{what} must have a batch dimension, got a single string")
            return text
    try:
        array = xp.asarray(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what} could not be converted to an array: {exc}") from None
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(
            f"{what} must be numeric, got an array of dtype {array.dtype}; "
            "encode strings/categories as numbers first, or start the model with a "
            "TextVectorization or StringLookup layer"
        )
    if array.dtype.kind == "b":
        array = array.astype(float_dtype or backend.floatx())
    if float_dtype is not None and array.dtype.kind == "f" and array.dtype != float_dtype:
        array = array.astype(float_dtype)
    if array.ndim == 0:
        raise ValueError(f"{what} must have a batch dimension, got a scalar")
    return array


def takes_strings(model, index: int = 0) -> bool:
    """Whether input ``index`` of ``model`` is text: an ``Input(dtype="string")``, or the input
    of a model whose first layer reads strings (``TextVectorization``, ``StringLookup``)."""
    from lamina.layers.input_layer import is_string_dtype

    symbols = getattr(model, "inputs", None)  # an unbuilt Sequential has none (AttributeError)
    if isinstance(symbols, list) and index < len(symbols):
        return is_string_dtype(getattr(symbols[index], "dtype", None))
    return index == 0 and getattr(model, "input_dtype", None) == "string"


def check_finite(array, what: str) -> None:
    if array.dtype.kind == "f" and not bool(xp.isfinite(array).all()):
        bad = int(array.size - xp.isfinite(array).sum())
        raise ValueError(
            f"{what} contains {bad} NaN or infinite values; clean or impute them first"
        )


def check_lengths(**arrays) -> None:
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"inputs must have the same number of samples: {detail}")


def apply_class_weight(y, sample_weight, class_weight):
    """``sample_weight`` multiplied by each sample's class weight (unchanged without one)."""
    if class_weight is None:
        return sample_weight
    cw = class_weights_to_sample_weights(y, class_weight)
    return cw if sample_weight is None else sample_weight * cw


def class_weights_to_sample_weights(y, class_weight: dict):
    """Per-sample weights ``class_weight[label]`` (labels from integers or one-hot rows)."""
    y = backend.to_numpy(y)
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.rint(labels).astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - set(int(k) for k in class_weight))
    if missing:
        raise ValueError(f"class_weight has no entry for classes {missing}")
    lookup = np.zeros(int(labels.max()) + 1, dtype=np.float32)
    for k, w in class_weight.items():
        if 0 <= int(k) < len(lookup):
            lookup[int(k)] = w
    return xp.asarray(lookup[labels])


def batch_slices(n: int, batch_size: int, shuffle: bool):
    """Index arrays (or slices) covering ``range(n)`` in batches, shuffled if asked."""
    if shuffle:
        order = backend.to_numpy(backend.rng().permutation(n))
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def take(data, index):
    """Rows ``index`` of an array, or of each array in a list or dict (None stays None)."""
    if data is None:
        return None
    if isinstance(data, list):
        return [a[index] for a in data]
    if isinstance(data, dict):
        return {k: a[index] for k, a in data.items()}
    return data[index]


def num_samples(data) -> int:
    """The batch length of an array or of the first array in a list or dict."""
    if isinstance(data, list):
        return len(data[0])
    if isinstance(data, dict):
        return len(next(iter(data.values())))
    return len(data)


def pack(x, y=None, sample_weight=None):
    """One batch as ``train_step`` receives it, as in Keras: ``x`` alone when there are no targets
    or weights, else ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None and sample_weight is None:
        return x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def is_dataset(data) -> bool:
    """True for an iterable of batches (a generator, ``timeseries_dataset_from_array``'s result,
    a PyTorch ``DataLoader``...), False for array-likes of samples (arrays, tensors, lists)."""
    if data is None or isinstance(data, (Tensor, list, tuple, dict, str, bytes)):
        return False
    if isinstance(data, np.ndarray) or hasattr(data, "__array__") or hasattr(data, "shape"):
        return False
    return hasattr(data, "__iter__") or hasattr(data, "__next__")


class ArrayBatches:
    """Mini-batches of validated arrays, packed by ``pack`` and reshuffled every epoch."""

    def __init__(self, x, y, sample_weight, batch_size: int, shuffle: bool):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size, self.shuffle = batch_size, shuffle

    def steps(self, limit=None):
        steps = -(-num_samples(self.x) // self.batch_size)
        return steps if limit is None else min(steps, int(limit))

    def epoch(self, steps=None):
        for index in batch_slices(num_samples(self.x), self.batch_size, self.shuffle)[:steps]:
            yield pack(take(self.x, index), take(self.y, index), take(self.sample_weight, index))


class DatasetBatches:
    """Batches drawn from a user's iterable; each is validated by ``prepare(x, y, weight)``.

    A re-iterable (a list-like dataset) restarts every epoch; a one-shot iterator (a generator)
    is consumed across epochs, ``steps`` batches at a time when given, as in Keras.
    """

    def __init__(self, data, prepare):
        self.data, self.prepare = data, prepare
        self.iterator = data if iter(data) is data else None

    def steps(self, limit=None):
        if limit is not None:
            return int(limit)
        return len(self.data) if hasattr(self.data, "__len__") else None

    def epoch(self, steps=None):
        iterator = self.iterator if self.iterator is not None else iter(self.data)
        count = 0
        while steps is None or count < steps:
            try:
                batch = next(iterator)
            except StopIteration:
                break
            if isinstance(batch, list):  # PyTorch's DataLoader yields [x, y]
                batch = tuple(batch)
            if not isinstance(batch, tuple):
                batch = (batch,)
            if not 1 <= len(batch) <= 3:
                raise ValueError(
                    f"a dataset must yield x, (x, y) or (x, y, sample_weight), got {len(batch)} "
                    "items"
                )
            count += 1
            yield pack(*self.prepare(*batch, *(None,) * (3 - len(batch))))
