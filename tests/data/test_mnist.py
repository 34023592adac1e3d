import numpy as np
import pytest

from lamina.data import mnist
from tests.data import SHARED, isolate, shared_folder


@pytest.fixture(scope="module")
def data():
    """MNIST loaded for real from the shared copy, offline (the mirror is a dead local URL)."""
    shared_folder("mnist")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, SHARED)
        return mnist.load_data()


def test_shapes_and_dtypes_match_keras(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8


def test_values_labels_and_means_match_the_published_statistics(data):
    (x_train, y_train), (x_test, y_test) = data
    assert (x_train.min(), x_train.max()) == (0, 255)
    train_counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_train).tolist() == train_counts
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert round(float(x_train.mean()), 4) == 33.3184
    assert round(float(x_test.mean()), 4) == 33.7912
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]


def test_mirrors_serve_the_original_file_names():
    assert mnist.DATASET == "mnist"
    assert all(m.startswith("https://") and m.endswith("/") for m in mnist.MIRRORS)
    assert [f.name for f in mnist.FILES] == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
