"""SimpleRNN, LSTM and GRU layers: shapes, Keras weight layout, masks, states, dropout,
float64 gradients end to end, and PyTorch reference outputs through the layers."""

import os

import numpy as np
import pytest

import lamina
from lamina.layers import GRU, LSTM, Embedding, Layer, SimpleRNN, get_mask, set_mask
from lamina.models import Sequential
from tests.helpers import check_layer, check_layer_gradients

LAYERS = [SimpleRNN, LSTM, GRU]
STATES = {SimpleRNN: 1, LSTM: 2, GRU: 1}
FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "recurrent.npz")


def sequences(shape=(3, 5, 4), seed=0, dtype="float32"):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


class WithMask(Layer):
    """Calls ``inner`` on its input with a fixed mask attached (for gradient checks)."""

    def __init__(self, inner, mask, **kwargs):
        super().__init__(**kwargs)
        self.inner, self.mask = inner, np.asarray(mask, dtype=bool)

    def call(self, inputs, training=False):
        set_mask(inputs, self.mask)
        return self.inner(inputs, training=training)


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_output_shapes(cls, return_sequences, return_state):
    layer = cls(6, return_sequences=return_sequences, return_state=return_state)
    out = layer(sequences())
    expected = layer.compute_output_shape((3, 5, 4))
    if return_state:
        assert len(out) == 1 + STATES[cls]
        assert [o.shape for o in out] == [tuple(e) for e in expected]
        np.testing.assert_array_equal(
            out[1].numpy(), (out[0][:, -1] if return_sequences else out[0]).numpy()
        )
    else:
        assert out.shape == (3, 5, 6) if return_sequences else (3, 6)
        assert out.shape == tuple(expected)


@pytest.mark.parametrize(
    "cls, kernel, bias",
    [(SimpleRNN, (4, 6), (6,)), (LSTM, (4, 24), (24,)), (GRU, (4, 18), (2, 18))],
)
def test_weight_layout_matches_keras(cls, kernel, bias):
    layer = cls(6)
    layer(sequences())
    names = [w.name.split("/")[-1] for w in layer.weights]
    assert names == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in layer.weights] == [kernel, (6, kernel[1]), bias]
    rk = layer.recurrent_kernel.numpy()
    # orthogonal recurrent kernel (units, gates * units), as Keras draws it: orthonormal rows
    np.testing.assert_allclose(rk @ rk.T, np.eye(6), atol=1e-5)


def test_lstm_forget_bias_starts_at_one_and_gru_without_reset_after():
    lstm = LSTM(3)
    lstm(sequences())
    np.testing.assert_array_equal(lstm.bias.numpy(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    lstm = LSTM(3, unit_forget_bias=False)
    lstm(sequences())
    assert not lstm.bias.numpy().any()
    gru = GRU(3, reset_after=False)
    gru(sequences())
    assert gru.bias.shape == (9,)


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_gradients_end_to_end_float64(cls, return_sequences):
    layer = cls(3, return_sequences=return_sequences, dtype="float64")
    assert check_layer_gradients(layer, sequences((2, 4, 3), dtype="float64"))


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_gradients_with_a_mask_float64(cls, return_sequences):
    mask = [[True, True, False, False], [True, False, True, True]]
    inner = cls(3, return_sequences=return_sequences, dtype="float64")
    assert check_layer_gradients(
        WithMask(inner, mask, dtype="float64"), sequences((2, 4, 3), dtype="float64")
    )


@pytest.mark.parametrize("cls", LAYERS)
def test_padding_at_the_end_is_skipped(cls):
    x = sequences((2, 6, 4))
    lengths = [6, 3]
    padded = x.copy()
    padded[1, 3:] = 0
    model = Sequential([lamina.layers.Masking(), cls(5)])
    out = model.predict(padded, verbose=0)
    layer = model.layers[1]
    np.testing.assert_allclose(out[1], layer(x[1:2, : lengths[1]]).numpy()[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[0], layer(x[:1]).numpy()[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", LAYERS)
def test_masked_steps_carry_state_and_output(cls):
    x = sequences((1, 4, 2))
    layer = cls(3, return_sequences=True)
    x_t = lamina.tensor(x)
    set_mask(x_t, np.array([[True, False, True, True]]))
    out = layer(x_t).numpy()
    np.testing.assert_array_equal(out[0, 1], out[0, 0])  # the masked step repeats the last output
    np.testing.assert_array_equal(get_mask(layer(x_t)), [[True, False, True, True]])
    assert get_mask(cls(3)(x_t)) is None  # a single output has no time axis to mask


@pytest.mark.parametrize("cls", LAYERS)
def test_go_backwards_reads_the_sequence_reversed(cls):
    x = sequences()
    forward = cls(4, return_sequences=True)
    forward(x)
    backward = cls(4, return_sequences=True, go_backwards=True)
    backward(x)
    backward.set_weights(forward.get_weights())
    np.testing.assert_allclose(backward(x).numpy(), forward(x[:, ::-1]).numpy(), rtol=1e-6)


@pytest.mark.parametrize("cls", LAYERS)
def test_initial_state_is_used_and_differentiable(cls):
    x = sequences((2, 3, 4))
    layer = cls(5)
    states = [
        lamina.tensor(np.ones((2, 5), "float32"), requires_grad=True) for _ in range(STATES[cls])
    ]
    a = layer(x, initial_state=states)
    assert not np.allclose(a.numpy(), layer(x).numpy())
    a.sum().backward()
    assert all(s.grad is not None and np.abs(s.grad).sum() > 0 for s in states)
    with pytest.raises(ValueError, match="initial state must have shape"):
        layer(x, initial_state=[np.zeros((2, 4))] * STATES[cls])
    with pytest.raises(ValueError, match="initial state tensor"):
        layer(x, initial_state=[np.zeros((2, 5))] * (STATES[cls] + 1))


@pytest.mark.parametrize("cls", LAYERS)
def test_stateful_layers_carry_state_between_calls(cls):
    x = sequences((2, 6, 4))
    layer = cls(3, stateful=True)
    whole = cls(3)
    whole(x)
    layer(x[:, :3])
    layer.set_weights(whole.get_weights())
    layer.reset_states()
    layer(x[:, :3])
    np.testing.assert_allclose(layer(x[:, 3:]).numpy(), whole(x).numpy(), rtol=1e-5, atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, :3]).numpy(), whole(x[:, :3]).numpy(), rtol=1e-6)


@pytest.mark.parametrize("cls", LAYERS)
def test_dropout_only_in_training(cls):
    x = sequences()
    layer = cls(4, dropout=0.5, recurrent_dropout=0.5)
    infer = layer(x).numpy()
    np.testing.assert_array_equal(layer(x).numpy(), infer)
    lamina.seed(1)
    train = layer(x, training=True)
    assert not np.allclose(train.numpy(), infer)
    train.sum().backward()  # gradients flow through both dropout masks


@pytest.mark.parametrize("cls", LAYERS)
def test_config_round_trip_save_load_and_a_training_step(cls):
    assert check_layer(lambda: cls(4, return_sequences=True), (3, 5, 2))
    layer = cls(4, dropout=0.1, go_backwards=True, return_state=True)
    clone = cls.from_config(layer.get_config())
    assert clone.get_config() == {**layer.get_config(), "name": clone.name}


@pytest.mark.parametrize("cls", LAYERS)
def test_argument_errors(cls):
    with pytest.raises(ValueError, match="units must be a positive integer"):
        cls(0)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        cls(3, dropout=1.0)
    with pytest.raises(ValueError, match="activation must be one of"):
        cls(3, activation="softmax")
    with pytest.raises(ValueError, match=r"\(batch, time, features\)"):
        cls(3)(np.zeros((2, 3)))
    layer = cls(3)
    layer(sequences((2, 3, 4)))
    with pytest.raises(ValueError, match=r"\(batch, time, 4\)"):
        layer(sequences((2, 3, 5)))


def test_embedding_mask_reaches_an_lstm_in_sequential():
    model = Sequential([Embedding(10, 4, mask_zero=True), LSTM(3)])
    a = model.predict(np.array([[3, 5, 0, 0]]), verbose=0)
    b = model.predict(np.array([[3, 5]]), verbose=0)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, cls", [("simple_rnn", SimpleRNN), ("lstm", LSTM), ("gru", GRU)])
def test_layers_match_pytorch(name, cls):
    fx = np.load(FIXTURE)
    x = fx[f"{name}/x"]
    units = fx[f"{name}/recurrent_kernel"].shape[0]
    layer = cls(units, return_sequences=True)
    layer(x)
    layer.set_weights([fx[f"{name}/kernel"], fx[f"{name}/recurrent_kernel"], fx[f"{name}/bias"]])
    states = [fx[f"{name}/h0"]] + ([fx[f"{name}/c0"]] if cls is LSTM else [])
    out = layer(x, initial_state=states).numpy()
    np.testing.assert_allclose(out, fx[f"{name}/out"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, cls", [("simple_rnn", SimpleRNN), ("lstm", LSTM), ("gru", GRU)])
def test_layers_match_pytorch_packed_sequences(name, cls):
    fx = np.load(FIXTURE)
    case = f"{name}_masked"
    x = lamina.tensor(fx[f"{case}/x"])
    set_mask(x, fx[f"{case}/mask"].astype(bool))
    units = fx[f"{case}/recurrent_kernel"].shape[0]
    layer = cls(units, return_state=True)
    layer(x)
    layer.set_weights([fx[f"{case}/kernel"], fx[f"{case}/recurrent_kernel"], fx[f"{case}/bias"]])
    states = [fx[f"{case}/h0"]] + ([fx[f"{case}/c0"]] if cls is LSTM else [])
    output, *final = layer(x, initial_state=states)
    np.testing.assert_allclose(output.numpy(), fx[f"{case}/h_last"], rtol=1e-4, atol=1e-5)
    if cls is LSTM:
        np.testing.assert_allclose(final[1].numpy(), fx[f"{case}/c_last"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls", [SimpleRNN, GRU, LSTM])
def test_numpy_integer_units_are_accepted_as_ints(cls):
    layer = cls(np.int64(4))
    assert type(layer.units) is int and type(layer.get_config()["units"]) is int
    assert layer(np.zeros((2, 3, 5), np.float32)).shape == (2, 4)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_an_empty_batch_gives_an_empty_output(cls):
    assert cls(2, return_sequences=True)(np.ones((0, 4, 3), "float32")).shape == (0, 4, 2)
