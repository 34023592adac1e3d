"""Ready-made datasets with Keras's ``load_data()`` API (the loaders live in ``lamina/data/``).

``mnist``, ``fashion_mnist``, ``cifar10``, ``airline_passengers`` and ``sentiment_sentences``
download the original files once into ``$LAMINA_DATA_DIR`` (default ``~/.lamina/datasets``) and
check their SHA-256s; ``digits`` ships with lamina. The image loaders return
``(x_train, y_train), (x_test, y_test)`` as uint8 NumPy arrays; ``sentiment_sentences`` returns
the same pair of pairs with sentences as str arrays and int64 labels; ``airline_passengers``
returns one series, ``(months, passengers)``.

>>> from lamina.datasets import digits
>>> (x_train, y_train), (x_test, y_test) = digits.load_data()
>>> x_train.shape, y_train.shape
((1438, 8, 8), (1438,))
"""

from lamina.data import (
    ChecksumError,
    DatasetFormatError,
    DatasetNotFoundError,
    airline_passengers,
    cifar10,
    data_dir,
    digits,
    fashion_mnist,
    mnist,
    sentiment_sentences,
)

__all__ = [
    "ChecksumError",
    "DatasetFormatError",
    "DatasetNotFoundError",
    "airline_passengers",
    "cifar10",
    "data_dir",
    "digits",
    "fashion_mnist",
    "mnist",
    "sentiment_sentences",
]
