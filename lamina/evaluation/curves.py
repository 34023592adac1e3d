"""Exact ROC and precision-recall curves from sorted scores (scikit-learn's ``roc_curve``,
``precision_recall_curve`` and ``auc``, same outputs), for reports and plots. The streaming
``lamina.metrics.AUC`` approximates the same areas batch by batch during training.

Each distinct score is a threshold: sorted from the highest, the cumulative (weighted) counts of
positives and negatives above it are the true and false positives there.

>>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
>>> fpr.tolist(), tpr.tolist()
([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
>>> auc(fpr, tpr)
0.75
"""

from __future__ import annotations

import numpy as np


def _binary(y_true, y_score, pos_label, sample_weight):
    y_true = np.asarray(y_true).reshape(-1)
    y_score = np.asarray(y_score, dtype=np.float64).reshape(-1)
    if y_true.shape != y_score.shape:
        raise ValueError(f"y_true has {y_true.size} samples but y_score has {y_score.size}")
    if not np.all(np.isfinite(y_score)):
        raise ValueError("y_score contains NaN or infinity")
    classes = np.unique(y_true)
    if pos_label is None:
        if classes.size > 2 or not np.all(np.isin(classes, [0, 1, -1])):
            raise ValueError(f"y_true must be binary 0/1 (or -1/1) labels, got classes "
                             f"{classes.tolist()}: pass pos_label")  # fmt: skip
        pos_label = 1
    weight = np.ones_like(y_score) if sample_weight is None else np.asarray(sample_weight, float)
    return (y_true == pos_label).astype(np.float64), y_score, weight.reshape(-1)


def _counts(y_true, y_score, pos_label, sample_weight):
    """Cumulative false and true positives at each distinct score (descending), and the
    scores."""
    positive, score, weight = _binary(y_true, y_score, pos_label, sample_weight)
    order = np.argsort(score, kind="mergesort")[::-1]
    score, positive, weight = score[order], positive[order], weight[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(score)), score.size - 1]
    tps = np.cumsum(positive * weight)[last_of_each]
    fps = np.cumsum((1 - positive) * weight)[last_of_each]
    return fps, tps, score[last_of_each]


def roc_curve(y_true, y_score, pos_label=None, sample_weight=None, drop_intermediate=True):
    """``(fpr, tpr, thresholds)``: the false and true positive rates when samples scoring at
    least each threshold are predicted positive; the first threshold is ``inf`` (nothing
    predicted positive). ``drop_intermediate`` drops points on straight segments."""
    fps, tps, thresholds = _counts(y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.size > 2:
        corners = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[corners], tps[corners], thresholds[corners]
    fps, tps, thresholds = np.r_[0, fps], np.r_[0, tps], np.r_[np.inf, thresholds]
    fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
    tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thresholds


def precision_recall_curve(y_true, y_score, pos_label=None, sample_weight=None):
    """``(precision, recall, thresholds)`` at every distinct score, increasing; the last point
    is precision 1, recall 0 (no threshold), as in scikit-learn."""
    fps, tps, thresholds = _counts(y_true, y_score, pos_label, sample_weight)
    predicted = tps + fps
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted != 0)
    recall = tps / tps[-1] if tps[-1] > 0 else np.ones_like(tps)
    keep = slice(None, None, -1)
    return np.r_[precision[keep], 1.0], np.r_[recall[keep], 0.0], thresholds[keep]


def auc(x, y) -> float:
    """The area under a curve by the trapezoid rule; ``x`` must be monotonic."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(
            f"auc needs two 1-D arrays of the same length >= 2, got {x.shape}, {y.shape}"
        )
    dx = np.diff(x)
    if np.all(dx <= 0):
        direction = -1.0
    elif np.all(dx >= 0):
        direction = 1.0
    else:
        raise ValueError("auc: x is neither increasing nor decreasing")
    return float(direction * np.sum(dx * (y[1:] + y[:-1]) / 2))
