"""Keras .weights.h5 files (tests/fixtures/make_keras_weights.py, written by Keras 3) load into
the same architectures built with lamina and give Keras's predictions."""

import os

import numpy as np
import pytest

from lamina import layers as L
from lamina.models import Model, Sequential

h5py = pytest.importorskip("h5py")
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")


def lamina_models():
    cnn = Sequential([
        L.Input(shape=(10, 10, 2)),
        L.Conv2D(4, 3, activation="relu"), L.BatchNormalization(),
        L.MaxPooling2D(), L.Conv2D(3, 3, padding="same"), L.Flatten(),
        L.Dense(8, activation="tanh"), L.Dense(3, activation="softmax"),
    ])  # fmt: skip
    rnn = Sequential([
        L.Input(shape=(6, 3)),
        L.LSTM(5, return_sequences=True), L.GRU(4, return_sequences=True),
        L.Bidirectional(L.LSTM(3)), L.Dense(2),
    ])  # fmt: skip
    inputs = L.Input(shape=(7,))
    x = L.SimpleRNN(4)(L.Embedding(20, 6)(inputs))
    text = Model(inputs, L.Dense(1, activation="sigmoid")(x))
    return {"cnn": cnn, "rnn": rnn, "text": text}


@pytest.mark.parametrize("name", ["cnn", "rnn", "text"])
def test_keras_weights_give_keras_predictions(name):
    model = lamina_models()[name]
    model.load_weights(os.path.join(FIXTURES, f"keras_{name}.weights.h5"))
    with np.load(os.path.join(FIXTURES, "keras_outputs.npz")) as f:
        x, expected = f[f"{name}/x"], f[f"{name}/y"]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_a_different_architecture_is_named_in_the_error():
    model = Sequential([L.Input(shape=(10, 10, 2)), L.Conv2D(4, 3), L.Flatten(), L.Dense(3)])
    with pytest.raises(ValueError, match="does not match|has no weights"):
        model.load_weights(os.path.join(FIXTURES, "keras_cnn.weights.h5"))


def test_keras_2_layout_loads_layers_in_order(tmp_path):
    path = tmp_path / "legacy.h5"
    kernel, bias = np.arange(6, dtype="float32").reshape(3, 2), np.ones(2, "float32")
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"flatten", b"dense_7"]
        f.create_group("flatten").attrs["weight_names"] = []
        group = f.create_group("dense_7")
        group.attrs["weight_names"] = [b"dense_7/kernel:0", b"dense_7/bias:0"]
        group["dense_7/kernel:0"] = kernel
        group["dense_7/bias:0"] = bias
    model = Sequential([L.Input(shape=(3,)), L.Dense(2)])
    model.load_weights(path)
    np.testing.assert_array_equal(model.get_weights()[0], kernel)
    np.testing.assert_array_equal(model.get_weights()[1], bias)
