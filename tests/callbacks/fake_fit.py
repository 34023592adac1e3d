"""A stand-in for the model and a tiny fit loop, so callbacks are tested without lamina.models.

The loop does what Model.fit does with a CallbackList: train/epoch/batch hooks in order, batch
logs only when some callback uses them, a stop checked after each epoch.
"""

from __future__ import annotations

import numpy as np

from lamina.callbacks import CallbackList


class FakeOptimizer:
    def __init__(self, learning_rate=0.1):
        self._lr = learning_rate

    @property
    def learning_rate(self):
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr = float(value)


class FakeModel:
    """The model interface callbacks rely on. Training adds 1 to the weights in place."""

    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.zeros(2), np.zeros(3)]
        self.metrics = []
        self.saved = []  # (method, path) per save call

    def get_weights(self):
        return list(self.weights)  # the live arrays, as a careless model would hand out

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, filepath):
        self.saved.append(("save", filepath))

    def save_weights(self, filepath):
        self.saved.append(("save_weights", filepath))


def run_fit(model, callbacks, epoch_logs, steps=3, verbose=0, batch_losses=None):
    """Simulate fit over ``len(epoch_logs)`` epochs; ``epoch_logs[e]`` is epoch e's logs.

    ``batch_losses[e][b]``, when given, is the loss logged after batch b of epoch e.
    Returns the CallbackList (its ``history`` is what fit would return).
    """
    callback_list = CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        epochs=len(epoch_logs),
        steps=steps,
        verbose=verbose,
    )
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps):
            callback_list.on_train_batch_begin(batch)
            for w in model.weights:
                w += 1.0
            if callback_list.has_train_batch_hooks:
                loss = batch_losses[epoch][batch] if batch_losses else logs.get("loss", 1.0)
                callback_list.on_train_batch_end(batch, {"loss": float(loss)})
        callback_list.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    callback_list.on_train_end()
    return callback_list


def val_losses(*values):
    return [{"loss": 1.0, "val_loss": v} for v in values]
