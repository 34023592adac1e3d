import csv

import numpy as np
import pytest

import lamina
from lamina.callbacks import CSVLogger, EarlyStopping, LambdaCallback
from lamina.layers import Dense, Dropout, Input
from lamina.models import Sequential


def keras_example():
    # The example, unchanged but for the imports.
    model = Sequential(
        [
            Dense(64, activation="relu", input_shape=(10,)),
            Dense(32, activation="relu"),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def separable_data(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)
    return x, y


def test_keras_example_runs_on_random_data():
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(200, 10))
    y_train = rng.integers(0, 2, size=(200,))
    model = keras_example()
    history = model.fit(X_train, y_train, epochs=10, batch_size=32, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 10 for v in history.history.values())
    assert history.epoch == list(range(10))


def test_learns_separable_problem():
    x, y = separable_data()
    model = keras_example()
    history = model.fit(x, y, epochs=10, batch_size=32, validation_split=0.2, verbose=0)
    assert history.history["val_accuracy"][-1] >= 0.95
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_summary_counts_match_keras(capsys):
    model = keras_example()
    model.summary()
    out = capsys.readouterr().out
    assert "Total params: 2,817" in out and "Trainable params: 2,817" in out
    assert "Non-trainable params: 0" in out and "(None, 64)" in out


def test_summary_counts_frozen_as_non_trainable(capsys):
    model = keras_example()
    model.layers[0].trainable = False
    model.summary()
    out = capsys.readouterr().out
    assert "Trainable params: 2,113" in out and "Non-trainable params: 704" in out


def test_summary_before_build_shows_unbuilt_layers(capsys):
    # Keras 3 prints an unbuilt model too: shape "?" and "0 (unbuilt)" parameters per layer
    Sequential([Dense(4), Dense(2)]).summary()
    rows = [line for line in capsys.readouterr().out.splitlines() if "(Dense)" in line]
    assert len(rows) == 2
    assert all(row.split()[2] == "?" and row.endswith("0 (unbuilt)") for row in rows)


def test_summary_of_unbuilt_subclassed_model_lists_its_layers(capsys):
    class TwoDense(lamina.Model):
        def __init__(self):
            super().__init__()
            self.first, self.second = Dense(3), Dense(1)

        def call(self, x):
            return self.second(self.first(x))

    model = TwoDense()
    model.summary()
    out = capsys.readouterr().out
    assert out.count("0 (unbuilt)") == 2 and "Total params: 0" in out
    model(np.zeros((1, 5)))
    model.summary()
    out = capsys.readouterr().out
    assert "unbuilt" not in out and "Total params: 22" in out


def test_lazy_build_on_fit():
    model = Sequential()
    model.add(Dense(4, activation="relu"))
    model.add(Dense(1))
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(40, 3))
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert model.built and model.count_params() == 4 * 3 + 4 + 5


def test_evaluate_and_predict():
    x, y = separable_data(200)
    model = keras_example()
    model.fit(x, y, epochs=2, verbose=0)
    loss, acc = model.evaluate(x, y, verbose=0)
    assert 0 <= acc <= 1 and loss > 0
    d = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(d) == {"loss", "accuracy"} and d["loss"] == pytest.approx(loss)
    p = model.predict(x, batch_size=7, verbose=0)
    assert p.shape == (200, 1) and p.dtype == np.float32
    np.testing.assert_allclose(p, model(x).numpy(), rtol=1e-5, atol=1e-6)
    # the reported accuracy is the accuracy of the predictions
    assert acc == pytest.approx(((p[:, 0] > 0.5) == y).mean())


def test_evaluate_without_metrics_returns_float():
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    value = model.evaluate(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    assert isinstance(value, float)


def test_train_and_test_on_batch():
    x, y = separable_data(64)
    model = keras_example()
    first = model.train_on_batch(x, y)
    assert len(first) == 2
    for _ in range(30):
        loss, acc = model.train_on_batch(x, y)
    assert loss < first[0]
    assert model.test_on_batch(x, y, return_dict=True)["loss"] == pytest.approx(
        model.evaluate(x, y, batch_size=64, verbose=0)[0], rel=1e-5
    )


def test_batch_sizes_are_the_gradient_descent_variants():
    x, y = separable_data(64)
    steps = []
    for batch_size in (64, 1, 16):  # batch, stochastic, mini-batch gradient descent
        model = keras_example()
        counter = LambdaCallback(on_train_batch_end=lambda b, logs, n=batch_size: steps.append(n))
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, callbacks=[counter])
    assert steps.count(64) == 1 and steps.count(1) == 64 and steps.count(16) == 4


def test_validation_split_takes_the_last_samples():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.float32).reshape(10, 1)
    seen = []
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    original = model.test_step

    def spy(data):
        seen.append(np.asarray(data[1]).ravel().tolist())
        return original(data)

    model.test_step = spy
    model.fit(x, y, epochs=1, validation_split=0.3, verbose=0)
    assert seen == [[7.0, 8.0, 9.0]]


def test_validation_data_and_history_keys():
    x, y = separable_data(100)
    model = keras_example()
    h = model.fit(x, y, epochs=2, validation_data=(x[:20], y[:20]), verbose=0)
    assert len(h.history["val_loss"]) == 2
    assert model.history is h


def test_initial_epoch():
    x, y = separable_data(64)
    model = keras_example()
    h = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert h.epoch == [3, 4]


def test_regularization_shows_in_reported_loss():
    x = np.ones((8, 3), np.float32)
    y = np.zeros((8, 1), np.float32)
    model = Sequential(
        [
            Dense(
                1,
                input_shape=(3,),
                kernel_initializer="ones",
                kernel_regularizer=lamina.regularizers.L2(0.1),
            )
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    loss = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(9.0 + 0.1 * 3)


def test_sample_and_class_weight_change_the_loss():
    x, y = separable_data(64)
    model = keras_example()
    base = model.test_on_batch(x, y)
    zero = model.evaluate(x, y, sample_weight=np.zeros(64), verbose=0)[0]
    assert zero == 0.0 and base[0] > 0
    lamina.seed(0)
    a = keras_example()
    a.fit(x, y, epochs=3, class_weight={0: 1.0, 1: 5.0}, verbose=0, shuffle=False)
    p = a.predict(x, verbose=0)[:, 0]
    lamina.seed(0)
    b = keras_example()
    b.fit(x, y, epochs=3, verbose=0, shuffle=False)
    assert p.mean() > b.predict(x, verbose=0)[:, 0].mean()  # class 1 weighted up


def test_seed_makes_fit_reproducible():
    x, y = separable_data(128)
    runs = []
    for _ in range(2):
        lamina.seed(42)
        model = Sequential(
            [
                Dense(8, activation="relu", input_shape=(10,)),
                Dropout(0.2),
                Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(optimizer="adam", loss="binary_crossentropy")
        runs.append(model.fit(x, y, epochs=2, verbose=0).history["loss"])
    assert runs[0] == runs[1]


def test_early_stopping_restores_best_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)
    xv = rng.normal(size=(32, 4)).astype(np.float32)
    yv = rng.integers(0, 2, size=(32, 1)).astype(np.float32)  # noise: val loss will rise
    model = Sequential([Dense(32, activation="relu", input_shape=(4,)), Dense(1, "sigmoid")])
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss="binary_crossentropy")
    snapshots = []
    record = LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(model.get_weights()))
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    h = model.fit(x, y, epochs=40, validation_data=(xv, yv), callbacks=[record, stopper], verbose=0)
    best = int(np.argmin(h.history["val_loss"]))
    assert len(h.history["val_loss"]) < 40  # it stopped early
    for got, want in zip(model.get_weights(), snapshots[best]):
        np.testing.assert_array_equal(got, want)


def test_csv_logger_writes_epochs(tmp_path):
    x, y = separable_data(64)
    path = tmp_path / "log.csv"
    keras_example().fit(x, y, epochs=3, verbose=0, callbacks=[CSVLogger(str(path))])
    rows = list(csv.DictReader(open(path)))
    assert len(rows) == 3 and {"epoch", "loss", "accuracy"} <= set(rows[0])


def test_progress_output_verbose_2(capsys):
    x, y = separable_data(64)
    keras_example().fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "loss" in out


def test_sparse_categorical_training():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5)).astype(np.float32)
    y = np.argmax(x[:, :3], axis=1)
    model = Sequential(
        [Input(shape=(5,)), Dense(16, activation="relu"), Dense(3, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert h.history["accuracy"][-1] > 0.9


def test_categorical_training_with_one_hot():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5)).astype(np.float32)
    y = np.eye(3)[np.argmax(x[:, :3], axis=1)]
    model = Sequential(
        [Input(shape=(5,)), Dense(16, activation="relu"), Dense(3, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=30, verbose=0)
    assert h.history["accuracy"][-1] > 0.9


def test_regression_with_mse_and_mae_metrics():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer=lamina.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    h = model.fit(x, y, epochs=30, verbose=0)
    assert h.history["loss"][-1] < 1e-3 and "mae" in h.history


# ----- input validation: each a clear error before any training -----


def compiled_model():
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def test_wrong_feature_count():
    with pytest.raises(ValueError, match="expects 4 features per sample, but x has 6"):
        compiled_model().fit(np.zeros((10, 6)), np.zeros(10), verbose=0)


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="x has 10, y has 9"):
        compiled_model().fit(np.zeros((10, 4)), np.zeros(9), verbose=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_inputs(bad):
    x = np.zeros((10, 4))
    x[3, 2] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        compiled_model().fit(x, np.zeros(10), verbose=0)


def test_labels_out_of_range_for_sparse_loss():
    model = compiled_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\].*to 3"):
        model.fit(np.zeros((10, 4)), np.array([0, 1, 2, 3, 0, 1, 2, 0, 1, 2]), verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="labels must be"):
        model.fit(np.zeros((2, 4)), np.array([0, -1]), verbose=0)


def test_one_hot_shape_mismatch_for_categorical():
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(np.zeros((5, 4)), np.zeros(5), verbose=0)


def test_uncompiled_model():
    model = Sequential([Dense(1, input_shape=(2,))])
    for call in (
        lambda: model.fit(np.zeros((2, 2)), np.zeros(2), verbose=0),
        lambda: model.evaluate(np.zeros((2, 2)), np.zeros(2), verbose=0),
    ):
        with pytest.raises(RuntimeError, match="compile"):
            call()
    assert model.predict(np.zeros((2, 2)), verbose=0).shape == (2, 1)  # predict needs none


def test_bad_batch_size_and_strings():
    with pytest.raises(ValueError, match="batch_size"):
        compiled_model().fit(np.zeros((4, 4)), np.zeros(4), batch_size=0, verbose=0)
    with pytest.raises(TypeError, match="numeric"):
        compiled_model().fit(np.array([["a"] * 4] * 2), np.zeros(2), verbose=0)


def test_get_set_weights_and_save_load(tmp_path):
    x, y = separable_data(64)
    model = keras_example()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.lamina"
    model.save(path)
    loaded = lamina.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    other = keras_example()
    other.set_weights(model.get_weights())
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    model.save_weights(tmp_path / "w.npz")
    fresh = keras_example()
    fresh.load_weights(tmp_path / "w.npz")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_class_weight_applies_to_training_only_not_validation():
    x, y = separable_data(100)
    seen = []
    model = keras_example()
    original = model.test_step

    def spy(data):
        seen.append(data[2] if len(data) == 3 else None)  # Keras packs (x, y) without weights
        return original(data)

    model.test_step = spy
    model.fit(x, y, epochs=1, validation_split=0.2, class_weight={0: 1.0, 1: 5.0}, verbose=0)
    assert seen and all(sw is None for sw in seen)  # as Keras: validation is unweighted
