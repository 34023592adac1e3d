"""Small data utilities that Keras tutorials use: ``to_categorical``.

>>> to_categorical([0, 2, 1], num_classes=3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
"""

from __future__ import annotations

import numpy as np


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
