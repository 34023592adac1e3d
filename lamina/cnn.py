"""The tutorial CNNs the main job and the examples train: MNIST's (241,546 parameters) and a
small one for the bundled 8x8 digits.

>>> mnist_cnn().count_params()
241546
"""

from __future__ import annotations

from lamina.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from lamina.models import Sequential


def mnist_cnn(input_shape=(28, 28, 1), classes=10) -> Sequential:
    """The classic Keras tutorial CNN, compiled with Adam and sparse cross-entropy."""
    model = Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=input_shape), MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"), MaxPooling2D((2, 2)),
        Conv2D(128, (3, 3), activation="relu"), Flatten(),
        Dense(128, activation="relu"), Dropout(0.5), Dense(classes, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def digits_cnn(classes=10) -> Sequential:
    """A CNN sized for 8x8 images (the bundled UCI digits)."""
    model = Sequential([
        Conv2D(32, (3, 3), activation="relu", padding="same", input_shape=(8, 8, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu", padding="same"), Flatten(),
        Dense(64, activation="relu"), Dropout(0.3), Dense(classes, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
