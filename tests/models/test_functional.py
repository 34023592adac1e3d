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


def ticket_model():
    """The functional API guide's ticket model (small): two named outputs given as a dict."""
    title, body = Input(shape=(None,), name="title"), Input(shape=(None,), name="body")
    tags = Input(shape=(5,), name="tags")
    x = Concatenate()([LSTM(4)(Embedding(50, 3)(title)), LSTM(3)(Embedding(50, 3)(body)), tags])
    priority = Dense(1, name="priority")(x)
    department = Dense(4, name="department")(x)
    return Model(
        inputs=[title, body, tags], outputs={"priority": priority, "department": department}
    )


def ticket_data(n=24):
    rng = np.random.default_rng(0)
    x = {"title": rng.integers(50, size=(n, 6)), "body": rng.integers(50, size=(n, 9)),
         "tags": rng.integers(2, size=(n, 5)).astype("float32")}  # fmt: skip
    y = {"priority": rng.random((n, 1)), "department": np.eye(4)[rng.integers(4, size=n)]}
    return x, y


def compile_ticket(model, loss=None, loss_weights=None, metrics=None):
    from lamina.losses import BinaryCrossentropy, CategoricalCrossentropy

    if loss is None:
        loss = {
            "priority": BinaryCrossentropy(from_logits=True),
            "department": CategoricalCrossentropy(from_logits=True),
        }
    model.compile(
        optimizer="rmsprop",
        loss=loss,
        loss_weights=loss_weights or {"priority": 1.0, "department": 0.2},
        metrics=metrics,
    )


def test_dict_outputs_train_evaluate_and_predict_by_name():
    model = ticket_model()
    # Keras flattens a dict by sorted key: that is the outputs' order
    assert model.output_names == ["department", "priority"]
    x, y = ticket_data()
    compile_ticket(model, metrics={"department": ["accuracy"]})
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25)
    assert set(history.history) == {
        "loss", "priority_loss", "department_loss", "department_accuracy",
        "val_loss", "val_priority_loss", "val_department_loss", "val_department_accuracy",
    }  # fmt: skip
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(
        logs["loss"], logs["priority_loss"] + 0.2 * logs["department_loss"], rtol=1e-5
    )
    # As Keras's list: loss, the output losses in the loss dict's order, then the metrics
    listed = model.evaluate(x, y, verbose=0)
    expected = [logs[k] for k in ("loss", "priority_loss", "department_loss")]
    np.testing.assert_allclose(listed, [*expected, logs["department_accuracy"]], rtol=1e-6)
    # targets as a list come in output order
    by_order = model.evaluate(x, [y["department"], y["priority"]], verbose=0, return_dict=True)
    np.testing.assert_allclose(list(by_order.values()), list(logs.values()), rtol=1e-6)

    out = model.predict(x, batch_size=10, verbose=0)
    assert isinstance(out, dict) and list(out) == ["department", "priority"]
    assert out["priority"].shape == (24, 1) and out["department"].shape == (24, 4)
    direct = model([x["title"], x["body"], x["tags"]])
    np.testing.assert_allclose(out["department"], direct["department"].numpy(), rtol=1e-5)
    on_batch = model.predict_on_batch(x)
    assert set(on_batch) == {"department", "priority"}
    np.testing.assert_allclose(on_batch["priority"], out["priority"], rtol=1e-5)


def test_dict_outputs_losses_and_weights_as_lists_follow_output_order():
    from lamina.losses import BinaryCrossentropy, CategoricalCrossentropy

    x, y = ticket_data()
    by_name = ticket_model()
    compile_ticket(by_name)
    by_order = ticket_model()
    by_order.set_weights(by_name.get_weights())
    compile_ticket(
        by_order,
        loss=[CategoricalCrossentropy(from_logits=True), BinaryCrossentropy(from_logits=True)],
        loss_weights=[0.2, 1.0],
    )
    np.testing.assert_allclose(
        by_order.evaluate(x, y, verbose=0, return_dict=True)["loss"],
        by_name.evaluate(x, y, verbose=0, return_dict=True)["loss"],
        rtol=1e-6,
    )


def test_dict_output_keys_name_logs_while_output_names_stay_layer_names():
    a = Input(shape=(3,), name="a")
    model = Model(a, {"zeta": Dense(1, name="z_layer")(a), "alpha": Dense(2, name="a_layer")(a)})
    assert model.output_names == ["a_layer", "z_layer"]  # as Keras: layer names, key order
    x = np.random.default_rng(0).normal(size=(8, 3))
    y = {"zeta": np.ones((8, 1)), "alpha": np.zeros((8, 2))}
    model.compile(optimizer="sgd", loss={"zeta": "mse", "alpha": "mae"}, metrics={"zeta": "mae"})
    assert set(model.fit(x, y, verbose=0).history) == {
        "loss",
        "zeta_loss",
        "alpha_loss",
        "zeta_mae",
    }
    with pytest.raises(ValueError, match=r"unknown outputs \['z_layer'\]"):
        model.compile(optimizer="sgd", loss={"z_layer": "mse", "alpha": "mae"})
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="no target named 'alpha'"):
        model.fit(x, {"zeta": y["zeta"]}, verbose=0)


def test_only_one_output_loss_gives_no_per_output_loss_logs():
    a = Input(shape=(3,), name="a")
    model = Model(a, {"zeta": Dense(1)(a), "alpha": Dense(2)(a)})
    model.compile(optimizer="sgd", loss={"zeta": "mse"})  # as Keras: "loss" alone
    x = np.zeros((4, 3))
    logs = model.evaluate(x, {"zeta": np.ones((4, 1)), "alpha": np.ones((4, 2))}, verbose=0,
                          return_dict=True)  # fmt: skip
    assert list(logs) == ["loss"]


def test_label_check_names_the_output():
    x, y = ticket_data()
    y["department"] = np.arange(24) % 4  # integer labels for a categorical loss
    model = ticket_model()
    compile_ticket(model)
    with pytest.raises(ValueError, match="output 'department': categorical_crossentropy"):
        model.fit(x, y, verbose=0)


def test_one_output_in_a_dict_or_a_list():
    inputs = Input(shape=(3,), name="a")
    x, labels = np.random.default_rng(0).normal(size=(8, 3)), np.arange(8) % 4
    in_dict = Model(inputs, {"out": Dense(4, activation="softmax")(inputs)})
    in_dict.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert set(in_dict.fit(x, {"out": labels}, verbose=0).history) == {"loss", "accuracy"}
    predicted = in_dict.predict({"a": x}, verbose=0)
    assert list(predicted) == ["out"] and predicted["out"].shape == (8, 4)

    in_list = Model(inputs, [Dense(4, activation="softmax")(inputs)])
    in_list.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert set(in_list.fit(x, labels, verbose=0).history) == {"loss", "accuracy"}
    assert in_list.predict(x, verbose=0).shape == (8, 4)  # an array, as Keras's


def test_dict_inputs_are_read_by_key():
    first, second = Input(shape=(3,), name="first"), Input(shape=(2,), name="second")
    out = Dense(1)(Concatenate()([first, second]))
    model = Model({"zz": first, "aa": second}, out)
    assert model.input_names == ["second", "first"]  # sorted keys, as Keras
    xa, xb = np.ones((4, 3)), np.zeros((4, 2))
    by_key = model.predict({"zz": xa, "aa": xb}, verbose=0)
    np.testing.assert_array_equal(by_key, model.predict([xb, xa], verbose=0))
    with pytest.raises(ValueError, match="no input named 'aa'"):
        model.predict({"first": xa, "second": xb}, verbose=0)
    # inputs given as a list: a dict of data by input name, as in the functional API guide
    listed = Model([first, second], out)
    np.testing.assert_array_equal(listed.predict({"first": xa, "second": xb}, verbose=0), by_key)


def test_dict_outputs_save_load_round_trip():
    x, y = ticket_data()
    model = ticket_model()
    compile_ticket(model, metrics={"department": ["accuracy"]})
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ticket.lamina")
        model.save(path)
        loaded = load_model(path)
    before, after = model.predict(x, verbose=0), loaded.predict(x, verbose=0)
    assert list(after) == list(before) == ["department", "priority"]
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True), rel=1e-6
    )


def test_a_trailing_size_one_axis_is_added_or_squeezed_as_in_keras():
    inputs = Input(shape=(1,))
    model = Model(inputs, Dense(2)(inputs))
    column = np.arange(5, dtype=np.float32)
    np.testing.assert_array_equal(
        model.predict(column, verbose=0), model.predict(column[:, None], verbose=0)
    )
    inputs = Input(shape=(3,))
    model = Model(inputs, Dense(2)(inputs))
    x = np.ones((4, 3), np.float32)
    np.testing.assert_array_equal(model(x[..., None]).numpy(), model(x).numpy())
    with pytest.raises(ValueError, match="expects input of shape"):
        model.predict(np.ones((4, 3, 2), np.float32), verbose=0)


def test_a_plain_call_leaves_each_layer_its_own_training_default():
    from lamina.layers import RandomFlip

    inputs = Input(shape=(4, 4, 1))
    flip = Model(inputs, RandomFlip(seed=1)(inputs))  # augmentation defaults to training=True
    x = np.arange(64, dtype=np.float32).reshape(4, 4, 4, 1)
    assert any((flip(x).numpy() != x).any() for _ in range(3))
    np.testing.assert_array_equal(flip.predict(x, verbose=0), x)
    np.testing.assert_array_equal(flip(x, training=False).numpy(), x)
    inputs = Input(shape=(50,))
    dropout = Model(inputs, Dropout(0.5)(inputs))  # Dropout defaults to inference
    np.testing.assert_array_equal(dropout(np.ones((2, 50), np.float32)).numpy(), 1.0)
