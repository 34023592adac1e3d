"""The ``lamina`` command: ``lamina demo`` trains a tiny two-layer network with the autograd."""

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lamina", description="lamina deep-learning framework")
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="train a tiny network with the autograd, print its loss")
    p_demo.add_argument("--epochs", type=int, default=200)
    p_demo.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.epochs, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
