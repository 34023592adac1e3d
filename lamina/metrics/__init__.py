"""Metrics with Keras's API: stateful objects fed batch by batch with ``update_state``, read with
``result()`` (a Python float, or an array for per-class results) and cleared with
``reset_state()``. One concept per file:

- ``base.py``: ``Metric``, ``Mean``, ``MeanMetricWrapper``;
- ``accuracy.py``: ``Accuracy``, ``BinaryAccuracy``, ``CategoricalAccuracy``,
  ``SparseCategoricalAccuracy``, ``TopKCategoricalAccuracy``, ``SparseTopKCategoricalAccuracy``;
- ``f_score.py``: ``Precision``, ``Recall``, ``FBetaScore``, ``F1Score``;
- ``auc.py``: ``AUC`` (ROC and PR); ``confusion.py``: ``ConfusionMatrix``;
- ``counts.py``: ``TruePositives``, ``TrueNegatives``, ``FalsePositives``, ``FalseNegatives``;
- ``probabilistic.py``: ``BinaryCrossentropy``, ``CategoricalCrossentropy``,
  ``SparseCategoricalCrossentropy``; ``iou.py``: ``MeanIoU``;
- ``regression.py``: ``MeanSquaredError``, ``RootMeanSquaredError``, ``MeanAbsoluteError``,
  ``R2Score``.

>>> m = BinaryAccuracy()
>>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
>>> m.result()
0.75
>>> get("accuracy", loss="sparse_categorical_crossentropy")
<SparseCategoricalAccuracy name='accuracy'>
"""

from __future__ import annotations

import inspect

from lamina import losses as _losses
from lamina.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    _ShapeInferredAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from lamina.metrics.auc import AUC
from lamina.metrics.base import Mean, MeanMetricWrapper, Metric
from lamina.metrics.confusion import ConfusionMatrix
from lamina.metrics.counts import FalseNegatives, FalsePositives, TrueNegatives, TruePositives
from lamina.metrics.f_score import F1Score, FBetaScore, Precision, Recall
from lamina.metrics.iou import MeanIoU
from lamina.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
from lamina.metrics.regression import (
    CosineSimilarity,
    MeanAbsoluteError,
    MeanSquaredError,
    R2Score,
    RootMeanSquaredError,
    cosine_similarity,
    mean_absolute_error,
    mean_squared_error,
)

# ----- lookup -----
_CLASSES = (
    Mean, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision,
    Recall, FBetaScore, F1Score, AUC, ConfusionMatrix, MeanSquaredError, RootMeanSquaredError,
    MeanAbsoluteError, R2Score, TruePositives, TrueNegatives, FalsePositives, FalseNegatives,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanIoU,
    CosineSimilarity,
)  # fmt: skip
_BY_NAME = {
    **{c.__name__: c for c in _CLASSES},
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "precision": Precision,
    "recall": Recall,
    "f1_score": F1Score,
    "fbeta_score": FBetaScore,
    "auc": AUC,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "MSE": MeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError,
    "rmse": RootMeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError,
    "r2_score": R2Score,
    "confusion_matrix": ConfusionMatrix,
    "cosine_similarity": CosineSimilarity,  # +cos, where the loss of that name is -cos
}
_NEEDS_ARGUMENTS = (ConfusionMatrix, MeanIoU)  # no name alone can build these

_LOSS_KINDS = {
    "binary": (_losses.binary_crossentropy, _losses.BinaryCrossentropy),
    "categorical": (_losses.categorical_crossentropy, _losses.CategoricalCrossentropy),
    "sparse": (_losses.sparse_categorical_crossentropy, _losses.SparseCategoricalCrossentropy),
}


def _loss_kind(loss):
    """``"binary"``, ``"categorical"``, ``"sparse"`` (the cross-entropy ``loss`` is), or None."""
    if isinstance(loss, str):
        loss = _losses._BY_NAME.get(loss)
    elif isinstance(loss, _losses.LossFunctionWrapper):
        loss = loss.fn
    for kind, (fn, cls) in _LOSS_KINDS.items():
        if loss is fn or (inspect.isclass(loss) and issubclass(loss, cls)):
            return kind
    return None


def _accuracy_for(name, loss, output_shape):
    kind = _loss_kind(loss)
    if kind is None and output_shape is not None and len(output_shape) and output_shape[-1] == 1:
        kind = "binary"
    if kind == "binary":
        return BinaryAccuracy(name=name)
    if kind == "sparse":
        return SparseCategoricalAccuracy(name=name)
    if kind == "categorical":
        return CategoricalAccuracy(name=name)
    return _ShapeInferredAccuracy(name=name)


def _registered(spec):
    """A custom ``Metric`` subclass named by a saved config: registered with
    ``register_keras_serializable`` or passed to ``load_model`` in ``custom_objects``."""
    from lamina.layers.layer import get_layer_class

    try:
        cls = get_layer_class(str(spec.get("class_name")))
    except ValueError:
        return None
    return cls if inspect.isclass(cls) and issubclass(cls, Metric) else None


def get(identifier, loss=None, output_shape=None) -> Metric | None:
    """Resolve a metric the way ``Model.compile`` does in Keras.

    ``identifier``: a ``Metric`` (returned as is) or ``Metric`` class, a ``{"class_name",
    "config"}`` dict, a function ``fn(y_true, y_pred)`` (wrapped in ``MeanMetricWrapper``), or a
    name. ``"accuracy"``/``"acc"`` becomes binary accuracy when ``loss`` is a binary
    cross-entropy or ``output_shape`` ends in 1, sparse categorical accuracy for a sparse
    categorical cross-entropy, categorical accuracy for a categorical one, and otherwise is
    decided per batch from the shapes of the labels and predictions (Keras 3's rule). Other names:
    ``"binary_accuracy"``, ``"categorical_accuracy"``, ``"sparse_categorical_accuracy"``,
    ``"mse"``/``"mean_squared_error"``, ``"mae"``/``"mean_absolute_error"``, class names, and any
    loss name (its running mean). A name becomes the metric's ``name``, so it keys the history.

    >>> get("acc", loss="binary_crossentropy")
    <BinaryAccuracy name='acc'>
    >>> get("mse").name
    'mse'
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        cls = _BY_NAME.get(identifier.get("class_name")) or _registered(identifier)
        if not inspect.isclass(cls):
            raise ValueError(f"unknown metric class in {identifier!r}")
        return cls.from_config(identifier.get("config", {}))
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        if identifier in _NEEDS_ARGUMENTS:
            raise ValueError(f"{identifier.__name__} needs arguments: pass an instance, e.g. "
                             f"{identifier.__name__}(num_classes=10)")  # fmt: skip
        return identifier()
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return _accuracy_for(identifier, loss, output_shape)
        found = _BY_NAME.get(identifier)
        if found in _NEEDS_ARGUMENTS:
            raise ValueError(f"metric {identifier!r} needs arguments: pass an instance, e.g. "
                             f"{found.__name__}(num_classes=10)")  # fmt: skip
        if found is not None:
            return found(name=identifier)
        loss_fn = _losses._BY_NAME.get(identifier)
        if loss_fn is not None and not inspect.isclass(loss_fn):
            return MeanMetricWrapper(loss_fn, name=identifier)
        known = sorted({*_BY_NAME, "accuracy", "acc", *_losses._ALIASES})
        raise ValueError(f"unknown metric {identifier!r}; known metrics: {', '.join(known)}")
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(
        f"could not interpret metric identifier {identifier!r}: pass a name, a Metric, or a "
        "function fn(y_true, y_pred)"
    )


__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy",
    "CategoricalCrossentropy", "ConfusionMatrix", "CosineSimilarity", "F1Score", "FBetaScore",
    "FalseNegatives", "FalsePositives", "Mean", "MeanAbsoluteError", "MeanIoU",
    "MeanMetricWrapper", "MeanSquaredError", "Metric", "Precision", "R2Score", "Recall",
    "RootMeanSquaredError", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy", "TrueNegatives",
    "TruePositives", "accuracy", "binary_accuracy", "categorical_accuracy", "cosine_similarity",
    "get", "mean_absolute_error", "mean_squared_error", "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]  # fmt: skip
