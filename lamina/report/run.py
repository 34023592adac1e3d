"""A training run's data in a folder: ``run.json`` (history, diagnostics, model summary,
confusion matrix, explanation metadata) and the explanation PNGs under ``explanations/``.

``save_run`` gathers them from a trained model; ``load_run`` reads them back for rendering.

>>> import tempfile
>>> from lamina.models import Sequential
>>> from lamina.layers import Dense
>>> model = Sequential([Dense(2, activation="softmax", input_shape=(3,))], name="demo")
>>> run = save_run(tempfile.mkdtemp(), model, history={"loss": [0.9, 0.6]})
>>> run["history"]["loss"], run["summary"][0]
([0.9, 0.6], 'Model: "demo"')
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import warnings

import numpy as np

from lamina.evaluation import confusion_matrix
from lamina.files import write_atomic

RUN_FILE = "run.json"
REPORT_FILE = "report.html"
FORMAT = "lamina-run"
VERSION = 1
MAX_CLASSES = 30  # a larger confusion matrix is not drawn
METHODS = ("saliency", "smoothgrad", "integrated_gradients", "grad_cam", "occlusion")


def _clean(value):
    """JSON-ready: NumPy numbers to Python ones, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _history_dict(history) -> dict:
    if history is None:
        return {}
    if isinstance(history, dict):
        return dict(history)
    return dict(getattr(history, "history", {}) or {})


def _summary(model) -> list[str]:
    lines: list[str] = []
    try:
        model.summary(print_fn=lines.append)
    except (ValueError, AttributeError) as exc:  # not built yet: say so in the report
        lines = [f"(no summary: {exc})"]
    return lines


def _classes(y) -> np.ndarray | None:
    """Class indices from labels, one-hot rows or predicted scores; None for regression."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    y = y.reshape(len(y), -1)
    if y.shape[1] != 1:
        return None
    y = y[:, 0]
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        return None
    return y.astype(np.int64)


def _predicted_classes(scores: np.ndarray) -> np.ndarray:
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    scores = scores.reshape(len(scores))
    threshold = 0.5 if scores.min() >= 0 and scores.max() <= 1 else 0.0  # probability or logit
    return (scores > threshold).astype(np.int64)


def confusion(model, x, y, class_names=None, batch_size: int = 256) -> dict | None:
    """The confusion matrix of ``model`` on ``(x, y)`` as a JSON-ready dict (None when the
    targets are not class labels or there are more than ``MAX_CLASSES`` classes)."""
    truth = _classes(y)
    if truth is None:
        return None
    scores = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    predicted = _predicted_classes(scores)
    classes = scores.shape[1] if scores.ndim == 2 and scores.shape[1] > 1 else 2
    classes = max(classes, int(truth.max()) + 1 if truth.size else 0)
    if classes > MAX_CLASSES:
        return None
    labels = list(range(classes))
    matrix = _confusion_matrix(truth, predicted, labels)
    names = [str(class_names[i]) if class_names is not None else str(i) for i in labels]
    return {
        "labels": names,
        "matrix": matrix.tolist(),
        "samples": int(len(truth)),
        "accuracy": float(np.trace(matrix) / max(1, matrix.sum())),
    }


def _confusion_matrix(y_true, y_pred, labels):
    return np.asarray(confusion_matrix(y_true, y_pred, labels=labels))


def _default_methods(model, x) -> tuple[str, ...]:
    from lamina.layers.conv import _ConvBase

    has_conv = any(isinstance(l, _ConvBase) and l.rank == 2 for l in model._flatten_layers())
    if x.ndim == 4 and has_conv:
        return ("saliency", "grad_cam")
    return ("saliency", "integrated_gradients")


def _attributions(method, model, x, targets):
    from lamina import explain

    if method == "saliency":
        return explain.saliency(model, x, targets, absolute=x.ndim == 4)
    if method == "smoothgrad":
        return explain.smoothgrad(model, x, targets, absolute=x.ndim == 4, seed=0)
    if method == "integrated_gradients":
        return explain.integrated_gradients(model, x, targets)
    if method == "grad_cam":
        return explain.grad_cam(model, x, targets)
    return explain.occlusion(model, x, targets)


def explanations(run_dir, model, x, y=None, class_names=None, methods=None, feature_names=None):
    """Explain each sample of ``x`` with ``methods`` (default: saliency and Grad-CAM for a
    convolutional model of images, else saliency and Integrated Gradients); images become PNGs
    in ``run_dir/explanations/``, other inputs keep their attributions as numbers. Returns the
    JSON-ready list the report renders."""
    from lamina.explain import save_overlay

    x = np.asarray(x, dtype=np.float32)
    methods = tuple(methods or _default_methods(model, x))
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown explanation methods {unknown}; use some of {METHODS}")
    if x.ndim not in (2, 4):
        return []  # sequences: no picture that would help
    scores = np.asarray(model.predict(x, verbose=0))
    predicted = _predicted_classes(scores)
    target = predicted if scores.ndim == 2 and scores.shape[1] > 1 else None
    truth = None if y is None else _classes(y)
    maps = {m: _attributions(m, model, x, target) for m in methods}
    folder = os.path.join(run_dir, "explanations")
    if x.ndim == 4:
        os.makedirs(folder, exist_ok=True)
    out = []
    for i in range(len(x)):
        name = lambda c: str(class_names[c]) if class_names is not None else str(c)  # noqa: E731
        probs = scores[i].reshape(-1)
        item = {
            "index": i,
            "predicted": name(int(predicted[i])),
            "confidence": float(probs[predicted[i]] if probs.size > 1 else probs[0]),
            "label": None if truth is None else name(int(truth[i])),
        }
        if x.ndim == 4:
            item["images"] = {}
            image = x[i]
            input_path = os.path.join(folder, f"sample_{i}_input.png")
            save_overlay(input_path, image, np.zeros(image.shape[:2]), alpha=0, dim=1)
            item["images"]["input"] = os.path.relpath(input_path, run_dir)
            for method, attribution in maps.items():
                path = os.path.join(folder, f"sample_{i}_{method}.png")
                save_overlay(path, image, attribution[i])
                item["images"][method] = os.path.relpath(path, run_dir)
        else:
            names = feature_names or [f"x{j}" for j in range(x.shape[1])]
            item["features"] = [str(n) for n in names]
            item["attributions"] = {m: maps[m][i].tolist() for m in methods}
        out.append(item)
    return out


def save_run(
    run_dir,
    model,
    history=None,
    validation_data=None,
    sample_inputs=None,
    class_names=None,
    methods=None,
    feature_names=None,
    title=None,
    extra: dict | None = None,
    strict: bool = True,
) -> dict:
    """Gather a trained model's run data into ``run_dir`` (created if needed) and write
    ``run.json``; returns the data. ``history`` is a ``History`` (with its ``diagnostics``) or a
    dict of per-epoch lists; ``validation_data`` ``(x, y)`` gives the confusion matrix;
    ``sample_inputs`` (``x`` or ``(x, y)``) the explanations. With ``strict=False`` an error
    while computing those two is noted in ``run["errors"]`` (and shown in the report) instead of
    raised, as the Report callback wants at the end of a long training."""
    run_dir = os.fspath(run_dir)
    os.makedirs(run_dir, exist_ok=True)
    findings = getattr(history, "diagnostics", None)
    stats = getattr(history, "diagnostics_stats", None)
    run = {
        "format": FORMAT,
        "version": VERSION,
        "title": title or f"Training report: {model.name}",
        "model": model.name,
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "history": _history_dict(history),
        "diagnostics_enabled": stats is not None,
        "diagnostics": [f.to_dict() if hasattr(f, "to_dict") else dict(f) for f in findings or []],
        "layer_stats": stats[-1] if stats else None,
        "summary": _summary(model),
        "confusion_matrix": None,
        "explanations": [],
    }
    errors = {}
    if validation_data is not None:
        x_val, y_val = validation_data[0], validation_data[1]
        with _noted(errors, "confusion_matrix", strict):
            run["confusion_matrix"] = confusion(model, x_val, y_val, class_names)
    if sample_inputs is not None:
        xs, ys = (sample_inputs[0], sample_inputs[1]) if isinstance(sample_inputs, tuple) else (
            sample_inputs, None)  # fmt: skip
        with _noted(errors, "explanations", strict):
            run["explanations"] = explanations(
                run_dir, model, xs, ys, class_names, methods, feature_names
            )
    run["errors"] = errors
    run.update(extra or {})
    run = _clean(run)
    write_atomic(os.path.join(run_dir, RUN_FILE), json.dumps(run, indent=1).encode())
    return run


@contextlib.contextmanager
def _noted(errors: dict, what: str, strict: bool):
    try:
        yield
    except Exception as exc:
        if strict:
            raise
        errors[what] = f"{type(exc).__name__}: {exc}"
        warnings.warn(f"the report has no {what.replace('_', ' ')}: {exc}", stacklevel=4)


def load_run(run_dir) -> dict:
    """The data ``save_run`` wrote to ``run_dir``, checked."""
    path = os.path.join(os.fspath(run_dir), RUN_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} not found: a run folder is written by the Report callback "
            "(lamina.callbacks.Report(run_dir)) or lamina.report.save_run"
        )
    with open(path, encoding="utf-8") as f:
        try:
            run = json.load(f)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(run, dict) or run.get("format") != FORMAT:
        raise ValueError(f'{path} is not a lamina run file (no "format": "{FORMAT}")')
    return run
