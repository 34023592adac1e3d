"""lamina.evaluation's report, confusion matrix and curves equal scikit-learn's outputs."""

import numpy as np
import pytest

from lamina.evaluation import (
    auc,
    classification_report,
    confusion_matrix,
    precision_recall_curve,
    roc_curve,
)

skm = pytest.importorskip("sklearn.metrics")


@pytest.fixture
def labels():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 120)
    y_hat = np.where(rng.uniform(size=120) < 0.7, y, rng.integers(0, 4, 120))
    return y, y_hat


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("digits", [2, 4])
def test_classification_report_text_and_dict_equal_sklearn(labels, weighted, digits):
    y, y_hat = labels
    w = np.random.default_rng(1).uniform(0.5, 2, y.size) if weighted else None
    names = ["cat", "dog", "bird", "a-long-class-name"]
    for kwargs in ({}, {"target_names": names}, {"labels": [0, 2]}, {"labels": [3, 1, 0, 2]}):
        if "labels" in kwargs and kwargs["labels"] == [0, 2]:
            kwargs = {**kwargs, "zero_division": 0.0}
        ours = classification_report(y, y_hat, sample_weight=w, digits=digits, **kwargs)
        theirs = skm.classification_report(y, y_hat, sample_weight=w, digits=digits, **kwargs)
        assert ours == theirs, kwargs
        ours = classification_report(y, y_hat, sample_weight=w, output_dict=True, **kwargs)
        theirs = skm.classification_report(y, y_hat, sample_weight=w, output_dict=True, **kwargs)
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert ours[key] == pytest.approx(theirs[key], abs=1e-12), key


def test_report_with_string_labels_and_probabilities(labels):
    y, y_hat = labels
    words = np.array(["north", "east", "south", "west"])
    assert classification_report(words[y], words[y_hat]) == skm.classification_report(
        words[y], words[y_hat]
    )
    probs = np.eye(4)[y_hat] * 0.7 + 0.1  # predict() output: argmax is y_hat
    assert classification_report(y, probs) == skm.classification_report(y, y_hat)


def test_confusion_matrix_equals_sklearn(labels):
    y, y_hat = labels
    w = np.random.default_rng(2).uniform(size=y.size)
    assert np.array_equal(confusion_matrix(y, y_hat), skm.confusion_matrix(y, y_hat))
    assert np.allclose(
        confusion_matrix(y, y_hat, sample_weight=w), skm.confusion_matrix(y, y_hat, sample_weight=w)
    )
    for normalize in ("true", "pred", "all"):
        assert np.allclose(
            confusion_matrix(y, y_hat, normalize=normalize),
            skm.confusion_matrix(y, y_hat, normalize=normalize),
        )
    assert np.array_equal(confusion_matrix(y, y_hat, labels=[3, 0]),
                          skm.confusion_matrix(y, y_hat, labels=[3, 0]))  # fmt: skip


@pytest.mark.parametrize("ties", [False, True])
def test_curves_equal_sklearn(ties):
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 150)
    scores = 0.4 * y + rng.uniform(0, 0.6, 150)
    if ties:
        scores = np.round(scores, 1)
    w = rng.uniform(0.2, 1.5, 150)
    for weights in (None, w):
        for drop in (True, False):
            ours = roc_curve(y, scores, sample_weight=weights, drop_intermediate=drop)
            theirs = skm.roc_curve(y, scores, sample_weight=weights, drop_intermediate=drop)
            for a, b in zip(ours, theirs):
                assert np.allclose(a, b)
        ours = precision_recall_curve(y, scores, sample_weight=weights)
        theirs = skm.precision_recall_curve(y, scores, sample_weight=weights)
        for a, b in zip(ours, theirs):
            assert np.allclose(a, b)
        fpr, tpr, _ = roc_curve(y, scores, sample_weight=weights)
        assert auc(fpr, tpr) == pytest.approx(
            skm.roc_auc_score(y, scores, sample_weight=weights), abs=1e-12
        )


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="3 samples but y_pred has 2"):
        classification_report([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="2 target_names for 3 labels"):
        classification_report([0, 1, 2], [0, 1, 2], target_names=["a", "b"])
    with pytest.raises(ValueError, match="pass pos_label"):
        roc_curve([0, 1, 2], [0.1, 0.5, 0.9])
    with pytest.raises(ValueError, match="NaN"):
        roc_curve([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="neither increasing nor decreasing"):
        auc([0, 1, 0.5], [0, 1, 1])
