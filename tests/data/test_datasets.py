"""The public module ``lamina.datasets`` re-exports the loaders of ``lamina.data``."""

import lamina.datasets
from lamina.data import cifar10, digits, fashion_mnist, mnist
from lamina.datasets import DatasetNotFoundError


def test_public_names():
    assert lamina.datasets.mnist is mnist and lamina.datasets.fashion_mnist is fashion_mnist
    assert lamina.datasets.cifar10 is cifar10 and lamina.datasets.digits is digits
    assert sorted(lamina.datasets.__all__) == sorted(lamina.data.__all__)
    for module in (mnist, fashion_mnist, cifar10, digits):
        assert callable(module.load_data)


def test_errors_are_catchable_as_the_usual_exceptions():
    assert issubclass(DatasetNotFoundError, OSError)
    assert issubclass(lamina.datasets.ChecksumError, ValueError)
    assert issubclass(lamina.datasets.DatasetFormatError, ValueError)


def test_folders_follow_the_shared_layout():
    assert [m.DATASET for m in (mnist, fashion_mnist, cifar10)] == [
        "mnist",
        "fashion-mnist",
        "cifar-10",
    ]
