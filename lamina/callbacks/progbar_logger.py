"""ProgbarLogger: the progress display of fit, evaluate and predict, on stdout; fit adds one
when ``verbose`` is not 0.

verbose=1 draws a tqdm bar per epoch over the steps, with the running loss and metrics, redrawn
at most every 0.1 s (a batch costs a clock read); the finished bar shows every epoch log,
``val_*`` included. The bar is redrawn in place only where that works: a terminal, Jupyter or
IPython, PyCharm's console. Elsewhere (output piped or written to a file) verbose=1 prints just
the finished bar, one line per epoch, instead of a line per redraw. verbose=2 prints one line per
epoch. verbose=0 prints nothing.

>>> from lamina.callbacks import ProgbarLogger
>>> progbar = ProgbarLogger()
>>> progbar.set_params({"epochs": 3, "steps": 10, "verbose": 2})
>>> progbar.on_train_begin()
>>> progbar.on_epoch_begin(2)
>>> progbar.on_epoch_end(2, {"loss": 0.1234, "val_loss": 0.2})
Epoch 3/3 - 0s - loss: 0.1234 - val_loss: 0.2000
"""

from __future__ import annotations

import os
import sys
import time

from tqdm import tqdm

from lamina.callbacks._io import format_logs, print_msg
from lamina.callbacks.callback import Callback

_REFRESH_S = 0.1


def _dynamic_display() -> bool:
    """Whether stdout can redraw a line: a terminal, an IPython kernel (Jupyter, Colab) or
    PyCharm's console. Keras 3 has the same test plus ``"posix" in sys.modules``, which is true
    on every Linux and macOS and so fills piped logs with redraws; lamina leaves that out."""
    try:
        if sys.stdout.isatty():
            return True
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        pass
    return "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


class ProgbarLogger(Callback):
    """Shows progress on stdout as ``params["verbose"]`` asks: 0 silent, 1 a bar per epoch,
    2 one line per epoch.

    Args:
        count_mode: what the bar counts; only ``"steps"`` (batches) is supported.
    """

    def __init__(self, count_mode: str = "steps") -> None:
        super().__init__()
        if count_mode != "steps":
            raise ValueError(f'ProgbarLogger supports count_mode="steps" only, got {count_mode!r}')
        self.count_mode = count_mode
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self._called_in_fit = False
        self._bar = None
        self._bar_at_end = False  # verbose=1 where stdout cannot redraw: print the bar once
        self._title = None
        self._seen = 0
        self._start = 0.0
        self._last_draw = 0.0

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _uses_hook(self, name):
        if "batch" in name and self.verbose != 1:
            return False  # only the bar needs batch logs
        return super()._uses_hook(name)

    # fit
    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_train_end(self, logs=None):
        self._close()
        self._called_in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._begin(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(f"Epoch {epoch + 1}/{self.epochs}", logs)

    # evaluate: inside fit the epoch line already reports val_*, so only a bare evaluate shows
    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._begin(None)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finish(self._steps_label(), logs)

    # predict
    def on_predict_begin(self, logs=None):
        self._begin(None)

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finish(self._steps_label(), None)

    # drawing
    def _steps_label(self) -> str | None:
        return f"{self.target}/{self.target}" if self.target else None

    def _begin(self, title: str | None) -> None:
        self._close()
        self._seen = 0
        self._start = self._last_draw = time.monotonic()
        self._title = title
        self._bar_at_end = self.verbose == 1 and not _dynamic_display()
        if self.verbose == 1 and not self._bar_at_end:
            self._bar = tqdm(
                total=self.target,
                desc=title,
                unit="step",
                file=sys.stdout,
                mininterval=_REFRESH_S,
                dynamic_ncols=True,
            )

    def _update(self, batch: int, logs: dict | None) -> None:
        self._seen = batch + 1
        if self._bar is None:
            return
        now = time.monotonic()
        if now - self._last_draw >= _REFRESH_S:
            self._last_draw = now
            self._bar.n = self._seen
            if logs:
                self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._bar.refresh()

    def _finish(self, title: str | None, logs: dict | None) -> None:
        if self._bar is not None:
            self._bar.n = self._seen  # fewer than target when training stopped mid-epoch
            if logs:
                self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._close()
        elif self._bar_at_end:
            self._bar_at_end = False
            elapsed = time.monotonic() - self._start
            postfix = format_logs(logs) if logs else None
            line = tqdm.format_meter(
                self._seen, self.target, elapsed, prefix=self._title, unit="step", postfix=postfix
            )
            print_msg(line)
        elif self.verbose == 2:
            parts = [title, f"{time.monotonic() - self._start:.0f}s"]
            if logs:
                parts.append(format_logs(logs))
            print_msg(" - ".join(p for p in parts if p))

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
