"""Ready-made datasets with Keras's ``load_data()`` API (the loaders live in ``lamina/data/``).

``mnist``, ``fashion_mnist`` and ``cifar10`` download the original files once into
``$LAMINA_DATA_DIR`` (default ``~/.lamina/datasets``) and check their SHA-256s; ``digits`` ships
with lamina. Each returns ``(x_train, y_train), (x_test, y_test)`` as uint8 NumPy arrays.

>>> from lamina.datasets import digits
>>> (x_train, y_train), (x_test, y_test) = digits.load_data()
>>> x_train.shape, y_train.shape
((1438, 8, 8), (1438,))
"""

from lamina.data import (
    ChecksumError,
    DatasetFormatError,
    DatasetNotFoundError,
    cifar10,
    data_dir,
    digits,
    fashion_mnist,
    mnist,
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
