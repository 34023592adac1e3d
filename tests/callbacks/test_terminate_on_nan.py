import pytest

from lamina.callbacks import TerminateOnNaN
from tests.callbacks.fake_fit import FakeModel, run_fit


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_stops_on_invalid_batch_loss(capsys, bad):
    model = FakeModel()
    batch_losses = [[1.0, 0.9, 0.8], [0.7, bad, 0.6], [0.5, 0.4, 0.3]]
    callbacks = run_fit(model, [TerminateOnNaN()], [{"loss": 1.0}] * 3, batch_losses=batch_losses)
    assert callbacks.history.epoch == [0, 1]
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_finite_losses_run_to_the_end(capsys):
    model = FakeModel()
    callbacks = run_fit(model, [TerminateOnNaN()], [{"loss": 1.0}] * 3)
    assert callbacks.history.epoch == [0, 1, 2] and capsys.readouterr().out == ""
