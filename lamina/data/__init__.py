"""Datasets and data pipelines.

Loaders that download, verify and cache the original files (``mnist``, ``fashion_mnist``,
``cifar10``, ``airline_passengers``, ``sentiment_sentences``) and one small dataset shipped with
lamina (``digits``); users import them from ``lamina.datasets`` (see ``docs/datasets.md``).
Batching: ``BatchDataset`` (arrays in re-iterable mini-batches) and
``timeseries_dataset_from_array`` (sliding windows, see ``docs/timeseries.md``);
``image_dataset_from_directory`` and ``text_dataset_from_directory`` (``FileDataset``: files
of class subfolders, read one batch at a time).

>>> from lamina.data import digits
>>> (x_train, y_train), (x_test, y_test) = digits.load_data()
>>> len(x_train) + len(x_test)
1797
"""

from lamina.data import (
    airline_passengers,
    cifar10,
    digits,
    fashion_mnist,
    mnist,
    sentiment_sentences,
)
from lamina.data.dataset import BatchDataset
from lamina.data.directory import FileDataset
from lamina.data.download import (
    ChecksumError,
    DatasetFormatError,
    DatasetNotFoundError,
    data_dir,
)
from lamina.data.image_dataset import image_dataset_from_directory
from lamina.data.text_dataset import text_dataset_from_directory
from lamina.data.timeseries import timeseries_dataset_from_array

__all__ = [
    "BatchDataset",
    "ChecksumError",
    "DatasetFormatError",
    "DatasetNotFoundError",
    "FileDataset",
    "airline_passengers",
    "cifar10",
    "data_dir",
    "digits",
    "fashion_mnist",
    "image_dataset_from_directory",
    "mnist",
    "sentiment_sentences",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
