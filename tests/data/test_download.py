import hashlib
import os
import socket
from pathlib import Path

import pytest

from lamina.data import download, mnist
from lamina.data.download import (
    ChecksumError,
    DatasetNotFoundError,
    data_dir,
    fetch,
    mirror_urls,
)
from tests.data import TruncatingHandler, closed_url, copy_files, isolate, serve, shared_folder

TEST_FILES = mnist.FILES[2:]  # the small t10k files (1.6 MB)
TEST_NAMES = [f.name for f in TEST_FILES]


@pytest.fixture
def mirror_root(tmp_path):
    """A mirror tree (``<root>/mnist/<file>``) holding copies of the real MNIST test files."""
    root = tmp_path / "mirror"
    copy_files(shared_folder("mnist"), root / "mnist", TEST_NAMES)
    return root


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_download_verifies_caches_and_is_reused_offline(monkeypatch, mirror_root, cache):
    with serve(mirror_root) as (url, requested):
        isolate(monkeypatch, cache, url)
        paths = fetch("mnist", TEST_FILES, mnist.MIRRORS)
    assert requested == [f"/mnist/{name}" for name in TEST_NAMES]
    assert paths == [cache / "mnist" / name for name in TEST_NAMES]
    assert [sha256(p) for p in paths] == [f.sha256 for f in TEST_FILES]
    assert sorted(os.listdir(cache / "mnist")) == sorted(TEST_NAMES)  # no temporary files left
    isolate(monkeypatch, cache)  # offline from now on
    assert fetch("mnist", TEST_FILES, mnist.MIRRORS) == paths


def test_load_data_downloads_only_missing_files(monkeypatch, mirror_root, cache):
    copy_files(shared_folder("mnist"), cache / "mnist", [f.name for f in mnist.FILES[:2]])
    with serve(mirror_root) as (url, requested):
        isolate(monkeypatch, cache, url)
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert sorted(requested) == sorted(f"/mnist/{name}" for name in TEST_NAMES)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]


def test_falls_back_to_the_next_mirror(monkeypatch, mirror_root, cache):
    with serve(mirror_root) as (url, _):
        isolate(monkeypatch, cache)
        monkeypatch.delenv("LAMINA_DATASETS_MIRROR")
        monkeypatch.setattr(mnist, "MIRRORS", [f"{closed_url()}/mnist/", f"{url}/mnist/"])
        paths = fetch("mnist", TEST_FILES, mnist.MIRRORS)
    assert [sha256(p) for p in paths] == [f.sha256 for f in TEST_FILES]


def test_corrupt_download_is_rejected_and_nothing_is_cached(monkeypatch, mirror_root, cache):
    bad = mirror_root / "mnist" / TEST_NAMES[1]
    data = bytearray(bad.read_bytes())
    data[100] ^= 0xFF
    bad.write_bytes(bytes(data))
    with serve(mirror_root) as (url, _):
        isolate(monkeypatch, cache, url)
        with pytest.raises(ChecksumError) as info:
            fetch("mnist", TEST_FILES[1:], mnist.MIRRORS)
    message = str(info.value)
    assert f"{url}/mnist/{TEST_NAMES[1]}" in message
    assert TEST_FILES[1].sha256 in message and hashlib.sha256(data).hexdigest() in message
    assert "nothing was saved" in message
    assert os.listdir(cache / "mnist") == []


def test_truncated_download_leaves_nothing_behind(monkeypatch, mirror_root, cache):
    with serve(mirror_root, TruncatingHandler) as (url, requested):
        isolate(monkeypatch, cache, url)
        with pytest.raises(DatasetNotFoundError, match="connection closed after 824,438 of"):
            fetch("mnist", TEST_FILES, mnist.MIRRORS)
    assert requested  # the server was reached, and cut the transfer short
    assert os.listdir(cache / "mnist") == []


def test_offline_without_cache_says_which_files_to_put_where(monkeypatch, cache):
    isolate(monkeypatch, cache)
    monkeypatch.delenv("LAMINA_DATASETS_MIRROR")
    monkeypatch.setattr(mnist, "MIRRORS", [f"{closed_url()}/mnist/"])
    with pytest.raises(DatasetNotFoundError) as info:
        mnist.load_data()
    assert isinstance(info.value, OSError)
    message = str(info.value)
    for remote in mnist.FILES:
        assert str(cache / "mnist" / remote.name) in message
        assert f"{mnist.MIRRORS[0]}{remote.name}" in message
    assert "LAMINA_DATA_DIR" in message and "Connection refused" in message
    assert not (cache / "mnist").exists() or os.listdir(cache / "mnist") == []


def test_missing_file_on_the_mirror(monkeypatch, tmp_path, cache):
    (tmp_path / "empty" / "mnist").mkdir(parents=True)
    with serve(tmp_path / "empty") as (url, _):
        isolate(monkeypatch, cache, url)
        with pytest.raises(DatasetNotFoundError, match="404"):
            fetch("mnist", TEST_FILES, mnist.MIRRORS)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupt_cached_file_is_detected_not_parsed(monkeypatch, cache, damage):
    source = shared_folder("mnist") / TEST_NAMES[0]
    data = bytearray(source.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 3]
    else:
        data[-10] ^= 0x01
    path = cache / "mnist" / TEST_NAMES[0]
    path.parent.mkdir(parents=True)
    path.write_bytes(bytes(data))
    isolate(monkeypatch, cache)
    with pytest.raises(ChecksumError) as info:
        fetch("mnist", TEST_FILES, mnist.MIRRORS)
    message = str(info.value)
    assert str(path) in message and "Delete it and retry" in message
    assert TEST_FILES[0].sha256 in message and hashlib.sha256(data).hexdigest() in message
    assert path.read_bytes() == data  # the user's file is reported, not deleted


def test_data_dir_and_mirror_settings(monkeypatch, tmp_path):
    monkeypatch.delenv("LAMINA_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".lamina" / "datasets"
    monkeypatch.setenv("LAMINA_DATA_DIR", "~/data")
    assert data_dir() == tmp_path / "data"
    monkeypatch.delenv("LAMINA_DATASETS_MIRROR", raising=False)
    assert mirror_urls("mnist", mnist.MIRRORS) == mnist.MIRRORS
    monkeypatch.setenv("LAMINA_DATASETS_MIRROR", "http://host:8000/sets/")
    assert mirror_urls("mnist", mnist.MIRRORS) == ["http://host:8000/sets/mnist/"]


def test_pinned_checksums_match_the_shared_copies():
    folder = shared_folder("mnist")
    for remote in mnist.FILES:
        path = folder / remote.name
        assert (sha256(path), path.stat().st_size) == (remote.sha256, remote.size)


def test_a_silent_server_times_out(monkeypatch, cache):
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        isolate(monkeypatch, cache, f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setattr(download, "TIMEOUT", 0.2)
        with pytest.raises(DatasetNotFoundError, match="timed out"):
            fetch("mnist", TEST_FILES[1:], mnist.MIRRORS)
    assert os.listdir(cache / "mnist") == []
