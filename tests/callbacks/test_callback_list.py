import pytest

from lamina.callbacks import (
    Callback,
    CallbackList,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    TerminateOnNaN,
)
from tests.callbacks.fake_fit import FakeModel, run_fit


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(f"batch_end {batch}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end {epoch}")

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


def test_adds_history_and_progbar_last():
    recorder = Recorder()
    callbacks = CallbackList([recorder], add_history=True, add_progbar=True)
    assert [type(c) for c in callbacks.callbacks] == [Recorder, History, ProgbarLogger]
    assert callbacks.history is callbacks.callbacks[1]


def test_does_not_duplicate_history_or_progbar():
    history, progbar = History(), ProgbarLogger()
    callbacks = CallbackList([progbar, history], add_history=True, add_progbar=True)
    assert callbacks.callbacks == [progbar, history]
    assert callbacks.history is history
    assert CallbackList().history is None and CallbackList().callbacks == []


def test_model_and_params_reach_every_callback():
    model, recorder = FakeModel(), Recorder()
    callbacks = CallbackList(
        [recorder], add_history=True, model=model, epochs=2, steps=5, verbose=0
    )
    for callback in callbacks.callbacks:
        assert callback.model is model
        assert callback.params == {"epochs": 2, "steps": 5, "verbose": 0}


def test_forwards_hooks_in_order():
    model = FakeModel()
    recorder = Recorder()
    run_fit(model, [recorder], [{"loss": 1.0}] * 2, steps=2)
    assert recorder.calls == [
        "train_begin",
        "epoch_begin 0",
        "batch_end 0",
        "batch_end 1",
        "epoch_end 0",
        "epoch_begin 1",
        "batch_end 0",
        "batch_end 1",
        "epoch_end 1",
        "train_end",
    ]


def test_skips_batch_dispatch_when_no_callback_uses_it(monkeypatch):
    callbacks = CallbackList(
        [LambdaCallback(on_epoch_end=lambda e, logs: None), ModelCheckpoint("x"), ProgbarLogger()],
        add_history=True,
        model=FakeModel(),
        epochs=1,
        steps=10,
        verbose=2,
    )
    assert not callbacks.has_train_batch_hooks
    assert not callbacks.has_test_batch_hooks and not callbacks.has_predict_batch_hooks
    calls = []
    # Had the list kept the base methods, these patched no-ops would now count calls.
    for name in ("on_train_batch_begin", "on_train_batch_end", "on_batch_end"):
        monkeypatch.setattr(Callback, name, lambda self, batch, logs=None: calls.append(batch))
    for batch in range(100):
        callbacks.on_train_batch_begin(batch)
        callbacks.on_train_batch_end(batch, {"loss": 1.0})
    assert calls == []


@pytest.mark.parametrize(
    ("callback", "verbose", "expected"),
    [
        (TerminateOnNaN(), 0, True),
        (ModelCheckpoint("x", save_freq=5), 0, True),
        (ModelCheckpoint("x"), 0, False),
        (ProgbarLogger(), 1, True),
        (ProgbarLogger(), 2, False),
        (LambdaCallback(on_train_batch_begin=print), 0, True),
    ],
)
def test_batch_hooks_needed_only_when_used(callback, verbose, expected):
    callbacks = CallbackList([callback], epochs=1, steps=3, verbose=verbose)
    assert callbacks.has_train_batch_hooks is expected


def test_append_redispatches():
    callbacks = CallbackList(model=FakeModel(), epochs=1, steps=3, verbose=0)
    assert not callbacks.has_train_batch_hooks
    callback = TerminateOnNaN()
    callbacks.append(callback)
    assert callbacks.has_train_batch_hooks
    assert callback.model is callbacks.model and callback.params["steps"] == 3


def test_logs_written_by_one_callback_reach_the_next():
    model = FakeModel()
    history = run_fit(model, [LearningRateScheduler(lambda e: 0.5)], [{"loss": 1.0}]).history
    assert history.history["learning_rate"] == [0.5]


def test_rejects_non_callbacks():
    with pytest.raises(TypeError, match="LambdaCallback"):
        CallbackList([print])


@pytest.mark.parametrize(
    "hook",
    [
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_predict_batch_begin",
        "on_predict_batch_end",
    ],
)
def test_batch_hooks_never_pass_none_logs(hook):
    # As Keras: the guide's callbacks call logs.keys() in every hook
    seen = []
    first = LambdaCallback(**{hook: lambda batch, logs: seen.append(logs)})
    second = LambdaCallback(**{hook: lambda batch, logs: seen.append(logs)})
    callbacks = CallbackList([first, second])
    getattr(callbacks, hook)(3)
    assert seen == [{}, {}] and seen[0] is seen[1]  # one dict, shared as the end hooks' is
    given = {"loss": 1.0}
    getattr(callbacks, hook)(4, given)
    assert seen[2] is given and seen[3] is given
