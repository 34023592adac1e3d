import sys

import pytest

from lamina.callbacks import ProgbarLogger
from lamina.callbacks import progbar_logger as progbar_module
from tests.callbacks.fake_fit import FakeModel, run_fit

LOGS = [{"loss": 0.5, "accuracy": 0.75, "val_loss": 0.625}, {"loss": 0.25, "accuracy": 0.875}]


@pytest.fixture
def terminal(monkeypatch):
    """Make the progress bar believe stdout is a terminal (capsys's is not)."""
    monkeypatch.setattr(progbar_module, "_dynamic_display", lambda: True)


def test_verbose_0_is_silent(capsys):
    model = FakeModel()
    run_fit(model, [ProgbarLogger()], LOGS, verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_2_prints_one_line_per_epoch(capsys):
    model = FakeModel()
    run_fit(model, [], LOGS, verbose=2)
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 1/2 - 0s - loss: 0.5000 - accuracy: 0.7500 - val_loss: 0.6250",
        "Epoch 2/2 - 0s - loss: 0.2500 - accuracy: 0.8750",
    ]


def test_verbose_1_draws_a_bar_per_epoch(capsys, terminal):
    model = FakeModel()
    run_fit(model, [], LOGS, steps=4, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "4/4" in out
    assert "loss: 0.5000 - accuracy: 0.7500 - val_loss: 0.6250" in out
    assert out.endswith("\n")  # each bar is closed, the next output starts on a new line


def test_verbose_1_shows_running_logs_mid_epoch(capsys, monkeypatch, terminal):
    model = FakeModel()
    monkeypatch.setattr(progbar_module, "_REFRESH_S", 0.0)  # redraw at every batch
    batch_losses = [[0.9, 0.8, 0.7, 0.6]] * 2
    run_fit(model, [], LOGS, steps=4, verbose=1, batch_losses=batch_losses)
    out = capsys.readouterr().out
    assert "2/4" in out and "loss: 0.8000" in out


@pytest.mark.parametrize("on_terminal", [True, False])
def test_stopped_epoch_shows_the_steps_done(capsys, monkeypatch, on_terminal):
    monkeypatch.setattr(progbar_module, "_dynamic_display", lambda: on_terminal)
    progbar = ProgbarLogger()
    progbar.set_params({"epochs": 1, "steps": 10, "verbose": 1})
    progbar.on_train_begin()
    progbar.on_epoch_begin(0)
    for batch in range(3):
        progbar.on_train_batch_end(batch, {"loss": 1.0})
    progbar.on_epoch_end(0, {"loss": 1.0})
    progbar.on_train_end()
    assert "3/10" in capsys.readouterr().out


def test_verbose_1_without_a_terminal_prints_each_finished_bar_once(capsys, monkeypatch):
    model = FakeModel()
    monkeypatch.setattr(progbar_module, "_REFRESH_S", 0.0)  # a terminal would redraw each batch
    batch_losses = [[0.9, 0.8, 0.7, 0.6]] * 2
    run_fit(model, [], LOGS, steps=4, verbose=1, batch_losses=batch_losses)
    out = capsys.readouterr().out
    assert "\r" not in out and "loss: 0.8000" not in out  # no redraws, no running logs
    first, second = out.splitlines()
    assert first.startswith("Epoch 1/2: 100%") and "4/4" in first
    assert first.endswith("loss: 0.5000 - accuracy: 0.7500 - val_loss: 0.6250]")
    assert second.startswith("Epoch 2/2: 100%") and "loss: 0.2500" in second


def test_dynamic_display_detection(capsys, monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    assert not progbar_module._dynamic_display()  # capsys's stdout: not a terminal
    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # a Jupyter kernel is running
    assert progbar_module._dynamic_display()
    monkeypatch.delitem(sys.modules, "ipykernel")
    monkeypatch.setenv("PYCHARM_HOSTED", "1")
    assert progbar_module._dynamic_display()
    monkeypatch.delenv("PYCHARM_HOSTED")

    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    assert progbar_module._dynamic_display()


def test_evaluate_outside_fit(capsys):
    progbar = ProgbarLogger()
    progbar.set_params({"steps": 5, "verbose": 2})
    progbar.on_test_begin()
    progbar.on_test_end({"loss": 0.125})
    assert capsys.readouterr().out == "5/5 - 0s - loss: 0.1250\n"


def test_validation_inside_fit_is_not_drawn(capsys):
    progbar = ProgbarLogger()
    progbar.set_params({"epochs": 1, "steps": 2, "verbose": 2})
    progbar.on_train_begin()
    progbar.on_test_begin()
    progbar.on_test_end({"loss": 0.125})
    assert capsys.readouterr().out == ""


def test_predict_bar(capsys, terminal):
    progbar = ProgbarLogger()
    progbar.set_params({"steps": 3, "verbose": 1})
    progbar.on_predict_begin()
    for batch in range(3):
        progbar.on_predict_batch_end(batch)
    progbar.on_predict_end()
    assert "3/3" in capsys.readouterr().out


def test_auto_verbose_means_1():
    progbar = ProgbarLogger()
    progbar.set_params({"epochs": 1, "steps": 1, "verbose": "auto"})
    assert progbar.verbose == 1


def test_count_mode_check():
    with pytest.raises(ValueError, match='count_mode="steps"'):
        ProgbarLogger(count_mode="samples")
