"""What EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share: a monitored log key, a
direction (``mode``) and the test "is this value better than that one by more than min_delta".

``mode="auto"`` takes the direction from the model's metric object of that name when it declares
one (``direction = "up"`` or ``"down"``), else from the name: losses and errors go down;
accuracy, AUC, precision, recall, F1, IoU, R2 go up.

>>> infer_direction("val_loss"), infer_direction("val_accuracy"), infer_direction("mae")
('min', 'max', 'min')
"""

from __future__ import annotations

import math
import warnings

from lamina.callbacks.callback import Callback

MODES = ("auto", "min", "max")

_MAX_WORDS = {"acc", "accuracy", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2"}
_MAX_WORDS |= {"similarity"}
_MIN_WORDS = {"loss", "error", "mse", "mae", "mape", "msle", "rmse", "crossentropy", "hinge"}
_MIN_WORDS |= {"divergence", "poisson", "cosh"}


def check_mode(owner: str, mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"{owner} mode must be one of 'auto', 'min', 'max', got {mode!r}")


def _model_metrics(model):
    for metric in getattr(model, "metrics", None) or ():
        yield metric
        yield from getattr(metric, "metrics", None) or ()  # containers of compiled metrics


def infer_direction(monitor: str, model=None, owner: str = "Callback") -> str:
    """``"min"`` or ``"max"``: whether smaller or larger values of ``monitor`` are better."""
    name = monitor.removeprefix("val_")
    for metric in _model_metrics(model):
        if getattr(metric, "name", None) == name:
            direction = getattr(metric, "direction", None) or getattr(metric, "_direction", None)
            if direction in ("up", "max"):
                return "max"
            if direction in ("down", "min"):
                return "min"
    words = set(name.lower().split("_"))
    if "loss" in words or "error" in words:
        return "min"
    if words & _MAX_WORDS or "acc" in name:
        return "max"
    if words & _MIN_WORDS:
        return "min"
    raise ValueError(
        f"{owner} cannot tell whether monitor={monitor!r} should be minimized or maximized; "
        "pass mode='min' or mode='max'"
    )


class MonitorCallback(Callback):
    """Base of the callbacks that watch one log key for improvement."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        super().__init__()
        owner = type(self).__name__
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"{owner} monitor must be a log key such as 'val_loss', got {monitor!r}"
            )
        check_mode(owner, mode)
        if not isinstance(min_delta, (int, float)) or math.isnan(min_delta):
            raise ValueError(f"{owner} min_delta must be a number, got {min_delta!r}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)
        self._direction: str | None = None if mode == "auto" else mode

    def set_model(self, model) -> None:
        super().set_model(model)
        if self.mode == "auto":
            self._direction = None  # the new model's metrics may say otherwise

    def _resolve_direction(self) -> str:
        if self._direction is None:
            self._direction = infer_direction(self.monitor, self.model, type(self).__name__)
        return self._direction

    def _worst(self) -> float:
        return math.inf if self._resolve_direction() == "min" else -math.inf

    def _is_improvement(self, current: float, reference: float | None) -> bool:
        """Whether ``current`` beats ``reference`` by more than ``min_delta``."""
        if reference is None:
            return True
        if self._resolve_direction() == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def _monitored(self, logs: dict | None, what: str) -> float | None:
        """The monitored value, or None with a warning naming the keys that are there."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"{what} is conditioned on {self.monitor!r}, which is not in the logs; available "
                f"keys: {', '.join(logs) or 'none'}. Check the name, or pass validation data for "
                "val_* keys.",
                stacklevel=3,
            )
        return value
