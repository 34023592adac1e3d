"""SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells: Keras's weights and state layouts,
one step equal to one step of the fused layers, dropout masks held for a sequence, config
round trips and errors."""

import json

import numpy as np
import pytest

import lamina
from lamina.layers import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)
from tests.helpers import check_layer_gradients

CELLS = [(SimpleRNNCell, SimpleRNN, 1), (LSTMCell, LSTM, 2), (GRUCell, GRU, 1)]


@pytest.mark.parametrize(
    "cls, kernel, bias",
    [(SimpleRNNCell, (5, 3), (3,)), (LSTMCell, (5, 12), (12,)), (GRUCell, (5, 9), (2, 9))],
)
def test_weights_match_keras(cls, kernel, bias):
    cell = cls(3)
    cell.build((None, 5))
    assert [w.name.split("/")[-1] for w in cell.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in cell.weights] == [kernel, (3, kernel[1]), bias]
    assert cell.output_size == 3
    rk = cell.recurrent_kernel.numpy()
    np.testing.assert_allclose(rk @ rk.T, np.eye(3), atol=1e-5)  # orthogonal, as in Keras


def test_state_sizes_biases_and_options():
    assert SimpleRNNCell(3).state_size == 3 and GRUCell(3).state_size == 3
    assert LSTMCell(3).state_size == [3, 3]
    lstm = LSTMCell(2)
    lstm.build((None, 4))
    np.testing.assert_array_equal(lstm.bias.numpy(), [0, 0, 1, 1, 0, 0, 0, 0])
    gru = GRUCell(2, reset_after=False)
    gru.build((None, 4))
    assert gru.bias.shape == (6,)
    plain = SimpleRNNCell(2, use_bias=False)
    plain.build((None, 4))
    assert plain.bias is None and len(plain.weights) == 2


@pytest.mark.parametrize("cell_cls, layer_cls, n_states", CELLS)
def test_one_step_equals_the_fused_layer_on_one_step(rng, cell_cls, layer_cls, n_states):
    cell = cell_cls(4, dtype="float64")
    layer = layer_cls(4, return_state=True, dtype="float64")
    x = rng.normal(size=(3, 5))
    states = [rng.normal(size=(3, 4)) for _ in range(n_states)]
    cell.build((None, 5))
    layer.build((None, 1, 5))
    layer.set_weights(cell.get_weights())
    output, new_states = cell(x, states)
    _, *expected = layer(x[:, None], initial_state=states)
    assert isinstance(new_states, list) and len(new_states) == n_states
    np.testing.assert_allclose(output.numpy(), expected[0].numpy(), rtol=1e-12)
    for a, b in zip(new_states, expected):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


@pytest.mark.parametrize("cls", [SimpleRNNCell, GRUCell])
def test_single_state_cells_take_a_tensor_or_a_list(rng, cls):
    cell = cls(2)
    x, h = rng.normal(size=(3, 4)).astype("f4"), rng.normal(size=(3, 2)).astype("f4")
    out, state = cell(x, h)
    assert isinstance(state, lamina.Tensor)
    out2, states = cell(x, [h])
    assert isinstance(states, list) and len(states) == 1
    np.testing.assert_array_equal(out.numpy(), out2.numpy())
    np.testing.assert_array_equal(state.numpy(), out.numpy())
    initial = cell.get_initial_state(batch_size=3)
    assert [s.shape for s in initial] == [(3, 2)] and not initial[0].numpy().any()


@pytest.mark.parametrize("cls", [SimpleRNNCell, LSTMCell, GRUCell])
def test_cell_gradients_float64(rng, cls):
    class OneStep(lamina.layers.Layer):
        def __init__(self):
            super().__init__(dtype="float64")
            self.cell = cls(3, dtype="float64")

        def call(self, x, training=False):
            states = [x[:, 4:] * 0.5] * (2 if cls is LSTMCell else 1)
            output, new_states = self.cell(x[:, :4], states)
            return output + new_states[-1]

    assert check_layer_gradients(OneStep(), rng.normal(size=(2, 7)))


def test_dropout_masks_are_held_for_a_sequence_and_only_in_training(rng):
    cell = LSTMCell(3, dropout=0.5, recurrent_dropout=0.5, seed=4)
    x = rng.normal(size=(4, 2)).astype("float32")
    states = cell.get_initial_state(4)
    plain, _ = cell(x, states)
    assert cell.get_dropout_mask(x) is not None  # masks exist only once asked for
    cell.reset_dropout_mask()
    cell.reset_recurrent_dropout_mask()
    np.testing.assert_array_equal(cell(x, states, training=False)[0].numpy(), plain.numpy())
    first, _ = cell(x, states, training=True)
    mask = cell._dropout_mask
    again, _ = cell(x, states, training=True)  # same sequence: same masks
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert not np.allclose(first.numpy(), plain.numpy())
    assert set(np.unique(mask)) <= {0.0, 2.0} and mask.shape == (4, 2)
    cell.reset_dropout_mask()
    cell.reset_recurrent_dropout_mask()
    assert not np.allclose(cell(x, states, training=True)[0].numpy(), first.numpy())
    assert SimpleRNNCell(2).get_dropout_mask(x) is None


@pytest.mark.parametrize("cls", [SimpleRNNCell, LSTMCell, GRUCell])
def test_config_round_trip(rng, cls):
    cell = cls(3, activation="relu", use_bias=False, dropout=0.25, seed=7, name="c")
    x, states = rng.normal(size=(2, 4)).astype("f4"), cell.get_initial_state(2)
    states = [s + 0.5 for s in states]
    out, _ = cell(x, states)
    config = json.loads(json.dumps(cell.get_config()))
    assert (config["activation"], config["dropout"], config["seed"]) == ("relu", 0.25, 7)
    clone = cls.from_config(config)
    clone.build((None, 4))
    clone.set_weights(cell.get_weights())
    np.testing.assert_allclose(clone(x, states)[0].numpy(), out.numpy(), rtol=1e-6)


def test_stacked_cells(rng):
    stack = StackedRNNCells([SimpleRNNCell(3), LSTMCell(4), GRUCell(2)])
    assert stack.state_size == [3, [4, 4], 2] and stack.output_size == 2
    x = rng.normal(size=(5, 6)).astype("float32")
    states = stack.get_initial_state(batch_size=5)
    output, new_states = stack(x, states)
    assert output.shape == (5, 2)
    assert [len(s) for s in new_states] == [1, 2, 1]  # lists, as the initial states (Keras)
    assert [w.shape for w in stack.weights][:3] == [(6, 3), (3, 3), (3,)]
    assert stack.cells[1].kernel.shape == (3, 16) and stack.cells[2].kernel.shape == (4, 6)
    # by hand: each cell's output feeds the next
    h1, _ = stack.cells[0](x, states[0])
    h2, _ = stack.cells[1](h1, states[1])
    h3, _ = stack.cells[2](h2, states[2])
    np.testing.assert_allclose(output.numpy(), h3.numpy(), rtol=1e-6)
    config = json.loads(json.dumps(stack.get_config()))
    clone = StackedRNNCells.from_config(config)
    assert [type(c) for c in clone.cells] == [SimpleRNNCell, LSTMCell, GRUCell]
    assert RNN(clone)(rng.normal(size=(2, 3, 6)).astype("f4")).shape == (2, 2)


def test_errors():
    with pytest.raises(ValueError, match="units must be a positive integer"):
        LSTMCell(0)
    with pytest.raises(ValueError, match="recurrent_dropout must be in"):
        GRUCell(2, recurrent_dropout=1.0)
    with pytest.raises(ValueError, match="activation must be one of"):
        SimpleRNNCell(2, activation="softmax")
    with pytest.raises(ValueError, match="non-empty list of cells"):
        StackedRNNCells([])
    with pytest.raises(ValueError, match=r"states \[h, c\]"):
        LSTMCell(2)(np.zeros((1, 3), "f4"), np.zeros((1, 2), "f4"))
    with pytest.raises(ValueError, match="has 2 cells but got states for 1"):
        StackedRNNCells([GRUCell(2), GRUCell(2)])(np.zeros((1, 3), "f4"), [np.zeros((1, 2))])


@pytest.mark.parametrize("cls", [SimpleRNNCell, GRUCell, LSTMCell])
def test_cells_take_numpy_integer_units(cls):
    cell = cls(np.int32(3))
    assert type(cell.units) is int and json.dumps(cell.get_config())
    assert RNN(cell)(np.zeros((2, 4, 5), np.float32)).shape == (2, 3)


def test_activity_regularizer_penalizes_each_output_of_a_cell():
    """A cell returns (output, states): each one's penalty per sample, as Keras (it crashed)."""
    cell = SimpleRNNCell(3, activity_regularizer="l2", kernel_initializer="ones")
    out = RNN(cell)(np.ones((2, 4, 5), np.float32))
    penalties = [float(loss) for loss in cell.losses]
    expected = 0.01 * float((np.asarray(out) ** 2).sum()) / 2  # last step's output == its state
    np.testing.assert_allclose(penalties, [expected, expected], rtol=1e-5)
