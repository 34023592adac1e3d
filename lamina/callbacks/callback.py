"""The Callback base class: hooks that fit, evaluate and predict call, all no-ops by default.

Subclass it and override the hooks you need; ``self.model`` is the model being trained and
``self.params`` holds ``{"epochs", "steps", "verbose"}``.

>>> from lamina.callbacks import Callback
>>> class PrintLoss(Callback):
...     def on_epoch_end(self, epoch, logs=None):
...         print(f"epoch {epoch}: loss {logs['loss']:.2f}")
>>> PrintLoss().on_epoch_end(0, {"loss": 0.25})
epoch 0: loss 0.25
"""

from __future__ import annotations

from typing import Any

# Every hook a CallbackList forwards.
HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)
# Keras's older names: the default on_train_batch_* forward to them.
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


class Callback:
    """Base class of all callbacks. Every hook does nothing until a subclass overrides it.

    Attributes:
        model: the model the hooks act on, set by ``set_model`` (``None`` before).
        params: the training parameters, set by ``set_params``: ``{"epochs": int,
            "steps": int, "verbose": 0 | 1 | 2}``.
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def _uses_hook(self, name: str) -> bool:
        """Whether the hook ``name`` does something, so a CallbackList must call it.

        True when a subclass (or an instance attribute, as LambdaCallback sets) replaces the
        base no-op. Subclasses whose hooks depend on their settings may narrow this.
        """
        names = (name, _ALIASES[name]) if name in _ALIASES else (name,)
        return any(
            getattr(getattr(self, n), "__func__", None) is not getattr(Callback, n) for n in names
        )

    # fit
    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once at the end of ``fit``, also after an early stop."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the start of each epoch; ``epoch`` counts from 0."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the end of each epoch with the epoch's ``loss``, metrics and ``val_*``."""

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each training batch; ``batch`` counts from 0 in each epoch."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each training batch with the running means of loss and metrics."""
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Older name of ``on_train_batch_begin``, kept for Keras code."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Older name of ``on_train_batch_end``, kept for Keras code."""

    # evaluate (and validation inside fit)
    def on_test_begin(self, logs: dict | None = None) -> None:
        """Called at the start of ``evaluate`` and of each validation pass."""

    def on_test_end(self, logs: dict | None = None) -> None:
        """Called at the end of ``evaluate`` and of each validation pass, with its logs."""

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each evaluation batch with the running means so far."""

    # predict
    def on_predict_begin(self, logs: dict | None = None) -> None:
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs: dict | None = None) -> None:
        """Called at the end of ``predict``."""

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each prediction batch."""
