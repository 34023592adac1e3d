"""Counting decisions: how labels and scores become per-class true/false positives, shared by
``Precision``, ``Recall``, the F-scores and ``ConfusionMatrix``.

Predictions with one column (or none) are binary: positive when ``y_pred > threshold``.
Predictions of shape ``(batch, classes)`` are multi-class: the predicted class is the argmax,
or, when a ``threshold`` is given, every class whose score exceeds it (multi-label). Labels are
0/1 (binary), one-hot or multi-hot of the predictions' shape, or integer class indices of shape
``(batch,)`` or ``(batch, 1)``.

>>> m = ConfusionMatrix(num_classes=3)
>>> m.update_state([0, 1, 2, 2], [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0, 0, 1]])
>>> m.result().tolist()
[[1, 0, 0], [0, 1, 0], [0, 1, 1]]
"""

from __future__ import annotations

from lamina.backend import xp
from lamina.metrics.base import Metric, _array


def _weights(sample_weight, n, name):
    if sample_weight is None:
        return None
    w = _array(sample_weight).astype(xp.float64).reshape(-1)
    if w.shape[0] != n:
        raise ValueError(f"{name}: {w.shape[0]} sample weights for {n} samples")
    return w


def _class_labels(y_true, num_classes, name):
    """Integer labels of shape (batch,) from (batch,) or (batch, 1) indices."""
    labels = y_true.reshape(-1)
    if labels.size and xp.any(labels != xp.round(labels)):
        raise ValueError(f"{name}: integer class labels expected, got values like {labels[:3]}")
    labels = labels.astype(xp.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{name}: class labels must be in [0, {num_classes}), got "
                         f"{labels.min()}..{labels.max()}")  # fmt: skip
    return labels


def decisions(y_true, y_pred, threshold=None, name="metric"):
    """``(truth, predicted)``, two boolean arrays of shape ``(batch, columns)``: one column for
    binary predictions, one per class otherwise (see the module docstring for the rules)."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_pred.ndim == 0:
        y_pred = y_pred.reshape(1)
    if y_pred.ndim > 2:
        raise ValueError(f"{name} expects predictions of shape (batch,), (batch, 1) or "
                         f"(batch, classes), got {y_pred.shape}")  # fmt: skip
    y_pred = y_pred.reshape(y_pred.shape[0], int(xp.prod(xp.asarray(y_pred.shape[1:]))))
    n, columns = y_pred.shape
    if y_true.size == n and columns > 1:  # integer labels for multi-class predictions
        truth = xp.zeros((n, columns), dtype=bool)
        truth[xp.arange(n), _class_labels(y_true, columns, name)] = True
    else:
        if y_true.size != y_pred.size:
            raise ValueError(f"{name}: labels of shape {y_true.shape} do not match predictions "
                             f"of shape {y_pred.shape}")  # fmt: skip
        truth = y_true.reshape(n, columns) > 0.5
    if columns == 1 or threshold is not None:
        predicted = y_pred > (0.5 if threshold is None else threshold)
    else:
        predicted = xp.zeros((n, columns), dtype=bool)
        predicted[xp.arange(n), xp.argmax(y_pred, axis=1)] = True
    return truth, predicted


class ClassCounts(Metric):
    """Running per-column counts ``tp``, ``fp``, ``fn`` and ``support`` (= ``tp + fn``),
    weighted by ``sample_weight``; subclasses turn them into a score in ``result``."""

    def __init__(self, threshold=None, name=None):
        if threshold is not None and not 0 <= threshold <= 1:
            raise ValueError(f"{type(self).__name__} threshold must be in [0, 1], got {threshold}")
        self.threshold = threshold
        super().__init__(name=name)

    def reset_state(self):
        self.tp = self.fp = self.fn = None

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        truth, predicted = decisions(y_true, y_pred, self.threshold, self.name)
        w = _weights(sample_weight, truth.shape[0], self.name)
        w = xp.ones((truth.shape[0], 1)) if w is None else w[:, None]
        counts = [(w * (truth & predicted)).sum(axis=0), (w * (~truth & predicted)).sum(axis=0),
                  (w * (truth & ~predicted)).sum(axis=0)]  # fmt: skip
        if self.tp is None:
            self.tp, self.fp, self.fn = counts
        elif self.tp.shape != counts[0].shape:
            raise ValueError(f"{self.name}: predictions with {counts[0].shape[0]} columns, earlier "
                             f"batches had {self.tp.shape[0]}")  # fmt: skip
        else:
            self.tp, self.fp, self.fn = (
                self.tp + counts[0],
                self.fp + counts[1],
                self.fn + counts[2],
            )

    @property
    def support(self):
        return self.tp + self.fn


class ConfusionMatrix(Metric):
    """The running ``(num_classes, num_classes)`` matrix of (weighted) counts: row = true class,
    column = predicted class, as scikit-learn's ``confusion_matrix``. Binary predictions (one
    column) are thresholded at ``threshold`` and give a 2x2 matrix. ``result()`` is an int64
    array, or float64 when sample weights were given.
    """

    def __init__(self, num_classes: int, threshold: float = 0.5, name: str = "confusion_matrix"):
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(
                f"ConfusionMatrix num_classes must be an integer >= 2, got {num_classes!r}"
            )
        self.num_classes = num_classes
        self.threshold = threshold
        super().__init__(name=name)

    def reset_state(self):
        self.matrix = xp.zeros((self.num_classes, self.num_classes), dtype=xp.float64)
        self._weighted = False

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _array(y_true), _array(y_pred)
        if y_pred.ndim == 2 and y_pred.shape[1] > 1:
            if y_pred.shape[1] != self.num_classes:
                raise ValueError(f"{self.name}: predictions have {y_pred.shape[1]} classes, "
                                 f"num_classes is {self.num_classes}")  # fmt: skip
            predicted = xp.argmax(y_pred, axis=1)
            truth = xp.argmax(y_true, axis=1) if y_true.shape == y_pred.shape else y_true
        else:
            predicted = (y_pred.reshape(-1) > self.threshold).astype(xp.int64)
            truth = y_true
        truth = _class_labels(_array(truth), self.num_classes, self.name)
        if truth.shape != predicted.shape:
            raise ValueError(f"{self.name}: {truth.shape[0]} labels for {predicted.shape[0]} "
                             "predictions")  # fmt: skip
        w = _weights(sample_weight, truth.shape[0], self.name)
        self._weighted |= w is not None
        flat = xp.bincount(truth * self.num_classes + predicted, weights=w,
                           minlength=self.num_classes**2)  # fmt: skip
        self.matrix += flat.reshape(self.num_classes, self.num_classes)

    def result(self):
        return self.matrix.copy() if self._weighted else self.matrix.astype(xp.int64)

    def get_config(self):
        return {"name": self.name, "num_classes": self.num_classes, "threshold": self.threshold}
