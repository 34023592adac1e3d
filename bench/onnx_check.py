"""ONNX export check: train the MNIST CNN of ``lamina/cnn.py`` (one epoch by default), export it
with ``lamina.export.onnx``, run the file with onnxruntime on the CPU, and compare its softmax
outputs with ``model.predict`` on the first 1,000 test images.

    LAMINA_DATA_DIR=/work/shared/datasets python bench/onnx_check.py [--epochs 1] [--images 1000]

Prints the largest absolute difference between the two outputs (the check fails above 1e-4),
how often the two predicted classes agree, both accuracies and both inference times. ``--load
mnist_cnn.lamina`` checks a saved model (``lamina mnist`` writes one) instead of training.
Needs onnx and onnxruntime: ``pip install "lamina[onnx]"``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

TOLERANCE = 1e-4


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--images", type=int, default=1000, help="test images to compare on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--load", help="a saved lamina model to check instead of training one")
    args = parser.parse_args(argv)

    import onnxruntime as ort

    import lamina
    from lamina import cnn, datasets, export
    from lamina.models import load_model

    lamina.seed(args.seed)
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    x_train = (x_train / 255.0).astype(np.float32)[..., None]
    x_test = (x_test[: args.images] / 255.0).astype(np.float32)[..., None]
    y_test = y_test[: args.images]

    if args.load:
        model = load_model(args.load)
        print(f"loaded {args.load}")
    else:
        model = cnn.mnist_cnn()
        start = time.perf_counter()
        model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0)
        print(f"trained {args.epochs} epoch(s) on {len(x_train)} images in "
              f"{time.perf_counter() - start:.0f} s")  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        path = export.onnx(model, os.path.join(folder, "mnist_cnn.onnx"))
        size = os.path.getsize(path)
        options = ort.SessionOptions()
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    start = time.perf_counter()
    expected = model.predict(x_test, batch_size=1000, verbose=0)
    lamina_s = time.perf_counter() - start
    start = time.perf_counter()
    (got,) = session.run(None, {"input": x_test})
    onnx_s = time.perf_counter() - start

    diff = float(np.abs(got - expected).max())
    agree = float(np.mean(got.argmax(axis=1) == expected.argmax(axis=1)))
    print(f"ONNX file: {size / 1e6:.2f} MB, opset 17, onnxruntime {ort.__version__} (CPU)")
    print(f"{len(x_test)} test images: max abs difference of the softmax outputs {diff:.2e} "
          f"(tolerance {TOLERANCE:.0e})")  # fmt: skip
    print(f"prediction agreement: {agree:.2%}")
    print(f"accuracy: lamina {np.mean(expected.argmax(1) == y_test):.4f}, "
          f"onnxruntime {np.mean(got.argmax(1) == y_test):.4f}")  # fmt: skip
    print(f"inference: lamina predict {lamina_s * 1000:.0f} ms, onnxruntime {onnx_s * 1000:.0f} ms")
    ok = diff < TOLERANCE
    print("OK" if ok else "FAILED: outputs differ by more than the tolerance")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
