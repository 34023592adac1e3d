"""The counting, cross-entropy and IoU metrics against Keras's values (fixture made by
tests/fixtures/make_keras_metric_values.py), fed in uneven batches; and custom metrics written
the Keras way (``add_variable``, ``assign_add``, the default ``reset_state``), alone and in fit."""

import os

import numpy as np
import pytest

import lamina
from lamina import metrics, ops

FIXTURE = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "keras_metric_values.npz")
BATCHES = [0, 7, 20, 21, 45]  # uneven batch bounds, the last batch running to the end


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(FIXTURE))


def _batched(metric, *arrays, sample_weight=None):
    n = len(arrays[0])
    bounds = [*BATCHES, n]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        w = None if sample_weight is None else sample_weight[lo:hi]
        metric.update_state(*(a[lo:hi] for a in arrays), sample_weight=w)
    return metric.result()


COUNTS = ["TruePositives", "TrueNegatives", "FalsePositives", "FalseNegatives"]


@pytest.mark.parametrize("name", COUNTS)
def test_counts_match_keras(name, ref):
    cls = getattr(metrics, name)
    y, p, w = ref["bin_y"], ref["bin_p"], ref["bin_w"]
    assert _batched(cls(), y, p) == ref[name]
    listed = _batched(cls(thresholds=[0.0, 0.3, 0.5, 0.8, 1.0]), y, p)
    np.testing.assert_array_equal(listed, ref[f"{name}_thresholds"])
    weighted = _batched(cls(thresholds=0.4), y, p, sample_weight=w)
    np.testing.assert_allclose(weighted, ref[f"{name}_weighted"], rtol=1e-6)


def test_counts_add_up_and_reset():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.9, 0.8, 0.1, 0.2, 0.6])
    found = {name: getattr(metrics, name)() for name in COUNTS}
    for m in found.values():
        m.update_state(y, p)
    assert [found[n].result() for n in COUNTS] == [2.0, 1.0, 1.0, 1.0]
    found["TruePositives"].reset_state()
    assert found["TruePositives"].result() == 0.0
    assert isinstance(found["TruePositives"].result(), float)


def test_counts_reject_bad_thresholds_and_round_trip_config():
    with pytest.raises(ValueError, match=r"thresholds must be numbers in \[0, 1\], got 1.5"):
        metrics.TruePositives(thresholds=[0.5, 1.5])
    m = metrics.FalseNegatives(thresholds=[0.2, 0.7], name="fn", dtype="float64")
    config = m.get_config()
    assert config == {"name": "fn", "dtype": "float64", "thresholds": [0.2, 0.7]}
    assert metrics.FalseNegatives.from_config(config).get_config() == config
    assert metrics.get({"class_name": "TruePositives", "config": {}}).result() == 0.0


def test_crossentropy_metrics_match_keras(ref):
    y, p, w = ref["bin_y"], ref["bin_p"], ref["bin_w"]
    tol = dict(rtol=2e-5)
    np.testing.assert_allclose(_batched(metrics.BinaryCrossentropy(), y, p), ref["bce"], **tol)
    smooth = metrics.BinaryCrossentropy(label_smoothing=0.1)
    np.testing.assert_allclose(_batched(smooth, y, p, sample_weight=w), ref["bce_smooth_weighted"],
                               **tol)  # fmt: skip
    logits = metrics.BinaryCrossentropy(from_logits=True)
    np.testing.assert_allclose(_batched(logits, y, ref["bin_z"]), ref["bce_logits"], **tol)

    labels, probs, z, cw = ref["cat_y"], ref["cat_p"], ref["cat_z"], ref["cat_w"]
    onehot = np.eye(4, dtype=np.float32)[labels]
    cce = metrics.CategoricalCrossentropy()
    np.testing.assert_allclose(_batched(cce, onehot, probs), ref["cce"], **tol)
    cce = metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)
    np.testing.assert_allclose(_batched(cce, onehot, z), ref["cce_logits_smooth"], **tol)
    scce = metrics.SparseCategoricalCrossentropy()
    np.testing.assert_allclose(_batched(scce, labels, probs), ref["scce"], **tol)
    scce = metrics.SparseCategoricalCrossentropy(from_logits=True)
    np.testing.assert_allclose(_batched(scce, labels, z, sample_weight=cw),
                               ref["scce_logits_weighted"], **tol)  # fmt: skip
    scce = metrics.SparseCategoricalCrossentropy(ignore_class=2)
    np.testing.assert_allclose(_batched(scce, labels, probs), ref["scce_ignore"], **tol)


def test_crossentropy_metrics_config_and_direction():
    m = metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert m.name == "categorical_crossentropy" and m.direction == "down"
    clone = metrics.CategoricalCrossentropy.from_config(m.get_config())
    assert clone.get_config() == m.get_config()
    assert clone.get_config()["label_smoothing"] == 0.1
    with pytest.raises(ValueError, match="last axis only"):
        metrics.SparseCategoricalCrossentropy(axis=1)


def test_mean_iou_matches_keras(ref):
    y, p = ref["seg_y"], ref["seg_p"]
    tol = dict(rtol=1e-6)
    np.testing.assert_allclose(_batched(metrics.MeanIoU(4), y, p), ref["miou"], **tol)
    ignore = metrics.MeanIoU(4, ignore_class=0)
    np.testing.assert_allclose(_batched(ignore, y, p), ref["miou_ignore"], **tol)
    dense = metrics.MeanIoU(4, sparse_y_pred=False)
    np.testing.assert_allclose(_batched(dense, y, ref["seg_s"]), ref["miou_dense_pred"], **tol)
    weighted = metrics.MeanIoU(4)
    np.testing.assert_allclose(_batched(weighted, y, p, sample_weight=ref["seg_w"]),
                               ref["miou_weighted"], **tol)  # fmt: skip


def test_mean_iou_skips_absent_classes_and_checks_labels():
    m = metrics.MeanIoU(num_classes=3)
    assert m.result() == 0.0
    m.update_state([0, 0], [0, 0])
    assert m.result() == 1.0  # classes 1 and 2 appear nowhere: left out of the mean
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 3\)"):
        m.update_state([0, 3], [0, 1])
    with pytest.raises(ValueError, match="integer >= 2"):
        metrics.MeanIoU(num_classes=1)
    with pytest.raises(ValueError, match="needs arguments"):
        metrics.get("MeanIoU")


# ----- custom metrics, as in keras.io's training guide -----
class CategoricalTruePositives(metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives.value

    def reset_state(self):
        self.true_positives.assign(0.0)


class StepCounter(metrics.Metric):
    """Relies on the default reset_state, with a non-zero initializer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.steps = self.add_weight(shape=(2,), initializer="ones", name="steps")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.steps.assign_add([1.0, 2.0])

    def result(self):
        return self.steps


def test_custom_metric_with_its_own_reset_state():
    m = CategoricalTruePositives()
    y = np.array([[0], [2], [1]])
    p = np.array([[0.9, 0.1, 0.0], [0.1, 0.2, 0.7], [0.8, 0.1, 0.1]])
    m.update_state(y, p)
    assert float(m.result()) == 2.0
    m.update_state(y, p, sample_weight=np.array([[0.5], [0.25], [1.0]]))
    assert float(m.result()) == 2.75
    m.reset_state()
    assert float(m.result()) == 0.0
    assert m.variables == [m.true_positives] and not m.true_positives.trainable
    assert m.true_positives.path == "categorical_true_positives/ctp"


def test_default_reset_state_restores_the_initializers():
    m = StepCounter(dtype="float64")
    assert m.name == "step_counter" and m.dtype == "float64"
    assert m.steps.dtype == np.float64
    m.update_state(None, None)
    m.update_state(None, None)
    np.testing.assert_array_equal(m.result().numpy(), [3.0, 5.0])
    m.reset_state()
    np.testing.assert_array_equal(m.result().numpy(), [1.0, 1.0])
    assert StepCounter.from_config(m.get_config()).get_config() == {
        "name": "step_counter",
        "dtype": "float64",
    }


def test_custom_metric_in_compile_and_fit_logs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.int64) + (x[:, 1:2] > 0)  # 3 classes
    model = lamina.Sequential([lamina.layers.Input((6,)), lamina.layers.Dense(3, "softmax")])
    iou = metrics.MeanIoU(num_classes=3, sparse_y_pred=False)
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=[CategoricalTruePositives(), iou])  # fmt: skip
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    counts = history.history["categorical_true_positives"]
    assert len(counts) == 2 and all(isinstance(c, float) for c in counts)
    assert all(0 <= c <= 64 for c in counts)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    assert logs["categorical_true_positives"] == float(np.sum(predicted == y[:, 0]))
    assert 0.0 <= logs["mean_io_u"] <= 1.0
