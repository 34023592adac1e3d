"""Small data utilities that Keras tutorials use: ``to_categorical``, ``pad_sequences`` and
``timeseries_dataset_from_array`` (which lives in ``lamina/data/timeseries.py``).

>>> to_categorical([0, 2, 1], num_classes=3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
>>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
[[2, 3], [0, 4]]
"""

from __future__ import annotations

import numpy as np

from lamina.data.timeseries import timeseries_dataset_from_array


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels: shape ``(..., )`` -> ``(..., num_classes)`` float32.

    A trailing axis of size 1 is dropped first, as Keras does for labels of shape ``(n, 1)``.
    """
    x = np.asarray(x)
    if x.dtype.kind == "f":
        if not np.all(x == np.rint(x)):
            raise ValueError("to_categorical needs integer class labels, got fractional values")
        x = x.astype(np.int64)
    if x.dtype.kind not in "iu":
        raise TypeError(f"to_categorical needs integer labels, got dtype {x.dtype}")
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if x.size and x.min() < 0:
        raise ValueError(f"class labels must be >= 0, got {x.min()}")
    largest = int(x.max()) + 1 if x.size else 0
    num_classes = largest if num_classes is None else int(num_classes)
    if largest > num_classes:
        raise ValueError(f"label {largest - 1} is out of range for num_classes={num_classes}")
    out = np.zeros((*x.shape, num_classes), dtype=np.float32)
    np.put_along_axis(out, x[..., None], 1.0, axis=-1)
    return out


def pad_sequences(
    sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0
):
    """Lists of ids of different lengths -> one ``(n, maxlen)`` array, as Keras's.

    ``padding``/``truncating`` "pre" (Keras's default) or "post" say at which end values are
    added or cut; ``maxlen`` defaults to the longest sequence.
    """
    for name, where in (("padding", padding), ("truncating", truncating)):
        if where not in ("pre", "post"):
            raise ValueError(f'{name} must be "pre" or "post", got {where!r}')
    sequences = [np.asarray(s) for s in sequences]
    if maxlen is None:
        maxlen = max((len(s) for s in sequences), default=0)
    if not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"maxlen must be a non-negative integer, got {maxlen!r}")
    feature_shape = next((s.shape[1:] for s in sequences if len(s)), ())
    out = np.full((len(sequences), maxlen, *feature_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "post":
            out[i, : len(s)] = s
        else:
            out[i, maxlen - len(s) :] = s
    return out


__all__ = ["pad_sequences", "timeseries_dataset_from_array", "to_categorical"]
