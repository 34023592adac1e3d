"""CIFAR-10 has no local copy: the parser and the loader run on a small synthetic archive laid
out like ``cifar-10-binary.tar.gz`` (same member names, same 3073-byte records)."""

import hashlib
import io
import os
import tarfile

import numpy as np
import pytest

from lamina.data import cifar10
from lamina.data.download import ChecksumError, DatasetFormatError, RemoteFile
from tests.data import isolate, serve

PER_BATCH = {f"data_batch_{i}.bin": 3 + i for i in range(1, 6)} | {"test_batch.bin": 4}


def make_records(rng, count):
    records = rng.integers(0, 256, (count, cifar10.RECORD_BYTES), dtype=np.uint8)
    records[:, 0] = rng.integers(0, 10, count)
    return records


def make_archive(path, rng, skip=(), replace=None):
    """Write a synthetic archive to ``path``; returns its records by member name."""
    records = {name: make_records(rng, count) for name, count in PER_BATCH.items()}
    with tarfile.open(path, "w:gz") as tar:
        members = {name: r.tobytes() for name, r in records.items()} | (replace or {})
        members["batches.meta.txt"] = b"\n".join(c.encode() for c in cifar10.CLASS_NAMES)
        for name, data in members.items():
            if name not in skip:
                info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return records


def expected_split(records, names):
    rows = np.concatenate([records[name] for name in names])
    images = np.empty((len(rows), 32, 32, 3), np.uint8)
    for channel in range(3):  # each record: label, then the red, green and blue planes
        plane = rows[:, 1 + 1024 * channel : 1 + 1024 * (channel + 1)]
        images[..., channel] = plane.reshape(-1, 32, 32)
    return images, rows[:, :1]


def pin(monkeypatch, path):
    data = path.read_bytes()
    remote = RemoteFile(cifar10.FILE.name, hashlib.sha256(data).hexdigest(), len(data))
    monkeypatch.setattr(cifar10, "FILE", remote)


def test_parses_records_into_channels_last_images_and_keras_labels(tmp_path, rng):
    path = tmp_path / "cifar-10-binary.tar.gz"
    records = make_archive(path, rng)
    (x_train, y_train), (x_test, y_test) = cifar10.read_archive(path)
    train_names = [f"data_batch_{i}.bin" for i in range(1, 6)]
    x, y = expected_split(records, train_names)
    assert x_train.shape == (4 + 5 + 6 + 7 + 8, 32, 32, 3) and y_train.shape == (30, 1)
    assert x_test.shape == (4, 32, 32, 3) and y_test.shape == (4, 1)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert x_train.flags.c_contiguous and x_train.flags.writeable
    np.testing.assert_array_equal(x_train, x)
    np.testing.assert_array_equal(y_train, y)
    x, y = expected_split(records, ["test_batch.bin"])
    np.testing.assert_array_equal(x_test, x)
    np.testing.assert_array_equal(y_test, y)


def test_load_data_reads_a_verified_cached_archive(monkeypatch, tmp_path, rng):
    path = tmp_path / "cifar-10" / "cifar-10-binary.tar.gz"
    path.parent.mkdir()
    records = make_archive(path, rng)
    pin(monkeypatch, path)
    isolate(monkeypatch, tmp_path)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    np.testing.assert_array_equal(y_test, records["test_batch.bin"][:, :1])
    assert x_train.shape == (30, 32, 32, 3)


def test_load_data_downloads_from_the_mirror(monkeypatch, tmp_path, rng):
    served = tmp_path / "mirror" / "cifar-10" / "cifar-10-binary.tar.gz"
    served.parent.mkdir(parents=True)
    make_archive(served, rng)
    pin(monkeypatch, served)
    with serve(tmp_path / "mirror") as (url, requested):
        isolate(monkeypatch, tmp_path / "cache", url)
        (x_train, _), _ = cifar10.load_data()
    assert requested == ["/cifar-10/cifar-10-binary.tar.gz"]
    assert x_train.shape == (30, 32, 32, 3)
    assert (tmp_path / "cache" / "cifar-10" / "cifar-10-binary.tar.gz").read_bytes() == (
        served.read_bytes()
    )


def test_an_archive_without_the_pinned_checksum_is_refused(monkeypatch, tmp_path, rng):
    path = tmp_path / "cifar-10" / "cifar-10-binary.tar.gz"
    path.parent.mkdir()
    make_archive(path, rng)
    isolate(monkeypatch, tmp_path)
    with pytest.raises(ChecksumError) as info:
        cifar10.load_data()
    message = str(info.value)
    assert str(path) in message and "Delete it and retry" in message
    assert (
        cifar10.FILE.sha256 in message and hashlib.sha256(path.read_bytes()).hexdigest() in message
    )


def test_a_wrong_download_is_refused_and_not_cached(monkeypatch, tmp_path, rng):
    served = tmp_path / "mirror" / "cifar-10" / "cifar-10-binary.tar.gz"
    served.parent.mkdir(parents=True)
    make_archive(served, rng)
    with serve(tmp_path / "mirror") as (url, _):
        isolate(monkeypatch, tmp_path / "cache", url)
        with pytest.raises(ChecksumError, match="nothing was saved"):
            cifar10.load_data()
    assert os.listdir(tmp_path / "cache" / "cifar-10") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"skip": ["data_batch_3.bin"]}, "it lacks cifar-10-batches-bin/data_batch_3.bin"),
        ({"replace": {"test_batch.bin": bytes(3073 * 2 + 5)}}, "6151 bytes is not a whole number"),
        ({"replace": {"data_batch_1.bin": bytes([10]) + bytes(3072)}}, "labels must be in 0..9"),
    ],
)
def test_malformed_archives_are_rejected(tmp_path, rng, change, message):
    path = tmp_path / "cifar-10-binary.tar.gz"
    make_archive(path, rng, **change)
    with pytest.raises(DatasetFormatError, match=message):
        cifar10.read_archive(path)


def test_a_file_that_is_not_a_tar_gz_is_rejected(tmp_path):
    path = tmp_path / "cifar-10-binary.tar.gz"
    path.write_bytes(b"<html>moved</html>")
    with pytest.raises(DatasetFormatError, match="is not a readable tar.gz archive"):
        cifar10.read_archive(path)


def test_the_binary_version_is_downloaded():
    assert cifar10.MIRRORS == ["https://www.cs.toronto.edu/~kriz/"]
    assert cifar10.FILE.name == "cifar-10-binary.tar.gz" and cifar10.FILE.size == 170_052_171
