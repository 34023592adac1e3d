"""Metrics with Keras's API: stateful objects fed batch by batch with ``update_state``, read with
``result()`` (a Python float) and cleared with ``reset_state()``.

Metrics work on plain arrays outside the graph (Tensors are read through ``.data``): one update
is a few array operations, and totals are kept in float64.

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
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


def _array(x):
    if isinstance(x, Tensor):
        return x.data
    return xp.asarray(x)


def _align(a, b):
    """Keras's shape rule for a pair (``lamina.losses._align``), on arrays."""
    return _losses._align(a, b)


# ----- base classes -----
class Metric:
    """Base class. Subclasses implement ``update_state``, ``result`` and ``reset_state`` (which
    also creates the state: ``__init__`` calls it).

    ``direction`` is ``"up"`` when larger is better, ``"down"`` when smaller is, or None: what
    callbacks monitoring the metric (early stopping, checkpoints) use in ``mode="auto"``.
    """

    direction: str | None = None

    def __init__(self, name: str | None = None):
        self.name = name or _losses._snake_case(type(self).__name__)
        self.reset_state()

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def reset_state(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state")

    def __call__(self, *args, **kwargs) -> float:
        """Update with one batch and return the running result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """The running (weighted) mean of the values given to ``update_state(values,
    sample_weight=None)``. Values with more than one axis are first averaged per sample (over all
    axes but the first); weights are per sample (or of the values' shape). The training loop
    feeds it each batch's loss with ``sample_weight=batch_size``.

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7]); m.result()
    4.0
    >>> m.reset_state(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); m.result()
    2.0
    """

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None) -> None:
        values = _array(values).astype(xp.float64, copy=False)
        if sample_weight is None:
            if values.ndim > 1:
                values = values.reshape(values.shape[0], -1).mean(axis=1)
            self.total += float(values.sum())
            self.count += values.shape[0] if values.ndim else 1
            return
        weights = _array(sample_weight).astype(xp.float64, copy=False)
        values, weights = _align(values, weights)
        if values.ndim > weights.ndim:  # average each sample's values, then weight them
            values = values.mean(axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = xp.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(
                f"{self.name}: sample_weight of shape {weights.shape} does not match values of "
                f"shape {values.shape}"
            ) from None
        self.total += float((values * weights).sum())
        self.count += float(weights.sum())

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``, a function returning one value per
    sample (or per element): ``update_state(y_true, y_pred, sample_weight=None)``.

    >>> m = MeanMetricWrapper(lambda t, p: abs(t - p), name="abs_error")
    >>> m.update_state([1.0, 2.0], [1.5, 2.0]); m.result()
    0.25
    """

    def __init__(self, fn, name: str | None = None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None))
        self._fn = fn
        self._fn_kwargs = kwargs
        if self.direction is None and _is_loss_function(fn):
            self.direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        values = self._fn(_array(y_true), _array(y_pred), **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        if type(self) is not MeanMetricWrapper:  # subclasses: their own arguments
            return {"name": self.name, **self._fn_kwargs}
        return {"name": self.name, "fn": _function_name(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = _FUNCTIONS[config["fn"]]
        return cls(**config)


# ----- functions: one value per sample (or element) -----
def accuracy(y_true, y_pred):
    """1.0 where ``y_pred`` equals ``y_true`` exactly, else 0.0, elementwise."""
    y_true, y_pred = _align(_array(y_true), _array(y_pred))
    return (y_true == y_pred).astype(xp.float32)


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """1.0 where ``y_pred > threshold`` matches the 0/1 label, elementwise.

    >>> binary_accuracy([1, 0, 1], [0.7, 0.2, 0.4]).tolist()
    [1.0, 1.0, 0.0]
    """
    y_true, y_pred = _align(_array(y_true), _array(y_pred))
    return ((y_pred > threshold) == y_true).astype(xp.float32)


def categorical_accuracy(y_true, y_pred):
    """1.0 per sample where the argmax of ``y_pred`` is the argmax of the one-hot ``y_true``.

    >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]).tolist()
    [0.0, 1.0]
    """
    y_true, y_pred = _array(y_true), _array(y_pred)
    return (xp.argmax(y_true, axis=-1) == xp.argmax(y_pred, axis=-1)).astype(xp.float32)


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


def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred) ** 2, axis=-1)`` on arrays."""
    y_true, y_pred = _align(_array(y_true), _array(y_pred))
    diff = y_pred - y_true
    return xp.mean(diff * diff, axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)`` on arrays."""
    y_true, y_pred = _align(_array(y_true), _array(y_pred))
    return xp.mean(xp.abs(y_pred - y_true), axis=-1)


def _accuracy_by_shape(y_true, y_pred):
    """Keras 3's choice for ``"accuracy"`` from the shapes of one batch: binary when predictions
    have one column, sparse when the labels have fewer axes (or one column), else categorical."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_pred.ndim <= 1 or y_pred.shape[-1] == 1:
        return binary_accuracy(y_true, y_pred)
    if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
        return sparse_categorical_accuracy(y_true, y_pred)
    return categorical_accuracy(y_true, y_pred)


# ----- classes -----
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


class MeanSquaredError(MeanMetricWrapper):
    """The running mean of ``mean((y_true - y_pred) ** 2, axis=-1)``."""

    direction = "down"

    def __init__(self, name="mean_squared_error"):
        super().__init__(mean_squared_error, name=name)


class MeanAbsoluteError(MeanMetricWrapper):
    """The running mean of ``mean(abs(y_true - y_pred), axis=-1)``."""

    direction = "down"

    def __init__(self, name="mean_absolute_error"):
        super().__init__(mean_absolute_error, name=name)


class _ShapeInferredAccuracy(MeanMetricWrapper):
    """``"accuracy"`` when neither the loss nor the output shape decided: the kind is chosen per
    batch from the shapes (``_accuracy_by_shape``)."""

    direction = "up"

    def __init__(self, name="accuracy"):
        super().__init__(_accuracy_by_shape, name=name)


# ----- lookup -----
_FUNCTIONS = {
    "accuracy": accuracy,
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "mean_squared_error": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
}
_CLASSES = (
    Mean,
    MeanMetricWrapper,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
)
_BY_NAME = {
    **{c.__name__: c for c in _CLASSES},
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError,
}
_LOSS_KINDS = {
    "binary": (_losses.binary_crossentropy, _losses.BinaryCrossentropy),
    "categorical": (_losses.categorical_crossentropy, _losses.CategoricalCrossentropy),
    "sparse": (_losses.sparse_categorical_crossentropy, _losses.SparseCategoricalCrossentropy),
}


def _function_name(fn):
    name = getattr(fn, "__name__", None)
    if _FUNCTIONS.get(name) is not fn:
        raise ValueError(f"cannot serialize metric function {fn!r}: only built-in ones")
    return name


def _is_loss_function(fn):
    return any(fn is f for f in _losses._FUNCTIONS)


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
        cls = _BY_NAME.get(identifier.get("class_name"))
        if not inspect.isclass(cls):
            raise ValueError(f"unknown metric class in {identifier!r}")
        return cls.from_config(identifier.get("config", {}))
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return _accuracy_for(identifier, loss, output_shape)
        found = _BY_NAME.get(identifier)
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
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanAbsoluteError",
    "MeanMetricWrapper", "MeanSquaredError", "Metric", "SparseCategoricalAccuracy", "accuracy",
    "binary_accuracy", "categorical_accuracy", "get", "mean_absolute_error", "mean_squared_error",
    "sparse_categorical_accuracy",
]  # fmt: skip
