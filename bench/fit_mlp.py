"""Full ``fit`` of the Keras-style MLP example (1,000 samples, 10 epochs, batch 32) against a plain
PyTorch training loop (and Keras, when installed), in one run on the same machine.

    python bench/fit_mlp.py [--repeats 3]

Prints the best wall time of each and the ratios (framework time / lamina time: above 1 means
lamina is faster).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

N, FEATURES, EPOCHS, BATCH = 1000, 10, 10, 32


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, FEATURES)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)
    return x, y


def run_lamina(x, y):
    import lamina
    from lamina.layers import Dense
    from lamina.models import Sequential

    lamina.seed(0)
    model = Sequential(
        [
            Dense(64, activation="relu", input_shape=(FEATURES,)),
            Dense(32, activation="relu"),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, y, epochs=EPOCHS, batch_size=BATCH, verbose=0)
    return time.perf_counter() - start, history.history["accuracy"][-1]


def run_torch(x, y):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(FEATURES, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 1),
        torch.nn.Sigmoid(),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.BCELoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).reshape(-1, 1)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        correct = 0
        perm = torch.randperm(N)
        for i in range(0, N, BATCH):
            idx = perm[i : i + BATCH]
            xb, yb = xt[idx], yt[idx]
            opt.zero_grad()
            pred = model(xb)
            loss = loss_fn(pred, yb)
            loss.backward()
            opt.step()
            correct += ((pred > 0.5).float() == yb).sum().item()  # the accuracy metric
    return time.perf_counter() - start, correct / N


def run_keras(x, y):
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(FEATURES,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, y, epochs=EPOCHS, batch_size=BATCH, verbose=0)
    return time.perf_counter() - start, history.history["accuracy"][-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    x, y = data()
    threads = os.cpu_count()
    runners = {"lamina": run_lamina}
    try:
        import torch

        torch.set_num_threads(threads)
        runners["pytorch loop"] = run_torch
    except ImportError:
        print("PyTorch not installed: pip install torch==2.13.0 to compare")
    try:
        import keras  # noqa: F401

        runners["keras"] = run_keras
    except ImportError:
        print("Keras not installed: skipped")
    print(
        f"MLP 10-64-32-1, {N} samples, {EPOCHS} epochs, batch {BATCH}, {threads} threads, "
        f"best of {args.repeats}"
    )
    results = {}
    for name, fn in runners.items():
        times, acc = [], None
        for _ in range(args.repeats):
            t, acc = fn(x, y)
            times.append(t)
        results[name] = min(times)
        steps = EPOCHS * -(-N // BATCH)
        print(
            f"{name:14s} {results[name]:7.3f} s  ({results[name] / steps * 1e6:6.0f} us/step)"
            f"  final train accuracy {acc:.3f}"
        )
    base = results["lamina"]
    for name, t in results.items():
        if name != "lamina":
            print(f"{name} time / lamina time = {t / base:.2f}  (> 1: lamina is faster)")


if __name__ == "__main__":
    main()
