"""Evaluating a trained model: the reports, curves and plots a practitioner reads.

- ``report.py``: ``classification_report`` and ``confusion_matrix`` (scikit-learn's output, no
  scikit-learn needed);
- ``curves.py``: ``roc_curve``, ``precision_recall_curve`` and ``auc`` (exact, from the sorted
  scores);
- ``plots.py``: learning curves from a ``History``, the confusion matrix, ROC curves and a grid
  of image predictions, each saved as a PNG (``pip install "lamina[plots]"`` for matplotlib).

>>> print(classification_report([0, 1, 1, 0], [0, 1, 0, 0]))
              precision    recall  f1-score   support
<BLANKLINE>
           0       0.67      1.00      0.80         2
           1       1.00      0.50      0.67         2
<BLANKLINE>
    accuracy                           0.75         4
   macro avg       0.83      0.75      0.73         4
weighted avg       0.83      0.75      0.73         4
<BLANKLINE>
"""

from lamina.evaluation.curves import auc, precision_recall_curve, roc_curve
from lamina.evaluation.plots import (
    plot_confusion_matrix,
    plot_history,
    plot_predictions,
    plot_roc_curve,
)
from lamina.evaluation.report import classification_report, confusion_matrix

__all__ = [
    "auc", "classification_report", "confusion_matrix", "plot_confusion_matrix", "plot_history",
    "plot_predictions", "plot_roc_curve", "precision_recall_curve", "roc_curve",
]  # fmt: skip
