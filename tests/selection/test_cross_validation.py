import numpy as np
import pytest

import lamina
from lamina.callbacks import Callback
from lamina.layers import Dense, Input, Layer
from lamina.models import Model, Sequential
from lamina.optimizers import SGD, Adam
from lamina.selection import cross_validate

pytest.importorskip("sklearn")


def regression_data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]])).astype("float32")


def build_mlp():
    model = Sequential([Dense(8, activation="tanh", input_shape=(3,)), Dense(1)])
    model.compile(optimizer=Adam(0.01), loss="mse", metrics=["mae"])
    return model


class WeightLog(Callback):
    """Copies of the weights at the start and end of every fit."""

    def __init__(self):
        super().__init__()
        self.initial, self.final, self.models = [], [], []

    def on_train_begin(self, logs=None):
        self.initial.append([w.copy() for w in self.model.get_weights()])
        self.models.append(self.model)

    def on_train_end(self, logs=None):
        self.final.append([w.copy() for w in self.model.get_weights()])


def differ(a, b):
    return any(not np.allclose(u, v) for u, v in zip(a, b))


def test_each_fold_starts_from_a_fresh_model():
    x, y = regression_data()
    log = WeightLog()
    cross_validate(build_mlp, x, y, cv=3, fit_kwargs={"epochs": 3, "callbacks": [log]})
    assert len(log.initial) == 3 and len({id(m) for m in log.models}) == 3
    for k in range(1, 3):
        # training moved fold k-1's weights, so "starting from them" would be visible ...
        assert differ(log.initial[k - 1], log.final[k - 1])
        # ... and fold k starts neither from them nor from fold k-1's initial draw
        assert differ(log.initial[k], log.final[k - 1])
        assert differ(log.initial[k], log.initial[k - 1])
    assert log.models[1].optimizer is not log.models[0].optimizer
    assert log.models[1].optimizer.iterations == log.models[0].optimizer.iterations > 0


def test_no_leak_even_when_every_fold_draws_the_same_initial_weights():
    x, y = regression_data()
    log = WeightLog()

    def build_seeded():
        lamina.seed(7)  # identical initial weights in every fold
        return build_mlp()

    cross_validate(build_seeded, x, y, cv=3, fit_kwargs={"epochs": 3, "callbacks": [log]})
    assert not differ(log.initial[0], log.initial[1])  # same draw ...
    assert differ(log.initial[1], log.final[0])  # ... not fold 1's trained weights


def test_scores_are_per_fold_arrays_with_mean_and_std():
    x, y = regression_data()
    result = cross_validate(build_mlp, x, y, cv=4, fit_kwargs={"epochs": 2}, seed=0)
    assert set(result.scores) == {"loss", "mae"}
    assert result["loss"].shape == (4,)
    assert result.mean["mae"] == pytest.approx(result["mae"].mean())
    assert result.std["mae"] == pytest.approx(result["mae"].std())
    assert len(result.histories) == 4
    assert len(result.histories[0]["val_loss"]) == 2  # the held-out fold is the validation data
    assert "mae: " in result.summary() and "(4 folds)" in result.summary()
    # a fold's score is the model's evaluation on exactly its held-out samples
    result = cross_validate(build_mlp, x, y, cv=2, fit_kwargs={"epochs": 2}, return_models=True)
    model, (_, val) = result.models[1], result.folds[1]
    expected = model.evaluate(x[val], y[val], verbose=0, return_dict=True)["loss"]
    assert result["loss"][1] == pytest.approx(expected)


def test_metrics_by_name_and_by_function():
    x, y = regression_data()

    def max_error(y_true, y_pred):
        return np.abs(y_true - y_pred).max()

    result = cross_validate(build_mlp, x, y, cv=2, fit_kwargs={"epochs": 1},
                            metrics=["mae", max_error], return_models=True)  # fmt: skip
    assert set(result.scores) == {"mae", "max_error"}
    _, val = result.folds[0]
    pred = result.models[0].predict(x[val], verbose=0)
    assert result["max_error"][0] == pytest.approx(np.abs(y[val] - pred).max())
    assert np.all(result["max_error"] >= result["mae"])
    with pytest.raises(ValueError, match="metrics \\['accuracy'\\] are not computed"):
        cross_validate(build_mlp, x, y, cv=2, fit_kwargs={"epochs": 1}, metrics=["accuracy"])


def test_stratified_cross_validation_of_a_classifier():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [30, 15, 9])
    x = (rng.normal(size=(54, 4)) + y[:, None]).astype("float32")

    def build():
        model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
        model.compile(optimizer=Adam(0.05), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        return model

    result = cross_validate(build, x, y, cv=3, stratify=True, fit_kwargs={"epochs": 20})
    assert [np.bincount(y[val]).tolist() for _, val in result.folds] == [[10, 5, 3]] * 3
    assert result.mean["accuracy"] > 0.6


def test_hold_out_and_groups():
    x, y = regression_data(40)
    result = cross_validate(build_mlp, x, y, cv=0.25, fit_kwargs={"epochs": 1})
    assert len(result.folds) == 1 and len(result.folds[0][1]) == 10
    groups = np.repeat(np.arange(8), 5)
    result = cross_validate(build_mlp, x, y, cv=4, groups=groups, fit_kwargs={"epochs": 1})
    for train, val in result.folds:
        assert not set(groups[train]) & set(groups[val])


class Center(Layer):
    """Subtracts the per-feature mean of the data it was adapted on (a real preprocessing
    layer with Keras's ``adapt(data)`` contract); remembers what it saw."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.adapted_on = []

    def build(self, input_shape):
        self.mean = self.add_weight(shape=(input_shape[-1],), initializer="zeros",
                                    trainable=False, name="mean")  # fmt: skip

    def adapt(self, data):
        data = np.asarray(data, dtype="float32")
        if not self.built:
            self.build(data.shape)
        self.mean.data[...] = data.mean(axis=0)
        self.adapted_on.append(data.copy())

    def call(self, x, training=False):
        return x - self.mean


def test_preprocessing_layers_are_adapted_on_the_training_fold_only():
    x, y = regression_data(30)
    x[:, 0] += 100.0 * np.arange(30)  # a feature whose mean differs a lot between folds
    centers = []

    def build():
        center = Center()
        centers.append(center)
        center.adapt(x)  # a leak the user wrote: cross_validate re-adapts on the fold
        model = Sequential([Input(shape=(3,)), center, Dense(1)])
        model.compile(optimizer=SGD(1e-6), loss="mse")
        return model

    result = cross_validate(build, x, y, cv=3, fit_kwargs={"epochs": 1}, seed=0)
    for center, (train, _) in zip(centers, result.folds):
        assert len(center.adapted_on) == 2
        np.testing.assert_array_equal(center.adapted_on[-1], x[train])
        np.testing.assert_allclose(center.mean.numpy(), x[train].mean(axis=0), rtol=1e-6)
        assert not np.allclose(center.mean.numpy(), x.mean(axis=0))


def test_functional_models_adapt_the_layers_reading_an_input():
    x, y = regression_data(30)
    x2 = x[:, :2] * 10 + 5
    made = []

    def build():
        a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
        ca, cb = Center(), Center()
        made.append((ca, cb))
        merged = lamina.layers.concatenate([ca(a), cb(b)])
        model = Model([a, b], Dense(1)(merged))
        model.compile(optimizer="sgd", loss="mse")
        return model

    result = cross_validate(build, [x, x2], y, cv=3, fit_kwargs={"epochs": 1})
    for (ca, cb), (train, _) in zip(made, result.folds):
        np.testing.assert_array_equal(ca.adapted_on[-1], x[train])
        np.testing.assert_array_equal(cb.adapted_on[-1], x2[train])


def test_adapt_can_be_turned_off_or_done_by_hand():
    x, y = regression_data(30)
    centers, calls = [], []

    def build():
        centers.append(Center())
        model = Sequential([Input(shape=(3,)), centers[-1], Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    cross_validate(build, x, y, cv=3, fit_kwargs={"epochs": 1}, adapt=False)
    assert all(c.adapted_on == [] for c in centers)
    cross_validate(build, x, y, cv=3, fit_kwargs={"epochs": 1},
                   adapt=lambda model, x_train: calls.append(len(x_train)))  # fmt: skip
    assert calls == [20, 20, 20]


def test_normalization_layer_is_adapted_per_fold():
    Normalization = getattr(lamina.layers, "Normalization", None)
    if Normalization is None:
        pytest.skip("lamina.layers.Normalization is not available yet")
    x, y = regression_data(30)
    x[:, 0] += 50.0 * np.arange(30)
    layers = []

    def build():
        layers.append(Normalization())
        model = Sequential([Input(shape=(3,)), layers[-1], Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    result = cross_validate(build, x, y, cv=3, fit_kwargs={"epochs": 1}, seed=0)
    for layer, (train, _) in zip(layers, result.folds):
        out = layer(x[train]).numpy()
        np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-3)


def test_build_model_that_leaks_state_is_refused():
    x, y = regression_data()
    shared_model = build_mlp()
    with pytest.raises(ValueError, match="same model object"):
        cross_validate(lambda: shared_model, x, y, cv=2, fit_kwargs={"epochs": 1})
    hidden = Dense(4, activation="tanh")

    def shares_a_layer():
        model = Sequential([Input(shape=(3,)), hidden, Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    with pytest.raises(ValueError, match="sharing weights"):
        cross_validate(shares_a_layer, x, y, cv=2, fit_kwargs={"epochs": 1})
    optimizer = Adam(0.01)

    def shares_the_optimizer():
        model = Sequential([Dense(1, input_shape=(3,))])
        model.compile(optimizer=optimizer, loss="mse")
        return model

    with pytest.raises(ValueError, match="same optimizer object"):
        cross_validate(shares_the_optimizer, x, y, cv=2, fit_kwargs={"epochs": 1})

    def not_compiled():
        return Sequential([Dense(1, input_shape=(3,))])

    with pytest.raises(ValueError, match="must return a compiled model"):
        cross_validate(not_compiled, x, y, cv=2)


def test_bad_arguments():
    x, y = regression_data()
    with pytest.raises(ValueError, match="must not contain \\['validation_data'\\]"):
        cross_validate(build_mlp, x, y, fit_kwargs={"validation_data": (x, y)})
    with pytest.raises(ValueError, match="x has 48 samples but y has 47"):
        cross_validate(build_mlp, x, y[:-1])
    with pytest.raises(ValueError, match="stratify=True stratifies by y"):
        cross_validate(build_mlp, x, None, stratify=True)
