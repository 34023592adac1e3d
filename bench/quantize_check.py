"""The accuracy cost of int8 and float16 weights for the MNIST CNN (lamina/cnn.py).

Trains the CNN for 2 epochs, saves it in float32, float16 and int8 (``lamina.export.quantize``),
loads each file back and evaluates it on the 10,000 MNIST test images.

LAMINA_DATA_DIR=../shared/datasets python bench/quantize_check.py     # ~2 min on 2 cores
"""

import os
import tempfile

import numpy as np

import lamina
from lamina import cnn
from lamina.datasets import mnist
from lamina.export import quantize
from lamina.models import load_model


def main(epochs=2):
    lamina.seed(0)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = (x_train / 255.0).astype(np.float32)[..., None]
    x_test = (x_test / 255.0).astype(np.float32)[..., None]
    model = cnn.mnist_cnn()
    model.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=2)
    print(f"{'weights':<8} {'file size':>12} {'vs float32':>10} {'accuracy':>9} {'change':>8} "
          f"{'max |Δp|':>9}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        reference = None
        for dtype in ("float32", "float16", "int8"):
            path = os.path.join(tmp, f"{dtype}.lamina")
            if dtype == "float32":
                model.save(path, include_optimizer=False)
            else:
                quantize(model, path, dtype)
            loaded = load_model(path, compile=False)
            probabilities = loaded.predict(x_test, batch_size=500, verbose=0)
            accuracy = float(np.mean(probabilities.argmax(axis=1) == y_test))
            if reference is None:
                reference = (accuracy, probabilities, os.path.getsize(path))
            change = 100 * (accuracy - reference[0])
            drift = np.abs(probabilities - reference[1]).max()
            size = os.path.getsize(path)
            print(f"{dtype:<8} {size:>12,} {size / reference[2]:>10.2f} {accuracy:>9.4f} "
                  f"{change:>+7.2f}pt {drift:>9.2e}")  # fmt: skip


if __name__ == "__main__":
    main()
