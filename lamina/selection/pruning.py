"""``PruningCallback``: report a validation metric to an Optuna trial at each epoch's end and
stop a trial the pruner gives up on.

When the pruner says so, the callback sets ``model.stop_training`` (so ``fit`` ends cleanly:
``on_train_end`` hooks run, files are closed) and ``check()`` then raises ``optuna.TrialPruned``,
which marks the trial PRUNED. The Tuner does both for you; use the callback directly in an
Optuna objective of your own:

>>> from types import SimpleNamespace
>>> class Trial:  # the two methods of optuna.Trial the callback calls
...     def __init__(self): self.reported = {}
...     def report(self, value, step): self.reported[step] = value
...     def should_prune(self): return len(self.reported) == 2
>>> callback = PruningCallback(Trial(), monitor="val_loss")
>>> callback.set_model(SimpleNamespace(stop_training=False))
>>> for epoch in range(5):
...     callback.on_epoch_end(epoch, {"val_loss": 1.0 / (epoch + 1)})
...     if callback.model.stop_training:
...         break
>>> callback.pruned, callback.pruned_step, callback.trial.reported
(True, 1, {0: 1.0, 1: 0.5})
"""

from __future__ import annotations

import math
from typing import Any

from lamina.callbacks import Callback


class PruningCallback(Callback):
    """Reports ``logs[monitor]`` to ``trial`` after every epoch; stops ``fit`` when pruned.

    Steps keep counting across several fits (the folds of a cross-validation): the first
    epoch of fold 2 is step ``epochs``, so trials are compared fold by fold, epoch by epoch.

    Args:
        trial: an ``optuna.Trial``.
        monitor: the epoch-log key to report, e.g. ``"val_loss"`` or ``"val_accuracy"``.

    Attributes:
        pruned: whether the pruner stopped the trial; ``pruned_step``: the step it did it at.
        step: the next step to report.
    """

    def __init__(self, trial: Any, monitor: str = "val_loss") -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor
        self.step = 0
        self.pruned = False
        self.pruned_step: int | None = None
        self.last_value = math.nan

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(
                f"PruningCallback monitors {self.monitor!r}, which is not in the epoch logs "
                f"{sorted(logs)}: pass validation data for val_* keys, or check the name"
            )
        value = float(logs[self.monitor])
        step, self.step = self.step, self.step + 1
        if not math.isfinite(value):
            value = math.nan  # the pruners treat NaN as the worst value
        self.last_value = value
        self.trial.report(value, step)
        if self.trial.should_prune():
            self.pruned, self.pruned_step = True, step
            self.model.stop_training = True

    def on_train_begin(self, logs=None):
        self.check()  # a later fold of a pruned trial does not start

    def check(self) -> None:
        """Raise ``optuna.TrialPruned`` if the pruner stopped this trial."""
        if self.pruned:
            from lamina.selection._deps import optuna

            raise optuna().TrialPruned(
                f"pruned at step {self.pruned_step} ({self.monitor} {self.last_value:.4g})"
            )
