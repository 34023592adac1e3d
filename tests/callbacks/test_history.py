from tests.callbacks.fake_fit import FakeModel, run_fit


def test_records_epoch_logs():
    model = FakeModel()
    logs = [{"loss": 0.9, "val_loss": 1.0}, {"loss": 0.5, "val_loss": 0.7}]
    history = run_fit(model, [], logs).history
    assert history.history == {"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]}
    assert history.epoch == [0, 1]
    assert model.history is history


def test_stops_recording_when_training_stops():
    model = FakeModel()
    from lamina.callbacks import LambdaCallback

    stop = LambdaCallback(on_epoch_end=lambda e, logs: setattr(model, "stop_training", e == 1))
    history = run_fit(model, [stop], [{"loss": 1.0}] * 5).history
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2
