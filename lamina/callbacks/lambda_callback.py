"""LambdaCallback: a callback made of plain functions, for one-off hooks.

>>> from lamina.callbacks import LambdaCallback
>>> callback = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
>>> callback.on_epoch_end(3, {"loss": 0.5})
3 0.5
"""

from __future__ import annotations

from collections.abc import Callable

from lamina.callbacks.callback import Callback

Hook = Callable[..., object] | None


class LambdaCallback(Callback):
    """Runs the given functions at the matching hooks; hooks not given do nothing.

    Epoch hooks are called as ``f(epoch, logs)``, batch hooks as ``f(batch, logs)``, and the
    begin/end hooks of train, test and predict as ``f(logs)``.
    """

    def __init__(
        self,
        on_epoch_begin: Hook = None,
        on_epoch_end: Hook = None,
        on_train_begin: Hook = None,
        on_train_end: Hook = None,
        on_train_batch_begin: Hook = None,
        on_train_batch_end: Hook = None,
        *,
        on_test_begin: Hook = None,
        on_test_end: Hook = None,
        on_test_batch_begin: Hook = None,
        on_test_batch_end: Hook = None,
        on_predict_begin: Hook = None,
        on_predict_end: Hook = None,
        on_predict_batch_begin: Hook = None,
        on_predict_batch_end: Hook = None,
    ) -> None:
        super().__init__()
        hooks = dict(locals())
        for name in (n for n in list(hooks) if n.startswith("on_")):
            function = hooks[name]
            if function is None:
                continue  # keep the base no-op, so CallbackList can skip the hook
            if not callable(function):
                raise TypeError(
                    f"LambdaCallback {name} must be a function, got {type(function).__name__}"
                )
            setattr(self, name, function)
