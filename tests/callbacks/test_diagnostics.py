"""Diagnostics: each diagnosis triggered by a deliberately broken training, silence on a healthy
MNIST CNN, and a training run left exactly as it would be without the callback."""

import json

import numpy as np
import pytest

import lamina
from lamina import initializers, ops, optimizers
from lamina.callbacks import Diagnostics, TerminateOnNaN
from lamina.explain import Finding
from lamina.layers import Activation, BatchNormalization, Dense, Dropout
from lamina.layers.layer import _call_context
from lamina.models import Sequential
from tests.explain.mnist_run import trained_cnn

# broken trainings overflow on purpose; NumPy's warnings about it are expected
broken = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def blobs(n=256, d=20, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(classes, d)) * 2
    y = rng.integers(0, classes, n)
    return (centers[y] + rng.normal(size=(n, d))).astype(np.float32), y


def fit(model, x, y, epochs=1, **kwargs):
    diagnostics = Diagnostics(verbose=0, **kwargs.pop("diagnostics", {}))
    history = model.fit(x, y, epochs=epochs, verbose=0, callbacks=[diagnostics], **kwargs)
    return history, diagnostics


def kinds(history):
    return {(f.kind, f.layer) for f in history.diagnostics}


def test_vanishing_gradients_in_a_20_layer_sigmoid_mlp():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 20)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.float32)
    layers = [Dense(32, activation="sigmoid", input_shape=(20,), name="first")]
    layers += [Dense(32, activation="sigmoid") for _ in range(19)]
    model = Sequential([*layers, Dense(1, activation="sigmoid", name="out")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    history, diagnostics = fit(model, x, y)
    (finding,) = [f for f in history.diagnostics if f.kind == "vanishing_gradients"]
    assert finding.layer == "first"
    assert finding.evidence["ratio"] < 1e-9  # measured: ~1e-14 (0.25 per sigmoid, 20 times)
    rms = diagnostics.stats[0]["grad_rms"]
    assert list(rms)[0] == "first" and list(rms)[-1] == "out" and len(rms) == 21
    assert "ReLU" in finding.remedy


def test_dead_relus_from_a_large_negative_bias():
    x, y = blobs()
    model = Sequential(
        [
            Dense(
                64,
                activation="relu",
                input_shape=(20,),
                name="hidden",
                bias_initializer=initializers.Constant(-20.0),
            ),
            Dense(4, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history, diagnostics = fit(model, x, y, epochs=2)
    assert kinds(history) == {("dead_relu", "hidden")}  # once, though both epochs show it
    finding = history.diagnostics[0]
    assert finding.evidence == {"dead_fraction": 1.0, "units": 64}
    assert diagnostics.stats[1]["dead_fraction"]["hidden"] == 1.0
    assert diagnostics.stats[0]["grad_rms"]["hidden"] == 0.0  # dead units pass no gradient


@broken
def test_divergence_with_sgd_and_learning_rate_10():
    x, y = blobs()
    model = Sequential(
        [
            Dense(64, activation="relu", input_shape=(20,), name="in"),
            Dense(64, activation="relu"),
            Dense(4, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=optimizers.SGD(learning_rate=10.0), loss="sparse_categorical_crossentropy"
    )
    history, _ = fit(model, x, y, epochs=2)
    by_kind = {f.kind: f for f in history.diagnostics}
    lr = by_kind["learning_rate_too_high"]
    assert lr.evidence["recent_loss"] > 100 * lr.evidence["first_loss"]
    assert "lower the learning rate" in lr.remedy
    assert by_kind["nan"].layer in [layer.name for layer in model.layers]
    assert by_kind["nan"].evidence["weights_finite"] is False  # an update overflowed


def test_overfitting_with_a_tiny_training_set_and_a_large_model():
    x, y = blobs(n=600)
    rng = np.random.default_rng(1)
    x_small, y_small = x[:32] + rng.normal(size=(32, 20)).astype(np.float32) * 3, y[:32]
    model = Sequential(
        [
            Dense(256, activation="relu", input_shape=(20,)),
            Dense(256, activation="relu"),
            Dense(4, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history, _ = fit(
        model, x_small, y_small, epochs=8, batch_size=16, validation_data=(x[100:400], y[100:400])
    )
    (finding,) = [f for f in history.diagnostics if f.kind == "overfitting"]
    assert finding.evidence["val_loss"] > 2 * finding.evidence["loss"]
    assert finding.epoch >= 1 and "EarlyStopping" in finding.remedy


@broken
def test_exploding_gradients_from_a_large_initialization():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 20)).astype(np.float32)
    init = initializers.RandomNormal(stddev=1.0)  # ~5.7x gain per 32-unit layer
    layers = [Dense(32, activation="relu", input_shape=(20,), kernel_initializer=init)]
    layers += [Dense(32, activation="relu", kernel_initializer=init) for _ in range(6)]
    model = Sequential([*layers, Dense(1, kernel_initializer=init)])
    model.compile(optimizer=optimizers.SGD(learning_rate=1e-9), loss="mse")
    history, _ = fit(model, x, x[:, :1])
    (finding,) = [f for f in history.diagnostics if f.kind == "exploding_gradients"]
    assert finding.evidence["max_norm"] > 1e6
    assert "clipnorm" in finding.remedy


def test_underfitting_a_linear_model_on_concentric_circles():
    rng = np.random.default_rng(0)
    radius, angle = rng.uniform(0, 2, 512), rng.uniform(0, 2 * np.pi, 512)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1).astype(np.float32)
    y = (radius > 1).astype(np.float32)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history, _ = fit(model, x, y, epochs=4)
    (finding,) = [f for f in history.diagnostics if f.kind == "underfitting"]
    # the reference is the loss of always predicting the positive rate p (sampled batches)
    p = y.mean()
    entropy = -(p * np.log(p) + (1 - p) * np.log(1 - p))
    assert finding.evidence["reference_loss"] == pytest.approx(entropy, abs=0.03)
    assert finding.evidence["ratio"] > 0.95 and finding.epoch == 2
    assert "larger model" in finding.remedy


def test_saturated_tanh_units_from_unscaled_inputs():
    x, y = blobs()
    model = Sequential(
        [
            Dense(64, activation="tanh", input_shape=(20,), name="squashed"),
            Dense(4, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history, _ = fit(model, x * 50, y)
    (finding,) = [f for f in history.diagnostics if f.kind == "saturation"]
    assert finding.layer == "squashed" and finding.evidence["saturated_fraction"] > 0.9
    assert "scale the inputs" in finding.remedy


@broken
def test_nan_is_located_in_the_first_layer_that_produces_it(capsys):
    x, y = blobs()
    model = Sequential(
        [
            Dense(16, input_shape=(20,), name="linear"),
            Activation(ops.log, name="log"),
            Dense(4, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    diagnostics = Diagnostics(every=1000)  # the NaN is caught between inspected batches too
    history = model.fit(
        x[:64], y[:64], batch_size=8, epochs=1, verbose=0, callbacks=[diagnostics, TerminateOnNaN()]
    )
    (finding,) = history.diagnostics
    assert (finding.kind, finding.layer, finding.evidence["batch"]) == ("nan", "log", 0)
    printed = capsys.readouterr().out
    assert printed.count("Diagnostics: [nan] epoch 1 in log") == 1


def test_silent_on_a_healthy_mnist_cnn():
    run = trained_cnn()
    assert run.history.history["val_accuracy"][-1] > 0.8
    assert run.history.diagnostics == [] and run.diagnostics.findings == []
    stats = run.diagnostics.stats[-1]
    assert list(stats["grad_rms"]) == ["conv", "last_conv", "classes"]
    assert 0.05 < stats["grad_rms"]["conv"] / stats["grad_rms"]["classes"] < 20
    assert max(stats["dead_fraction"].values()) < 0.5


def test_training_is_unchanged_by_diagnostics():
    """Same weights and history with and without the callback, even with Dropout (random
    numbers) and BatchNormalization (moving statistics) in the model."""
    x, y = blobs()

    def train(callbacks):
        lamina.seed(7)
        model = Sequential(
            [
                Dense(32, activation="relu", input_shape=(20,)),
                BatchNormalization(),
                Dropout(0.3),
                Dense(4, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=callbacks)
        return model.get_weights(), history.history

    weights, logs = train([])
    weights_diag, logs_diag = train([Diagnostics(every=1, verbose=0)])
    assert logs == logs_diag
    for a, b in zip(weights, weights_diag):
        np.testing.assert_array_equal(a, b)
    assert _call_context.hooks == ()  # the activation hook is gone after fit


def test_findings_are_printed_once_and_serializable(capsys):
    x, y = blobs()
    model = Sequential(
        [
            Dense(
                8,
                activation="relu",
                input_shape=(20,),
                name="hidden",
                bias_initializer=initializers.Constant(-50.0),
            ),
            Dense(4),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.eye(4)[y], epochs=3, verbose=0, callbacks=[Diagnostics()])
    out = capsys.readouterr().out
    assert out.count("[dead_relu] epoch 1 in hidden: 100% of its 8 ReLU units") == 1
    assert "Remedy: lower the learning rate" in out
    finding = model.history.diagnostics[0]
    data = json.loads(json.dumps(finding.to_dict()))
    assert Finding.from_dict(data) == finding


def test_thresholds_can_be_raised_and_are_checked():
    x, y = blobs()
    model = Sequential(
        [
            Dense(
                8,
                activation="relu",
                input_shape=(20,),
                bias_initializer=initializers.Constant(-50.0),
            ),
            Dense(4),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    history, _ = fit(model, x, np.eye(4)[y], diagnostics={"thresholds": {"dead_relu_fraction": 1}})
    assert history.diagnostics == []
    with pytest.raises(ValueError, match="unknown thresholds"):
        Diagnostics(thresholds={"dead_relus": 0.5})
    with pytest.raises(ValueError, match="every must be a positive integer"):
        Diagnostics(every=0)


def test_a_history_without_diagnostics_has_an_empty_list():
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.zeros((8, 2)), np.zeros((8, 1)), verbose=0)
    assert history.diagnostics == [] and history.diagnostics_stats is None
