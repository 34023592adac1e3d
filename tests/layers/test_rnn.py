"""RNN, the generic recurrent layer: Keras 3.15 references (cells, stacks, masks, go_backwards,
initial and final states), the same results and gradients as the fused LSTM/GRU/SimpleRNN
layers, custom cells that train and save, stateful runs, float64 gradients, errors."""

import json
import os

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.layers import (
    GRU,
    LSTM,
    RNN,
    Dense,
    Embedding,
    GRUCell,
    Input,
    Layer,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    get_mask,
    register_layer,
)
from lamina.layers.rnn_cells import _Cell
from lamina.models import Model, Sequential, load_model
from tests.helpers import check_layer, check_layer_gradients

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_rnn_cells.npz"))
CASES = sorted({k.split("/")[0] for k in FIXTURE.files})
CELLS = {"SimpleRNNCell": SimpleRNNCell, "LSTMCell": LSTMCell, "GRUCell": GRUCell}


def fixture(name):
    return {k.split("/", 1)[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith(name + "/")}


def flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in flatten(item)]
    return [structure]


class MinimalRNNCell(Layer):
    """The cell of the Keras RNN guide."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer="uniform", name="recurrent_kernel"
        )

    def call(self, inputs, states):
        prev_output = states[0]
        h = ops.matmul(inputs, self.kernel)
        output = h + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


register_layer(MinimalRNNCell)


# ----- Keras references -----
@pytest.mark.parametrize("name", CASES)
def test_matches_keras(name):
    f = fixture(name)
    spec = json.loads(str(f["spec"]))
    cells = [CELLS[cls](**kw) for cls, kw in spec["cells"]]
    layer = RNN(cells if len(cells) > 1 else cells[0], **spec["rnn"])
    x = lamina.Tensor(f["x"], requires_grad=True)
    initial = [lamina.Tensor(f[f"initial_{i}"], requires_grad=True)
               for i in range(2) if f"initial_{i}" in f]  # fmt: skip
    kwargs = {"mask": f.get("mask")}
    if initial:
        kwargs["initial_state"] = initial
    layer(x, **kwargs)  # build
    layer.set_weights([f[f"weight_{i}"] for i in range(len(layer.weights))])
    result = layer(x, **kwargs)
    out, *states = flatten(result) if spec["rnn"].get("return_state") else [result]
    tol = {"rtol": 1e-5, "atol": 1e-6}
    np.testing.assert_allclose(out.numpy(), f["out"], **tol)
    loss = (out * lamina.Tensor(f["w"])).sum()
    assert len(states) == sum(k.startswith("state_") for k in f)
    for i, s in enumerate(states):
        np.testing.assert_allclose(s.numpy(), f[f"state_{i}"], err_msg=f"state {i}", **tol)
        loss = loss + (s * lamina.Tensor(f[f"w_state_{i}"])).sum()
    loss.backward()
    np.testing.assert_allclose(x.grad, f["grad_x"], **tol)
    for i, s in enumerate(initial):
        np.testing.assert_allclose(s.grad, f[f"grad_initial_{i}"], err_msg=f"initial {i}", **tol)
    for i, w in enumerate(layer.weights):
        np.testing.assert_allclose(w.grad, f[f"grad_weight_{i}"], err_msg=w.name, **tol)


# ----- the same as the fused layers -----
@pytest.mark.parametrize(
    "cell, fused", [(SimpleRNNCell, SimpleRNN), (LSTMCell, LSTM), (GRUCell, GRU)]
)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_rnn_of_a_cell_equals_the_fused_layer(rng, cell, fused, go_backwards):
    kwargs = {"return_sequences": True, "return_state": True, "go_backwards": go_backwards}
    layer = RNN(cell(4, dtype="float64"), dtype="float64", **kwargs)
    reference = fused(4, dtype="float64", **kwargs)
    x = rng.normal(size=(3, 6, 5))
    mask = np.ones((3, 6), bool)
    mask[1, 4:] = False
    mask[2, 2] = False
    layer(x)
    reference(x)
    reference.set_weights(layer.get_weights())
    outputs = []
    for model in (layer, reference):
        xt = lamina.Tensor(x, requires_grad=True)
        result = model(xt, mask=mask)
        loss = sum((r * np.arange(1, r.size + 1).reshape(r.shape)).sum() for r in result)
        loss.backward()
        outputs.append(([r.numpy() for r in result], xt.grad, [w.grad for w in model.weights]))
    (ours, grad_x, grad_w), (theirs, grad_x_ref, grad_w_ref) = outputs
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad_x, grad_x_ref, rtol=1e-10, atol=1e-12)
    for a, b in zip(grad_w, grad_w_ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# ----- custom cells -----
def test_custom_cell_from_the_keras_guide_trains_saves_and_loads(tmp_path, rng):
    x = rng.normal(size=(32, 6, 3)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None] * 0.1
    model = Sequential([Input(shape=(None, 3)), RNN(MinimalRNNCell(8)), Dense(1)])
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    before = model.predict(x, verbose=0)
    path = str(tmp_path / "minimal.lamina")
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)
    assert isinstance(loaded.layers[0].cell, MinimalRNNCell)


def test_stacked_custom_cells_and_functional_api(rng):
    inputs = Input((None, 5))
    outputs = RNN([MinimalRNNCell(32), MinimalRNNCell(64)])(inputs)
    model = Model(inputs, outputs)
    assert outputs.shape == (None, 64)
    assert model.predict(rng.normal(size=(2, 7, 5)).astype("float32"), verbose=0).shape == (2, 64)


@pytest.mark.parametrize(
    "factory",
    [
        lambda: RNN(LSTMCell(3), return_sequences=True),
        lambda: RNN([GRUCell(3), SimpleRNNCell(2)]),
        lambda: RNN(MinimalRNNCell(4), go_backwards=True),
    ],
)
def test_check_layer(factory):
    assert check_layer(factory, (4, 5, 3))


def test_gradients_float64_with_a_mask(rng):
    class Masked(Layer):
        def __init__(self, inner):
            super().__init__(dtype="float64")
            self.inner = inner

        def call(self, x, training=False):
            mask = np.array([[True, True, False, True], [True, True, True, False]])
            return self.inner(x, mask=mask)

    stack = [LSTMCell(2, dtype="float64"), MinimalRNNCell(3, dtype="float64")]
    layer = RNN(stack, return_sequences=True, dtype="float64")
    assert check_layer_gradients(Masked(layer), rng.normal(size=(2, 4, 3)))


# ----- masks, states, options -----
def test_embedding_mask_skips_padding(rng):
    emb = Embedding(10, 4, mask_zero=True)
    layer = RNN(GRUCell(3), return_sequences=True)
    padded = layer(emb(np.array([[3, 4, 5, 0, 0]])))
    short = layer(emb(np.array([[3, 4, 5]])))
    np.testing.assert_allclose(padded.numpy()[:, :3], short.numpy(), rtol=1e-6)
    np.testing.assert_allclose(padded.numpy()[0, 3:], np.tile(short.numpy()[0, -1], (2, 1)))
    np.testing.assert_array_equal(get_mask(padded), [[True, True, True, False, False]])
    last = RNN(GRUCell(3))
    last.build((None, 5, 4))
    last.set_weights(layer.get_weights())
    assert get_mask(last(emb(np.array([[3, 4, 5, 0, 0]])))) is None


def test_stateful_carries_states_until_reset(rng):
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    layer = RNN(LSTMCell(5), stateful=True)
    whole = RNN(LSTMCell(5))
    first = layer(x[:, :2])
    whole.build((2, 4, 3))
    whole.set_weights(layer.get_weights())
    second = layer(x[:, 2:])
    np.testing.assert_allclose(second.numpy(), whole(x).numpy(), rtol=1e-5, atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, :2]).numpy(), first.numpy(), rtol=1e-6)


def test_initial_state_layouts_for_stacked_cells(rng):
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    layer = RNN([LSTMCell(2), GRUCell(3)], return_state=True)
    h1, c1, h2 = (rng.normal(size=(2, n)).astype("float32") for n in (2, 2, 3))
    nested = layer(x, initial_state=[[h1, c1], h2])
    flat = layer(x, initial_state=[h1, c1, h2])
    for a, b in zip(flatten(nested), flatten(flat)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    zeros = layer(x)
    assert not np.allclose(zeros[0].numpy(), nested[0].numpy())
    assert layer.compute_output_shape((None, 3, 4)) == [
        (None, 3),
        [(None, 2), (None, 2)],
        (None, 3),
    ]
    with pytest.raises(ValueError, match=r"takes 3 initial state tensor\(s\)"):
        layer(x, initial_state=[h1, c1])
    with pytest.raises(ValueError, match=r"initial state must have shape \(2, 3\)"):
        layer(x, initial_state=[h1, c1, h1])


def test_training_reaches_cell_dropout(rng):
    x = rng.normal(size=(4, 5, 3)).astype("float32")
    layer = RNN(LSTMCell(6, dropout=0.5, recurrent_dropout=0.3, seed=1))
    plain = layer(x).numpy()
    np.testing.assert_array_equal(layer(x, training=False).numpy(), plain)
    dropped = layer(x, training=True).numpy()
    assert not np.allclose(dropped, plain)
    cell = layer.cell
    assert cell._dropout_mask is None and cell._recurrent_dropout_mask is None  # reset after


def test_config_round_trip_and_unroll_accepted(rng):
    layer = RNN(
        [LSTMCell(3, recurrent_dropout=0.1), GRUCell(2, reset_after=False)],
        return_sequences=True,
        go_backwards=True,
        unroll=True,
        zero_output_for_mask=True,
    )
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    out = layer(x).numpy()
    config = json.loads(json.dumps(layer.get_config()))
    assert config["cell"]["class_name"] == "StackedRNNCells"
    clone = RNN.from_config(config)
    assert isinstance(clone.cell, StackedRNNCells) and clone.cell.cells[1].reset_after is False
    assert clone.go_backwards and clone.unroll and clone.zero_output_for_mask
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), out, rtol=1e-6)


def test_errors(rng):
    class NoState(Layer):
        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(ValueError, match="state_size attribute"):
        RNN(NoState())
    with pytest.raises(ValueError, match="call"):
        RNN(object())
    with pytest.raises(ValueError, match=r"\(batch, time, features\)"):
        RNN(GRUCell(2))(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="mask must have shape"):
        RNN(GRUCell(2))(np.zeros((2, 3, 4), "float32"), mask=np.ones((2, 4), bool))
    assert issubclass(LSTMCell, _Cell)
