"""Accuracy metrics: how often the predicted label is the true one (exact, binary with a
threshold, categorical by argmax, sparse with integer labels, and within the top k).

>>> m = TopKCategoricalAccuracy(k=2)
>>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]]); m.result()
0.5
"""

from __future__ import annotations

from lamina.backend import xp
from lamina.metrics.base import MeanMetricWrapper, _align, _array, metric_function


@metric_function
def accuracy(y_true, y_pred):
    """1.0 where ``y_pred`` equals ``y_true`` exactly, else 0.0, elementwise."""
    y_true, y_pred = _align(_array(y_true), _array(y_pred))
    return (y_true == y_pred).astype(xp.float32)


@metric_function
def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """1.0 where ``y_pred > threshold`` matches the 0/1 label, elementwise.

    >>> binary_accuracy([1, 0, 1], [0.7, 0.2, 0.4]).tolist()
    [1.0, 1.0, 0.0]
    """
    y_true, y_pred = _align(_array(y_true), _array(y_pred))
    return ((y_pred > threshold) == y_true).astype(xp.float32)


@metric_function
def categorical_accuracy(y_true, y_pred):
    """1.0 per sample where the argmax of ``y_pred`` is the argmax of the one-hot ``y_true``.

    >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]).tolist()
    [0.0, 1.0]
    """
    y_true, y_pred = _array(y_true), _array(y_pred)
    return (xp.argmax(y_true, axis=-1) == xp.argmax(y_pred, axis=-1)).astype(xp.float32)


@metric_function
def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 per sample where the argmax of ``y_pred`` equals the integer label (labels of shape
    ``(N,)`` or ``(N, 1)``).

    >>> sparse_categorical_accuracy([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]).tolist()
    [0.0, 1.0]
    """
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    return (y_true == xp.argmax(y_pred, axis=-1)).astype(xp.float32)


def _accuracy_by_shape(y_true, y_pred):
    """Keras 3's choice for ``"accuracy"`` from the shapes of one batch: binary when predictions
    have one column, sparse when the labels have fewer axes (or one column), else categorical."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_pred.ndim <= 1 or y_pred.shape[-1] == 1:
        return binary_accuracy(y_true, y_pred)
    if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
        return sparse_categorical_accuracy(y_true, y_pred)
    return categorical_accuracy(y_true, y_pred)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]]); m.result()
    0.75
    """

    direction = "up"

    def __init__(self, name="accuracy"):
        super().__init__(accuracy, name=name)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches 0/1 labels."""

    direction = "up"

    def __init__(self, name="binary_accuracy", threshold=0.5):
        if not 0 < threshold < 1:
            raise ValueError(f"BinaryAccuracy threshold must be in (0, 1), got {threshold}")
        super().__init__(binary_accuracy, name=name, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class (argmax) matches one-hot labels.

    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
    ...                sample_weight=[0.7, 0.3]); round(m.result(), 6)
    0.3
    """

    direction = "up"

    def __init__(self, name="categorical_accuracy"):
        super().__init__(categorical_accuracy, name=name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class (argmax) matches integer labels."""

    direction = "up"

    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(sparse_categorical_accuracy, name=name)


class _ShapeInferredAccuracy(MeanMetricWrapper):
    """``"accuracy"`` when neither the loss nor the output shape decided: the kind is chosen per
    batch from the shapes (``_accuracy_by_shape``)."""

    direction = "up"

    def __init__(self, name="accuracy"):
        super().__init__(_accuracy_by_shape, name=name)


def _in_top_k(targets, y_pred, k):
    """1.0 per sample whose target class is among the ``k`` highest scores (a tie at the
    boundary counts as in, as in Keras's ``in_top_k``)."""
    if y_pred.ndim != 2:
        raise ValueError(f"top-k accuracy expects predictions of shape (batch, classes), got "
                         f"{y_pred.shape}")  # fmt: skip
    targets = targets.astype(xp.int64, copy=False).reshape(-1)
    if targets.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"top-k accuracy: {targets.shape[0]} labels for {y_pred.shape[0]} predictions"
        )
    if targets.size and (targets.min() < 0 or targets.max() >= y_pred.shape[1]):
        raise ValueError(f"top-k accuracy: labels must be in [0, {y_pred.shape[1]}), got "
                         f"{targets.min()}..{targets.max()}")  # fmt: skip
    target_scores = xp.take_along_axis(y_pred, targets[:, None], axis=1)
    higher = (y_pred > target_scores).sum(axis=1)
    return (higher < k).astype(xp.float32)


@metric_function
def top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 per sample where the one-hot label's class is among the ``k`` highest predictions.

    >>> scores = [[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]]
    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], scores, k=2).tolist()
    [0.0, 1.0]
    """
    y_true, y_pred = _array(y_true), _array(y_pred)
    return _in_top_k(xp.argmax(y_true, axis=-1), y_pred, k)


@metric_function
def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 per sample where the integer label is among the ``k`` highest predictions."""
    return _in_top_k(_array(y_true), _array(y_pred), k)


class _TopK(MeanMetricWrapper):
    direction = "up"

    def __init__(self, fn, k, name):
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"{type(self).__name__}: k must be a positive integer, got {k!r}")
        super().__init__(fn, name=name, k=k)


class TopKCategoricalAccuracy(_TopK):
    """How often the one-hot label's class is among the ``k`` highest predictions (Keras's
    ``TopKCategoricalAccuracy``; scikit-learn's ``top_k_accuracy_score``)."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy"):
        super().__init__(top_k_categorical_accuracy, k, name)


class SparseTopKCategoricalAccuracy(_TopK):
    """How often the integer label is among the ``k`` highest predictions."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy"):
        super().__init__(sparse_top_k_categorical_accuracy, k, name)
