"""Regression metrics: mean squared and absolute error, their root, the coefficient of
determination R², and cosine similarity.
"""

from __future__ import annotations

from lamina.backend import xp
from lamina.metrics.base import MeanMetricWrapper, Metric, _align, _array, metric_function


@metric_function
def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred) ** 2, axis=-1)`` on arrays."""
    y_true, y_pred = _align(_array(y_true), _array(y_pred))
    diff = y_pred - y_true
    return xp.mean(diff * diff, axis=-1)


@metric_function
def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)`` on arrays."""
    y_true, y_pred = _align(_array(y_true), _array(y_pred))
    return xp.mean(xp.abs(y_pred - y_true), axis=-1)


@metric_function
def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum(y_true / ||y_true|| * y_pred / ||y_pred||, axis)`` on arrays: +1 when parallel (the
    loss of the same name is its negative)."""
    y_true, y_pred = _align(_array(y_true), _array(y_pred))
    y_true = y_true / xp.maximum(xp.linalg.norm(y_true, axis=axis, keepdims=True), 1e-12)
    y_pred = y_pred / xp.maximum(xp.linalg.norm(y_pred, axis=axis, keepdims=True), 1e-12)
    return xp.sum(y_true * y_pred, axis=axis)


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


class RootMeanSquaredError(MeanMetricWrapper):
    """``sqrt`` of the running mean squared error: ``sqrt(sum(w (y - ŷ)²) / sum(w))``, in the
    units of the target.

    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0.0], [0.0]], [[3.0], [4.0]]); round(m.result(), 4)
    3.5355
    """

    direction = "down"

    def __init__(self, name: str = "root_mean_squared_error"):
        super().__init__(mean_squared_error, name=name)

    def result(self) -> float:
        return float(xp.sqrt(super().result()))


_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination, per output column ``j``:

        R²_j = 1 - SS_res / SS_tot,  SS_res = Σ w (y - ŷ)²,  SS_tot = Σ w (y - ȳ)²

    accumulated exactly over batches (running sums of ``w``, ``w y``, ``w y²`` and the
    residuals). With ``num_regressors = p > 0`` it is the adjusted R²,
    ``1 - (1 - R²) (n - 1) / (n - p - 1)``. ``class_aggregation`` combines the columns:
    ``"uniform_average"`` (their mean), ``"variance_weighted_average"`` (weighted by SS_tot) or
    None (an array, one per column). A constant target gives 1.0 when predicted exactly, else 0.0
    (scikit-learn's ``r2_score`` convention).

    >>> m = R2Score()
    >>> m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]]); m.result()
    0.5
    """

    direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors: int = 0,
                 name: str = "r2_score"):  # fmt: skip
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(f"R2Score class_aggregation must be one of {_AGGREGATIONS}, got "
                             f"{class_aggregation!r}")  # fmt: skip
        if not isinstance(num_regressors, int) or num_regressors < 0:
            raise ValueError(
                f"R2Score num_regressors must be an integer >= 0, got {num_regressors!r}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        super().__init__(name=name)

    def reset_state(self):
        self._sums = None  # per column: Σw, Σwy, Σwy², Σw(y-ŷ)²; and the sample count
        self._count = 0

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _align(
            _array(y_true).astype(xp.float64), _array(y_pred).astype(xp.float64)
        )
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: labels of shape {y_true.shape} do not match "
                             f"predictions of shape {y_pred.shape}")  # fmt: skip
        y_true = y_true.reshape(y_true.shape[0], -1) if y_true.ndim else y_true.reshape(1, 1)
        y_pred = y_pred.reshape(y_true.shape)
        if sample_weight is None:
            w = xp.ones((y_true.shape[0], 1))
        else:
            w = _array(sample_weight).astype(xp.float64).reshape(-1, 1)
            if w.shape[0] != y_true.shape[0]:
                raise ValueError(f"{self.name}: {w.shape[0]} sample weights for "
                                 f"{y_true.shape[0]} samples")  # fmt: skip
        sums = xp.stack([
            (w * xp.ones_like(y_true)).sum(axis=0), (w * y_true).sum(axis=0),
            (w * y_true * y_true).sum(axis=0), (w * (y_true - y_pred) ** 2).sum(axis=0),
        ])  # fmt: skip
        if self._sums is not None and self._sums.shape != sums.shape:
            raise ValueError(f"{self.name}: {sums.shape[1]} output columns, earlier batches had "
                             f"{self._sums.shape[1]}")  # fmt: skip
        self._sums = sums if self._sums is None else self._sums + sums
        self._count += y_true.shape[0]

    def result(self):
        if self._sums is None:
            return 0.0
        weight, wy, wy2, ss_res = self._sums
        ss_tot = wy2 - wy * wy / xp.where(weight > 0, weight, 1.0)
        ss_tot = xp.maximum(ss_tot, 0.0)
        constant = ss_tot <= 1e-12 * xp.maximum(wy2, 1.0)
        safe = xp.where(constant, 1.0, ss_tot)
        r2 = xp.where(constant, xp.where(ss_res <= 1e-12 * xp.maximum(wy2, 1.0), 1.0, 0.0),
                      1.0 - ss_res / safe)  # fmt: skip
        n, p = self._count, self.num_regressors
        if p:
            if n - p - 1 <= 0:
                raise ValueError(f"{self.name}: the adjusted R² needs more samples ({n}) than "
                                 f"num_regressors + 1 ({p + 1})")  # fmt: skip
            r2 = 1.0 - (1.0 - r2) * (n - 1) / (n - p - 1)
        if self.class_aggregation is None:
            return r2
        if self.class_aggregation == "variance_weighted_average" and ss_tot.sum() > 0:
            return float((r2 * ss_tot).sum() / ss_tot.sum())
        return float(r2.mean())

    def get_config(self):
        return {"name": self.name, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}  # fmt: skip


class CosineSimilarity(MeanMetricWrapper):
    """The running mean of the cosine between ``y_true`` and ``y_pred`` along ``axis``.

    >>> m = CosineSimilarity()
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]); round(m.result(), 4)
    0.8536
    """

    direction = "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
