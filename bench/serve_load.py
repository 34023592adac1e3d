"""Load test of ``lamina serve``: POST /predict requests, one MNIST-shaped image each, from
concurrent client threads against a model served by a ``lamina serve`` subprocess.

    python bench/serve_load.py [--requests 2000] [--threads 8] [--time-limit 120]
                               [--model cnn|mlp] [--workers 1] [--blas-threads N]

The model is the tutorial CNN of the main job (``lamina.cnn.mnist_cnn``, 241,546 parameters) or a
784-128-10 MLP, with random weights, saved to a temporary folder and served on a free local port.
Clients are stdlib ``urllib`` (a new connection per request). A request fails unless it gets a
200 with 10 finite scores; requests not sent within ``--time-limit`` seconds count as failed.
Prints throughput (completed requests per second of wall time), p50/p99 latency (from sending
the request to reading the whole answer) and the failures; exits 1 if any request failed. The
clients and the server share the machine: the header gives its cores and load average.
``--blas-threads N`` starts the server with ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and
``MKL_NUM_THREADS`` set to N (by default it inherits them: NumPy's BLAS then uses every core).
"""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import numpy as np

import lamina
from lamina.cnn import mnist_cnn
from lamina.layers import Dense, Flatten
from lamina.models import Sequential


def build(kind):
    if kind == "cnn":
        return mnist_cnn()
    return Sequential([
        Flatten(input_shape=(28, 28, 1)), Dense(128, activation="relu"),
        Dense(10, activation="softmax"),
    ])  # fmt: skip


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, timeout=30):
    """``(status, parsed body or None, seconds)`` of one POST; status 0 on a connection error."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except OSError:
        return 0, None, time.perf_counter() - start
    elapsed = time.perf_counter() - start
    try:
        return status, json.loads(raw), elapsed
    except ValueError:
        return status, None, elapsed


def answered(status, body):
    if status != 200 or not isinstance(body, dict):
        return False
    scores = np.asarray(body.get("predictions"), dtype=np.float64)
    return scores.shape == (1, 10) and bool(np.isfinite(scores).all())


def start_server(path, port, workers, blas_threads, log):
    command = [sys.executable, "-m", "lamina.cli", "serve", path, "--port", str(port)]
    command += ["--workers", str(workers)]
    env = dict(os.environ)
    if blas_threads:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(blas_threads)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the server did not answer /health within 60 s")


def load(url, bodies, requests, threads, time_limit):
    """Latencies of the successful requests, the failure count and the wall time."""
    lock, next_index = threading.Lock(), [0]
    latencies, failures = [], [0]
    deadline = time.perf_counter() + time_limit

    def client():
        while time.perf_counter() < deadline:
            with lock:
                i = next_index[0]
                if i >= requests:
                    return
                next_index[0] += 1
            status, body, seconds = post(url, bodies[i % len(bodies)])
            with lock:
                if answered(status, body):
                    latencies.append(seconds)
                else:
                    failures[0] += 1

    start = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - start
    unsent = requests - next_index[0]
    return np.array(latencies), failures[0] + unsent, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--model", choices=("cnn", "mlp"), default="cnn")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--blas-threads", type=int, default=None, help="BLAS threads per server")
    args = parser.parse_args()

    lamina.seed(0)
    model = build(args.model)
    rng = np.random.default_rng(0)
    images = rng.random((16, 28, 28, 1), dtype=np.float32)
    bodies = [json.dumps({"inputs": image[None].tolist()}).encode() for image in images]
    cores, load_avg = os.cpu_count(), ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"lamina {lamina.__version__}, Python {platform.python_version()}, NumPy {np.__version__}"
    )
    print(f"{cores} cores, load average {load_avg} (1, 5, 15 min) before the test")
    print(
        f"model: {args.model} ({model.count_params():,} parameters, random weights); "
        f"{args.workers} server worker(s), BLAS threads {args.blas_threads or 'default'}; "
        f"{args.threads} client threads; "
        f"{args.requests} requests of 1 image ({len(bodies[0]):,} bytes each)"
    )

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"{args.model}.lamina")
        model.save(path)
        port = free_port()
        url = f"http://127.0.0.1:{port}/predict"
        with open(os.path.join(folder, "server.log"), "wb") as log:
            server = start_server(path, port, args.workers, args.blas_threads, log)
            try:
                status, body, _ = post(url, bodies[0])
                expected = model.predict(images[:1], verbose=0)
                if not answered(status, body) or not np.allclose(
                    body["predictions"], expected, rtol=0, atol=1e-6
                ):
                    raise RuntimeError(f"the server's answer differs from model.predict: {body}")
                for body in bodies:  # warm-up, not counted
                    post(url, body)
                latencies, failed, wall = load(
                    url, bodies, args.requests, args.threads, args.time_limit
                )
            finally:
                server.terminate()
                try:
                    server.wait(15)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()

    done = len(latencies)
    print(f"completed {done} of {args.requests} requests in {wall:.1f} s")
    print(f"throughput: {done / wall:.1f} requests/s")
    if done:
        p50, p99 = np.percentile(latencies, [50, 99]) * 1000
        print(f"latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies.max() * 1000:.1f} ms")
    print(f"failed requests: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
