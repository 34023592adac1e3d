"""What fit, evaluate and predict tell callbacks: every hook, in Keras's order, with Keras's
logs (never None)."""

import numpy as np
import pytest

from lamina.callbacks import Callback, LambdaCallback
from lamina.layers import Dense, Input
from lamina.models import Model, Sequential

HOOKS_WITH_INDEX = ("epoch_begin", "epoch_end", "train_batch_begin", "train_batch_end",
                    "test_batch_begin", "test_batch_end", "predict_batch_begin",
                    "predict_batch_end")  # fmt: skip
HOOKS = ("train_begin", "train_end", "test_begin", "test_end", "predict_begin", "predict_end")


class CustomCallback(Callback):
    """The first example of Keras's "Writing your own callbacks" guide: every hook reads
    ``list(logs.keys())``; here they also record what they saw."""

    def __init__(self):
        super().__init__()
        self.seen = []


def _hook(name, indexed):
    def record(self, *args):
        logs = args[-1]
        keys = list(logs.keys())  # the guide's line: fails on logs=None
        self.seen.append((name, *args[:-1], sorted(keys)))

    if indexed:
        return lambda self, index, logs=None: record(self, index, logs)
    return lambda self, logs=None: record(self, logs)


for _name in HOOKS_WITH_INDEX + HOOKS:
    setattr(CustomCallback, f"on_{_name}", _hook(_name, _name in HOOKS_WITH_INDEX))


@pytest.fixture
def model_and_data():
    model = Sequential([Input((3,)), Dense(4, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    return model, rng.normal(size=(10, 3)), rng.integers(0, 4, size=10)


def test_fit_calls_every_hook_with_logs(model_and_data):
    model, x, y = model_and_data
    callback = CustomCallback()
    model.fit(x, y, batch_size=4, epochs=1, validation_split=0.2, verbose=0, callbacks=[callback])
    metrics = ["accuracy", "loss"]
    epoch = sorted([*metrics, "val_accuracy", "val_loss"])
    # keras 3.15 calls these, with these log keys, for the same fit
    assert callback.seen == [
        ("train_begin", []), ("epoch_begin", 0, []),
        ("train_batch_begin", 0, []), ("train_batch_end", 0, metrics),
        ("train_batch_begin", 1, []), ("train_batch_end", 1, metrics),
        ("test_begin", []), ("test_batch_begin", 0, []), ("test_batch_end", 0, metrics),
        ("test_end", metrics), ("epoch_end", 0, epoch), ("train_end", epoch),
    ]  # fmt: skip


def test_evaluate_calls_test_hooks_with_running_logs(model_and_data):
    model, x, y = model_and_data
    batch_logs = []
    record = LambdaCallback(on_test_batch_end=lambda batch, logs: batch_logs.append(dict(logs)))
    callback = CustomCallback()
    result = model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[callback, record],
                            return_dict=True)  # fmt: skip
    metrics = ["accuracy", "loss"]
    assert callback.seen == [
        ("test_begin", []),
        ("test_batch_begin", 0, []), ("test_batch_end", 0, metrics),
        ("test_batch_begin", 1, []), ("test_batch_end", 1, metrics),
        ("test_batch_begin", 2, []), ("test_batch_end", 2, metrics),
        ("test_end", metrics),
    ]  # fmt: skip
    assert batch_logs[-1] == result  # running means: the last batch's are the result
    assert callback.params == {"epochs": 1, "steps": 3, "verbose": 0}
    assert callback.model is model


def test_predict_calls_predict_hooks_with_batch_outputs(model_and_data):
    model, x, _ = model_and_data
    callback, outputs = CustomCallback(), []
    record = LambdaCallback(on_predict_batch_end=lambda b, logs: outputs.append(logs["outputs"]))
    predicted = model.predict(x, batch_size=4, verbose=0, callbacks=[callback, record])
    assert callback.seen == [
        ("predict_begin", []),
        ("predict_batch_begin", 0, []), ("predict_batch_end", 0, ["outputs"]),
        ("predict_batch_begin", 1, []), ("predict_batch_end", 1, ["outputs"]),
        ("predict_batch_begin", 2, []), ("predict_batch_end", 2, ["outputs"]),
        ("predict_end", []),
    ]  # fmt: skip
    assert [o.shape for o in outputs] == [(4, 4), (4, 4), (2, 4)]
    np.testing.assert_array_equal(np.concatenate(outputs), predicted)
    assert callback.params == {"epochs": 1, "steps": 3, "verbose": 0}


def test_predict_batch_logs_of_a_dict_model_are_its_outputs():
    # keras 3.15 flattens {"outputs": {...}} into the outputs dict itself
    inputs = Input(shape=(3,))
    model = Model(inputs, {"q": Dense(2)(inputs), "p": Dense(1)(inputs)})
    seen = []
    record = LambdaCallback(on_predict_batch_end=lambda b, logs: seen.append(logs))
    model.predict(np.zeros((5, 3)), batch_size=4, verbose=0, callbacks=[record])
    assert [sorted(logs) for logs in seen] == [["p", "q"], ["p", "q"]]
    assert seen[1]["q"].shape == (1, 2)


def test_a_callback_can_stop_evaluate_and_predict(model_and_data):
    model, x, y = model_and_data
    evaluated = []

    def stop_predicting(batch, logs):
        model.stop_predicting = True

    def stop_evaluating(batch, logs):
        evaluated.append(batch)
        model.stop_evaluating = True

    stopper = LambdaCallback(on_predict_batch_end=stop_predicting)
    assert model.predict(x, batch_size=4, verbose=0, callbacks=[stopper]).shape == (4, 4)
    stopper = LambdaCallback(on_test_batch_end=stop_evaluating)
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[stopper])
    assert evaluated == [0]
    assert model.predict(x, batch_size=4, verbose=0).shape == (10, 4)  # reset by each call
