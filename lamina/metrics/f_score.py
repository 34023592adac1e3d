"""Precision, recall and the F-scores, streamed over batches from per-class counts
(``lamina/metrics/confusion.py``)::

    precision = tp / (tp + fp)      recall = tp / (tp + fn)
    F_beta    = (1 + β²) tp / ((1 + β²) tp + β² fn + fp)      (F1: β = 1)

A ratio whose denominator is 0 is 0. ``average`` combines the classes: None (one value per class,
an array), ``"micro"`` (pool the counts of all classes, then divide: for single-label multi-class
data this is the accuracy), ``"macro"`` (the unweighted mean over classes) or ``"weighted"`` (the
mean weighted by each class's support, its number of true samples). These are scikit-learn's
``precision_score``/``recall_score``/``fbeta_score`` with ``labels=range(classes)`` and
``zero_division=0``.

>>> m = F1Score(average="macro")
>>> m.update_state([0, 1, 2, 2], [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0, 0, 1]])
>>> round(m.result(), 4)
0.7778
>>> p = Precision()  # Keras's binary precision: y_pred > 0.5 counts as positive
>>> p.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(p.result(), 4)
0.6667
"""

from __future__ import annotations

from lamina.backend import xp
from lamina.metrics.base import Metric, _array, safe_divide
from lamina.metrics.confusion import ClassCounts, _class_labels, _weights

AVERAGES = (None, "micro", "macro", "weighted")


def _check_average(average, who):
    if average not in AVERAGES:
        raise ValueError(f"{who} average must be one of {AVERAGES}, got {average!r}")


def _combine(scores, support, average):
    """Per-class ``scores`` -> the ``average`` of them (``"micro"`` is handled by the caller)."""
    if average is None:
        return scores
    if average == "weighted":
        total = support.sum()
        return float((scores * support).sum() / total) if total > 0 else 0.0
    return float(scores.mean())


class FBetaScore(ClassCounts):
    """The F-beta score, the weighted harmonic mean of precision and recall: ``beta > 1``
    favours recall, ``beta < 1`` precision. ``threshold=None``: the argmax of multi-class
    predictions is the predicted class (binary predictions: ``y_pred > 0.5``); a ``threshold``
    makes every class scoring above it predicted (multi-label).
    """

    direction = "up"

    def __init__(self, average=None, beta: float = 1.0, threshold=None, name: str = "fbeta_score"):
        _check_average(average, type(self).__name__)
        if not beta > 0:
            raise ValueError(f"{type(self).__name__} beta must be positive, got {beta}")
        self.average = average
        self.beta = float(beta)
        super().__init__(threshold=threshold, name=name)

    def result(self):
        if self.tp is None:
            return 0.0 if self.average else xp.zeros(0)
        b2 = self.beta**2
        if self.average == "micro":
            tp, fp, fn = self.tp.sum(), self.fp.sum(), self.fn.sum()
            return float(safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp))
        scores = safe_divide((1 + b2) * self.tp, (1 + b2) * self.tp + b2 * self.fn + self.fp)
        return _combine(scores, self.support, self.average)

    def get_config(self):
        return {"name": self.name, "average": self.average, "beta": self.beta,
                "threshold": self.threshold}  # fmt: skip


class F1Score(FBetaScore):
    """The F1 score, ``2 precision recall / (precision + recall)`` (``FBetaScore`` with
    ``beta = 1``)."""

    def __init__(self, average=None, threshold=None, name: str = "f1_score"):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name)

    def get_config(self):
        return {"name": self.name, "average": self.average, "threshold": self.threshold}


class _PrecisionRecall(Metric):
    """Keras's ``Precision``/``Recall`` (``average=None``): every element of ``y_pred`` above a
    threshold is a positive prediction, and the counts of all elements are pooled; ``top_k``
    keeps only the k highest scores of a row as candidates, ``class_id`` looks at one column
    only; several ``thresholds`` give one result each. With ``average`` set, the multi-class
    rules of ``FBetaScore`` apply instead (argmax, or a single threshold for multi-label).
    """

    direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, average=None):
        who = type(self).__name__
        _check_average(average, who)
        listed = isinstance(thresholds, (list, tuple))
        values = list(thresholds) if listed else [0.5 if thresholds is None else thresholds]
        if not values or any(not 0 <= float(t) <= 1 for t in values):
            raise ValueError(f"{who} thresholds must be in [0, 1], got {thresholds!r}")
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"{who} top_k must be a positive integer, got {top_k!r}")
        if average is not None and (listed or top_k is not None or class_id is not None):
            raise ValueError(f"{who}: average= cannot be combined with several thresholds, "
                             "top_k or class_id")  # fmt: skip
        self.thresholds, self.top_k, self.class_id, self.average = (
            thresholds,
            top_k,
            class_id,
            average,
        )
        self._listed = listed
        self._values = xp.asarray(values, dtype=xp.float64)
        self._counts = ClassCounts(threshold=thresholds if average else None, name=name)
        super().__init__(name=name)

    def reset_state(self):
        self.true_positives = self.false_positives = self.false_negatives = 0.0
        if hasattr(self, "_counts"):
            self._counts.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if self.average is not None:
            self._counts.update_state(y_true, y_pred, sample_weight)
            return
        y_true, y_pred = _array(y_true), _array(y_pred).astype(xp.float64)
        n = y_pred.shape[0] if y_pred.ndim else 1
        y_pred = y_pred.reshape(n, -1)
        if y_true.size == n and y_pred.shape[1] > 1:  # integer labels: one-hot them
            y_true = _class_labels(y_true, y_pred.shape[1], self.name)[:, None] == xp.arange(
                y_pred.shape[1]
            )
        if y_true.size != y_pred.size:
            raise ValueError(f"{self.name}: labels of shape {y_true.shape} do not match "
                             f"predictions of shape {y_pred.shape}")  # fmt: skip
        truth = y_true.reshape(y_pred.shape) > 0.5
        if self.top_k is not None:
            k = min(self.top_k, y_pred.shape[1])
            kth = -xp.sort(-y_pred, axis=1)[:, k - 1 : k]  # each row's k-th highest score
            y_pred = xp.where(y_pred >= kth, y_pred, -xp.inf)
        if self.class_id is not None:
            truth, y_pred = truth[:, [self.class_id]], y_pred[:, [self.class_id]]
        w = _weights(sample_weight, n, self.name)
        w = xp.ones(n) if w is None else w
        w = xp.broadcast_to(w[:, None], truth.shape)[..., None]
        predicted = y_pred[..., None] > self._values  # (batch, columns, thresholds)
        truth = truth[..., None]
        self.true_positives = self.true_positives + (w * (truth & predicted)).sum(axis=(0, 1))
        self.false_positives = self.false_positives + (w * (~truth & predicted)).sum(axis=(0, 1))
        self.false_negatives = self.false_negatives + (w * (truth & ~predicted)).sum(axis=(0, 1))

    def _score(self, tp, fp, fn):
        raise NotImplementedError

    def result(self):
        if self.average is not None:
            c = self._counts
            if c.tp is None:
                return 0.0
            if self.average == "micro":
                return float(self._score(c.tp.sum(), c.fp.sum(), c.fn.sum()))
            return _combine(self._score(c.tp, c.fp, c.fn), c.support, self.average)
        scores = self._score(xp.asarray(self.true_positives), xp.asarray(self.false_positives),
                             xp.asarray(self.false_negatives))  # fmt: skip
        scores = xp.broadcast_to(scores, self._values.shape)
        return scores.copy() if self._listed else float(scores[0])

    def get_config(self):
        return {"name": self.name, "thresholds": self.thresholds, "top_k": self.top_k,
                "class_id": self.class_id, "average": self.average}  # fmt: skip


class Precision(_PrecisionRecall):
    """The fraction of positive predictions that are right: ``tp / (tp + fp)``."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", average=None):
        super().__init__(thresholds, top_k, class_id, name, average)

    def _score(self, tp, fp, fn):
        return safe_divide(tp, tp + fp)


class Recall(_PrecisionRecall):
    """The fraction of true positives that are found: ``tp / (tp + fn)``."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", average=None):
        super().__init__(thresholds, top_k, class_id, name, average)

    def _score(self, tp, fp, fn):
        return safe_divide(tp, tp + fn)
