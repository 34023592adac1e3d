"""CallbackList: the one object fit, evaluate and predict talk to; it forwards each hook to the
callbacks in order.

The per-batch hooks run every step, so the list works out once (at construction, and again after
``set_params``, ``set_model`` or ``append``) which callbacks really use each hook, and forwards only
to those. When none does, ``has_train_batch_hooks`` is False and the training loop can skip even
building the batch logs.

>>> from lamina.callbacks import Callback, CallbackList
>>> callbacks = CallbackList([Callback()], add_history=True, epochs=2, steps=10, verbose=0)
>>> [type(c).__name__ for c in callbacks.callbacks], callbacks.has_train_batch_hooks
(['Callback', 'History'], False)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lamina.callbacks.callback import HOOKS, Callback
from lamina.callbacks.history import History
from lamina.callbacks.progbar_logger import ProgbarLogger


class CallbackList(Callback):
    """Forwards every hook to each callback of ``callbacks``, in order.

    Args:
        callbacks: the callbacks (a list is copied; ``None`` means none).
        add_history: append a ``History`` unless the list holds one already.
        add_progbar: append a ``ProgbarLogger`` unless the list holds one already.
        model: passed to each callback's ``set_model``.
        **params: passed as a dict to each callback's ``set_params`` (fit passes ``epochs``,
            ``steps`` and ``verbose``).

    The same ``logs`` dict goes to every callback, so what one adds (``learning_rate``) the later
    ones (History, the progress bar) see; History and the progress bar come last for that reason.
    """

    def __init__(
        self,
        callbacks: Iterable[Callback] | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params,
    ) -> None:
        super().__init__()
        self.callbacks: list[Callback] = list(callbacks) if callbacks else []
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "callbacks must be instances of lamina.callbacks.Callback, got "
                    f"{type(callback).__name__}; wrap functions in LambdaCallback"
                )
        self.history: History | None = next(
            (c for c in self.callbacks if isinstance(c, History)), None
        )
        if self.history is None and add_history:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._dispatch()

    def _dispatch(self) -> None:
        """Bind, for each hook, the methods of the callbacks that use it."""
        self._hooks = {
            name: [getattr(c, name) for c in self.callbacks if c._uses_hook(name)] for name in HOOKS
        }
        self.has_train_batch_hooks = bool(
            self._hooks["on_train_batch_begin"] or self._hooks["on_train_batch_end"]
        )
        self.has_test_batch_hooks = bool(
            self._hooks["on_test_batch_begin"] or self._hooks["on_test_batch_end"]
        )
        self.has_predict_batch_hooks = bool(
            self._hooks["on_predict_batch_begin"] or self._hooks["on_predict_batch_end"]
        )

    def append(self, callback: Callback) -> None:
        """Add ``callback`` at the end, giving it the list's model and params."""
        if not isinstance(callback, Callback):
            raise TypeError(f"expected a Callback, got {type(callback).__name__}")
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self.callbacks.append(callback)
        if self.history is None and isinstance(callback, History):
            self.history = callback
        self._dispatch()

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)
        self._dispatch()

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)
        self._dispatch()  # a callback may use fewer hooks at some settings (ProgbarLogger)

    def _uses_hook(self, name: str) -> bool:
        return bool(self._hooks[name])

    # Whole-run and epoch hooks: a missing logs dict becomes one shared {}, so that what a
    # callback writes into it reaches the callbacks after it.
    def on_train_begin(self, logs=None):
        logs = {} if logs is None else logs
        for hook in self._hooks["on_train_begin"]:
            hook(logs)

    def on_train_end(self, logs=None):
        logs = {} if logs is None else logs
        for hook in self._hooks["on_train_end"]:
            hook(logs)

    def on_epoch_begin(self, epoch, logs=None):
        logs = {} if logs is None else logs
        for hook in self._hooks["on_epoch_begin"]:
            hook(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        for hook in self._hooks["on_epoch_end"]:
            hook(epoch, logs)

    def on_test_begin(self, logs=None):
        logs = {} if logs is None else logs
        for hook in self._hooks["on_test_begin"]:
            hook(logs)

    def on_test_end(self, logs=None):
        logs = {} if logs is None else logs
        for hook in self._hooks["on_test_end"]:
            hook(logs)

    def on_predict_begin(self, logs=None):
        logs = {} if logs is None else logs
        for hook in self._hooks["on_predict_begin"]:
            hook(logs)

    def on_predict_end(self, logs=None):
        logs = {} if logs is None else logs
        for hook in self._hooks["on_predict_end"]:
            hook(logs)

    # Batch hooks: the hot path, a loop over a usually empty list. As in Keras, a callback never
    # gets logs=None: the begin hooks (and any call without logs) get one shared {}.
    def _batch_hook(self, name, batch, logs):
        hooks = self._hooks[name]
        if hooks:
            logs = {} if logs is None else logs
            for hook in hooks:
                hook(batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._batch_hook("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._batch_hook("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._batch_hook("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._batch_hook("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._batch_hook("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_hook("on_predict_batch_end", batch, logs)
