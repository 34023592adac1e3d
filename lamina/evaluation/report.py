"""``confusion_matrix`` and ``classification_report``: scikit-learn's functions (same arguments,
same output, same text layout) on NumPy alone.

Labels may be class indices, strings or any sortable values. For convenience, a 2-D array of
probabilities (what ``model.predict`` returns) is turned into classes: its argmax for several
columns, ``> 0.5`` for one column; one-hot labels become their argmax. (Multi-label indicator
matrices are therefore not supported here: use ``lamina.metrics.F1Score(threshold=...)``.)

>>> confusion_matrix(["cat", "dog", "dog"], ["cat", "cat", "dog"]).tolist()
[[1, 0], [1, 1]]
"""

from __future__ import annotations

import numpy as np


def to_classes(y, name="y") -> np.ndarray:
    """Class labels of shape ``(n,)`` from labels, one-hot rows or predicted probabilities."""
    y = np.asarray(y.data if hasattr(y, "data") and not isinstance(y, np.ndarray) else y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim == 2:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name} must be labels of shape (n,) or scores of shape (n, classes), "
                         f"got shape {y.shape}")  # fmt: skip
    if y.dtype.kind == "f" and y.size and np.any(y != np.round(y)):  # binary probabilities
        return (y > 0.5).astype(np.int64)
    return y


def _pair(y_true, y_pred, sample_weight):
    y_true, y_pred = to_classes(y_true, "y_true"), to_classes(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.shape[0]} samples but y_pred has {y_pred.shape[0]}")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        if sample_weight.shape != y_true.shape:
            raise ValueError(
                f"{sample_weight.shape[0]} sample weights for {y_true.shape[0]} samples"
            )
    return y_true, y_pred, sample_weight


def _label_index(values, labels):
    """Index of each value in ``labels`` (-1 when absent)."""
    order = np.argsort(labels, kind="stable")
    position = np.searchsorted(labels[order], values).clip(0, len(labels) - 1)
    found = labels[order][position] == values
    return np.where(found, order[position], -1)


def confusion_matrix(y_true, y_pred, labels=None, sample_weight=None, normalize=None):
    """The ``(classes, classes)`` count matrix: entry ``[i, j]`` counts samples of true class
    ``labels[i]`` predicted as ``labels[j]``. ``labels`` defaults to the sorted classes present in
    either array; ``normalize`` is None, ``"true"`` (rows sum to 1), ``"pred"`` (columns) or
    ``"all"``. Integers unless weighted or normalized."""
    y_true, y_pred, sample_weight = _pair(y_true, y_pred, sample_weight)
    labels = np.unique(np.concatenate([y_true, y_pred])) if labels is None else np.asarray(labels)
    if labels.size == 0:
        raise ValueError("confusion_matrix: no labels (empty inputs and labels=None)")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    i, j = _label_index(y_true, labels), _label_index(y_pred, labels)
    keep = (i >= 0) & (j >= 0)
    k = len(labels)
    weights = None if sample_weight is None else sample_weight[keep]
    matrix = np.bincount(i[keep] * k + j[keep], weights=weights, minlength=k * k).reshape(k, k)
    if sample_weight is None and normalize is None:
        return matrix.astype(np.int64)
    matrix = matrix.astype(np.float64)
    if normalize is not None:
        axis = {"true": 1, "pred": 0, "all": None}[normalize]
        total = matrix.sum(axis=axis, keepdims=axis is not None)
        matrix = np.divide(matrix, total, out=np.zeros_like(matrix), where=total != 0)
    return matrix


def classification_report(
    y_true,
    y_pred,
    labels=None,
    target_names=None,
    sample_weight=None,
    digits: int = 2,
    output_dict: bool = False,
    zero_division=0.0,
):
    """Precision, recall, F1 and support per class, with the accuracy (or, for a subset of the
    labels, the micro average), macro and weighted averages: scikit-learn's
    ``classification_report``, as text or (``output_dict=True``) a dict."""
    y_true, y_pred, sample_weight = _pair(y_true, y_pred, sample_weight)
    present = np.unique(np.concatenate([y_true, y_pred]))
    subset = labels is not None and not np.array_equal(np.sort(np.asarray(labels)), present)
    labels = present if labels is None else np.asarray(labels)
    if target_names is not None and len(target_names) != len(labels):
        raise ValueError(f"{len(target_names)} target_names for {len(labels)} labels "
                         f"({labels.tolist()})")  # fmt: skip
    names = [str(n) for n in (target_names if target_names is not None else labels)]
    # counts over every label present, so predictions of a label outside `labels` still count
    everything = np.union1d(present, labels)
    true_index, pred_index = _label_index(y_true, everything), _label_index(y_pred, everything)
    weights = np.ones(y_true.shape) if sample_weight is None else sample_weight
    hit = true_index == pred_index
    k = len(everything)
    chosen = _label_index(labels, everything)
    tp = np.bincount(true_index[hit], weights=weights[hit], minlength=k)[chosen]
    predicted = np.bincount(pred_index, weights=weights, minlength=k)[chosen]
    support = np.bincount(true_index, weights=weights, minlength=k)[chosen]
    precision = np.divide(tp, predicted, out=np.full_like(tp, zero_division), where=predicted != 0)
    recall = np.divide(tp, support, out=np.full_like(tp, zero_division), where=support != 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(tp), where=total != 0)
    rows = {n: [p, r, f, s] for n, p, r, f, s in zip(names, precision, recall, f1, support)}
    support_total = support.sum()
    averages = {}
    if subset:
        micro_p = tp.sum() / predicted.sum() if predicted.sum() else zero_division
        micro_r = tp.sum() / support_total if support_total else zero_division
        micro_f = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
        averages["micro avg"] = [micro_p, micro_r, micro_f, support_total]
    else:
        averages["accuracy"] = tp.sum() / support_total if support_total else 0.0
    averages["macro avg"] = [precision.mean(), recall.mean(), f1.mean(), support_total]
    weighted = (lambda v: (v * support).sum() / support_total) if support_total else (lambda v: 0.0)
    averages["weighted avg"] = [weighted(precision), weighted(recall), weighted(f1), support_total]
    if output_dict:
        keys = ("precision", "recall", "f1-score", "support")
        out = {n: dict(zip(keys, map(_plain, v))) for n, v in rows.items()}
        for n, v in averages.items():
            out[n] = _plain(v) if n == "accuracy" else dict(zip(keys, map(_plain, v)))
        return out
    width = max(len(n) for n in [*names, "weighted avg"])
    head = "{:>{width}s} " + " {:>9}" * 4
    row = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    text = head.format("", "precision", "recall", "f1-score", "support", width=width) + "\n\n"
    for n, (p, r, f, s) in rows.items():
        text += row.format(n, p, r, f, _support(s, sample_weight), width=width, digits=digits)
    text += "\n"
    for n, v in averages.items():
        if n == "accuracy":
            text += ("{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f} {:>9}\n").format(
                n, "", "", v, _support(support_total, sample_weight), width=width, digits=digits
            )
        else:
            text += row.format(n, *v[:3], _support(v[3], sample_weight), width=width, digits=digits)
    return text


def _plain(value) -> float:
    return float(value)


def _support(value, sample_weight):
    """Counts print as integers, weighted supports as floats (scikit-learn's layout)."""
    return int(value) if sample_weight is None else float(value)
