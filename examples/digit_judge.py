"""The MNIST classifier that judges the digits made by examples/gan.py and examples/vae.py.

A generative model is measured, not eyeballed: this CNN (about 99% test accuracy) labels the
generated images, and the examples report which classes appear and how sure it is. It is trained
once, on the real MNIST training set, and its weights are cached next to the dataset cache:

python examples/digit_judge.py          # trains (a few minutes on a CPU) and prints its accuracy

>>> judge = load_judge()                                       # doctest: +SKIP
>>> probabilities = judge.predict(images_in_0_1, verbose=0)    # doctest: +SKIP
"""

import os
from pathlib import Path

import numpy as np

import lamina
from lamina.datasets import mnist
from lamina.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from lamina.models import Sequential

CACHE_DIR = Path(os.environ.get("LAMINA_CACHE_DIR", Path.home() / ".lamina"))
CACHE = CACHE_DIR / "mnist_judge.safetensors"


def build_judge():
    return Sequential([
        Input(shape=(28, 28, 1)),
        Conv2D(32, 3, activation="relu"), MaxPooling2D(),
        Conv2D(64, 3, activation="relu"), MaxPooling2D(),
        Flatten(), Dropout(0.3), Dense(128, activation="relu"), Dense(10, activation="softmax"),
    ], name="digit_judge")  # fmt: skip


def load_judge(verbose=True):
    """The trained judge: from the cache, or trained now (and cached) on MNIST's training set."""
    judge = build_judge()
    judge.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if CACHE.exists():
        try:
            judge.load_weights(CACHE)
            return judge
        except ValueError as exc:  # written by an older lamina: train again
            print(f"digit judge: retraining ({exc})")
    lamina.seed(1234)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = (x_train / 255.0).astype(np.float32)[..., None]
    x_test = (x_test / 255.0).astype(np.float32)[..., None]
    judge.fit(x_train, y_train, epochs=3, batch_size=128, verbose=2 if verbose else 0)
    _, accuracy = judge.evaluate(x_test, y_test, verbose=0)
    if verbose:
        print(f"digit judge: MNIST test accuracy {accuracy:.4f}")
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    judge.save_weights(CACHE)
    return judge


def judge_digits(judge, images):
    """Classes and confidence of images in [0, 1], shape (n, 28, 28, 1): returns
    ``(labels, mean top-class probability, number of distinct classes)``."""
    probabilities = judge.predict(images, batch_size=500, verbose=0)
    labels = probabilities.argmax(axis=1)
    return labels, float(probabilities.max(axis=1).mean()), len(np.unique(labels))


if __name__ == "__main__":
    load_judge()
