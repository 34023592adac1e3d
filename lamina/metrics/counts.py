"""Counts of decisions at one or more thresholds, as Keras's ``TruePositives``,
``TrueNegatives``, ``FalsePositives`` and ``FalseNegatives``: a prediction is positive when
``y_pred > threshold``, and every element is counted (multi-label predictions of shape
``(batch, labels)`` add one decision per label), weighted by ``sample_weight`` (per sample).

``thresholds`` is None (0.5), a float (``result()`` is a float) or a list of floats
(``result()`` is an array with one count per threshold).

>>> m = TruePositives(thresholds=[0.3, 0.7])
>>> m.update_state([0, 1, 1, 1], [0.5, 0.2, 0.6, 0.9])
>>> m.result().tolist()
[2.0, 1.0]
"""

from __future__ import annotations

from lamina.backend import xp
from lamina.metrics.base import Metric, _array
from lamina.metrics.confusion import _weights, decisions


class _ThresholdCounts(Metric):
    """The weighted count of one kind of decision (``kind``), per threshold."""

    kind = ""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        listed = isinstance(thresholds, (list, tuple))
        values = [0.5] if thresholds is None else list(thresholds) if listed else [thresholds]
        for t in values:
            if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 <= t <= 1:
                raise ValueError(
                    f"{type(self).__name__} thresholds must be numbers in [0, 1], got {t!r}"
                )
        self.thresholds = thresholds
        self._values = [float(t) for t in values]
        self._listed = listed
        self.accumulator = self.add_variable(
            shape=(len(values),), initializer="zeros", dtype="float64", name="accumulator"
        )

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _array(y_true), _array(y_pred)
        if y_pred.ndim > 2:  # every element is a decision: flatten to (batch, elements)
            y_pred = y_pred.reshape(y_pred.shape[0], -1)
            y_true = y_true.reshape(y_pred.shape[0], -1)
        counts = []
        for t in self._values:
            truth, predicted = decisions(y_true, y_pred, threshold=t, name=self.name)
            w = _weights(sample_weight, truth.shape[0], self.name)
            hit = {
                "tp": truth & predicted,
                "fp": ~truth & predicted,
                "fn": truth & ~predicted,
                "tn": ~truth & ~predicted,
            }[self.kind]
            counts.append(hit.sum() if w is None else (w[:, None] * hit).sum())
        self.accumulator.assign_add(xp.asarray(counts, dtype=xp.float64))

    def result(self):
        values = self.accumulator.data
        return values.copy() if self._listed else float(values[0])

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.thresholds}


class TruePositives(_ThresholdCounts):
    """The weighted number of positive labels predicted positive."""

    kind = "tp"
    direction = "up"


class TrueNegatives(_ThresholdCounts):
    """The weighted number of negative labels predicted negative."""

    kind = "tn"
    direction = "up"


class FalsePositives(_ThresholdCounts):
    """The weighted number of negative labels predicted positive.

    >>> m = FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0.6, 0.7, 0.2, 0.9], sample_weight=[1, 2, 3, 4])
    >>> m.result()
    5.0
    """

    kind = "fp"
    direction = "down"


class FalseNegatives(_ThresholdCounts):
    """The weighted number of positive labels predicted negative."""

    kind = "fn"
    direction = "down"
