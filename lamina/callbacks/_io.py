"""Console output shared by the callbacks: one message printer, one number format.

>>> format_logs({"loss": 0.123456, "accuracy": 0.95, "lr": 1e-5})
'loss: 0.1235 - accuracy: 0.9500 - lr: 1.0000e-05'
>>> import numpy as np
>>> format_logs({"f1": np.array([0.5, 0.25]), "confusion": np.array([[3, 1], [0, 4]])})
'f1: [0.5000 0.2500] - confusion: [[3 1] [0 4]]'
"""

from __future__ import annotations

import numbers
import sys

from tqdm import tqdm


def print_msg(message: str) -> None:
    """Print to stdout without breaking an open progress bar (tqdm moves the bar below)."""
    tqdm.write(message, file=sys.stdout)


def format_value(value) -> str:
    """Four decimals, or scientific notation for values too small to show that way (Keras style)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    if hasattr(value, "ndim") and hasattr(value, "tolist"):  # a per-class result: [0.5000 0.2500]
        if value.ndim > 1:
            return "[" + " ".join(format_value(row) for row in value) + "]"
        return "[" + " ".join(format_value(v) for v in value.tolist()) + "]"
    return str(value)


def format_logs(logs: dict | None) -> str:
    """``"loss: 0.1234 - accuracy: 0.9500"``, in the order of ``logs``."""
    return " - ".join(f"{key}: {format_value(value)}" for key, value in (logs or {}).items())
