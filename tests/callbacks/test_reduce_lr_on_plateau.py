import pytest

from lamina.callbacks import ReduceLROnPlateau
from tests.callbacks.fake_fit import FakeModel, run_fit, val_losses


def lr_per_epoch(callbacks):
    return callbacks.history.history["learning_rate"]


def test_reduces_after_patience_with_cooldown_and_floor():
    model = FakeModel()
    reduce_lr = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.02)
    callbacks = run_fit(model, [reduce_lr], val_losses(*[1.0] * 10))
    # reduce at the end of epochs 2, 4, 6 (cooldown 1 epoch, then patience 2), floor at 0.02
    assert lr_per_epoch(callbacks) == pytest.approx(
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02]
    )
    assert model.optimizer.learning_rate == pytest.approx(0.02)


def test_no_cooldown():
    model = FakeModel()
    reduce_lr = ReduceLROnPlateau(factor=0.1, patience=1)
    callbacks = run_fit(model, [reduce_lr], val_losses(1.0, 1.0, 1.0, 0.5, 0.6))
    assert lr_per_epoch(callbacks) == pytest.approx([0.1, 0.1, 0.01, 0.001, 0.001])
    assert model.optimizer.learning_rate == pytest.approx(0.0001)


def test_improvement_smaller_than_min_delta_does_not_count():
    model = FakeModel()
    reduce_lr = ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0.01)
    run_fit(model, [reduce_lr], val_losses(1.0, 0.995, 0.99))
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_steady_improvement_keeps_the_rate():
    model = FakeModel()
    run_fit(model, [ReduceLROnPlateau(patience=1)], val_losses(1.0, 0.9, 0.8, 0.7))
    assert model.optimizer.learning_rate == pytest.approx(0.1)


def test_max_mode_for_accuracy():
    model = FakeModel()
    reduce_lr = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    logs = [{"loss": 1.0, "val_accuracy": a} for a in (0.5, 0.6, 0.7, 0.65)]
    run_fit(model, [reduce_lr], logs)
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_missing_monitor_warns():
    model = FakeModel()
    with pytest.warns(UserWarning, match="val_loss"):
        run_fit(model, [ReduceLROnPlateau(patience=0)], [{"loss": 1.0}] * 2)
    assert model.optimizer.learning_rate == pytest.approx(0.1)


def test_verbose_message(capsys):
    model = FakeModel()
    run_fit(model, [ReduceLROnPlateau(patience=0, verbose=1)], val_losses(1.0, 1.0))
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.01" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factor": 1.0}, "factor must be in \\(0, 1\\)"),
        ({"factor": 0.0}, "factor must be in \\(0, 1\\)"),
        ({"mode": "up"}, "'auto', 'min', 'max'"),
        ({"patience": -1}, "patience"),
        ({"cooldown": -1}, "cooldown"),
        ({"min_lr": -0.1}, "min_lr"),
    ],
)
def test_argument_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ReduceLROnPlateau(**kwargs)
