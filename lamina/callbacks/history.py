"""History: records the epoch-end logs of a fit; ``fit`` adds one and returns it.

>>> from lamina.callbacks import History
>>> history = History()
>>> history.on_train_begin()
>>> for epoch, loss in enumerate([0.9, 0.5]):
...     history.on_epoch_end(epoch, {"loss": loss})
>>> history.history, history.epoch
({'loss': [0.9, 0.5]}, [0, 1])
"""

from __future__ import annotations

from lamina.callbacks.callback import Callback


class History(Callback):
    """Records the logs of each epoch's end.

    Attributes:
        history: dict mapping each log key (``loss``, metrics, ``val_*``, ``learning_rate``) to
            the list of its values, one per epoch.
        epoch: the indices of the epochs recorded in this fit (from 0).
        diagnostics: the findings of a ``Diagnostics`` callback (``lamina.explain.Finding``),
            empty without one.
        diagnostics_stats: what ``Diagnostics`` inspected, per epoch (gradient norms, dead and
            saturated fractions per layer); None without it.

    As in Keras, ``on_train_begin`` clears ``epoch`` but not ``history``: fit makes a new History
    each call, so a History reused across fits (passed in ``callbacks``) keeps growing.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []
        self.diagnostics: list = []
        self.diagnostics_stats: list | None = None

    def on_train_begin(self, logs=None):
        self.epoch = []
        if self.model is not None:
            self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
