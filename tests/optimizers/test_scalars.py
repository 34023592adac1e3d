"""optimizer.learning_rate / iterations answer Keras's Variable methods, as tutorials use them."""

import copy
import json
import pickle

import numpy as np
import pytest

import lamina
from lamina import backend, layers


def small_model():
    model = lamina.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=lamina.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def test_numpy_and_assign_as_on_a_keras_variable():
    opt = small_model().optimizer
    assert opt.learning_rate.numpy() == np.float32(0.01)
    assert opt.learning_rate.numpy().dtype == np.float32
    assert opt.iterations.numpy() == 0 and opt.iterations.numpy().dtype == np.int64
    opt.learning_rate.assign(0.5)
    assert opt.learning_rate == 0.5
    opt.iterations.assign(7)
    assert opt.iterations == 7
    assert float(opt.learning_rate) * 2 == 1.0 and type(opt.iterations + 1) is int


def test_a_keras_callback_that_assigns_the_learning_rate():
    seen = []

    class Halve(lamina.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            lr = self.model.optimizer.learning_rate
            seen.append(float(lr.numpy()))
            self.model.optimizer.learning_rate.assign(lr * 0.5)

    model = small_model()
    model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=3, verbose=0, callbacks=[Halve()])
    np.testing.assert_allclose(seen, [0.01, 0.005, 0.0025], rtol=1e-6)
    assert model.optimizer.iterations.numpy() == 3  # one batch per epoch


def test_keras2_backend_get_value_and_set_value():
    opt = small_model().optimizer
    backend.set_value(opt.lr, 0.25)
    assert backend.get_value(opt.lr) == np.float32(0.25)
    with pytest.raises(TypeError, match="assign"):
        backend.set_value(0.1, 0.2)


def test_copies_are_plain_numbers():
    lr = small_model().optimizer.learning_rate
    for copied in (copy.copy(lr), copy.deepcopy(lr), pickle.loads(pickle.dumps(lr))):
        assert type(copied) is float and copied == 0.01
    assert json.loads(json.dumps({"lr": lr})) == {"lr": 0.01}


def test_arithmetic_keeps_float32_as_a_plain_float_does():
    opt = small_model().optimizer
    a = np.ones(3, np.float32)
    for value in (opt.learning_rate, opt.iterations):
        assert (a * value).dtype == np.float32 and (value * a).dtype == np.float32
        assert (a - value * a).dtype == np.float32 and (
            lamina.tensor(a) * value
        ).dtype == np.float32
        assert type(np.float32(2) * value) is np.float32
    assert type(opt.learning_rate * 2) is float and -opt.learning_rate == -0.01


def test_state_restored_before_the_first_step():
    model = small_model()
    model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0)
    state = model.optimizer.get_state()
    fresh = lamina.optimizers.Adam(learning_rate=0.5)
    fresh.set_state(state)  # no variables yet: the arrays wait for the first step
    assert fresh.iterations == 2 and fresh.learning_rate == pytest.approx(0.01)  # at once
    assert sorted(fresh.get_state()) == sorted(state)  # a backup now keeps the arrays
    fresh.learning_rate = 0.1  # a scheduler's change before the first step stays
    fresh.apply_gradients(zip([np.zeros_like(w.numpy()) for w in model.trainable_weights],
                              small_model().trainable_weights))  # fmt: skip
    assert fresh.learning_rate == 0.1 and fresh.iterations == 3
