"""The ``lamina`` command.

- ``lamina mnist``: the main job. Trains the tutorial CNN on MNIST, prints the test accuracy and
  saves the model. Offline with no cached MNIST, it says so and trains on the small digits
  dataset shipped inside the package instead.
- ``lamina demo``: trains a tiny two-layer network with the bare autograd.
- ``lamina serve PATH [--host 127.0.0.1] [--port 8000] [--max-batch-size 1024] [--workers 1]``:
  serves a saved model over HTTP (``/health``, ``/metadata``, ``POST /predict``); needs
  ``pip install "lamina[serve]"``.
- ``lamina report RUN_DIR [--output FILE]``: renders the HTML report of a training run again
  from the folder the ``lamina.callbacks.Report`` callback wrote (``run.json`` and its images).
"""

from __future__ import annotations

import argparse
import sys


def demo(epochs: int = 200, seed: int = 0) -> list[float]:
    """Fit y = sin(3x) with a 1-32-1 tanh network by full-batch gradient descent; print the loss."""
    import lamina
    from lamina import ops
    from lamina.backend import rng, xp

    lamina.seed(seed)
    x = xp.linspace(-1, 1, 256, dtype="float32").reshape(-1, 1)
    y = xp.sin(3 * x)
    w1 = lamina.tensor(rng().normal(0, 1.0, (1, 32)), requires_grad=True, dtype="float32")
    b1 = lamina.tensor(xp.zeros(32), requires_grad=True, dtype="float32")
    w2 = lamina.tensor(rng().normal(0, 0.2, (32, 1)), requires_grad=True, dtype="float32")
    b2 = lamina.tensor(xp.zeros(1), requires_grad=True, dtype="float32")
    params, lr, losses = (w1, b1, w2, b2), 0.1, []
    print("training a 1-32-1 tanh network on y = sin(3x) (256 points, full-batch gradient descent)")
    for epoch in range(1, epochs + 1):
        hidden = ops.tanh(ops.matmul(x, w1) + b1)
        loss = ops.mean((ops.matmul(hidden, w2) + b2 - y) ** 2)
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        losses.append(loss.item())
        if epoch == 1 or epoch % (epochs // 10) == 0:
            print(f"epoch {epoch:4d}  loss {losses[-1]:.5f}")
    print(f"loss fell from {losses[0]:.4f} to {losses[-1]:.4f}")
    return losses


def train_mnist(epochs=5, batch_size=128, output="mnist_cnn.lamina", seed=0, limit=None):
    """Train the MNIST CNN (or the digits fallback), print test accuracy, save the model."""
    import numpy as np

    import lamina
    from lamina import cnn, datasets

    lamina.seed(seed)
    try:
        (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
        model, name = cnn.mnist_cnn(), "MNIST"
    except datasets.DatasetNotFoundError as exc:
        print(f"MNIST is not available: {exc}")
        print("Falling back to the 8x8 UCI digits bundled with lamina (1,797 images).")
        (x_train, y_train), (x_test, y_test) = datasets.digits.load_data()
        x_train, x_test = x_train / 16.0, x_test / 16.0  # digits pixels are 0..16
        model, name = cnn.digits_cnn(), "digits"
        epochs = max(epochs, 30)
    else:
        x_train, x_test = x_train / 255.0, x_test / 255.0
    x_train = x_train.astype(np.float32)[..., None]
    x_test = x_test.astype(np.float32)[..., None]
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    print(
        f"{name}: {len(x_train)} training and {len(x_test)} test images, shape {x_train.shape[1:]}"
    )
    model.summary()
    model.fit(
        x_train, y_train, epochs=epochs, batch_size=batch_size, validation_split=0.1, verbose=2
    )
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    print(f"test accuracy: {accuracy:.4f}  (test loss {loss:.4f})")
    model.save(output)
    print(f"model saved to {output}")
    return accuracy


def serve(path, host="127.0.0.1", port=8000, max_batch_size=1024, workers=1) -> int:
    """Serve the model at ``path`` until interrupted; 1 with a message when it cannot start."""
    from lamina import serve as server

    try:
        server.run(path, host=host, port=port, max_batch_size=max_batch_size, workers=workers)
    except (ImportError, OSError, ValueError) as exc:
        print(f"lamina serve: {exc}", file=sys.stderr)
        return 1
    return 0


def report(run_dir, output=None) -> int:
    """Write ``run_dir/report.html`` (or ``output``) from ``run_dir/run.json``; 1 with a
    message when the folder holds no run."""
    from lamina.report import write_report

    try:
        path = write_report(run_dir, output)
    except (OSError, ValueError) as exc:
        print(f"lamina report: {exc}", file=sys.stderr)
        return 1
    print(f"report written to {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lamina", description="lamina deep-learning framework")
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="train a tiny network with the autograd, print its loss")
    p_demo.add_argument("--epochs", type=int, default=200)
    p_demo.add_argument("--seed", type=int, default=0)
    p_mnist = sub.add_parser("mnist", help="train the tutorial CNN on MNIST and save it")
    p_mnist.add_argument("--epochs", type=int, default=5)
    p_mnist.add_argument("--batch-size", type=int, default=128)
    p_mnist.add_argument("--output", default="mnist_cnn.lamina")
    p_mnist.add_argument("--seed", type=int, default=0)
    p_mnist.add_argument("--limit", type=int, default=None, help="use only this many images")
    p_serve = sub.add_parser("serve", help="serve a saved model over HTTP (FastAPI + uvicorn)")
    p_serve.add_argument("path", help="a model file written by model.save()")
    p_serve.add_argument("--host", default="127.0.0.1", help="0.0.0.0 listens on every interface")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument(
        "--max-batch-size", type=int, default=1024, help="most samples in one request"
    )
    p_serve.add_argument(
        "--workers", type=int, default=1, help="server processes, each with its own model"
    )
    p_report = sub.add_parser("report", help="render the HTML report of a training run folder")
    p_report.add_argument("run_dir", help="a folder written by the Report callback")
    p_report.add_argument("--output", default=None, help="default: RUN_DIR/report.html")
    args = parser.parse_args(argv)
    if args.command == "report":
        return report(args.run_dir, args.output)
    if args.command == "serve":
        return serve(args.path, args.host, args.port, args.max_batch_size, args.workers)
    if args.command == "demo":
        demo(args.epochs, args.seed)
    elif args.command == "mnist":
        train_mnist(args.epochs, args.batch_size, args.output, args.seed, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
