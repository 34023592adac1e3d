"""Model selection: cross-validation and hyperparameter search (``docs/selection.md``).

``cross_validate`` trains a fresh model per fold on scikit-learn's splits; ``Tuner`` searches a
``build_model(hp)`` function's hyperparameters with Optuna's samplers and pruners, keeping the
study in a database so that it resumes and can be shared. Both need the ``tune`` extra
(``pip install "lamina[tune]"``), imported only when used.

>>> from lamina.selection import HyperParameters, Tuner, cross_validate
>>> HyperParameters().choice("activation", ["relu", "tanh"])
'relu'
"""

from lamina.selection.cross_validation import CVResult, cross_validate
from lamina.selection.hypermodel import HyperModel
from lamina.selection.hyperparameters import HyperParameters
from lamina.selection.plots import plot_history, plot_importances
from lamina.selection.pruning import PruningCallback
from lamina.selection.results import ResultsTable
from lamina.selection.splits import make_splits
from lamina.selection.tuner import Tuner

__all__ = [
    "CVResult",
    "HyperModel",
    "HyperParameters",
    "PruningCallback",
    "ResultsTable",
    "Tuner",
    "cross_validate",
    "make_splits",
    "plot_history",
    "plot_importances",
]
