import pytest

from lamina.callbacks import LambdaCallback
from tests.callbacks.fake_fit import FakeModel, run_fit


def test_calls_given_functions_with_hook_arguments():
    model = FakeModel()
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin",)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs["loss"])),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch)),
        on_train_end=lambda logs: calls.append(("train_end",)),
    )
    run_fit(model, [callback], [{"loss": 0.5}, {"loss": 0.25}], steps=2)
    assert calls == [
        ("train_begin",),
        ("batch_end", 0),
        ("batch_end", 1),
        ("epoch_end", 0, 0.5),
        ("batch_end", 0),
        ("batch_end", 1),
        ("epoch_end", 1, 0.25),
        ("train_end",),
    ]


def test_hooks_not_given_stay_unused():
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    assert callback._uses_hook("on_epoch_end")
    assert not callback._uses_hook("on_train_batch_end")
    assert callback.on_train_begin() is None


def test_test_and_predict_hooks():
    calls = []
    callback = LambdaCallback(on_test_end=calls.append, on_predict_begin=calls.append)
    callback.on_test_end({"loss": 1.0})
    callback.on_predict_begin({})
    assert calls == [{"loss": 1.0}, {}]


def test_rejects_non_callables():
    with pytest.raises(TypeError, match="on_epoch_end must be a function"):
        LambdaCallback(on_epoch_end="print")
