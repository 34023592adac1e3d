"""Hashing: Keras's documented bins (FarmHash, mask value, SipHash salts), integer and float
inputs hashed as Keras does, the encoded output modes, models with string inputs, config and
errors."""

import json

import numpy as np
import pytest

from lamina.layers import Dense, Hashing, Input
from lamina.layers.preprocessing.string_hash import fingerprint64
from lamina.models import Model, load_model

LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]


def bins(layer, values):
    return layer(values).numpy().ravel().tolist()


def test_keras_documented_examples():
    # the examples of keras.layers.Hashing's docstring (Keras 3.15, TensorFlow's hashes)
    assert bins(Hashing(num_bins=3), LETTERS) == [1, 0, 1, 1, 2]
    assert bins(Hashing(num_bins=3, mask_value=""), [["A"], ["B"], [""], ["C"], ["D"]]) == [
        1,
        1,
        0,
        2,
        2,
    ]
    assert bins(Hashing(num_bins=3, salt=[133, 137]), LETTERS) == [1, 2, 1, 0, 2]
    assert bins(Hashing(num_bins=3, salt=133), LETTERS) == [0, 0, 2, 1, 0]


def test_int_output_shape_and_dtype():
    out = Hashing(7)(np.array([["a", "b", "c"], ["c", "a", "z"]]))
    assert out.shape == (2, 3) and out.dtype == np.int64
    assert out.numpy()[0, 0] == out.numpy()[1, 1] == fingerprint64(b"a") % 7
    assert Hashing(7, dtype="int32")([["a"]]).dtype == np.int32
    assert Hashing(1)(["x", "y"]).numpy().tolist() == [0, 0]


def test_numbers_hash_as_their_decimal_text_floats_truncated():
    layer = Hashing(1000)
    ints = bins(layer, np.array([12, -3, 0]))
    assert ints == [fingerprint64(s) % 1000 for s in (b"12", b"-3", b"0")]
    assert bins(layer, np.array([12.9, -3.5, 0.2])) == ints
    assert bins(layer, ["12", "-3", "0"]) == ints
    masked = Hashing(1000, mask_value=0)
    assert bins(masked, np.array([0, 12])) == [0, 1 + fingerprint64(b"12") % 999]
    assert bins(masked, np.array([0.5])) != [0]  # compared before the cast, as in Keras


@pytest.mark.parametrize(
    "mode, shape", [("one_hot", (3, 5)), ("multi_hot", (3, 5)), ("count", (3, 5))]
)
def test_encoded_output_modes(mode, shape):
    layer = Hashing(5, output_mode=mode)
    values = [["a"], ["b"], ["a"]] if mode == "one_hot" else [["a", "a"], ["b", "c"], ["a", "b"]]
    out = layer(values).numpy()
    assert out.shape == shape and out.dtype == np.float32
    assert layer.compute_output_shape((None, 1 if mode == "one_hot" else 2)) == (None, 5)
    a = fingerprint64(b"a") % 5
    if mode == "one_hot":
        np.testing.assert_array_equal(out[0], np.eye(5)[a])
    elif mode == "count":
        assert out[0, a] == 2.0 and out.sum() == 6.0
    else:
        assert out[0, a] == 1.0 and out[0].sum() == 1.0


def test_in_a_model_with_string_inputs_save_and_load(tmp_path):
    inputs = Input(shape=(1,), dtype="string")
    outputs = Dense(2)(Hashing(8, output_mode="one_hot", salt=5)(inputs))
    model = Model(inputs, outputs)
    x = np.array([["red"], ["green"], ["blue"]])
    before = model.predict(x, verbose=0)
    assert before.shape == (3, 2)
    path = str(tmp_path / "hashing.lamina")
    model.save(path)
    np.testing.assert_array_equal(load_model(path).predict(x, verbose=0), before)


def test_config_round_trip():
    layer = Hashing(4, mask_value="", salt=9, output_mode="count", name="h")
    config = json.loads(json.dumps(layer.get_config()))
    assert (config["salt"], config["mask_value"], config["num_bins"]) == ([9, 9], "", 4)
    clone = Hashing.from_config(config)
    values = [["a", "", "b"]]
    np.testing.assert_array_equal(clone(values).numpy(), layer(values).numpy())


def test_errors():
    with pytest.raises(ValueError, match="num_bins must be a positive integer"):
        Hashing(0)
    with pytest.raises(ValueError, match="output_mode must be one of"):
        Hashing(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="salt must be an integer or a pair"):
        Hashing(3, salt=[1, 2, 3])
    with pytest.raises(ValueError, match="sparse=True"):
        Hashing(3, output_mode="one_hot", sparse=True)
    with pytest.raises(ValueError, match="needs dtype 'int32' or 'int64'"):
        Hashing(3, dtype="float32")
