"""CSVLogger: write each epoch's logs as a row of a CSV file.

>>> import os, tempfile
>>> from lamina.callbacks import CSVLogger
>>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
>>> logger = CSVLogger(path)
>>> logger.on_train_begin()
>>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
>>> logger.on_train_end()
>>> print(open(path).read().strip())
epoch,loss,val_loss
0,0.5,0.75
"""

from __future__ import annotations

import csv
import os

import numpy as np

from lamina.callbacks.callback import Callback


def _cell(value):
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim > 0):
        return "[" + ", ".join(map(str, np.ravel(value).tolist())) + "]"
    return value


class CSVLogger(Callback):
    """Streams the epoch-end logs to a CSV file, one row per epoch, flushed after each.

    Args:
        filename: the CSV file.
        separator: the one-character field separator.
        append: append to an existing file (writing the header only if the file is empty)
            instead of overwriting it.

    The columns are ``epoch`` (from 0) and the first epoch's log keys, sorted. As in Keras, when
    the first epoch has no ``val_*`` key (validation running less often than every epoch), a
    ``val_`` column is added for each key; epochs without a value get ``NA``.
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger separator must be one character, got {separator!r}")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self._file = None
        self._writer = None
        self._write_header = True

    def on_train_begin(self, logs=None):
        self._close()
        if self.append:
            self._write_header = not (
                os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
            )
        else:
            self._write_header = True
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._file is None:  # used without on_train_begin
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):
                self.keys += ["val_" + key for key in self.keys if key != "learning_rate"]
        if self._writer is None:
            self._writer = csv.DictWriter(
                self._file,
                fieldnames=["epoch", *self.keys],
                delimiter=self.sep,
                restval="NA",
                extrasaction="ignore",
                lineterminator="\n",
            )
            if self._write_header:
                self._writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs[key])) for key in self.keys if key in logs)
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self._file is not None and not self._file.closed:
            self._file.close()
        self._file = None
        self._writer = None
