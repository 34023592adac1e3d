"""The plots are drawn by a test run and written as real PNG files of sensible size."""

import struct

import numpy as np
import pytest

from lamina.evaluation import (
    plot_confusion_matrix,
    plot_history,
    plot_predictions,
    plot_roc_curve,
)

pytest.importorskip("matplotlib")


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_history_plot_from_a_real_fit(tmp_path):
    import lamina
    from lamina import layers

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.float32)
    model = lamina.models.Sequential([layers.Input((5,)), layers.Dense(16, activation="relu"),
                                      layers.Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile("adam", "binary_crossentropy", metrics=["accuracy", "auc"])
    history = model.fit(x, y, epochs=4, validation_split=0.25, verbose=0)
    figure = plot_history(history, tmp_path / "history.png")
    width, height = _png_size(tmp_path / "history.png")
    assert width > 2 * height  # three panels side by side: loss, accuracy, auc
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["loss", "accuracy", "auc"]
    lines = figure.axes[0].get_lines()
    assert np.allclose(lines[0].get_ydata(), history.history["loss"])
    assert np.allclose(lines[1].get_ydata(), history.history["val_loss"])


def test_confusion_matrix_plot_shows_the_counts(tmp_path):
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    probs = np.eye(3)[[0, 1, 1, 1, 2, 2, 0]]
    figure = plot_confusion_matrix(y, probs, tmp_path / "cm.png", display_labels=["a", "b", "c"])
    assert _png_size(tmp_path / "cm.png")[0] > 200
    texts = sorted(t.get_text() for t in figure.axes[0].texts)
    assert texts == sorted(["1", "1", "0", "0", "2", "0", "1", "0", "2"])


def test_roc_plot_binary_and_one_vs_rest(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 90)
    scores = np.eye(3)[y] * 0.5 + rng.uniform(size=(90, 3))
    figure = plot_roc_curve(y, scores, tmp_path / "roc.png", class_names=["x", "y", "z"])
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert len(legend) == 4 and legend[0].startswith("x (AUC ")
    plot_roc_curve(y == 1, scores[:, 1], tmp_path / "roc_binary.png")
    assert _png_size(tmp_path / "roc_binary.png")[0] > 200


def test_prediction_grid_marks_mistakes_red(tmp_path):
    images = np.random.default_rng(2).uniform(size=(10, 8, 8, 1))
    truth = np.arange(10) % 3
    predicted = truth.copy()
    predicted[4] = (truth[4] + 1) % 3
    figure = plot_predictions(images, truth, predicted, tmp_path / "grid.png", cols=5)
    colors = [ax.title.get_color() for ax in figure.axes[:10]]
    assert colors.count("red") == 1 and colors[4] == "red"
    assert _png_size(tmp_path / "grid.png")[0] > 300


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "history.png"
    plot_history({"loss": [1.0, 0.5]}, path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    import lamina.files

    monkeypatch.setattr(lamina.files.os, "replace", broken)
    with pytest.raises(OSError):
        plot_history({"loss": [3.0, 2.0, 1.0]}, path)
    assert path.read_bytes() == before


def test_bad_history_is_named():
    with pytest.raises(ValueError, match="History or a non-empty dict"):
        plot_history({})
