from types import SimpleNamespace

import numpy as np
import pytest

from lamina.callbacks import EarlyStopping
from tests.callbacks.fake_fit import FakeModel, run_fit, val_losses


def epochs_run(callback_list):
    return len(callback_list.history.epoch)


@pytest.mark.parametrize(
    ("values", "patience", "stopped_epoch"),
    [
        ((1.0, 0.9, 0.95, 0.8), 0, 2),  # first epoch without improvement
        ((1.0, 0.9, 0.95, 0.92, 0.5), 2, 3),  # two epochs without improvement
        ((1.0, 0.9, 0.95, 0.85, 0.86, 0.87, 0.88), 2, 5),  # improvement at 3 resets the count
    ],
)
def test_stops_after_patience_epochs_without_improvement(values, patience, stopped_epoch):
    model = FakeModel()
    stopper = EarlyStopping(patience=patience)
    callbacks = run_fit(model, [stopper], val_losses(*values))
    assert stopper.stopped_epoch == stopped_epoch
    assert epochs_run(callbacks) == stopped_epoch + 1


def test_runs_to_the_end_while_improving():
    model = FakeModel()
    stopper = EarlyStopping(patience=0)
    callbacks = run_fit(model, [stopper], val_losses(1.0, 0.9, 0.8))
    assert stopper.stopped_epoch == 0 and epochs_run(callbacks) == 3
    assert (stopper.best, stopper.best_epoch) == (0.8, 2)


@pytest.mark.parametrize(("min_delta", "stopped_epoch"), [(0.05, 1), (0.04, 2), (-0.04, 2)])
def test_min_delta(min_delta, stopped_epoch):
    model = FakeModel()
    # 1.0 -> 0.95 improves by exactly 0.05: not more than 0.05, but more than 0.04
    stopper = EarlyStopping(min_delta=min_delta)
    run_fit(model, [stopper], val_losses(1.0, 0.95, 0.91, 0.5))
    assert stopper.stopped_epoch == stopped_epoch


def test_auto_mode_maximizes_accuracy():
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_accuracy")
    logs = [{"loss": 1.0, "val_accuracy": a} for a in (0.5, 0.6, 0.55, 0.7)]
    run_fit(model, [stopper], logs)
    assert (stopper.stopped_epoch, stopper.best) == (2, 0.6)


def test_explicit_mode_wins_over_the_name():
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_accuracy", mode="min")
    logs = [{"loss": 1.0, "val_accuracy": a} for a in (0.5, 0.6, 0.55, 0.7)]
    run_fit(model, [stopper], logs)
    assert (stopper.stopped_epoch, stopper.best) == (1, 0.5)


def test_auto_mode_uses_the_metric_direction():
    model = FakeModel()
    model.metrics = [SimpleNamespace(name="score", direction="up")]
    stopper = EarlyStopping(monitor="val_score")
    logs = [{"loss": 1.0, "val_score": s} for s in (1.0, 2.0, 1.5)]
    run_fit(model, [stopper], logs)
    assert (stopper.stopped_epoch, stopper.best) == (2, 2.0)


def test_auto_mode_refuses_to_guess():
    model = FakeModel()
    with pytest.raises(ValueError, match="mode='min' or mode='max'"):
        run_fit(model, [EarlyStopping(monitor="val_wobble")], val_losses(1.0))


def test_restores_best_weights_after_early_stop():
    model = FakeModel()
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    run_fit(model, [stopper], val_losses(1.0, 0.5, 0.7, 0.6, 0.1), steps=3)
    assert stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    # training adds 1 per batch in place: after epoch 1 (2 epochs x 3 steps) the weights are 6
    np.testing.assert_array_equal(model.weights[0], [6.0, 6.0])
    np.testing.assert_array_equal(model.weights[1], [6.0, 6.0, 6.0])


def test_restores_best_weights_without_early_stop():
    model = FakeModel()
    stopper = EarlyStopping(patience=5, restore_best_weights=True)
    run_fit(model, [stopper], val_losses(1.0, 0.5, 0.7), steps=2)
    assert stopper.stopped_epoch == 0
    np.testing.assert_array_equal(model.weights[0], [4.0, 4.0])


def test_keeps_last_weights_by_default():
    model = FakeModel()
    run_fit(model, [EarlyStopping(patience=2)], val_losses(1.0, 0.5, 0.7, 0.6), steps=2)
    np.testing.assert_array_equal(model.weights[0], [8.0, 8.0])


def test_baseline_not_beaten_keeps_the_count_running():
    model = FakeModel()
    values = (0.9, 0.95, 0.97, 0.96, 0.2)
    without = EarlyStopping(patience=2)
    run_fit(model, [without], val_losses(*values))
    with_baseline = EarlyStopping(patience=2, baseline=0.5)
    run_fit(model, [with_baseline], val_losses(*values))
    assert (without.stopped_epoch, with_baseline.stopped_epoch) == (2, 1)


def test_start_from_epoch_ignores_warm_up():
    model = FakeModel()
    stopper = EarlyStopping(monitor="loss", start_from_epoch=2)
    logs = [{"loss": v} for v in (1.0, 2.0, 3.0, 4.0, 5.0)]
    run_fit(model, [stopper], logs)
    assert (stopper.stopped_epoch, stopper.best_epoch) == (3, 2)


def test_instance_is_reset_between_fits():
    model = FakeModel()
    stopper = EarlyStopping(patience=0)
    run_fit(model, [stopper], val_losses(0.1, 0.2))
    callbacks = run_fit(model, [stopper], val_losses(1.0, 0.9, 0.8))
    assert stopper.stopped_epoch == 0 and epochs_run(callbacks) == 3


def test_missing_monitor_warns_with_available_keys():
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_loss")
    with pytest.warns(UserWarning, match="available keys: loss"):
        callbacks = run_fit(model, [stopper], [{"loss": 1.0}] * 3)
    assert epochs_run(callbacks) == 3 and stopper.stopped_epoch == 0


def test_verbose_messages(capsys):
    model = FakeModel()
    stopper = EarlyStopping(patience=0, verbose=1, restore_best_weights=True)
    run_fit(model, [stopper], val_losses(1.0, 0.5, 0.7))
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "maximum"}, "'auto', 'min', 'max'"),
        ({"patience": -1}, "patience must be an integer >= 0"),
        ({"patience": 1.5}, "patience must be an integer >= 0"),
        ({"start_from_epoch": -2}, "start_from_epoch"),
        ({"monitor": ""}, "monitor must be a log key"),
    ],
)
def test_argument_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**kwargs)
