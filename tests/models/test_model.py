"""``Model``'s compile, train_step/test_step and *_on_batch: metrics versus weighted_metrics,
and models with nothing to train.

The expected numbers come from Keras 3.15 (torch backend) running the same code with
``import keras`` (a throwaway script: same data, same initial weights, SGD(0.1),
``shuffle=False``), rounded to 5 decimals.
"""

import warnings

import numpy as np
import pytest

import lamina
from lamina.layers import Dense, Input
from lamina.metrics import TruePositives
from lamina.models import Model, Sequential

X = np.linspace(-1, 1, 24, dtype="float32").reshape(12, 2)
Y = np.array([1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1], "float32").reshape(12, 1)
SAMPLE_WEIGHT = np.linspace(0.5, 2.0, 12).astype("float32")
CLASS_WEIGHT = {0: 0.01, 1: 0.5}
WEIGHTS = [np.array([[1.5], [-0.5]], "float32"), np.array([0.2], "float32")]


def single_output(**compile_args):
    model = Sequential([Input((2,)), Dense(1, activation="sigmoid")])
    model.set_weights(WEIGHTS)
    model.compile(optimizer=lamina.optimizers.SGD(0.1), loss="binary_crossentropy", **compile_args)
    return model


def two_outputs(**compile_args):
    inputs = Input((2,))
    outputs = [Dense(1, activation="sigmoid", name="a")(inputs), Dense(1, name="b")(inputs)]
    model = Model(inputs, outputs)
    model.set_weights(WEIGHTS + WEIGHTS)
    model.compile(
        optimizer=lamina.optimizers.SGD(0.1), loss=["binary_crossentropy", "mse"], **compile_args
    )
    return model


def rounded(logs):
    return {k: round(float(v), 5) for k, v in logs.items()}


# ----- metrics are never weighted; weighted_metrics are -----
def test_class_weight_reaches_weighted_metrics_only():
    # the keras.io imbalanced-classification setting: counts in `metrics` stay whole numbers
    model = single_output(
        metrics=[TruePositives(name="tp"), "accuracy"],
        weighted_metrics=[TruePositives(name="wtp"), "accuracy"],
    )
    history = model.fit(
        X, Y, batch_size=12, epochs=2, class_weight=CLASS_WEIGHT, shuffle=False, verbose=0
    )
    last = rounded({k: v[-1] for k, v in history.history.items()})
    assert last == {"loss": 0.20403, "tp": 4.0, "accuracy": 0.5, "wtp": 2.0,
                    "weighted_accuracy": 0.56901}  # fmt: skip


def test_evaluate_weights_only_weighted_metrics_in_keras_order():
    model = single_output(
        metrics=[TruePositives(name="tp")], weighted_metrics=[TruePositives(name="wtp")]
    )
    results = model.evaluate(X, Y, sample_weight=SAMPLE_WEIGHT, verbose=0)
    assert [round(v, 5) for v in results] == [0.87678, 4.0, 6.5]
    assert [round(v, 5) for v in model.evaluate(X, Y, verbose=0)] == [0.73634, 4.0, 4.0]


def test_same_name_in_both_lists_takes_keras_prefixes_and_suffixes():
    tp, weighted_tp = TruePositives(name="tp"), TruePositives(name="tp")
    model = single_output(
        metrics=["accuracy", "accuracy", tp], weighted_metrics=["accuracy", "accuracy", weighted_tp]
    )
    logs = model.evaluate(X, Y, sample_weight=SAMPLE_WEIGHT, verbose=0, return_dict=True)
    assert rounded(logs) == {
        "loss": 0.87678, "accuracy": 0.5, "accuracy_1": 0.5, "tp": 4.0,
        "weighted_accuracy": 0.54545, "weighted_accuracy_1": 0.54545, "weighted_tp": 6.5,
    }  # fmt: skip
    # Keras 3 repeats "accuracy" in the list form; lamina lists each result once, in log order
    assert model.metrics_names == list(logs)


def test_train_and_test_on_batch_keep_the_two_lists_apart():
    model = single_output(
        metrics=[TruePositives(name="tp")], weighted_metrics=[TruePositives(name="wtp")]
    )
    result = model.train_on_batch(X, Y, sample_weight=SAMPLE_WEIGHT)
    assert [round(v, 5) for v in result] == [0.87678, 4.0, 6.5]
    result = model.test_on_batch(X, Y, sample_weight=SAMPLE_WEIGHT)
    assert [round(v, 5) for v in result] == [0.87579, 4.0, 6.5]

    model = single_output(
        metrics=[TruePositives(name="tp")], weighted_metrics=[TruePositives(name="wtp")]
    )
    logs = model.train_on_batch(X, Y, class_weight=CLASS_WEIGHT, return_dict=True)
    assert rounded(logs) == {"loss": 0.2061, "tp": 4.0, "wtp": 2.0}
    kernel, bias = model.get_weights()  # the loss stays weighted: Keras's step
    np.testing.assert_allclose(kernel.ravel(), [1.49629, -0.50252], atol=1e-5)
    np.testing.assert_allclose(bias, [0.21371], atol=1e-5)


def test_several_outputs_weight_only_weighted_metrics():
    model = two_outputs(
        metrics={"a": [TruePositives(name="tp"), "accuracy"], "b": ["mae"]},
        weighted_metrics={"a": [TruePositives(name="tp")], "b": ["mae", "mse"]},
    )
    logs = model.evaluate(X, [Y, Y], sample_weight=SAMPLE_WEIGHT, verbose=0, return_dict=True)
    assert rounded(logs) == {
        "loss": 1.59885, "a_loss": 0.87678, "b_loss": 0.72207, "a_accuracy": 0.5, "a_tp": 4.0,
        "a_weighted_tp": 6.5, "b_mae": 0.72681, "b_mse": 0.57766, "b_weighted_mae": 0.58843,
    }  # fmt: skip
    # the list form: losses, then the metrics sorted by name, as Keras 3 returns them
    values = model.evaluate(X, [Y, Y], sample_weight=SAMPLE_WEIGHT, verbose=0)
    assert [round(v, 5) for v in values] == list(rounded(logs).values())


def test_several_outputs_fit_with_per_output_lists():
    model = two_outputs(metrics=[["accuracy"], ["mae"]], weighted_metrics=[["accuracy"], ["mae"]])
    history = model.fit(
        X, [Y, Y], sample_weight=SAMPLE_WEIGHT, batch_size=12, shuffle=False, verbose=0
    )
    assert rounded({k: v[-1] for k, v in history.history.items()}) == {
        "loss": 1.59885, "a_loss": 0.87678, "b_loss": 0.72207, "a_accuracy": 0.5,
        "a_weighted_accuracy": 0.54545, "b_mae": 0.72681, "b_weighted_mae": 0.58843,
    }  # fmt: skip


# ----- a model with nothing to train -----
def test_frozen_model_reports_loss_and_metrics_without_updating():
    model = single_output(metrics=["accuracy"])
    model.trainable = False
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        result = model.train_on_batch(X, Y)
    np.testing.assert_allclose(result, model.evaluate(X, Y, verbose=0), rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = model.fit(X, Y, epochs=2, verbose=0)
    assert history.history["loss"] == pytest.approx([result[0]] * 2, rel=1e-6)
    for got, expected in zip(model.get_weights(), WEIGHTS):
        np.testing.assert_array_equal(got, expected)
    assert model.optimizer.iterations == 0


def test_keras2_style_gan_trains_the_generator_through_a_frozen_discriminator():
    lamina.seed(0)
    discriminator = Sequential([Input((2,)), Dense(1, activation="sigmoid")])
    discriminator.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    discriminator.trainable = False
    generator = Sequential([Input((3,)), Dense(2)])
    combined = Sequential([generator, discriminator])
    combined.compile(optimizer="adam", loss="binary_crossentropy")
    d_before, g_before = discriminator.get_weights(), generator.get_weights()
    noise, valid = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    loss = combined.train_on_batch(noise, valid)
    assert np.isfinite(loss)
    assert not np.allclose(generator.get_weights()[0], g_before[0])
    with pytest.warns(UserWarning, match="trainable weights"):  # Keras 3: D stays as it is
        d_loss, d_accuracy = discriminator.train_on_batch(X, Y)
    assert np.isfinite(d_loss) and 0 <= d_accuracy <= 1
    for got, expected in zip(discriminator.get_weights(), d_before):
        np.testing.assert_array_equal(got, expected)


def test_loss_that_no_trainable_weight_feeds_warns_instead_of_crashing():
    class Unused(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(1)

        def call(self, x):
            self.dense(x)  # built and trainable, but the output does not depend on it
            return x[:, :1] * 2.0

    model = Unused()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match="does not depend on any trainable weight"):
        loss = model.train_on_batch(X, Y)
    assert loss == pytest.approx(float(np.mean((X[:, :1] * 2 - Y) ** 2)), rel=1e-6)


def test_partly_frozen_model_still_trains_the_rest():
    model = Sequential([Input((2,)), Dense(3), Dense(1, activation="sigmoid")])
    model.compile(optimizer=lamina.optimizers.SGD(0.5), loss="binary_crossentropy")
    model.layers[0].trainable = False
    frozen, head = model.layers[0].get_weights(), model.layers[1].get_weights()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about: the head trains
        model.train_on_batch(X, Y)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], frozen[0])
    assert not np.allclose(model.layers[1].get_weights()[0], head[0])
