"""ReduceLROnPlateau: multiply the learning rate by ``factor`` when a monitored quantity has
stopped improving for ``patience`` epochs.

>>> from types import SimpleNamespace
>>> from lamina.callbacks import ReduceLROnPlateau
>>> model = SimpleNamespace(optimizer=SimpleNamespace(learning_rate=0.1))
>>> reduce_lr = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
>>> reduce_lr.set_model(model)
>>> reduce_lr.on_train_begin()
>>> for epoch, loss in enumerate([1.0, 0.5, 0.5, 0.5]):
...     reduce_lr.on_epoch_end(epoch, {"loss": loss})
>>> model.optimizer.learning_rate
0.025
"""

from __future__ import annotations

import math

import numpy as np

from lamina.callbacks._io import print_msg
from lamina.callbacks._monitor import MonitorCallback
from lamina.callbacks.early_stopping import check_count


class ReduceLROnPlateau(MonitorCallback):
    """Lowers ``model.optimizer.learning_rate`` when ``monitor`` plateaus.

    Args:
        monitor: the log key to watch.
        factor: the new rate is ``lr * factor``; between 0 and 1.
        patience: epochs without improvement before the rate is lowered.
        verbose: 1 prints a line at each reduction.
        mode: ``"min"``, ``"max"``, or ``"auto"`` to infer the direction from the metric.
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting patience again.
        min_lr: the rate is never lowered below this.

    The rate in force during the epoch is added to the epoch-end logs as ``"learning_rate"``.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        if not isinstance(factor, (int, float)) or not 0.0 < factor < 1.0:
            raise ValueError(
                f"ReduceLROnPlateau factor must be in (0, 1) (new_lr = lr * factor), got {factor!r}"
            )
        check_count("ReduceLROnPlateau", "patience", patience)
        check_count("ReduceLROnPlateau", "cooldown", cooldown)
        if not isinstance(min_lr, (int, float)) or not (min_lr >= 0 and math.isfinite(min_lr)):
            raise ValueError(f"ReduceLROnPlateau min_lr must be a number >= 0, got {min_lr!r}")
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.wait = 0
        self.cooldown_counter = 0
        self.best: float | None = None

    def on_train_begin(self, logs=None):
        self.best = self._worst()
        self.wait = 0
        self.cooldown_counter = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        optimizer = self.model.optimizer
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = self._monitored(logs, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(optimizer.learning_rate)
                # Compared in float32, so that a rate equal to min_lr up to rounding is not
                # "reduced" again (and reported) every `patience` epochs.
                if np.float32(old_lr) > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print_msg(
                            f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                            f"to {new_lr}."
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
