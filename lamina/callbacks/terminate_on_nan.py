"""TerminateOnNaN: stop training when a batch loss is NaN or infinite.

>>> from types import SimpleNamespace
>>> from lamina.callbacks import TerminateOnNaN
>>> model = SimpleNamespace(stop_training=False)
>>> callback = TerminateOnNaN()
>>> callback.set_model(model)
>>> callback.on_train_batch_end(7, {"loss": float("nan")})
Batch 7: Invalid loss, terminating training
>>> model.stop_training
True
"""

from __future__ import annotations

import math

from lamina.callbacks._io import print_msg
from lamina.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Sets ``model.stop_training`` and prints the batch index when the loss is NaN or inf."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
