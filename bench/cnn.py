"""The Keras MNIST CNN (conv 32 - pool - conv 64 - pool - conv 128 - dense 128 - dropout - dense
10, 241,546 parameters) in lamina against the same network in PyTorch (NCHW, Adam,
CrossEntropyLoss on logits, a plain training loop), on synthetic MNIST-shaped data.

    python bench/cnn.py [--samples 2048] [--rounds 3] [--repeats 2] [--profile]

Each framework runs in its own subprocess with every core (``torch.set_num_threads``; NumPy's
BLAS uses all cores by default), so its peak resident memory (``ru_maxrss``) is its own.
Training is one epoch of ``model.fit`` (lamina: adam, sparse_categorical_crossentropy,
accuracy, verbose=0) against a loop over the same batches (with its accuracy count), at batch 32
and 128, after a warm-up; inference is ``model.predict`` (batch 1000) against ``model(x)`` under
``torch.no_grad``. The two run in alternating rounds (a shared machine's slow spells hit both)
and each figure is the best epoch over all rounds. Ratios are lamina / PyTorch throughput: above
1 means lamina is faster. ``--profile`` adds lamina's time by op for one batch-128 epoch (each
op's ``forward``/``backward`` per layer, then cProfile's heaviest functions by own time).

Both children inherit the environment. The header names the kernel set NumPy's OpenBLAS picked:
where OpenBLAS does not recognize the CPU (AMD Zen 5 with OpenBLAS 0.3.31) it falls back to AVX2
kernels; ``OPENBLAS_CORETYPE=SKYLAKEX python bench/cnn.py`` selects the AVX-512 ones.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BATCHES = (32, 128)
PREDICT_BATCH = 1000


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    return x, y


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def lamina_model():
    import lamina
    from lamina.layers import Dense, Dropout, Flatten
    from lamina.layers.conv import Conv2D
    from lamina.layers.pooling import MaxPooling2D
    from lamina.models import Sequential

    lamina.seed(0)
    model = Sequential(
        [
            Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
            MaxPooling2D((2, 2)),
            Conv2D(64, (3, 3), activation="relu"),
            MaxPooling2D((2, 2)),
            Conv2D(128, (3, 3), activation="relu"),
            Flatten(),
            Dense(128, activation="relu"),
            Dropout(0.5),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run_lamina(n, repeats):
    sys.path.insert(0, ROOT)
    x, y = data(n)
    base = _peak_mb()
    model = lamina_model()
    out = {"params": model.count_params()}
    for batch in BATCHES:
        model.fit(x[: 4 * batch], y[: 4 * batch], batch_size=batch, epochs=1, verbose=0)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
            times.append(time.perf_counter() - start)
        out[f"train_{batch}"] = n / min(times)
    model.predict(x[:PREDICT_BATCH], batch_size=PREDICT_BATCH, verbose=0)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(x, batch_size=PREDICT_BATCH, verbose=0)
        times.append(time.perf_counter() - start)
    out["predict"] = n / min(times)
    out["peak_mb"], out["import_mb"] = _peak_mb(), base
    return out


def torch_model():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.Flatten(),
        nn.Linear(1152, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10),
    )  # fmt: skip


def run_torch(n, repeats):
    import torch

    torch.set_num_threads(os.cpu_count())
    x, y = data(n)
    base = _peak_mb()
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()  # NCHW
    yt = torch.from_numpy(y)
    model = torch_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # Keras's defaults
    loss_fn = torch.nn.CrossEntropyLoss()
    out = {"params": sum(p.numel() for p in model.parameters()), "version": torch.__version__}

    def epoch(count, batch):
        model.train()
        correct = 0
        perm = torch.randperm(count)
        for i in range(0, count, batch):
            idx = perm[i : i + batch]
            xb, yb = xt[idx], yt[idx]
            opt.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            correct += (logits.argmax(1) == yb).sum().item()  # the accuracy metric
        return correct / count

    for batch in BATCHES:
        epoch(4 * batch, batch)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            epoch(n, batch)
            times.append(time.perf_counter() - start)
        out[f"train_{batch}"] = n / min(times)
    model.eval()

    def predict():
        with torch.no_grad():
            return torch.cat([model(xt[i : i + PREDICT_BATCH]) for i in range(0, n, PREDICT_BATCH)])

    predict()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict()
        times.append(time.perf_counter() - start)
    out["predict"] = n / min(times)
    out["peak_mb"], out["import_mb"] = _peak_mb(), base
    return out


def _op_classes():
    from lamina.autograd.function import Function

    found, stack = [], [Function]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


def _time_ops(model, x, y, batch):
    """Wall time of every op's forward and backward over one epoch, keyed by op class, method
    and the op's input shape (so each layer gets its own row), timed by wrapping the methods."""
    totals = {}
    originals = []

    def wrap(cls, name):
        method = cls.__dict__[name]

        def timed(self, *args, **kwargs):
            if name == "forward":
                self.bench_shape = tuple(getattr(args[0], "shape", ())) if args else ()
            start = time.perf_counter()
            result = method(self, *args, **kwargs)
            key = (cls.__name__, name, self.bench_shape)
            totals[key] = totals.get(key, 0.0) + time.perf_counter() - start
            return result

        originals.append((cls, name, method))
        setattr(cls, name, timed)

    for cls in _op_classes():
        for name in ("forward", "backward"):
            if name in cls.__dict__:
                wrap(cls, name)
    try:
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        wall = time.perf_counter() - start
    finally:
        for cls, name, method in originals:
            setattr(cls, name, method)
    return wall, totals


def profile_lamina(n, top=15):
    """lamina's time by op for one batch-128 epoch: each op's forward/backward per input shape
    (one row per layer), then cProfile's heaviest functions by own time."""
    import cProfile
    import pstats

    sys.path.insert(0, ROOT)
    x, y = data(n)
    model = lamina_model()
    model.fit(x[:512], y[:512], batch_size=128, epochs=1, verbose=0)
    steps = -(-n // 128)
    wall, totals = min((_time_ops(model, x, y, 128) for _ in range(2)), key=lambda r: r[0])
    print(f"\nlamina time by op, one epoch of {n} samples at batch 128 ({steps} steps, "
          f"{wall / steps * 1e3:.1f} ms/step, {sum(totals.values()) / steps * 1e3:.1f} ms/step "
          "in ops):")  # fmt: skip
    print(f"{'ms/step':>8} {'share':>6}  op.method  (input shape)")
    for (op, method, shape), seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        if seconds / wall > 0.003:
            print(f"{seconds / steps * 1e3:8.2f} {seconds / wall:6.1%}  {op}.{method}  {shape}")

    profiler = cProfile.Profile()
    profiler.enable()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    print(f"\ncProfile, heaviest {top} functions by own time (tottime), same epoch:")
    flat = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
    for (path, line, func), (_, calls, tottime, _, _) in flat:
        where = os.path.relpath(path, ROOT) if path.startswith(os.path.abspath(ROOT)) else ""
        where = where or os.path.basename(path)
        print(f"{tottime / steps * 1e3:8.2f} ms/step {calls:6d} calls  {where}:{line} {func}")


def _child(framework, n, repeats):
    """Run one framework in a fresh interpreter so its peak memory is its own."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", framework,
           "--samples", str(n), "--repeats", str(repeats)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{framework} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def openblas_core() -> str:
    """The kernel set NumPy's OpenBLAS picked for this CPU (OPENBLAS_CORETYPE overrides it)."""
    import ctypes
    import glob

    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*"))
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                         "openblas_get_corename"):  # fmt: skip
                fn = getattr(lib, name, None)
                if fn is not None:
                    fn.restype = ctypes.c_char_p
                    return fn().decode()
        except OSError:
            continue
    return "unknown"


def _best(runs):
    """Per metric, the best over rounds (throughputs: max; memory: the first round's)."""
    out = dict(runs[0])
    for run in runs[1:]:
        for key, value in run.items():
            if key.startswith(("train", "predict")):
                out[key] = max(out[key], value)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each")
    parser.add_argument("--repeats", type=int, default=2, help="timed epochs per run")
    parser.add_argument("--profile", action="store_true", help="print lamina's time by op")
    parser.add_argument("--child", choices=("lamina", "pytorch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = run_lamina if args.child == "lamina" else run_torch
        print(json.dumps(run(args.samples, args.repeats)))
        return

    threads = os.cpu_count()
    print(
        f"MNIST CNN (Keras example), {args.samples} synthetic samples, {threads} threads, "
        f"{platform.machine()}, numpy {np.__version__} (OpenBLAS core: {openblas_core()})"
    )
    print(f"best of {args.rounds} alternating rounds x {args.repeats} epochs per framework")
    frameworks = ["lamina"]
    # not imported here: a child inherits its parent's peak RSS across exec on Linux
    if importlib.util.find_spec("torch") is not None:
        frameworks.append("pytorch")
    else:
        print("PyTorch not installed (pip install torch==2.13.0 to compare): lamina only")
    runs = {name: [] for name in frameworks}
    for _ in range(args.rounds):  # alternate, so a slow spell of a shared machine hits both
        for name in frameworks:
            runs[name].append(_child(name, args.samples, args.repeats))
    results = {name: _best(r) for name, r in runs.items()}
    rows = [(f"train batch {b} (samples/s)", f"train_{b}") for b in BATCHES]
    rows.append((f"predict batch {PREDICT_BATCH} (samples/s)", "predict"))
    header = f"{'':32s}" + "".join(f"{name:>12s}" for name in results)
    print(header + ("   lamina/pytorch" if "pytorch" in results else ""))
    for label, key in rows:
        line = f"{label:32s}" + "".join(f"{r[key]:12.0f}" for r in results.values())
        if "pytorch" in results:
            line += f"   {results['lamina'][key] / results['pytorch'][key]:14.2f}"
        print(line)
    for label, key in (("peak RSS (MB)", "peak_mb"), ("RSS after imports (MB)", "import_mb")):
        print(f"{label:32s}" + "".join(f"{r[key]:12.0f}" for r in results.values()))
    print(f"{'parameters':32s}" + "".join(f"{r['params']:12,d}" for r in results.values()))
    if "pytorch" in results:
        print(f"torch {results['pytorch']['version']}")
    if args.profile:
        profile_lamina(args.samples)


if __name__ == "__main__":
    main()
