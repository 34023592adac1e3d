"""LearningRateScheduler: set the optimizer's learning rate at the start of each epoch from a
function of the epoch (and of the current rate).

>>> from types import SimpleNamespace
>>> from lamina.callbacks import LearningRateScheduler
>>> model = SimpleNamespace(optimizer=SimpleNamespace(learning_rate=0.1))
>>> scheduler = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr / 2)
>>> scheduler.set_model(model)
>>> for epoch in range(4):
...     scheduler.on_epoch_begin(epoch)
>>> model.optimizer.learning_rate
0.025
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable

from lamina.callbacks._io import print_msg
from lamina.callbacks.callback import Callback


def _takes_lr(schedule: Callable) -> bool:
    """Whether ``schedule`` is called as schedule(epoch, lr) rather than schedule(epoch)."""
    try:
        signature = inspect.signature(schedule)
    except (TypeError, ValueError):  # some builtins have no signature: use the current form
        return True
    try:
        signature.bind(0, 0.1)
        return True
    except TypeError:
        pass
    try:
        signature.bind(0)
        return False
    except TypeError:
        raise ValueError(
            f"LearningRateScheduler schedule must accept (epoch, lr) or (epoch), got {signature}"
        ) from None


class LearningRateScheduler(Callback):
    """Sets ``model.optimizer.learning_rate = schedule(epoch, lr)`` at each epoch's start.

    Args:
        schedule: a function of the epoch index (from 0) and the current learning rate
            (a float) that returns the new rate; a function of the epoch alone also works.
        verbose: 1 prints the rate set at each epoch.

    The rate in force is added to the epoch-end logs as ``"learning_rate"``.
    """

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler schedule must be a function schedule(epoch, lr) -> lr, "
                f"got {type(schedule).__name__}"
            )
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _takes_lr(schedule)

    def _optimizer(self):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "learning_rate"):
            raise ValueError(
                "LearningRateScheduler needs a compiled model whose optimizer has a "
                "learning_rate; call model.compile(optimizer=...) before fit"
            )
        return optimizer

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self._optimizer()
        if self._takes_lr:
            lr = self.schedule(epoch, float(optimizer.learning_rate))
        else:
            lr = self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr):
            raise ValueError(
                f"LearningRateScheduler schedule must return a finite float, got {lr!r} "
                f"at epoch {epoch}"
            )
        if lr < 0:
            raise ValueError(
                f"LearningRateScheduler schedule returned a negative learning rate {lr} "
                f"at epoch {epoch}"
            )
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self._optimizer().learning_rate)
