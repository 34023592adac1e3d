"""Helpers for the dataset tests: the shared data folder, a local HTTP mirror, a dead URL.

Tests never touch the network: downloads go to a server on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import socket
import threading
from pathlib import Path

import pytest

# /work/main/tests/data/__init__.py -> /work/shared/datasets
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def shared_folder(name: str) -> Path:
    """``SHARED/name``, skipping the test when the shared copy of that dataset is absent."""
    folder = SHARED / name
    if not folder.is_dir():
        pytest.skip(f"the shared copy of the dataset is not at {folder}")
    return folder


def copy_files(source: Path, dest: Path, names) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(source / name, dest / name)


def closed_url() -> str:
    """An http URL on a local port that nothing listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    requested: list[str] = []

    def do_GET(self):
        self.requested.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


class TruncatingHandler(QuietHandler):
    """Announces the full length of a file, sends half of it and hangs up."""

    def do_GET(self):
        self.requested.append(self.path)
        data = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True


@contextlib.contextmanager
def serve(root: Path, handler=QuietHandler):
    """Serve ``root`` over HTTP on 127.0.0.1; yields ``(base_url, requested_paths)``."""
    requested: list[str] = []
    handler_class = type("Handler", (handler,), {"requested": requested})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler_class, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def isolate(monkeypatch, data_dir: Path, mirror: str | None = None) -> None:
    """Cache in ``data_dir``; download from ``mirror`` (default: a dead local URL), no proxy."""
    monkeypatch.setenv("LAMINA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LAMINA_DATASETS_MIRROR", mirror or closed_url())
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "*")
