"""The area under the ROC or precision-recall curve, streamed over batches as Keras does: the
predictions are counted against ``num_thresholds`` fixed thresholds

    t_0 = -ε,  t_i = i / (num_thresholds - 1) for 0 < i < num_thresholds - 1,  t_last = 1 + ε

(a sample is predicted positive at ``t`` when ``y_pred > t``), which gives ``tp``, ``fp``,
``tn``, ``fn`` per threshold, the curve's points, and the area under them. Summation methods:

- ``"interpolation"``: ROC: the trapezoid rule on (FPR, TPR). PR: the interpolation of Davis &
  Goadrich (2006): between two thresholds precision changes with the number of predicted
  positives ``p`` as ``tp = slope * p + intercept``, and the area of each segment is
  ``slope * (Δtp + intercept * ln(p_i / p_{i+1})) / (tp + fn)``.
- ``"minoring"`` / ``"majoring"``: left/right Riemann sums taking the lower/higher height of the
  two ends of each segment.
- ``"step"`` (lamina's addition): each recall (or FPR) step times the height at the segment's lower
  threshold. For PR this is the average precision of scikit-learn's ``average_precision_score``.

The result is exact (equal to scikit-learn's ``roc_auc_score``/``average_precision_score``) when
no two distinct scores fall between the same pair of thresholds, and otherwise within about
``1 / num_thresholds`` of it.

>>> m = AUC()
>>> m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); m.result()
0.75
"""

from __future__ import annotations

from lamina.backend import xp
from lamina.metrics.base import Metric, _array, safe_divide
from lamina.metrics.confusion import _weights

CURVES = ("ROC", "PR")
SUMMATIONS = ("interpolation", "minoring", "majoring", "step")
EPSILON = 1e-7


class AUC(Metric):
    """Area under the ROC curve (``curve="ROC"``) or the precision-recall curve (``"PR"``).

    ``multi_label=True`` with predictions of shape ``(batch, labels)`` computes one area per
    label and averages them (weighted by ``label_weights`` when given): scikit-learn's
    ``average="macro"``. ``multi_label=False`` pools every element into one curve
    (``average="micro"``). ``from_logits=True`` applies a sigmoid to the predictions first.
    ``thresholds`` replaces the evenly spaced ones (ε below 0 and above 1 are added).
    """

    direction = "up"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str = "auc", thresholds=None,
                 multi_label: bool = False, num_labels=None, label_weights=None,
                 from_logits: bool = False):  # fmt: skip
        curve = curve.upper() if isinstance(curve, str) else curve
        if curve not in CURVES:
            raise ValueError(f"AUC curve must be one of {CURVES}, got {curve!r}")
        if summation_method not in SUMMATIONS:
            raise ValueError(f"AUC summation_method must be one of {SUMMATIONS}, got "
                             f"{summation_method!r}")  # fmt: skip
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            if any(not 0 <= t <= 1 for t in inner):
                raise ValueError(f"AUC thresholds must be in [0, 1], got {thresholds!r}")
            self._thresholds = xp.asarray([-EPSILON, *inner, 1 + EPSILON])
            num_thresholds = len(inner) + 2
        else:
            if not isinstance(num_thresholds, int) or num_thresholds < 2:
                raise ValueError(
                    f"AUC num_thresholds must be an integer > 1, got {num_thresholds!r}"
                )
            inner = [i / (num_thresholds - 1) for i in range(1, num_thresholds - 1)]
            self._thresholds = xp.asarray([-EPSILON, *inner, 1 + EPSILON])
        self.num_thresholds = num_thresholds
        self.curve = curve
        self.summation_method = summation_method
        self.thresholds = None if thresholds is None else list(thresholds)
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else list(label_weights)
        self.from_logits = bool(from_logits)
        super().__init__(name=name)

    def reset_state(self):
        self.true_positives = self.false_positives = None
        self.true_negatives = self.false_negatives = None

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _array(y_true), _array(y_pred).astype(xp.float64)
        if y_true.size != y_pred.size:
            raise ValueError(f"{self.name}: labels of shape {y_true.shape} do not match "
                             f"predictions of shape {y_pred.shape}")  # fmt: skip
        if self.from_logits:
            y_pred = 1.0 / (1.0 + xp.exp(-y_pred))
        n = y_pred.shape[0] if y_pred.ndim else 1
        y_pred = y_pred.reshape(n, -1)
        truth = y_true.reshape(y_pred.shape).astype(xp.float64)
        w = _weights(sample_weight, n, self.name)
        w = xp.ones(y_pred.shape) if w is None else xp.broadcast_to(w[:, None], y_pred.shape)
        if not self.multi_label:  # one curve over all elements
            y_pred, truth, w = y_pred.reshape(-1, 1), truth.reshape(-1, 1), w.reshape(-1, 1)
        labels = y_pred.shape[1]
        if self.num_labels is not None and self.multi_label and labels != self.num_labels:
            raise ValueError(f"{self.name}: num_labels={self.num_labels} but predictions have "
                             f"{labels} columns")  # fmt: skip
        # bucket b of a score = how many thresholds lie strictly below it, so the score counts as
        # positive at thresholds 0..b-1: a histogram per bucket, then suffix sums, gives the counts
        # at every threshold in O(batch + thresholds)
        buckets = xp.searchsorted(self._thresholds, xp.clip(y_pred, -1.0, 2.0), side="left")
        size = self.num_thresholds + 1
        index = (buckets + size * xp.arange(labels)).reshape(-1)
        pos = xp.bincount(index, weights=(w * truth).reshape(-1), minlength=size * labels)
        neg = xp.bincount(index, weights=(w * (1 - truth)).reshape(-1), minlength=size * labels)
        pos, neg = pos.reshape(labels, size), neg.reshape(labels, size)
        tp = xp.cumsum(pos[:, ::-1], axis=1)[:, ::-1][:, 1:]  # scores in buckets > t
        fp = xp.cumsum(neg[:, ::-1], axis=1)[:, ::-1][:, 1:]
        fn, tn = pos.sum(axis=1, keepdims=True) - tp, neg.sum(axis=1, keepdims=True) - fp
        if self.true_positives is None:
            self.true_positives, self.false_positives = tp, fp
            self.true_negatives, self.false_negatives = tn, fn
        elif self.true_positives.shape != tp.shape:
            raise ValueError(f"{self.name}: predictions with {labels} labels, earlier batches "
                             f"had {self.true_positives.shape[0]}")  # fmt: skip
        else:
            self.true_positives = self.true_positives + tp
            self.false_positives = self.false_positives + fp
            self.true_negatives = self.true_negatives + tn
            self.false_negatives = self.false_negatives + fn

    def _areas(self):
        """One area per label (row) from the counts at increasing thresholds (columns)."""
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr(tp, fp, fn)
        if self.curve == "ROC":
            x, y = safe_divide(fp, fp + tn), safe_divide(tp, tp + fn)
        else:
            x, y = safe_divide(tp, tp + fn), safe_divide(tp, tp + fp)
        width = x[:, :-1] - x[:, 1:]  # thresholds increase, so x (FPR or recall) decreases
        if self.summation_method == "interpolation":
            height = (y[:, :-1] + y[:, 1:]) / 2
        elif self.summation_method == "minoring":
            height = xp.minimum(y[:, :-1], y[:, 1:])
        elif self.summation_method == "majoring":
            height = xp.maximum(y[:, :-1], y[:, 1:])
        else:  # step: the height at the lower threshold of the segment
            height = y[:, :-1]
        return (width * height).sum(axis=1)

    @staticmethod
    def _interpolated_pr(tp, fp, fn):
        predicted = tp + fp
        d_tp = tp[:, :-1] - tp[:, 1:]
        d_p = predicted[:, :-1] - predicted[:, 1:]
        slope = safe_divide(d_tp, d_p)
        intercept = tp[:, 1:] - slope * predicted[:, 1:]
        both = (predicted[:, :-1] > 0) & (predicted[:, 1:] > 0)
        log_ratio = xp.log(safe_divide(predicted[:, :-1], predicted[:, 1:]) + ~both)
        area = safe_divide(slope * (d_tp + intercept * log_ratio), tp[:, 1:] + fn[:, 1:])
        return area.sum(axis=1)

    def result(self) -> float:
        if self.true_positives is None:
            return 0.0
        areas = self._areas()
        if self.label_weights is not None and self.multi_label:
            weights = xp.asarray(self.label_weights, dtype=xp.float64)
            return float((areas * weights).sum() / weights.sum())
        return float(areas.mean())

    def get_config(self):
        return {"name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "thresholds": self.thresholds,
                "multi_label": self.multi_label, "num_labels": self.num_labels,
                "label_weights": self.label_weights, "from_logits": self.from_logits}  # fmt: skip
