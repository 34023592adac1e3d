"""Sequence models' training throughput, lamina against PyTorch on the same machine in one run.

    python bench/sequence.py [--rounds 3] [--repeats 2]

Two workloads, each a regression head trained with Adam on MSE over one epoch of synthetic data:

- ``lstm``: LSTM(64) over batch 32, 50 steps, 8 features, then Dense(1) (``torch.nn.LSTM`` +
  ``nn.Linear`` with ``batch_first=True``);
- ``transformer``: one Transformer encoder block (d_model 128, 4 heads, feed-forward 512,
  dropout 0.1, post-norm) over batch 32, length 64, then mean over time and Dense(1)
  (``torch.nn.TransformerEncoderLayer(batch_first=True)``).

lamina trains with ``model.fit`` (verbose=0); PyTorch with the usual loop (zero_grad, forward,
loss, backward, step). Each framework runs in its own subprocess with every core
(``torch.set_num_threads``; NumPy's BLAS uses all cores by default); the two alternate over
``--rounds`` rounds (a shared machine's slow spells hit both) and each figure is the best epoch.
The ratio is lamina / PyTorch samples per second: above 1 means lamina is faster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BATCH = 32
SHAPES = {"lstm": (2048, 50, 8), "transformer": (1024, 64, 128)}


def data(workload, seed=0):
    n, steps, features = SHAPES[workload]
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, features)).astype(np.float32)
    y = rng.normal(size=(n, 1)).astype(np.float32)
    return x, y


def lamina_model(workload):
    import lamina
    from lamina.layers import LSTM, Dense, GlobalAveragePooling1D, Input, TransformerEncoder
    from lamina.models import Sequential

    lamina.seed(0)
    _, steps, features = SHAPES[workload]
    if workload == "lstm":
        layers = [LSTM(64), Dense(1)]
    else:
        layers = [TransformerEncoder(512, 4, dropout=0.1), GlobalAveragePooling1D(), Dense(1)]
    model = Sequential([Input(shape=(steps, features)), *layers])
    model.compile(optimizer="adam", loss="mse")
    return model


def run_lamina(workload, repeats):
    sys.path.insert(0, ROOT)
    x, y = data(workload)
    model = lamina_model(workload)
    model.fit(x[: 4 * BATCH], y[: 4 * BATCH], batch_size=BATCH, epochs=1, verbose=0)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return {"samples_per_s": len(x) / min(times), "params": model.count_params()}


def torch_model(workload):
    import torch
    from torch import nn

    torch.manual_seed(0)
    _, _, features = SHAPES[workload]

    class LSTMRegressor(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(features, 64, batch_first=True)
            self.head = nn.Linear(64, 1)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.head(h[-1])

    class TransformerRegressor(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = nn.TransformerEncoderLayer(
                features, 4, 512, dropout=0.1, batch_first=True, layer_norm_eps=1e-5
            )
            self.head = nn.Linear(features, 1)

        def forward(self, x):
            return self.head(self.block(x).mean(dim=1))

    return LSTMRegressor() if workload == "lstm" else TransformerRegressor()


def run_torch(workload, repeats):
    import torch

    torch.set_num_threads(os.cpu_count())
    x, y = data(workload)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model = torch_model(workload)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # Keras's defaults
    loss_fn = torch.nn.MSELoss()

    def epoch(count):
        model.train()
        perm = torch.randperm(count)
        for i in range(0, count, BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()

    epoch(4 * BATCH)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        epoch(len(x))
        times.append(time.perf_counter() - start)
    params = sum(p.numel() for p in model.parameters())
    return {"samples_per_s": len(x) / min(times), "params": params, "version": torch.__version__}


def _child(framework, workload, repeats):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", framework,
           "--workload", workload, "--repeats", str(repeats)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{framework} {workload} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workload", choices=sorted(SHAPES), default=None)
    parser.add_argument("--child", choices=["lamina", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = run_lamina if args.child == "lamina" else run_torch
        print(json.dumps(run(args.workload, args.repeats)))
        return

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numpy {np.__version__}")  # fmt: skip
    for workload in [args.workload] if args.workload else sorted(SHAPES):
        best = {}
        for _ in range(args.rounds):
            for framework in ("lamina", "torch"):
                result = _child(framework, workload, args.repeats)
                previous = best.get(framework)
                if previous is None or result["samples_per_s"] > previous["samples_per_s"]:
                    best[framework] = result
        lam, tor = best["lamina"], best["torch"]
        n, steps, features = SHAPES[workload]
        print(
            f"{workload:<12} batch {BATCH}, {steps} steps x {features} features: "
            f"lamina {lam['samples_per_s']:8.0f} samples/s ({lam['params']} params), "
            f"PyTorch {tor.get('version', '')} {tor['samples_per_s']:8.0f} samples/s "
            f"({tor['params']} params); ratio {lam['samples_per_s'] / tor['samples_per_s']:.2f}"
        )


if __name__ == "__main__":
    main()
