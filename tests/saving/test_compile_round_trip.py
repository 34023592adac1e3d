"""Compile settings survive save/load with their settings: Loss objects (one, a list, a dict by
output name), metric objects, loss_weights and optimizers with schedules. Each check compares
evaluate() before and after, so a setting lost on the way shows as a different loss."""

import numpy as np
import pytest

import lamina
from lamina import layers as L
from lamina import losses, metrics, optimizers
from lamina.models import Model, load_model

RNG = np.random.default_rng(0)
X = RNG.normal(size=(48, 5)).astype("float32")
LABELS = RNG.integers(0, 10, size=48)
BINARY = (X[:, :1] > 0.3).astype("float32")
TARGET = 3 * X[:, :1]


def model_with(units, activation=None, **compile_args):
    inputs = L.Input(shape=(5,))
    hidden = L.Dense(8, activation="tanh")(inputs)
    model = Model(inputs, L.Dense(units, activation=activation)(hidden))
    model.compile(**{"optimizer": "adam", **compile_args})
    return model


def reloaded(model, tmp_path):
    model.save(tmp_path / "m.lamina")
    return load_model(tmp_path / "m.lamina")


def evaluated(model, y):
    return model.evaluate(X, y, verbose=0, return_dict=True)


# loss, output units, targets: each setting changes the loss on this data
LOSSES = {
    "sparse_from_logits": (losses.SparseCategoricalCrossentropy(from_logits=True), 10, LABELS),
    "huber_delta": (losses.Huber(delta=0.2), 1, TARGET),
    "bce_label_smoothing": (
        losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.3),
        1,
        BINARY,
    ),
}


@pytest.mark.parametrize("case", sorted(LOSSES))
def test_loss_object_settings_survive_save_and_load(case, tmp_path):
    loss, units, y = LOSSES[case]
    model = model_with(units, loss=loss)
    model.fit(X, y, epochs=1, verbose=0)
    loaded = reloaded(model, tmp_path)
    assert loaded.loss.get_config() == loss.get_config()
    assert evaluated(loaded, y)["loss"] == pytest.approx(evaluated(model, y)["loss"], rel=1e-6)


def two_outputs(**compile_args):
    inputs = L.Input(shape=(5,))
    hidden = L.Dense(8, activation="tanh")(inputs)
    model = Model(inputs, [L.Dense(1, name="a")(hidden), L.Dense(1, name="b")(hidden)])
    model.compile(**{"optimizer": "sgd", **compile_args})
    return model


@pytest.mark.parametrize(
    "loss, loss_weights",
    [
        (losses.Huber(delta=0.2), None),  # one Loss object for every output
        ([losses.Huber(delta=0.2), losses.MeanAbsoluteError()], [0.3, 2.0]),
        ({"a": losses.Huber(delta=0.3), "b": "mse"}, {"a": 4.0, "b": 0.5}),
    ],
    ids=["one", "list", "dict"],
)
def test_losses_of_several_outputs_survive_save_and_load(loss, loss_weights, tmp_path):
    model = two_outputs(loss=loss, loss_weights=loss_weights)
    y = [TARGET, -TARGET]
    model.fit(X, y, epochs=1, verbose=0)
    loaded = reloaded(model, tmp_path)
    before, after = evaluated(model, y), evaluated(loaded, y)
    assert after == pytest.approx(before, rel=1e-6)
    assert set(after) == {"loss", "a_loss", "b_loss"}


def test_compile_takes_a_serialized_loss_as_one_loss():
    spec = losses.serialize(losses.Huber(delta=0.25))
    model = model_with(1, loss=spec)
    assert isinstance(model.loss, losses.Huber) and model.loss.get_config()["delta"] == 0.25
    reference = model_with(1, loss=losses.Huber(delta=0.25))
    reference.set_weights(model.get_weights())
    assert evaluated(model, TARGET) == pytest.approx(evaluated(reference, TARGET))
    several = two_outputs(loss=spec)  # not a dict by output name: each output's loss
    expected = losses.Huber(delta=0.25)(TARGET, several.predict(X, verbose=0)[0]).item()
    assert evaluated(several, [TARGET, TARGET])["a_loss"] == pytest.approx(expected, rel=1e-6)


def test_metric_objects_keep_their_settings(tmp_path):
    probabilities = model_with(
        1,
        activation="sigmoid",
        loss="binary_crossentropy",
        metrics=[metrics.Precision(thresholds=0.3), metrics.AUC(curve="PR")],
    )
    top_k = model_with(
        10,
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[metrics.SparseTopKCategoricalAccuracy(k=3)],
    )
    for model, y in ((probabilities, BINARY), (top_k, LABELS)):
        model.fit(X, y, epochs=1, verbose=0)
        loaded = reloaded(model, tmp_path)
        assert evaluated(loaded, y) == pytest.approx(evaluated(model, y), rel=1e-6)
        assert [m.get_config() for m in loaded.metrics] == [m.get_config() for m in model.metrics]
    assert top_k.metrics[1].get_config()["k"] == 3


def test_optimizer_settings_and_schedules_survive_save_and_load(tmp_path):
    schedule = optimizers.schedules.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.5)
    for optimizer in (
        optimizers.Adam(learning_rate=0.003, beta_1=0.8, clipnorm=1.0),
        optimizers.SGD(learning_rate=schedule, momentum=0.9),
    ):
        model = model_with(1, optimizer=optimizer, loss="mse")
        model.fit(X, TARGET, epochs=1, batch_size=16, verbose=0)
        loaded = reloaded(model, tmp_path)
        assert loaded.optimizer.get_config() == model.optimizer.get_config()
        model.fit(X, TARGET, epochs=1, batch_size=16, shuffle=False, verbose=0)
        loaded.fit(X, TARGET, epochs=1, batch_size=16, shuffle=False, verbose=0)
        for a, b in zip(model.get_weights(), loaded.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_model_checkpoint_keeps_the_loss_settings(tmp_path):
    model = model_with(10, loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    path = tmp_path / "best.keras"
    checkpoint = lamina.callbacks.ModelCheckpoint(str(path))
    model.fit(X, LABELS, epochs=1, verbose=0, callbacks=[checkpoint])
    loaded = load_model(path)
    assert loaded.loss.get_config()["from_logits"] is True
    assert evaluated(loaded, LABELS)["loss"] == pytest.approx(
        evaluated(model, LABELS)["loss"], rel=1e-6
    )


@pytest.mark.parametrize("key, kind", [("loss", "loss"), ("metrics", "metric")])
def test_an_unknown_loss_or_metric_class_in_a_file_is_named_at_load(key, kind, tmp_path):
    import hashlib
    import json
    import struct

    from lamina.saving.safetensors import encode_header

    model = model_with(1, loss=losses.Huber(), metrics=[metrics.AUC(curve="PR")])
    model.save(tmp_path / "m.keras")
    blob = (tmp_path / "m.keras").read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header, data = json.loads(blob[8 : 8 + n]), blob[8 + n :]
    metadata = header.pop("__metadata__")
    compile_config = json.loads(metadata["compile_config"])
    entry = compile_config[key][0] if key == "metrics" else compile_config[key]
    entry["class_name"] = "os.system"
    metadata["compile_config"] = json.dumps(compile_config)
    metadata["sha256"] = hashlib.sha256(data).hexdigest()
    (tmp_path / "bad.keras").write_bytes(encode_header(header, metadata) + data)
    with pytest.raises(
        ValueError, match=f"compile settings: unknown {kind} class in .*'os.system'"
    ):
        load_model(tmp_path / "bad.keras")
