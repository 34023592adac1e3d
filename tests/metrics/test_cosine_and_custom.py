"""CosineSimilarity (the metric: +cos, where the loss is -cos) and custom Metric subclasses
restored from a saved model."""

import numpy as np
import pytest

import lamina
from lamina import metrics
from lamina.layers import Dense, Input
from lamina.models import Sequential, load_model


def test_cosine_similarity_metric_is_the_positive_cosine():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(2, 7, 3))
    expected = np.sum(y_true * y_pred, axis=-1) / (
        np.linalg.norm(y_true, axis=-1) * np.linalg.norm(y_pred, axis=-1)
    )
    for metric in (metrics.CosineSimilarity(), metrics.get("cosine_similarity")):
        metric.update_state(y_true[:3], y_pred[:3])
        metric.update_state(y_true[3:], y_pred[3:])
        assert metric.result() == pytest.approx(expected.mean(), rel=1e-6)
    loss = lamina.losses.cosine_similarity(y_true, y_pred).numpy()
    np.testing.assert_allclose(loss, -expected, rtol=1e-5)


@lamina.saving.register_keras_serializable()
class LargeErrors(metrics.Metric):
    """Counts predictions off by more than ``limit``."""

    def __init__(self, limit=1.0, name="large_errors", **kwargs):
        super().__init__(name=name, **kwargs)
        self.limit = limit
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = np.abs(np.asarray(y_true) - np.asarray(y_pred)) > self.limit
        self.count.assign_add(float(errors.sum()))

    def result(self):
        return float(self.count.numpy())

    def get_config(self):
        return {**super().get_config(), "limit": self.limit}


def test_a_custom_metric_comes_back_from_a_saved_model(tmp_path):
    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile("sgd", "mse", metrics=[LargeErrors(limit=0.5)])
    x, y = np.ones((8, 2), np.float32), np.full((8, 1), 3.0, np.float32)
    before = model.evaluate(x, y, return_dict=True, verbose=0)
    model.save(tmp_path / "m.lamina")
    loaded = load_model(tmp_path / "m.lamina")
    assert loaded.evaluate(x, y, return_dict=True, verbose=0) == pytest.approx(before)
    assert loaded.metrics[-1].limit == 0.5


def test_count_metrics_take_an_empty_batch_and_mean_iou_truncates_like_keras():
    tp = metrics.TruePositives()
    tp.update_state(np.zeros(0), np.zeros(0))
    assert tp.result() == 0.0
    iou = metrics.MeanIoU(num_classes=3)
    iou.update_state([0, 1, 2, 2], [0.2, 1.7, 2.0, 1.0])  # Keras 3.15 gives 0.6667
    assert iou.result() == pytest.approx(2 / 3)
