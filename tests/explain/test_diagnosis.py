"""The checks behind Diagnostics, as functions of numbers."""

from lamina.explain import diagnosis


def test_overfitting_from_a_rising_validation_loss():
    finding = diagnosis.check_overfitting([1.0, 0.6, 0.4, 0.3], [0.9, 0.7, 0.75, 0.85], epoch=3)
    assert finding.kind == "overfitting"
    assert finding.evidence["best_val_epoch"] == 1 and finding.evidence["val_loss"] == 0.85
    # a rise while the training loss rises too is not over-fitting
    assert diagnosis.check_overfitting([1.0, 0.6, 0.7], [0.9, 0.7, 0.8], epoch=2) is None


def test_no_validation_no_overfitting_verdict():
    assert diagnosis.check_overfitting([1.0, 0.2], [None, None], epoch=1) is None


def test_underfitting_needs_three_flat_epochs():
    assert diagnosis.check_underfitting([0.70, 0.69], 1, baseline=0.69) is None
    assert diagnosis.check_underfitting([0.9, 0.6, 0.4], 2, baseline=0.69) is None  # learning
    flat = diagnosis.check_underfitting([0.69, 0.688, 0.687], 2, baseline=0.69)
    assert flat.kind == "underfitting" and flat.evidence["ratio"] > 0.99


def test_oscillating_loss_means_a_learning_rate_too_high():
    finding = diagnosis.check_learning_rate([1.0, 1.3, 0.9, 1.2, 0.8], [], 1.1, epoch=4)
    assert finding.kind == "learning_rate_too_high" and finding.evidence["rises"] == 2
    steady = diagnosis.check_learning_rate([1.0, 0.8, 0.7, 0.65, 0.6], [0.6] * 8, 1.1, epoch=4)
    assert steady is None


def test_gradient_checks():
    rms = {"a": 1e-8, "b": 1e-4, "c": 1e-2}
    norms = {"a": 1e-7, "b": 1e-3, "c": 0.1}
    (finding,) = diagnosis.check_gradients(rms, norms, 0)
    assert finding.kind == "vanishing_gradients" and finding.layer == "a"
    (finding,) = diagnosis.check_gradients({"a": 1.0, "b": 1.0}, {"a": 5e3, "b": 10.0}, 0)
    assert finding.kind == "exploding_gradients" and finding.layer == "a"
    zero = diagnosis.check_gradients({"a": 0.0, "b": 1.0}, {"a": 0.0, "b": 1.0}, 0, ["a"])
    assert zero == []  # explained by a dead ReLU layer, reported as such


def test_every_kind_has_a_remedy():
    assert set(diagnosis.REMEDIES) == set(diagnosis.KINDS)
    text = str(diagnosis.nan_finding(2, 7, "log"))
    assert text.startswith("[nan] epoch 3 in log: the loss became NaN/inf at batch 7")
    assert "Remedy: lower the learning rate" in text
