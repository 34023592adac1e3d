"""Why did the CNN say 7? Train a small MNIST CNN briefly under Diagnostics and Report, then
explain a few test digits with every method of lamina.explain.

    python examples/explain_mnist.py                      # MNIST downloaded once
    LAMINA_DATA_DIR=../shared/datasets python examples/explain_mnist.py --images 6000

Writes, under --out (default runs/explain_mnist):
- report.html: the training report (learning curves, metrics, confusion matrix, diagnostics,
  model summary, sample explanations), one offline file; ``lamina report DIR`` re-renders it;
- overlays.png: one row per test digit: input, saliency, SmoothGrad, Integrated Gradients,
  Grad-CAM and occlusion, each drawn over the digit;
and prints two checks: Integrated Gradients' completeness (its attributions add up to the change
of the class score from a black image) and how much more Grad-CAM weighs the strokes (pixels
above 0.5) than the background.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import lamina
from lamina import explain
from lamina.callbacks import Diagnostics, Report
from lamina.datasets import mnist
from lamina.layers import Conv2D, Dense, Flatten, MaxPooling2D
from lamina.models import Sequential
from lamina.utils import image_grid, save_img

METHODS = ("saliency", "smoothgrad", "integrated_gradients", "grad_cam", "occlusion")


def build_model() -> Sequential:
    """A small CNN whose last convolution keeps 14x14 maps ("same" padding), so Grad-CAM can
    localize; the tutorial CNN's last maps are 3x3."""
    model = Sequential([
        Conv2D(16, 3, padding="same", activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D(2),
        Conv2D(32, 3, padding="same", activation="relu"),
        MaxPooling2D(2), Flatten(), Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def explain_all(model, x):
    """Every method's maps for the images ``x``, by method name."""
    return {
        "saliency": explain.saliency(model, x, absolute=True),
        "smoothgrad": explain.smoothgrad(model, x, absolute=True, seed=0),
        "integrated_gradients": explain.integrated_gradients(model, x),
        "grad_cam": explain.grad_cam(model, x),
        "occlusion": explain.occlusion(model, x),
    }


def stroke_ratio(maps, images):
    """Mean attribution on stroke pixels / on background pixels."""
    strokes = images[..., 0] > 0.5
    return float(maps[strokes].mean() / maps[~strokes].mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=6000, help="training images to use")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=6, help="test digits to explain")
    parser.add_argument("--out", default=os.path.join("runs", "explain_mnist"))
    args = parser.parse_args(argv)

    lamina.seed(0)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = (x_train[: args.images] / 255.0).astype(np.float32)[..., None]
    y_train = y_train[: args.images]
    x_test = (x_test[:1000] / 255.0).astype(np.float32)[..., None]
    y_test = y_test[:1000]

    model = build_model()
    callbacks = [
        Diagnostics(every=10),
        Report(args.out, validation_data=(x_test, y_test), samples=args.samples),
    ]
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, verbose=2,
              validation_data=(x_test, y_test), callbacks=callbacks)  # fmt: skip

    x = x_test[: args.samples]
    maps = explain_all(model, x)
    rows = [
        [explain.overlay(image, np.zeros(image.shape[:2]), alpha=0, dim=1)]
        + [explain.overlay(image, maps[m][i]) for m in METHODS]
        for i, image in enumerate(x)
    ]
    grid = image_grid(np.array([tile for row in rows for tile in row]), cols=1 + len(METHODS),
                      padding=4, pad_value=255)  # fmt: skip
    save_img(os.path.join(args.out, "overlays.png"), grid, scale=False)
    print(f"columns: input, {', '.join(METHODS)}; saved {args.out}/overlays.png")

    attributions, delta = explain.integrated_gradients(model, x_test[:32], return_delta=True)
    change = attributions.reshape(32, -1).sum(axis=1) - delta  # score(x) - score(black image)
    print(f"Integrated Gradients completeness: largest error {np.max(np.abs(delta / change)):.2%}"
          " of the score change (32 test digits)")  # fmt: skip
    cam = explain.grad_cam(model, x_test[:256])
    print(f"Grad-CAM, mean on strokes / mean on background: {stroke_ratio(cam, x_test[:256]):.1f}"
          " (256 test digits)")  # fmt: skip


if __name__ == "__main__":
    main()
