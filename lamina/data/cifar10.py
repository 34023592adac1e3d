"""CIFAR-10 tiny colour images, from the original binary archive (no pickle involved).

``load_data()`` returns ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` (channels last) and uint8 labels of shape
``(50000, 1)`` / ``(10000, 1)``, as ``keras.datasets.cifar10.load_data()``. The archive
``cifar-10-binary.tar.gz`` (163 MiB) is downloaded once into ``<data dir>/cifar-10/`` and read in
place: its members are parsed from the tar stream, never extracted to disk.

Each record of a batch file is 3073 bytes: the label, then the 1024 red, 1024 green and 1024 blue
values of a 32x32 image, row by row.

A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", tech. report, University of
Toronto, 2009. No explicit licence.

>>> records = np.zeros((2, RECORD_BYTES), np.uint8)
>>> records[:, 0] = [3, 7]                  # labels
>>> records[1, 1 + 2 * 1024] = 255          # image 1, blue plane, pixel (0, 0)
>>> images, labels = parse_records(records.tobytes(), "example")
>>> images.shape, labels.ravel().tolist(), images[1, 0, 0].tolist()
((2, 32, 32, 3), [3, 7], [0, 0, 255])
"""

from __future__ import annotations

import tarfile
import zlib

import numpy as np

from lamina.data.download import DatasetFormatError, RemoteFile, fetch

DATASET = "cifar-10"
MIRRORS = ["https://www.cs.toronto.edu/~kriz/"]

# The page https://www.cs.toronto.edu/~kriz/cifar.html publishes only an md5 for this file
# (c32a1d4ab5d03f1284b67883e8d87530). The SHA-256 and size are those pinned by
# tensorflow-datasets (tensorflow_datasets/url_checksums/cifar10.txt), which downloads this same
# URL; no copy of the archive was at hand to recompute them here.
FILE = RemoteFile(
    "cifar-10-binary.tar.gz",
    "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    170_052_171,
)

CLASS_NAMES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip

FOLDER = "cifar-10-batches-bin"
TRAIN_MEMBERS = [f"{FOLDER}/data_batch_{i}.bin" for i in range(1, 6)]
TEST_MEMBERS = [f"{FOLDER}/test_batch.bin"]
RECORD_BYTES = 1 + 3 * 32 * 32


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 32, 32, 3)``, ``(n, 1)`` labels.

    Downloads the archive on first use (163 MiB); later calls read the cached copy.
    """
    (path,) = fetch(DATASET, [FILE], MIRRORS)
    return read_archive(path)


def read_archive(path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Parse the train and test batches of a ``cifar-10-binary.tar.gz`` archive."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            wanted = set(TRAIN_MEMBERS + TEST_MEMBERS)
            data = {}
            for member in archive:  # one pass over the compressed stream
                if member.name in wanted and member.isfile():
                    data[member.name] = archive.extractfile(member).read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DatasetFormatError(f"{path} is not a readable tar.gz archive: {exc}") from None
    missing = sorted(wanted - data.keys())
    if missing:
        raise DatasetFormatError(
            f"{path} is not the CIFAR-10 binary archive: it lacks {', '.join(missing)}"
        )
    train = _concatenate([parse_records(data[m], f"{path}:{m}") for m in TRAIN_MEMBERS])
    test = _concatenate([parse_records(data[m], f"{path}:{m}") for m in TEST_MEMBERS])
    return train, test


def parse_records(data: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 32, 32, 3)`` and labels ``(n, 1)`` from the bytes of one batch file."""
    if len(data) % RECORD_BYTES:
        raise DatasetFormatError(
            f"{name}: {len(data)} bytes is not a whole number of {RECORD_BYTES}-byte records"
        )
    records = np.frombuffer(data, np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, :1].copy()
    if labels.size and int(labels.max()) > 9:
        raise DatasetFormatError(f"{name}: labels must be in 0..9, found {int(labels.max())}")
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _concatenate(parts):
    images, labels = zip(*parts)
    return np.concatenate(images), np.concatenate(labels)
