"""ModelCheckpoint: save the model or its weights every epoch (or every N batches), optionally
only when a monitored quantity improves.

``filepath`` may hold format fields filled from the logs and the 1-based epoch (and batch):
``"ckpt/{epoch:02d}-{val_loss:.2f}.weights"``.

>>> from lamina.callbacks import ModelCheckpoint
>>> class Model:
...     def save_weights(self, path):
...         print("saved", path)
>>> checkpoint = ModelCheckpoint("w-{epoch:02d}-{val_loss:.2f}", save_best_only=True,
...                              save_weights_only=True)
>>> checkpoint.set_model(Model())
>>> checkpoint.on_train_begin()
>>> for epoch, val_loss in enumerate([0.5, 0.6, 0.4]):
...     checkpoint.on_epoch_end(epoch, {"val_loss": val_loss})
saved w-01-0.50
saved w-03-0.40
"""

from __future__ import annotations

import os
import warnings

from lamina.callbacks._io import print_msg
from lamina.callbacks._monitor import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Saves the model (``model.save``) or its weights (``model.save_weights``) during training.

    Args:
        filepath: where to save; may contain ``{epoch}``, ``{batch}`` and any log key as format
            fields, e.g. ``"{epoch:02d}-{val_loss:.2f}"`` (epoch and batch count from 1).
        monitor: the log key that decides what "best" is, when ``save_best_only``.
        verbose: 1 prints a line at each decision.
        save_best_only: save only when ``monitor`` improves on the best value so far.
        save_weights_only: call ``model.save_weights(path)`` instead of ``model.save(path)``.
        mode: ``"min"``, ``"max"``, or ``"auto"`` to infer the direction from the metric.
        save_freq: ``"epoch"`` to save at each epoch's end, or an integer N to save every N
            training batches (the monitored value is then the batch's running one).
        initial_value_threshold: the value to beat for the first save when ``save_best_only``.

    Attributes:
        best: the best monitored value seen so far; kept across fits, like Keras.
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode)
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f"ModelCheckpoint save_freq must be 'epoch' or a number of batches >= 1, "
                f"got {save_freq!r}"
            )
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.best: float | None = initial_value_threshold
        self._epoch = 0
        self._batches_since_save = 0

    def _uses_hook(self, name):
        if name == "on_train_batch_end":
            return self.save_freq != "epoch"
        return super()._uses_hook(name)

    def on_train_begin(self, logs=None):
        if self.save_best_only:
            self._resolve_direction()  # an unknown direction fails now, not after an epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch: int, batch: int | None, logs: dict | None) -> None:
        logs = logs or {}
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            best = "None" if self.best is None else f"{self.best:.5f}"
            if current is None:
                warnings.warn(
                    f"ModelCheckpoint can save the best model only when {self.monitor!r} is in "
                    f"the logs (available keys: {', '.join(logs) or 'none'}); saving anyway.",
                    stacklevel=3,
                )
            elif self._is_improvement(current, self.best):
                if self.verbose > 0:
                    print_msg(
                        f"Epoch {epoch + 1}: {self.monitor} improved from {best} to "
                        f"{current:.5f}, saving model to {path}"
                    )
                self.best = current
            else:
                if self.verbose > 0:
                    print_msg(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best}")
                return
        elif self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if os.path.isdir(path):
            raise IsADirectoryError(
                f"ModelCheckpoint filepath {path!r} is an existing directory; give a file name"
            )
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)

    def _path(self, epoch: int, batch: int | None, logs: dict) -> str:
        fields = dict(logs, epoch=epoch + 1)
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError) as e:
            raise KeyError(
                f"ModelCheckpoint cannot fill filepath {self.filepath!r}: no value for {e}; "
                f"available fields: {', '.join(fields)}"
            ) from None
