"""The optional packages model selection runs on, imported only when a feature needs them.

>>> optuna().__name__, sklearn_model_selection().__name__
('optuna', 'sklearn.model_selection')
"""

from __future__ import annotations

import importlib

TUNE_EXTRA = 'pip install "lamina[tune]"'


def _require(module: str, what: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{what} needs the {module.split('.')[0]} package, which is not installed: "
            f"{TUNE_EXTRA} (Optuna and scikit-learn)"
        ) from exc


def optuna():
    """The ``optuna`` module, or an ImportError naming the extra to install."""
    return _require("optuna", "hyperparameter search (lamina.selection.Tuner)")


def sklearn_model_selection():
    """``sklearn.model_selection`` (the splitters), or an ImportError naming the extra."""
    return _require("sklearn.model_selection", "cross-validation (lamina.selection)")
