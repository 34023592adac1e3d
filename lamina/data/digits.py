"""Optical recognition of handwritten digits (UCI): 1,797 8x8 images, shipped inside lamina.

No download: the data is ``lamina/data/files/digits.csv.gz``, byte-identical to the copy that
scikit-learn bundles (``sklearn/datasets/data/digits.csv.gz``). Each image counts the "on" pixels
of 4x4 blocks of a 32x32 bitmap, so its values are integers 0..16 (not 0..255): divide by 16 to
scale to 0..1. The 1,797 images are the test set of the UCI release (13 writers).

E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine Learning
Repository, 1998 (https://archive.ics.uci.edu/ml/datasets/Optical+Recognition+of+Handwritten+Digits);
CC BY 4.0.

>>> (x_train, y_train), (x_test, y_test) = load_data()
>>> x_train.shape, x_test.shape, x_train.dtype, int(x_train.max())
((1438, 8, 8), (359, 8, 8), dtype('uint8'), 16)
>>> np.bincount(y_test).tolist()  # stratified: 20% of each digit
[36, 36, 35, 37, 36, 36, 36, 36, 35, 36]
"""

from __future__ import annotations

import gzip
import hashlib
import io
from importlib import resources

import numpy as np

from lamina.data.download import ChecksumError, DatasetFormatError

FILE = "files/digits.csv.gz"
SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
NUM_SAMPLES = 1797


def load_data(test_split: float = 0.2, seed: int = 0):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 8, 8)`` in 0..16, uint8 labels.

    The split is stratified (each digit keeps its share in both parts) and depends only on
    ``seed``; within each part the samples keep the file's order.

    Args:
        test_split: fraction of each class held out for the test set, in ``[0, 1)``.
        seed: seeds the choice of test samples.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split}")
    images, labels = read()
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), bool)
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        test[rng.permutation(members)[: round(len(members) * test_split)]] = True
    return (images[~test], labels[~test]), (images[test], labels[test])


def read() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 images ``(1797, 8, 8)`` and labels ``(1797,)``, checksum-verified."""
    source = resources.files("lamina.data").joinpath(FILE)
    data = source.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != SHA256:
        raise ChecksumError(
            f"{source} is corrupt: its SHA-256 is {actual}, expected {SHA256}; "
            "reinstall lamina to restore it"
        )
    try:
        table = np.loadtxt(io.BytesIO(gzip.decompress(data)), delimiter=",", dtype=np.int64)
    except (OSError, EOFError, ValueError) as exc:
        raise DatasetFormatError(f"{source} could not be parsed: {exc}") from None
    if table.shape != (NUM_SAMPLES, 65) or table.min() < 0 or table[:, :64].max() > 16:
        raise DatasetFormatError(f"{source}: expected {NUM_SAMPLES} rows of 64 values in 0..16")
    return table[:, :64].reshape(-1, 8, 8).astype(np.uint8), table[:, 64].astype(np.uint8)
