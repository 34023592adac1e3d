"""The functional API: Model(inputs, outputs) with skip connections, several inputs and
outputs, shared layers, nested models, graph validation, summary, config and save/load."""

import os
import tempfile

import numpy as np
import pytest

import lamina
from lamina.layers import (
    LSTM,
    Add,
    BatchNormalization,
    Concatenate,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling2D,
    Input,
)
from lamina.models import Functional, Model, Sequential, load_model
from tests.helpers import check_layer_gradients


def residual_model(dtype=None):
    inputs = Input(shape=(6, 6, 2), dtype=dtype)
    x = Conv2D(3, 3, padding="same", activation="relu", dtype=dtype)(inputs)
    skip = x
    x = Conv2D(3, 3, padding="same", activation="relu", dtype=dtype)(x)
    x = Conv2D(3, 3, padding="same", dtype=dtype)(x)
    x = Add(dtype=dtype)([x, skip])
    x = GlobalAveragePooling2D(dtype=dtype)(x)
    outputs = Dense(2, activation="softmax", dtype=dtype)(x)
    return Model(inputs, outputs, name="resnet")


def two_in_two_out(dtype=None):
    a = Input(shape=(3,), name="a", dtype=dtype)
    b = Input(shape=(2,), name="b", dtype=dtype)
    h = Concatenate(dtype=dtype)([Dense(4, activation="tanh", dtype=dtype)(a), b])
    reg = Dense(1, name="reg", dtype=dtype)(h)
    cls = Dense(3, activation="softmax", name="cls", dtype=dtype)(h)
    return Model(inputs=[a, b], outputs=[reg, cls])


def test_model_of_inputs_and_outputs_is_functional():
    model = residual_model()
    assert isinstance(model, Functional) and isinstance(model, Model)
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer", "Conv2D", "Conv2D", "Conv2D", "Add", "GlobalAveragePooling2D", "Dense",
    ]  # fmt: skip
    assert model.get_layer(model.layers[4].name) is model.layers[4]


def test_residual_network_trains_and_its_gradients_check():
    lamina.seed(0)
    model = residual_model()
    x = np.random.default_rng(0).normal(size=(32, 6, 6, 2)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int64")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]

    model64 = residual_model("float64")
    assert check_layer_gradients(model64, np.random.default_rng(1).normal(size=(2, 6, 6, 2)))


def test_two_inputs_two_outputs_with_per_output_losses_weights_and_metrics():
    lamina.seed(0)
    model = two_in_two_out()
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(64, 3)), rng.normal(size=(64, 2))
    y_reg, y_cls = xa.sum(axis=1, keepdims=True), rng.integers(0, 3, 64)
    model.compile(
        optimizer="adam",
        loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
        loss_weights={"reg": 1.0, "cls": 0.5},
        metrics={"cls": ["accuracy"]},
    )
    history = model.fit([xa, xb], [y_reg, y_cls], epochs=3, batch_size=16, verbose=0,
                        validation_split=0.25)  # fmt: skip
    assert set(history.history) == {
        "loss", "reg_loss", "cls_loss", "cls_accuracy",
        "val_loss", "val_reg_loss", "val_cls_loss", "val_cls_accuracy",
    }  # fmt: skip
    h = history.history
    np.testing.assert_allclose(
        h["val_loss"][-1], h["val_reg_loss"][-1] + 0.5 * h["val_cls_loss"][-1], rtol=1e-5
    )
    by_name = model.evaluate({"a": xa, "b": xb}, {"reg": y_reg, "cls": y_cls}, verbose=0)
    by_order = model.evaluate([xa, xb], [y_reg, y_cls], verbose=0)
    np.testing.assert_allclose(by_name, by_order, rtol=1e-6)
    reg, cls = model.predict([xa, xb], verbose=0)
    assert reg.shape == (64, 1) and cls.shape == (64, 3)


def test_two_inputs_two_outputs_gradients_check():
    """Analytic gradients of every input and weight against central differences (float64)."""
    model = two_in_two_out("float64")
    rng = np.random.default_rng(0)
    a = lamina.tensor(rng.normal(size=(3, 3)), requires_grad=True)
    b = lamina.tensor(rng.normal(size=(3, 2)), requires_grad=True)

    def objective():
        reg, cls = model([a, b])
        return (reg * 2.0).sum() + (cls * cls[:, :1]).sum()

    objective().backward()
    params = [a, b, *model.trainable_weights]
    for p in params:
        analytic, numeric = p.grad.copy(), np.zeros_like(p.data)
        flat = p.data.reshape(-1)
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + 1e-6
            plus = objective().item()
            flat[j] = orig - 1e-6
            minus = objective().item()
            flat[j] = orig
            numeric.reshape(-1)[j] = (plus - minus) / 2e-6
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7, err_msg=p.name)


def test_shared_layer_and_nested_model():
    shared = Dense(4, name="shared")
    a, b = Input(shape=(3,)), Input(shape=(3,))
    both = Add()([shared(a), shared(b)])
    inner = Model(a, shared(a), name="inner")
    outer_in = Input(shape=(3,))
    outer = Model(outer_in, Dense(1)(inner(outer_in)))
    siamese = Model([a, b], both)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(siamese.predict([x, x], verbose=0), 2 * shared(x).numpy(), rtol=1e-6)
    assert len(siamese.trainable_weights) == 2  # one kernel and bias, used twice
    np.testing.assert_allclose(
        outer.predict(x, verbose=0), outer.layers[-1](shared(x)).numpy(), rtol=1e-6
    )
    assert any(layer is inner for layer in outer.layers)


def test_graph_validation_names_the_layer():
    a, b = Input(shape=(3,), name="first"), Input(shape=(3,), name="second")
    out = Add(name="join")([Dense(2)(a), Dense(2)(b)])
    with pytest.raises(ValueError, match=r"Graph disconnected.*second"):
        Model(a, out)
    bad = Dense(3, name="dense_mismatch")
    bad(Flatten()(Input(shape=(2, 2))))
    with pytest.raises(ValueError, match=r"dense_mismatch cannot be called on inputs of shape"):
        bad(Input(shape=(5,)))
    with pytest.raises(ValueError, match=r"expects 2 inputs"):
        Model([a, b], out).predict(np.zeros((2, 3)), verbose=0)
    with pytest.raises(TypeError, match="symbolic tensors"):
        Model(np.zeros((2, 3)), out)


def test_training_argument_of_a_call_is_kept():
    """Transfer learning's idiom: base(x, training=False) keeps BatchNorm in inference."""
    base_in = Input(shape=(4,))
    base = Model(base_in, BatchNormalization()(base_in))
    inputs = Input(shape=(4,))
    model = Model(inputs, Dense(1)(base(inputs, training=False)))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.random.default_rng(0).normal(3, 2, size=(32, 4)), np.zeros((32, 1)), verbose=0)
    moving_mean = base.layers[1].moving_mean.numpy()
    np.testing.assert_array_equal(moving_mean, 0)  # never updated: inference mode


def test_summary_shows_connections_and_save_load_round_trip():
    model = two_in_two_out()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and "a[0]" in text
    x = [np.ones((2, 3), "float32"), np.ones((2, 2), "float32")]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.lamina")
        model.save(path)
        loaded = load_model(path)
    for a, b in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_array_equal(a, b)
    assert loaded.input_names == ["a", "b"] and loaded.output_names == ["reg", "cls"]


def test_sequence_model_with_mask_and_states():
    tokens = Input(shape=(None,), dtype="int64")
    x = Embedding(20, 4, mask_zero=True)(tokens)
    seq, h, c = LSTM(5, return_sequences=True, return_state=True)(x)
    out = Dense(1)(LSTM(5)(seq, initial_state=[h, c]))
    model = Model(tokens, out)
    ids = np.array([[3, 4, 0, 0], [5, 1, 2, 7]])
    padded = model.predict(ids, verbose=0)
    short = model.predict(ids[:1, :2], verbose=0)
    np.testing.assert_allclose(padded[:1], short, rtol=1e-5, atol=1e-6)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.lamina")
        model.save(path)
        np.testing.assert_array_equal(load_model(path).predict(ids, verbose=0), padded)


def test_sequential_inside_functional_and_dropout_training_flag():
    features = Sequential([Dense(8, activation="relu"), Dropout(0.5)])
    inputs = Input(shape=(3,))
    model = Model(inputs, Dense(1)(features(inputs)))
    x = np.ones((4, 3), "float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    lamina.seed(0)
    assert not np.allclose(model(x, training=True).numpy(), model(x).numpy())
