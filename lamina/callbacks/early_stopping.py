"""EarlyStopping: stop training when a monitored quantity has stopped improving.

>>> from types import SimpleNamespace
>>> from lamina.callbacks import EarlyStopping
>>> model = SimpleNamespace(stop_training=False)
>>> stopper = EarlyStopping(monitor="val_loss", patience=2)
>>> stopper.set_model(model)
>>> stopper.on_train_begin()
>>> for epoch, val_loss in enumerate([0.9, 0.7, 0.8, 0.75, 0.6]):
...     stopper.on_epoch_end(epoch, {"val_loss": val_loss})
...     if model.stop_training:
...         break
>>> stopper.stopped_epoch, stopper.best, stopper.best_epoch
(3, 0.7, 1)
"""

from __future__ import annotations

from lamina.callbacks._io import print_msg
from lamina.callbacks._monitor import MonitorCallback


def check_count(owner: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{owner} {name} must be an integer >= 0, got {value!r}")


class EarlyStopping(MonitorCallback):
    """Stops training once ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: the log key to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        min_delta: the smallest change that counts as an improvement (its sign is ignored).
        patience: how many epochs without improvement to allow before stopping.
        verbose: 1 prints a line when it stops and when it restores weights.
        mode: ``"min"``, ``"max"``, or ``"auto"`` to infer the direction from the metric.
        baseline: a value to beat: until ``monitor`` beats it, the patience count keeps running,
            so training stops after ``patience`` epochs if it never does.
        restore_best_weights: at the end of training (early stop or not), set the model's
            weights back to those of the best epoch.
        start_from_epoch: epochs of warm-up before monitoring starts.

    Attributes:
        stopped_epoch: the epoch (from 0) at which training was stopped; 0 if it was not.
        best: the best monitored value seen; ``best_epoch``: the epoch it was seen (from 0).
        wait: the epochs since the last improvement.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        check_count("EarlyStopping", "patience", patience)
        check_count("EarlyStopping", "start_from_epoch", start_from_epoch)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: list | None = None

    def on_train_begin(self, logs=None):
        # Reset, so that one instance can serve several fits.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self._worst()
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._monitored(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self._copy_weights()  # so there is always something to restore
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._copy_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                epoch = self.best_epoch + 1
                print_msg(f"Restoring model weights from the end of the best epoch: {epoch}.")
            self.model.set_weights(self.best_weights)

    def _copy_weights(self) -> list:
        # Copies, in case get_weights hands out the arrays the optimizer updates in place.
        return [w.copy() for w in self.model.get_weights()]
