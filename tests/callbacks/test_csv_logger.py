import pytest

from lamina.callbacks import CSVLogger, ReduceLROnPlateau
from tests.callbacks.fake_fit import FakeModel, run_fit


def test_writes_header_and_one_row_per_epoch(tmp_path):
    model = FakeModel()
    path = tmp_path / "log.csv"
    logs = [
        {"val_loss": 1.5, "loss": 1.0, "accuracy": 0.5},
        {"val_loss": 1.25, "loss": 0.5, "accuracy": 0.75},
    ]
    run_fit(model, [CSVLogger(path)], logs)
    assert path.read_text().splitlines() == [
        "epoch,accuracy,loss,val_loss",
        "0,0.5,1.0,1.5",
        "1,0.75,0.5,1.25",
    ]


def test_separator_and_learning_rate_column(tmp_path):
    model = FakeModel()
    path = tmp_path / "log.csv"
    logs = [{"loss": 1.0, "val_loss": 1.0}] * 2
    run_fit(model, [ReduceLROnPlateau(patience=0), CSVLogger(str(path), separator=";")], logs)
    assert path.read_text().splitlines() == [
        "epoch;learning_rate;loss;val_loss",
        "0;0.1;1.0;1.0",
        "1;0.1;1.0;1.0",
    ]


def test_val_columns_reserved_when_first_epoch_has_none(tmp_path):
    model = FakeModel()
    path = tmp_path / "log.csv"
    run_fit(model, [CSVLogger(path)], [{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.75}])
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,1.0,NA", "1,0.5,0.75"]


def test_flushes_every_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,2.0\n"  # before on_train_end
    logger.on_train_end()


def test_append_writes_header_once(tmp_path):
    model = FakeModel()
    path = tmp_path / "log.csv"
    run_fit(model, [CSVLogger(path, append=True)], [{"loss": 1.0, "val_loss": 2.0}])
    run_fit(model, [CSVLogger(path, append=True)], [{"loss": 0.5, "val_loss": 1.5}])
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,1.0,2.0", "0,0.5,1.5"]


def test_overwrites_without_append(tmp_path):
    model = FakeModel()
    path = tmp_path / "log.csv"
    path.write_text("old\n")
    run_fit(model, [CSVLogger(path)], [{"loss": 1.0, "val_loss": 2.0}])
    assert path.read_text().splitlines()[0] == "epoch,loss,val_loss"


def test_separator_check(tmp_path):
    with pytest.raises(ValueError, match="one character"):
        CSVLogger(tmp_path / "x.csv", separator=", ")
