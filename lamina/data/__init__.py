"""Datasets: loaders that download, verify and cache the original files (``mnist``,
``fashion_mnist``, ``cifar10``) and one small dataset shipped with lamina (``digits``).

Users import them from ``lamina.datasets``; see ``docs/datasets.md``.

>>> from lamina.data import digits
>>> (x_train, y_train), (x_test, y_test) = digits.load_data()
>>> len(x_train) + len(x_test)
1797
"""

from lamina.data import cifar10, digits, fashion_mnist, mnist
from lamina.data.download import (
    ChecksumError,
    DatasetFormatError,
    DatasetNotFoundError,
    data_dir,
)

__all__ = [
    "ChecksumError",
    "DatasetFormatError",
    "DatasetNotFoundError",
    "cifar10",
    "data_dir",
    "digits",
    "fashion_mnist",
    "mnist",
]
