import os

import numpy as np
import pytest

import lamina
from lamina.layers import LSTM, Dense, Input, Permute, RepeatVector, TimeDistributed
from lamina.models import Sequential
from tests.helpers import check_layer, check_layer_gradients

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "core_layers.npz"))


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: Permute((2, 1)), (3, 4, 5)),
        (lambda: Permute((3, 1, 2)), (2, 3, 4, 5)),
        (lambda: RepeatVector(3), (2, 4)),
    ],
)
def test_check_layer(factory, shape):
    assert check_layer(factory, shape)


def test_permute_matches_numpy_and_keras():
    x = FIXTURE["permute_x"]
    out = Permute((2, 3, 1))(x).numpy()
    np.testing.assert_array_equal(out, np.transpose(x, (0, 2, 3, 1)))
    np.testing.assert_array_equal(out, FIXTURE["permute_y"])


def test_repeat_vector_matches_numpy_and_keras():
    x = FIXTURE["repeat_x"]
    out = RepeatVector(3)(x).numpy()
    np.testing.assert_array_equal(out, np.repeat(x[:, None, :], 3, axis=1))
    np.testing.assert_array_equal(out, FIXTURE["repeat_y"])


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: Permute((2, 3, 1), dtype="float64"), (2, 3, 2, 4)),
        (lambda: RepeatVector(4, dtype="float64"), (3, 2)),
    ],
)
def test_gradients(layer, shape):
    x = np.random.default_rng(0).normal(size=shape)
    assert check_layer_gradients(layer(), x)


def test_symbolic_shapes_as_keras():
    assert Permute((2, 1))(Input(shape=(10, 64))).shape == (None, 64, 10)
    assert Permute((2, 1))(Input(shape=(None, 64))).shape == (None, 64, None)
    assert RepeatVector(3)(Input(shape=(32,))).shape == (None, 3, 32)
    assert Permute((2, 1)).compute_output_shape((None, 10, 64)) == (None, 64, 10)
    assert RepeatVector(3).compute_output_shape((None, 32)) == (None, 3, 32)


def test_config_keeps_arguments():
    assert Permute.from_config(Permute((2, 1)).get_config()).dims == (2, 1)
    assert RepeatVector.from_config(RepeatVector(5).get_config()).n == 5


def test_bad_arguments_and_inputs_are_named():
    with pytest.raises(ValueError, match=r"permutation of 1..2.*\(1, 3\)"):
        Permute((1, 3))
    with pytest.raises(ValueError, match=r"Permute dims.*\(0, 1\)"):
        Permute((0, 1))
    with pytest.raises(ValueError, match=r"rank 3, got shape \(2, 3\)"):
        Permute((2, 1))(np.zeros((2, 3)))
    for n in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            RepeatVector(n)
    with pytest.raises(ValueError, match=r"\(batch, features\), got shape \(2, 3, 4\)"):
        RepeatVector(2)(np.zeros((2, 3, 4)))


def test_encoder_decoder_with_repeat_vector_trains():
    # the classic Keras seq2seq autoencoder: LSTM -> RepeatVector -> LSTM -> TimeDistributed
    lamina.seed(0)
    x = np.random.default_rng(0).normal(size=(32, 5, 2)).astype(np.float32)
    model = Sequential(
        [
            Input(shape=(5, 2)),
            LSTM(8),
            RepeatVector(5),
            LSTM(8, return_sequences=True),
            TimeDistributed(Dense(2)),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, x, epochs=8, batch_size=8, verbose=0)
    assert model.predict(x[:3], verbose=0).shape == (3, 5, 2)
    assert history.history["loss"][-1] < history.history["loss"][0]
