import numpy as np

from lamina import cli
from lamina.models import load_model
from tests.data import closed_url, isolate, shared_folder


def test_demo_loss_falls(capsys):
    losses = cli.demo(epochs=50)
    assert losses[-1] < 0.5 * losses[0]
    assert "loss fell from" in capsys.readouterr().out


def test_main_job_trains_on_mnist_and_saves(tmp_path, monkeypatch, capsys):
    isolate(monkeypatch, shared_folder("mnist").parent)
    out = tmp_path / "cnn.lamina"
    assert cli.main(["mnist", "--epochs", "1", "--limit", "4096", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "MNIST: 4096 training and 10000 test images" in text
    assert "Total params: 241,546" in text and "test accuracy:" in text
    accuracy = float(text.split("test accuracy: ")[1].split()[0])
    assert accuracy > 0.85  # 4,096 images, one epoch
    model = load_model(out)
    assert model.predict(np.zeros((2, 28, 28, 1), np.float32), verbose=0).shape == (2, 10)


def test_main_job_offline_falls_back_to_bundled_digits(tmp_path, monkeypatch, capsys):
    isolate(monkeypatch, tmp_path / "empty-cache", mirror=closed_url())
    out = tmp_path / "digits.lamina"
    cli.main(["mnist", "--epochs", "1", "--output", str(out)])
    text = capsys.readouterr().out
    assert "MNIST is not available" in text and "train-images-idx3-ubyte.gz" in text
    assert "digits: 1438 training and 359 test images" in text
    accuracy = float(text.split("test accuracy: ")[1].split()[0])
    assert accuracy > 0.9
    assert out.exists()


def test_report_renders_a_run_folder(tmp_path, capsys):
    from lamina.layers import Dense
    from lamina.models import Sequential
    from lamina.report import save_run

    model = Sequential([Dense(2, activation="softmax", input_shape=(3,))])
    save_run(tmp_path, model, history={"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    output = tmp_path / "page.html"
    assert cli.main(["report", str(tmp_path), "--output", str(output)]) == 0
    assert f"report written to {output}" in capsys.readouterr().out
    page = output.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<polyline") == 2


def test_report_of_a_folder_without_a_run_says_so(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path)]) == 1
    assert "run.json not found" in capsys.readouterr().err
