import hashlib

import numpy as np
import pytest

from lamina.data import fashion_mnist
from lamina.data.download import ChecksumError
from tests.data import SHARED, copy_files, isolate, shared_folder


@pytest.fixture(scope="module")
def data():
    """Fashion-MNIST loaded for real from the shared copy, offline."""
    shared_folder("fashion-mnist")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, SHARED)
        return fashion_mnist.load_data()


def test_shapes_dtypes_labels_and_means(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert (x_test.min(), x_test.max()) == (0, 255)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert round(float(x_train.mean()), 4) == 72.9404
    assert round(float(x_test.mean()), 4) == 73.1466


def test_pinned_checksums_match_the_shared_copies():
    folder = shared_folder("fashion-mnist")
    for remote in fashion_mnist.FILES:
        data = (folder / remote.name).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (remote.sha256, remote.size)


def test_mnist_files_are_not_accepted_as_fashion_mnist(monkeypatch, tmp_path):
    # same names, same format: only the checksums tell the two datasets apart
    names = [f.name for f in fashion_mnist.FILES]
    copy_files(shared_folder("mnist"), tmp_path / "fashion-mnist", names)
    isolate(monkeypatch, tmp_path)
    with pytest.raises(ChecksumError, match="fashion-mnist/train-images-idx3-ubyte.gz is corrupt"):
        fashion_mnist.load_data()
