"""Per-op cost of lamina against raw NumPy and PyTorch, forward only and forward + backward.

    python bench/op_overhead.py [--threads N] [--quick]

Prints microseconds per call (the minimum over repeats, timeit style) for small (32x32) and large
(1024x1024) float32 operands. "numpy" is the same arithmetic written by hand, forward and
backward, with no graph: lamina - numpy is lamina's overhead. PyTorch runs when importable, with
``torch.set_num_threads`` set to the thread count of NumPy's BLAS (``--threads`` overrides it).
NumPy's elementwise ops run on one thread whatever that count; PyTorch's use all of them on
large tensors, so large elementwise rows favour PyTorch on a multi-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import lamina  # noqa: E402
from lamina import ops  # noqa: E402

try:
    import torch
except ImportError:  # the table simply has no PyTorch column
    torch = None


def blas_threads() -> tuple[int, str]:
    """NumPy's BLAS thread count, and where it came from."""
    try:
        from threadpoolctl import threadpool_info

        counts = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        if counts:
            return counts[0], "threadpoolctl"
    except ImportError:
        pass
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), var
    try:
        return len(os.sched_getaffinity(0)), "CPU count (OpenBLAS's default)"
    except AttributeError:
        return os.cpu_count() or 1, "CPU count (OpenBLAS's default)"


def _loop_time(fn, number) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def best_times(fns: dict, min_time=0.02, repeat=5) -> dict:
    """timeit-style seconds per call of each function: loops calibrated to last ``min_time``,
    the fastest of ``repeat`` rounds. Rounds interleave the functions, so that a burst of load
    on the machine hits all of them rather than one. Interleave only functions that share a
    thread pool: OpenBLAS's threads spin for a while after each call and would slow PyTorch's."""
    numbers = {}
    for key, fn in fns.items():
        fn()  # warm up (first-call allocations, lazy imports)
        number = 1
        while (elapsed := _loop_time(fn, number)) < min_time:
            number *= 2 if elapsed * 4 >= min_time else 10
        numbers[key] = number
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for key, fn in fns.items():
            best[key] = min(best[key], _loop_time(fn, numbers[key]) / numbers[key])
    return best


# name: (NumPy forward, NumPy forward + hand-written backward: the least work any framework must
# do, lamina, PyTorch). Unary ops ignore b.
def _relu_np(a):
    return np.maximum(a, 0)


def _exp_np(a, g):
    y = np.exp(a)
    return y, g * y


OPS = {
    "add": (
        lambda a, b: a + b,
        lambda a, b, g: (a + b, g, g),
        lambda a, b: a + b,
        lambda a, b: a + b,
    ),
    "mul": (
        lambda a, b: a * b,
        lambda a, b, g: (a * b, g * b, g * a),
        lambda a, b: a * b,
        lambda a, b: a * b,
    ),
    "matmul": (
        lambda a, b: a @ b,
        lambda a, b, g: (a @ b, g @ b.T, a.T @ g),
        lambda a, b: a @ b,
        lambda a, b: a @ b,
    ),
    "relu": (
        lambda a, b: _relu_np(a),
        lambda a, b, g: (_relu_np(a), g * (a > 0)),
        lambda a, b: ops.relu(a),
        lambda a, b: torch.relu(a),
    ),
    "exp": (
        lambda a, b: np.exp(a),
        lambda a, b, g: _exp_np(a, g),
        lambda a, b: ops.exp(a),
        lambda a, b: torch.exp(a),
    ),
    "sum": (
        lambda a, b: a.sum(),
        lambda a, b, g: (a.sum(), np.broadcast_to(g, a.shape)),
        lambda a, b: ops.sum(a),
        lambda a, b: a.sum(),
    ),
}
UNARY = {"relu", "exp", "sum"}


def bench_case(name, n, min_time, repeat) -> dict:
    """Seconds per call, keyed by (framework, mode)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(n, n)).astype(np.float32)
    b = rng.normal(size=(n, n)).astype(np.float32)
    np_fwd, np_fwd_bwd, lamina_fn, torch_fn = OPS[name]
    g = np.ones_like(np_fwd(a, b))
    fns = {
        ("numpy", "fwd"): lambda: np_fwd(a, b),
        ("numpy", "fwd+bwd"): lambda: np_fwd_bwd(a, b, g),
    }

    la, lb = lamina.tensor(a), lamina.tensor(b)  # no requires_grad: no graph is recorded
    ga, gb = lamina.tensor(a, requires_grad=True), lamina.tensor(b, requires_grad=True)
    lamina_g = None if g.ndim == 0 else g

    def lamina_step():
        ga.grad = gb.grad = None
        lamina_fn(ga, gb).backward(lamina_g)

    fns["lamina", "fwd"] = lambda: lamina_fn(la, lb)
    fns["lamina", "fwd+bwd"] = lamina_step

    if torch is not None:
        ta, tb, tg = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(g)
        ra = ta.clone().requires_grad_(True)
        rb = tb.clone().requires_grad_(name not in UNARY)

        def torch_step():
            ra.grad = rb.grad = None
            torch_fn(ra, rb).backward(tg)

        torch_fns = {("torch", "fwd"): lambda: torch_fn(ta, tb), ("torch", "fwd+bwd"): torch_step}
    times = best_times(fns, min_time, repeat)
    if torch is not None:
        time.sleep(0.2)  # let OpenBLAS's spinning threads go to sleep
        times.update(best_times(torch_fns, min_time, repeat))
        time.sleep(0.2)  # and PyTorch's
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="PyTorch threads (default: NumPy's BLAS)")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args(argv)
    min_time, repeat = (0.005, 3) if args.quick else (0.02, 5)

    threads, source = blas_threads()
    print(
        f"lamina {lamina.__version__}, NumPy {np.__version__}, Python {platform.python_version()}"
    )
    print(f"NumPy BLAS threads: {threads} (from {source})")
    if torch is None:
        print("PyTorch: not installed, its columns are skipped")
    else:
        torch.set_num_threads(args.threads or threads)
        print(f"PyTorch {torch.__version__}: torch.set_num_threads({torch.get_num_threads()})")
    print("float32; microseconds per call, best of repeats; 'overhead' = lamina - numpy\n")

    cols = ["numpy", "lamina", "overhead"] + (["torch", "lamina/torch"] if torch else [])
    header = f"{'op':<7} {'size':>9} {'mode':<8}" + "".join(f"{c:>13}" for c in cols)
    print(header)
    print("-" * len(header))
    start = time.perf_counter()
    for n in (32, 1024):
        for name in OPS:
            timing = bench_case(name, n, min_time, repeat)
            for mode in ("fwd", "fwd+bwd"):
                us = {
                    k: timing[k, mode] * 1e6
                    for k in ("numpy", "lamina", "torch")
                    if (k, mode) in timing
                }
                row = [us["numpy"], us["lamina"], us["lamina"] - us["numpy"]]
                cells = [f"{v:13.1f}" for v in row]
                if torch is not None:
                    cells += [f"{us['torch']:13.1f}", f"{us['lamina'] / us['torch']:12.2f}x"]
                print(f"{name:<7} {f'{n}x{n}':>9} {mode:<8}" + "".join(cells))
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
