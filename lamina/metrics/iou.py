"""``MeanIoU``: the mean over classes of the intersection over union, ``tp / (tp + fp + fn)``,
the usual score of semantic segmentation, as Keras's ``MeanIoU``.

Labels and predictions are class indices of any shape (every element is one decision), or,
with ``sparse_y_true=False`` / ``sparse_y_pred=False``, scores along ``axis`` whose argmax is
the class. Classes that appear in neither the labels nor the predictions are left out of the
mean; elements labelled ``ignore_class`` are not counted.

>>> m = MeanIoU(num_classes=3)
>>> m.update_state([0, 1, 2, 2], [0, 2, 2, 1]); round(m.result(), 4)
0.4444
"""

from __future__ import annotations

from lamina.backend import xp
from lamina.metrics.base import Metric, _array
from lamina.metrics.confusion import _class_labels


class MeanIoU(Metric):
    """The running mean intersection over union of ``num_classes`` classes; ``result()`` is a
    float (0 before any update). The counts are kept in a ``(num_classes, num_classes)``
    confusion matrix (row: true class, column: predicted class)."""

    direction = "up"

    def __init__(
        self,
        num_classes: int,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"MeanIoU num_classes must be an integer >= 2, got {num_classes!r}")
        super().__init__(name=name, dtype=dtype)
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(num_classes, num_classes), dtype="float64", name="total_confusion_matrix"
        )

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _array(y_true), _array(y_pred)
        if not self.sparse_y_true:
            y_true = xp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = xp.argmax(y_pred, axis=self.axis)
        truth, predicted = y_true.reshape(-1), y_pred.reshape(-1)
        if truth.shape != predicted.shape:
            raise ValueError(f"{self.name}: {truth.size} labels for {predicted.size} predictions "
                             f"(shapes {y_true.shape} and {y_pred.shape})")  # fmt: skip
        weights = None
        if sample_weight is not None:  # one per element, or one per sample (first axis)
            weights = _array(sample_weight).astype(xp.float64).reshape(-1)
            if weights.size != truth.size:
                if not weights.size or truth.size % weights.size:
                    raise ValueError(f"{self.name}: {weights.size} sample weights for "
                                     f"{truth.size} labels (shape {y_true.shape})")  # fmt: skip
                weights = xp.repeat(weights, truth.size // weights.size)
        if self.ignore_class is not None:
            keep = truth != self.ignore_class
            truth, predicted = truth[keep], predicted[keep]
            weights = None if weights is None else weights[keep]
        # Keras casts both to integers (fractional class values are truncated)
        truth = _class_labels(xp.trunc(truth), self.num_classes, self.name)
        predicted = _class_labels(xp.trunc(predicted), self.num_classes, self.name)
        n = self.num_classes
        flat = xp.bincount(truth * n + predicted, weights=weights, minlength=n * n)
        self.total_cm.assign_add(flat.reshape(n, n))

    def result(self) -> float:
        cm = self.total_cm.data
        true_positives = xp.diag(cm)
        union = cm.sum(axis=0) + cm.sum(axis=1) - true_positives
        present = union > 0
        if not xp.any(present):
            return 0.0
        return float(xp.mean(true_positives[present] / union[present]))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
