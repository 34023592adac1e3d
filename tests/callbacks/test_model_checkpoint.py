import pytest

from lamina.callbacks import ModelCheckpoint
from tests.callbacks.fake_fit import FakeModel, run_fit, val_losses


def test_saves_every_epoch_with_formatted_names(tmp_path):
    model = FakeModel()
    pattern = str(tmp_path / "ckpt" / "m-{epoch:02d}-{val_loss:.2f}.lamina")
    run_fit(model, [ModelCheckpoint(pattern)], val_losses(0.5, 0.75))
    assert model.saved == [
        ("save", str(tmp_path / "ckpt" / "m-01-0.50.lamina")),
        ("save", str(tmp_path / "ckpt" / "m-02-0.75.lamina")),
    ]
    assert (tmp_path / "ckpt").is_dir()  # created for the model to write into


def test_save_best_only_saves_on_improvement(tmp_path):
    model = FakeModel()
    checkpoint = ModelCheckpoint(
        tmp_path / "w-{epoch}.weights", save_best_only=True, save_weights_only=True
    )
    run_fit(model, [checkpoint], val_losses(1.0, 1.2, 0.8, 0.8, 0.3))
    assert [path.rsplit("-", 1)[1] for _, path in model.saved] == [
        "1.weights",
        "3.weights",
        "5.weights",
    ]
    assert {method for method, _ in model.saved} == {"save_weights"}
    assert checkpoint.best == 0.3


def test_save_best_only_max_mode_and_threshold(tmp_path):
    model = FakeModel()
    checkpoint = ModelCheckpoint(
        tmp_path / "{epoch}",
        monitor="val_accuracy",
        save_best_only=True,
        initial_value_threshold=0.6,
    )
    logs = [{"loss": 1.0, "val_accuracy": a} for a in (0.5, 0.7, 0.65, 0.9)]
    run_fit(model, [checkpoint], logs)
    assert [path.rsplit("/", 1)[1] for _, path in model.saved] == ["2", "4"]


def test_best_is_kept_across_fits(tmp_path):
    model = FakeModel()
    checkpoint = ModelCheckpoint(tmp_path / "{epoch}", save_best_only=True)
    run_fit(model, [checkpoint], val_losses(0.5))
    run_fit(model, [checkpoint], val_losses(0.7, 0.4))
    assert len(model.saved) == 2 and checkpoint.best == 0.4


def test_save_freq_in_batches(tmp_path):
    model = FakeModel()
    checkpoint = ModelCheckpoint(tmp_path / "e{epoch}-b{batch}", save_freq=2)
    run_fit(model, [checkpoint], val_losses(1.0, 1.0), steps=3)
    names = [path.rsplit("/", 1)[1] for _, path in model.saved]
    assert names == ["e1-b2", "e2-b1", "e2-b3"]  # every 2 batches, counted across epochs


def test_missing_monitor_warns_and_saves(tmp_path):
    model = FakeModel()
    with pytest.warns(UserWarning, match="val_loss"):
        run_fit(model, [ModelCheckpoint(tmp_path / "m", save_best_only=True)], [{"loss": 1.0}])
    assert len(model.saved) == 1


def test_unknown_field_in_filepath(tmp_path):
    model = FakeModel()
    with pytest.raises(KeyError, match="val_acc.*available fields: loss, val_loss, epoch"):
        run_fit(model, [ModelCheckpoint(tmp_path / "{val_acc:.2f}")], val_losses(1.0))


def test_directory_as_filepath(tmp_path):
    model = FakeModel()
    with pytest.raises(IsADirectoryError, match="give a file name"):
        run_fit(model, [ModelCheckpoint(tmp_path)], val_losses(1.0))


def test_verbose_messages(tmp_path, capsys):
    model = FakeModel()
    run_fit(model, [ModelCheckpoint("m", save_best_only=True, verbose=1)], val_losses(0.5, 0.6))
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to 0.50000, saving model to m" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out


@pytest.mark.parametrize("save_freq", ["batch", 0, 2.5, True])
def test_save_freq_check(save_freq):
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a number of batches"):
        ModelCheckpoint("m", save_freq=save_freq)


def test_mode_check():
    with pytest.raises(ValueError, match="'auto', 'min', 'max'"):
        ModelCheckpoint("m", mode="best")
