"""One small MNIST CNN, trained once per test session with Diagnostics and Report and shared
by the diagnostics, report and explanation tests (a few seconds of training, not one each)."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from types import SimpleNamespace

import numpy as np
import pytest

import lamina
from lamina.callbacks import Diagnostics, Report
from lamina.data.idx import read_images_and_labels
from lamina.layers import Conv2D, Dense, Flatten, MaxPooling2D
from lamina.models import Sequential
from tests.data import SHARED

TRAIN, VAL, EPOCHS = 2048, 512, 2


def small_cnn() -> Sequential:
    """Two "same" convolutions: the last one's 14x14 maps give Grad-CAM room to localize."""
    model = Sequential(
        [
            Conv2D(16, 3, padding="same", activation="relu", input_shape=(28, 28, 1), name="conv"),
            MaxPooling2D(2),
            Conv2D(32, 3, padding="same", activation="relu", name="last_conv"),
            MaxPooling2D(2),
            Flatten(),
            Dense(10, activation="softmax", name="classes"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def load_mnist():
    folder = SHARED / "mnist"
    if not folder.is_dir():
        pytest.skip(f"the shared copy of MNIST is not at {folder}")
    x, y = read_images_and_labels(
        folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"
    )
    xv, yv = read_images_and_labels(
        folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz"
    )
    scale = np.float32(1 / 255)
    return (x[:TRAIN, ..., None] * scale, y[:TRAIN]), (xv[:VAL, ..., None] * scale, yv[:VAL])


@functools.lru_cache(maxsize=1)
def trained_cnn() -> SimpleNamespace:
    """The trained model, its History, the Diagnostics callback, the validation data and the
    run folder the Report callback wrote."""
    (x, y), (x_val, y_val) = load_mnist()
    lamina.seed(0)
    model = small_cnn()
    run_dir = tempfile.mkdtemp(prefix="lamina-run-")
    atexit.register(shutil.rmtree, run_dir, True)
    diagnostics = Diagnostics(every=4, verbose=0)
    report = Report(run_dir, validation_data=(x_val, y_val), samples=4, verbose=0)
    history = model.fit(
        x,
        y,
        epochs=EPOCHS,
        batch_size=64,
        validation_data=(x_val, y_val),
        verbose=0,
        callbacks=[diagnostics, report],
    )
    return SimpleNamespace(
        model=model,
        history=history,
        diagnostics=diagnostics,
        report=report,
        x_val=x_val,
        y_val=y_val,
        run_dir=run_dir,
    )
