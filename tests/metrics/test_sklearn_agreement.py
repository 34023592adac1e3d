"""Every streaming metric agrees with scikit-learn's function on random predictions, binary and
multi-class, every averaging, with and without sample weights, also when accumulated over
batches of uneven sizes."""

import numpy as np
import pytest

from lamina import metrics

skm = pytest.importorskip("sklearn.metrics")

N, C = 203, 5


def _stream(metric, y_true, y_pred, weights=None):
    """Feed the metric in uneven batches (one of a single sample) and return its result."""
    splits = [0, 1, 17, 18, 90, 150, len(y_true)]
    for a, b in zip(splits[:-1], splits[1:]):
        w = None if weights is None else weights[a:b]
        metric.update_state(y_true[a:b], y_pred[a:b], sample_weight=w)
    return metric.result()


@pytest.fixture(params=[False, True], ids=["unweighted", "weighted"])
def weights(request):
    if not request.param:
        return None
    return np.random.default_rng(7).uniform(0.1, 2.0, N)


@pytest.fixture
def binary():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, N)
    scores = np.clip(0.3 * y + rng.uniform(0, 0.7, N), 0, 1).astype(np.float32)
    return y, scores


@pytest.fixture
def multiclass():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, C, N)
    logits = rng.normal(size=(N, C)) + 1.5 * np.eye(C)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return labels, probs.astype(np.float32)


# ----- precision, recall, F-scores -----
@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_binary_precision_recall_f(binary, weights, threshold):
    y, scores = binary
    y_hat = (scores > threshold).astype(int)
    expected = {
        "precision": skm.precision_score(y, y_hat, sample_weight=weights, zero_division=0),
        "recall": skm.recall_score(y, y_hat, sample_weight=weights, zero_division=0),
        "f1": skm.f1_score(y, y_hat, sample_weight=weights, zero_division=0),
        "f2": skm.fbeta_score(y, y_hat, beta=2, sample_weight=weights, zero_division=0),
    }
    got = {
        "precision": _stream(metrics.Precision(thresholds=threshold), y, scores, weights),
        "recall": _stream(metrics.Recall(thresholds=threshold), y, scores, weights),
        "f1": _stream(metrics.F1Score(threshold=threshold), y[:, None], scores[:, None], weights),
        "f2": _stream(metrics.FBetaScore(beta=2.0, threshold=threshold), y, scores, weights),
    }
    for key in expected:
        assert np.allclose(got[key], expected[key], atol=1e-6), key


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("one_hot", [False, True], ids=["sparse", "one_hot"])
def test_multiclass_f_scores_all_averagings(multiclass, weights, average, one_hot):
    labels, probs = multiclass
    y = np.eye(C)[labels] if one_hot else labels
    y_hat = probs.argmax(axis=1)
    kw = dict(labels=range(C), average=average, sample_weight=weights, zero_division=0)
    for beta in (0.5, 1.0, 3.0):
        expected = skm.fbeta_score(labels, y_hat, beta=beta, **kw)
        got = _stream(metrics.FBetaScore(average=average, beta=beta), y, probs, weights)
        assert np.allclose(got, expected, atol=1e-6), beta
    assert np.allclose(
        _stream(metrics.F1Score(average=average), y, probs, weights),
        skm.f1_score(labels, y_hat, **kw),
        atol=1e-6,
    )
    if average is not None:
        precision = _stream(metrics.Precision(average=average), y, probs, weights)
        recall = _stream(metrics.Recall(average=average), y, probs, weights)
        assert abs(precision - skm.precision_score(labels, y_hat, **kw)) < 1e-6
        assert abs(recall - skm.recall_score(labels, y_hat, **kw)) < 1e-6


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_multilabel_f1_with_threshold(weights, average):
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, (N, C))
    scores = np.clip(0.4 * y + rng.uniform(0, 0.6, (N, C)), 0, 1)
    expected = skm.f1_score(y, (scores > 0.5).astype(int), average=average,
                            sample_weight=weights, zero_division=0)  # fmt: skip
    got = _stream(metrics.F1Score(average=average, threshold=0.5), y, scores, weights)
    assert np.allclose(got, expected, atol=1e-6)


def test_keras_precision_pools_elements_and_takes_several_thresholds(weights):
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, (N, 3))
    scores = rng.uniform(size=(N, 3))
    m = metrics.Precision(thresholds=[0.2, 0.5, 0.8])
    got = _stream(m, y, scores, weights)
    w = None if weights is None else np.repeat(weights, 3)
    for value, t in zip(got, [0.2, 0.5, 0.8]):
        expected = skm.precision_score(y.ravel(), (scores > t).ravel().astype(int), sample_weight=w)
        assert abs(value - expected) < 1e-6
    recall = _stream(metrics.Recall(class_id=1), y, scores, weights)
    assert abs(recall - skm.recall_score(y[:, 1], scores[:, 1] > 0.5, sample_weight=weights)) < 1e-6


def test_precision_top_k_keeps_only_each_rows_best_scores(multiclass):
    labels, probs = multiclass
    y = np.eye(C)[labels]
    m = metrics.Precision(thresholds=0.0, top_k=1)
    m.update_state(y, probs)
    # with top_k=1 and threshold 0 every row predicts exactly its argmax: precision = accuracy
    assert abs(m.result() - skm.accuracy_score(labels, probs.argmax(axis=1))) < 1e-6


# ----- AUC -----
def _on_grid(scores, num_thresholds=200):
    """Scores moved to the middle between two thresholds: the thresholds then separate every
    pair of distinct scores, and the interpolated areas are exact."""
    step = 1 / (num_thresholds - 1)
    return (np.floor(scores / step).clip(0, num_thresholds - 2) + 0.5) * step


def test_roc_auc_equals_sklearn_on_the_threshold_grid(binary, weights):
    y, scores = binary
    scores = _on_grid(scores)
    got = _stream(metrics.AUC(), y, scores, weights)
    assert abs(got - skm.roc_auc_score(y, scores, sample_weight=weights)) < 1e-6


def test_pr_auc_step_equals_average_precision(binary, weights):
    y, scores = binary
    scores = _on_grid(scores)
    got = _stream(metrics.AUC(curve="PR", summation_method="step"), y, scores, weights)
    assert abs(got - skm.average_precision_score(y, scores, sample_weight=weights)) < 1e-6


def test_auc_on_continuous_scores_is_within_the_threshold_resolution(binary):
    y, scores = binary
    rng = np.random.default_rng(5)
    scores = rng.uniform(size=N) * 0.5 + 0.5 * y * rng.uniform(size=N)
    roc = _stream(metrics.AUC(num_thresholds=1000), y, scores)
    assert abs(roc - skm.roc_auc_score(y, scores)) < 2e-3


@pytest.mark.parametrize("multi_label, average", [(True, "macro"), (False, "micro")])
def test_multi_label_auc_averages_like_sklearn(multiclass, weights, multi_label, average):
    labels, probs = multiclass
    y = np.eye(C)[labels]
    probs = _on_grid(probs)
    got = _stream(metrics.AUC(multi_label=multi_label), y, probs, weights)
    assert abs(got - skm.roc_auc_score(y, probs, average=average, sample_weight=weights)) < 1e-6


def test_pr_auc_interpolation_matches_keras_fixture():
    data = np.load(__file__.rsplit("/", 2)[0] + "/fixtures/keras_metrics.npz")
    for curve, method in [("PR", "interpolation"), ("PR", "minoring"), ("PR", "majoring"),
                          ("ROC", "interpolation"), ("ROC", "minoring")]:  # fmt: skip
        m = metrics.AUC(curve=curve, summation_method=method)
        got = _stream(m, data["auc_y"], data["auc_scores"])
        assert abs(got - data[f"auc_{curve}_{method}"]) < 1e-5, (curve, method)


# ----- top-k, regression, confusion matrix -----
@pytest.mark.parametrize("k", [1, 2, 4])
def test_top_k_accuracy(multiclass, weights, k):
    labels, probs = multiclass
    expected = skm.top_k_accuracy_score(labels, probs, k=k, labels=range(C), sample_weight=weights)
    sparse = _stream(metrics.SparseTopKCategoricalAccuracy(k=k), labels, probs, weights)
    dense = _stream(metrics.TopKCategoricalAccuracy(k=k), np.eye(C)[labels], probs, weights)
    assert abs(sparse - expected) < 1e-6 and abs(dense - expected) < 1e-6


@pytest.mark.parametrize("outputs", [1, 3])
def test_regression_metrics(weights, outputs):
    rng = np.random.default_rng(6)
    y = rng.normal(size=(N, outputs)) * [1.0, 5.0, 0.1][:outputs]
    y_hat = y + rng.normal(size=(N, outputs)) * 0.5
    mse = skm.mean_squared_error(y, y_hat, sample_weight=weights)
    assert abs(_stream(metrics.MeanSquaredError(), y, y_hat, weights) - mse) < 1e-6
    assert abs(_stream(metrics.RootMeanSquaredError(), y, y_hat, weights) - np.sqrt(mse)) < 1e-6
    mae = skm.mean_absolute_error(y, y_hat, sample_weight=weights)
    assert abs(_stream(metrics.MeanAbsoluteError(), y, y_hat, weights) - mae) < 1e-6
    for aggregation, multioutput in [("uniform_average", "uniform_average"),
                                     ("variance_weighted_average", "variance_weighted"),
                                     (None, "raw_values")]:  # fmt: skip
        got = _stream(metrics.R2Score(class_aggregation=aggregation), y, y_hat, weights)
        expected = skm.r2_score(y, y_hat, sample_weight=weights, multioutput=multioutput)
        assert np.allclose(got, expected, atol=1e-6), aggregation


def test_adjusted_r2():
    rng = np.random.default_rng(8)
    y = rng.normal(size=N)
    y_hat = y + rng.normal(size=N) * 0.3
    r2 = skm.r2_score(y, y_hat)
    got = _stream(metrics.R2Score(num_regressors=4), y, y_hat)
    assert abs(got - (1 - (1 - r2) * (N - 1) / (N - 4 - 1))) < 1e-6


def test_confusion_matrix(multiclass, binary, weights):
    labels, probs = multiclass
    got = _stream(metrics.ConfusionMatrix(num_classes=C), labels, probs, weights)
    expected = skm.confusion_matrix(labels, probs.argmax(axis=1), sample_weight=weights)
    assert np.allclose(got, expected, atol=1e-9)
    assert (got.dtype == np.int64) == (weights is None)
    y, scores = binary
    got = _stream(metrics.ConfusionMatrix(num_classes=2), y, scores, weights)
    assert np.allclose(got, skm.confusion_matrix(y, scores > 0.5, sample_weight=weights))
