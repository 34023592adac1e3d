"""Metrics: Keras's documented values, weighting, state, lookup as compile does it, config."""

import numpy as np
import pytest

import lamina
from lamina import losses, metrics


# ----- Keras's documented examples -----
def test_mean():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert m.result() == 4.0
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result() == 2.0
    assert isinstance(m.result(), float)


@pytest.mark.parametrize(
    "metric, y_true, y_pred, weights, unweighted, weighted",
    [
        (
            metrics.Accuracy(),
            [[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0], 0.75, 0.5,
        ),
        (
            metrics.BinaryAccuracy(),
            [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], [1, 0, 0, 1], 0.75, 0.5,
        ),
        (
            metrics.CategoricalAccuracy(),
            [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.5, 0.3,
        ),
        (
            metrics.SparseCategoricalAccuracy(),
            [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], [0.7, 0.3], 0.5, 0.3,
        ),
        (
            metrics.MeanSquaredError(),
            [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.25, 0.5,
        ),
        (
            metrics.MeanAbsoluteError(),
            [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.25, 0.5,
        ),
    ],
)  # fmt: skip
def test_keras_documented_values(metric, y_true, y_pred, weights, unweighted, weighted):
    metric.update_state(y_true, y_pred)
    assert metric.result() == pytest.approx(unweighted)
    metric.reset_state()
    assert metric.result() == 0.0
    metric.update_state(y_true, y_pred, sample_weight=weights)
    assert metric.result() == pytest.approx(weighted)


# ----- accumulation, inputs, shapes -----
def test_running_mean_over_uneven_batches(rng):
    y = rng.integers(0, 5, size=103)
    logits = rng.normal(size=(103, 5)).astype(np.float32)
    m = metrics.SparseCategoricalAccuracy()
    for start in range(0, 103, 32):  # batches of 32, 32, 32, 7
        m.update_state(y[start : start + 32], logits[start : start + 32])
    assert m.result() == pytest.approx(np.mean(logits.argmax(-1) == y))


def test_tensors_and_label_shapes():
    y_pred = lamina.tensor([[0.2], [0.7], [0.9]], requires_grad=True)
    m = metrics.BinaryAccuracy()
    m.update_state(lamina.tensor([0.0, 1.0, 0.0]), y_pred)  # (N,) labels, (N, 1) predictions
    assert m.result() == pytest.approx(2 / 3)
    m = metrics.BinaryAccuracy(threshold=0.8)
    m.update_state(np.array([[0], [1], [1]]), y_pred)
    assert m.result() == pytest.approx(2 / 3)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(np.array([1.0, 0.0]), lamina.tensor([[0.1, 0.9], [0.3, 0.7]]))  # float labels
    assert m.result() == 0.5


def test_call_updates_and_returns_result():
    m = metrics.Accuracy()
    assert m([1, 2], [1, 0]) == 0.5
    assert m([3, 4], [3, 4]) == 0.75


def test_mean_as_loss_tracker_with_batch_sizes():
    m = metrics.Mean(name="loss")
    m.update_state(lamina.tensor(2.0), sample_weight=32)
    m.update_state(np.float32(4.0), sample_weight=8)
    assert m.result() == pytest.approx((2 * 32 + 4 * 8) / 40)


def test_mean_of_per_element_values_and_weight_shapes():
    m = metrics.Mean()
    m.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[[1.0], [0.0]])  # (N, 1) weights
    assert m.result() == 2.0
    m.reset_state()
    m.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[[1.0, 0.0], [1.0, 1.0]])
    assert m.result() == pytest.approx(13 / 3)
    with pytest.raises(ValueError, match="sample_weight of shape"):
        m.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 2.0])


def test_empty_metric_result_is_zero():
    assert metrics.Mean().result() == 0.0
    m = metrics.Mean()
    m.update_state([1.0], sample_weight=[0.0])
    assert m.result() == 0.0


def test_bad_threshold():
    with pytest.raises(ValueError, match="threshold"):
        metrics.BinaryAccuracy(threshold=1.5)


def test_function_forms():
    np.testing.assert_array_equal(metrics.binary_accuracy([[1], [0]], [[0.6], [0.6]]), [[1], [0]])
    np.testing.assert_array_equal(
        metrics.categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]), [1, 0]
    )
    np.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy([1, 1], [[0.2, 0.8], [0.3, 0.1]]), [1, 0]
    )


# ----- lookup, as compile resolves metrics -----
@pytest.mark.parametrize(
    "loss, output_shape, expected",
    [
        ("binary_crossentropy", None, metrics.BinaryAccuracy),
        (losses.binary_crossentropy, (None, 10), metrics.BinaryAccuracy),  # multi-label
        (losses.BinaryCrossentropy(from_logits=True), None, metrics.BinaryAccuracy),
        ("sparse_categorical_crossentropy", (None, 10), metrics.SparseCategoricalAccuracy),
        (losses.SparseCategoricalCrossentropy, None, metrics.SparseCategoricalAccuracy),
        ("categorical_crossentropy", (None, 10), metrics.CategoricalAccuracy),
        (losses.CategoricalCrossentropy(), None, metrics.CategoricalAccuracy),
        ("mse", (None, 1), metrics.BinaryAccuracy),
    ],
)
def test_accuracy_resolves_like_keras(loss, output_shape, expected):
    for name in ("accuracy", "acc"):
        m = metrics.get(name, loss=loss, output_shape=output_shape)
        assert type(m) is expected and m.name == name


def test_accuracy_without_loss_decides_from_shapes():
    m = metrics.get("accuracy")
    assert m.name == "accuracy" and m.direction == "up"
    m.update_state([1, 0], [[0.9], [0.2]])  # one column: binary
    assert m.result() == 1.0
    m = metrics.get("accuracy")
    m.update_state([2, 0], [[0.1, 0.2, 0.7], [0.5, 0.4, 0.1]])  # labels: sparse
    assert m.result() == 1.0
    m = metrics.get("accuracy")
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.2, 0.7], [0.5, 0.4, 0.1]])  # one-hot
    assert m.result() == 0.5


@pytest.mark.parametrize(
    "name, cls",
    [
        ("binary_accuracy", metrics.BinaryAccuracy),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("mse", metrics.MeanSquaredError),
        ("mean_squared_error", metrics.MeanSquaredError),
        ("mae", metrics.MeanAbsoluteError),
        ("mean_absolute_error", metrics.MeanAbsoluteError),
        ("BinaryAccuracy", metrics.BinaryAccuracy),
    ],
)
def test_get_names_keep_the_users_string(name, cls):
    m = metrics.get(name)
    assert type(m) is cls and m.name == name


def test_get_loss_names_objects_and_functions():
    m = metrics.get("binary_crossentropy")
    m.update_state([[1.0]], [[0.5]])
    assert m.name == "binary_crossentropy" and m.result() == pytest.approx(np.log(2), rel=1e-6)
    assert m.direction == "down"
    instance = metrics.CategoricalAccuracy()
    assert metrics.get(instance) is instance
    assert type(metrics.get(metrics.Accuracy)) is metrics.Accuracy

    def fraction_positive(y_true, y_pred):
        return (y_pred > 0).astype(np.float32)

    custom = metrics.get(fraction_positive)
    assert custom.name == "fraction_positive"
    custom.update_state(None, [[1.0], [-1.0]])
    assert custom.result() == 0.5
    assert metrics.get(None) is None
    with pytest.raises(ValueError, match="unknown metric 'accuracyy'"):
        metrics.get("accuracyy")
    with pytest.raises(ValueError, match="could not interpret"):
        metrics.get(3)


@pytest.mark.parametrize(
    "metric",
    [
        metrics.Mean(name="loss"),
        metrics.Accuracy(name="acc"),
        metrics.BinaryAccuracy(threshold=0.3),
        metrics.CategoricalAccuracy(),
        metrics.SparseCategoricalAccuracy(),
        metrics.MeanSquaredError(),
        metrics.MeanAbsoluteError(),
        metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba", threshold=0.2),
    ],
)
def test_config_round_trip(metric):
    config = metric.get_config()
    clone = type(metric).from_config(config)
    assert clone.get_config() == config and clone.name == metric.name
    again = metrics.get({"class_name": type(metric).__name__, "config": config})
    assert again.get_config() == config


# ----- the metrics of issue 8 inside compile/fit and the model file -----
def test_new_metrics_by_name_in_compile_fit_and_evaluate():
    import lamina
    from lamina import layers

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 6)).astype(np.float32)
    y = (x[:, 0] + 0.3 * x[:, 1] > 0).astype(np.float32)
    model = lamina.models.Sequential([layers.Input((6,)), layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["precision", "recall", "auc", "rmse"])
    history = model.fit(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    for key in ("precision", "recall", "auc", "rmse", "val_auc"):
        assert len(history.history[key]) == 2 and 0 <= history.history[key][-1] <= 1, key
    logs = model.evaluate(x, y, return_dict=True, verbose=0)
    probs = model.predict(x, verbose=0)[:, 0]
    skm = pytest.importorskip("sklearn.metrics")
    assert logs["precision"] == pytest.approx(skm.precision_score(y, probs > 0.5), abs=1e-6)
    assert logs["recall"] == pytest.approx(skm.recall_score(y, probs > 0.5), abs=1e-6)
    assert logs["auc"] == pytest.approx(skm.roc_auc_score(y, probs), abs=0.01)


def test_per_class_results_reach_the_logs_as_arrays(capsys):
    import lamina
    from lamina import layers

    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    model = lamina.models.Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy",
                  metrics=[metrics.F1Score(), metrics.ConfusionMatrix(num_classes=3)])  # fmt: skip
    history = model.fit(x, y, epochs=1, verbose=2)
    f1, matrix = history.history["f1_score"][0], history.history["confusion_matrix"][0]
    assert f1.shape == (3,) and matrix.shape == (3, 3) and matrix.sum() == 64
    assert "f1_score: [" in capsys.readouterr().out


def test_new_metrics_round_trip_through_config_and_the_model_file(tmp_path):
    import lamina
    from lamina import layers

    chosen = [metrics.AUC(curve="PR", num_thresholds=50), metrics.F1Score(average="macro"),
              metrics.FBetaScore(beta=2.0), metrics.Precision(thresholds=[0.3, 0.7]),
              metrics.TopKCategoricalAccuracy(k=2), metrics.R2Score(class_aggregation=None),
              metrics.ConfusionMatrix(num_classes=4), metrics.RootMeanSquaredError()]  # fmt: skip
    for m in chosen:
        again = metrics.get({"class_name": type(m).__name__, "config": m.get_config()})
        assert type(again) is type(m) and again.get_config() == m.get_config()
    model = lamina.models.Sequential([layers.Input((4,)), layers.Dense(4, activation="softmax")])
    model.compile(
        "adam",
        "categorical_crossentropy",
        metrics=[metrics.F1Score(average="weighted"), metrics.AUC(multi_label=True)],
    )
    path = tmp_path / "m.lamina"
    model.save(path)
    loaded = lamina.models.load_model(path)
    x, y = np.eye(4, dtype=np.float32), np.eye(4, dtype=np.float32)
    logs = loaded.evaluate(x, y, return_dict=True, verbose=0)  # resolves the compiled metrics
    assert logs["f1_score"] == model.evaluate(x, y, return_dict=True, verbose=0)["f1_score"]
    restored = {type(m).__name__: m.get_config() for m in loaded.metrics}
    assert restored["F1Score"]["average"] == "weighted" and restored["AUC"]["multi_label"]


@pytest.mark.parametrize("bad, match", [
    (lambda: metrics.F1Score(average="samples"), "average must be one of"),
    (lambda: metrics.AUC(curve="DET"), "curve must be one of"),
    (lambda: metrics.Precision(thresholds=1.5), "thresholds must be in"),
    (lambda: metrics.TopKCategoricalAccuracy(k=0), "k must be a positive integer"),
    (lambda: metrics.get("confusion_matrix"), "needs arguments"),
    (lambda: metrics.R2Score(class_aggregation="max"), "class_aggregation must be one of"),
])  # fmt: skip
def test_bad_arguments_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_mismatched_shapes_and_labels_are_named():
    with pytest.raises(ValueError, match="labels must be in"):
        metrics.F1Score().update_state([0, 5], [[0.2, 0.8], [0.6, 0.4]])
    with pytest.raises(ValueError, match="do not match"):
        metrics.AUC().update_state([0, 1, 1], [0.2, 0.8])
    m = metrics.F1Score()
    m.update_state([0, 1], [[0.2, 0.8], [0.6, 0.4]])
    with pytest.raises(ValueError, match="earlier batches had 2"):
        m.update_state([0, 1], [[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
