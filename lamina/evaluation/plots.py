"""Plots a practitioner reads after training, each saved as a PNG (matplotlib, the optional
``plots`` extra: ``pip install "lamina[plots]"``):

- ``plot_history``: learning curves, training against validation for the loss and each metric.
  Validation loss turning up while training loss still falls is overfitting; both high and flat
  is underfitting. The best validation epoch is marked.
- ``plot_confusion_matrix``: counts (or row fractions) of true against predicted classes.
- ``plot_roc_curve``: ROC curves with their AUC, one per class (one-vs-rest) for multi-class
  scores.
- ``plot_predictions``: a grid of images titled with prediction and truth, mistakes in red.

Each function returns the matplotlib ``Figure`` and writes ``path`` when given (atomically: a
failed save keeps the previous file). Figures are drawn without pyplot, so no window opens and no
global state changes.
"""

from __future__ import annotations

import io

import numpy as np

from lamina.evaluation.curves import auc, roc_curve
from lamina.evaluation.report import confusion_matrix, to_classes
from lamina.files import write_atomic


def new_figure(width, height, dpi=100, layout="constrained"):
    """A matplotlib ``Figure`` drawn by the Agg canvas: no pyplot, no window, no global state.
    Every lamina plot starts here (``lamina.selection`` plots too)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            'lamina plots need matplotlib, which is not installed: pip install "lamina[plots]"'
        ) from None
    figure = Figure(figsize=(width, height), dpi=dpi, layout=layout)
    FigureCanvasAgg(figure)
    return figure


def save_png(figure, path, **savefig_options) -> None:
    """Write ``figure`` as a PNG atomically: a failed save keeps the previous file."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", **savefig_options)
    write_atomic(path, buffer.getvalue())


def _save(figure, path):
    if path is not None:
        save_png(figure, path, bbox_inches="tight", pad_inches=0.1)
    return figure


def plot_history(history, path=None, metrics=None, title=None):
    """Learning curves from a ``History`` (what ``fit`` returns) or its ``.history`` dict: one
    panel per quantity (``metrics``: the keys to show, default every key with a non-``val_``
    name), training solid, validation dashed, the best validation epoch marked."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError("plot_history needs a History or a non-empty dict of per-epoch values")
    keys = metrics or [
        k for k in logs if not k.startswith("val_") and k not in ("learning_rate", "lr")
    ]
    keys = [k for k in keys if np.ndim(logs[k][0]) == 0]  # per-class arrays have no single curve
    if not keys:
        raise ValueError(f"plot_history: nothing to plot among {sorted(logs)}")
    figure = new_figure(4.2 * len(keys), 3.4)
    axes = figure.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        epochs = np.arange(1, len(logs[key]) + 1)
        ax.plot(epochs, logs[key], "-o", markersize=3, label="training")
        val = logs.get(f"val_{key}")
        if val is not None:
            ax.plot(epochs[: len(val)], val, "--o", markersize=3, label="validation")
            best = int(np.argmin(val) if _direction(key, history) == "min" else np.argmax(val))
            ax.axvline(best + 1, color="0.6", linewidth=0.8)
            ax.annotate(f"best {val[best]:.4g}", (best + 1, val[best]), textcoords="offset points",
                        xytext=(4, 6), fontsize=8)  # fmt: skip
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def _direction(key, history):
    """``"min"`` or ``"max"`` by the rule the callbacks use (the model's metric, then the name);
    larger is taken as better when neither tells."""
    from lamina.callbacks._monitor import infer_direction

    try:
        return infer_direction(key, getattr(history, "model", None))
    except ValueError:
        return "max"


def plot_confusion_matrix(y_true, y_pred, path=None, labels=None, display_labels=None,
                          normalize=None, title="Confusion matrix"):  # fmt: skip
    """The confusion matrix as a heat map with the count (or fraction, ``normalize="true"``) in
    each cell; rows are true classes, columns predicted ones. Predicted probabilities are
    turned into classes (argmax)."""
    y_true, y_pred = to_classes(y_true, "y_true"), to_classes(y_pred, "y_pred")
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    matrix = confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    names = [str(n) for n in (display_labels if display_labels is not None else labels)]
    size = 1.2 + 0.45 * len(names)
    figure = new_figure(max(4.0, size + 1.0), max(3.5, size))
    ax = figure.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax, shrink=0.8)
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=45 if max(map(len, names)) > 3 else 0)
    ax.set_yticks(ticks, names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    high = matrix.max() / 2 if matrix.size else 0
    for (i, j), value in np.ndenumerate(matrix):
        text = f"{value:.2f}" if normalize else f"{value:g}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="white" if value > high else "black")  # fmt: skip
    return _save(figure, path)


def plot_roc_curve(y_true, y_score, path=None, class_names=None, title="ROC curve"):
    """ROC curves with their area: one curve for binary scores (shape ``(n,)`` or ``(n, 1)``),
    one per class (one-vs-rest) for scores of shape ``(n, classes)`` with integer or one-hot
    labels."""
    y_score = np.asarray(y_score, dtype=np.float64)
    figure = new_figure(5.0, 4.6)
    ax = figure.subplots()
    if y_score.ndim == 2 and y_score.shape[1] > 1:
        truth = to_classes(y_true, "y_true")
        names = class_names if class_names is not None else list(range(y_score.shape[1]))
        curves = [(truth == c, y_score[:, c], str(names[c])) for c in range(y_score.shape[1])]
    else:
        curves = [(to_classes(y_true, "y_true") == 1, y_score.reshape(-1), "positive class")]
    for truth, score, name in curves:
        fpr, tpr, _ = roc_curve(truth.astype(int), score)
        ax.plot(fpr, tpr, label=f"{name} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], ":", color="0.5", label="chance")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7 if len(curves) > 4 else 9, loc="lower right")
    return _save(figure, path)


def plot_predictions(images, y_true, y_pred, path=None, class_names=None, cols=8, max_images=32):
    """A grid of images (``(n, height, width)`` or channels-last ``(n, h, w, c)``) titled
    ``predicted (true)``; mistakes in red. Probabilities become classes (argmax)."""
    images = np.asarray(images)
    truth, predicted = to_classes(y_true, "y_true"), to_classes(y_pred, "y_pred")
    n = min(len(images), max_images)
    if n == 0:
        raise ValueError("plot_predictions: no images")
    cols = min(cols, n)
    rows = -(-n // cols)
    figure = new_figure(1.3 * cols, 1.45 * rows)
    axes = figure.subplots(rows, cols, squeeze=False)

    def label(c):
        return str(class_names[int(c)]) if class_names is not None else str(c)

    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k >= n:
            continue
        image = images[k]
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        p, t = predicted[k], truth[k]
        ax.set_title(f"{label(p)} ({label(t)})", fontsize=8, color="black" if p == t else "red")
    return _save(figure, path)
