"""The public module ``lamina.datasets`` re-exports the loaders of ``lamina.data``."""

import lamina.datasets
from lamina.data import (
    airline_passengers,
    cifar10,
    digits,
    fashion_mnist,
    mnist,
    sentiment_sentences,
)
from lamina.datasets import DatasetNotFoundError

LOADERS = (mnist, fashion_mnist, cifar10, digits, airline_passengers, sentiment_sentences)


def test_public_names():
    assert lamina.datasets.mnist is mnist and lamina.datasets.fashion_mnist is fashion_mnist
    assert lamina.datasets.cifar10 is cifar10 and lamina.datasets.digits is digits
    assert lamina.datasets.airline_passengers is airline_passengers
    assert lamina.datasets.sentiment_sentences is sentiment_sentences
    # lamina.data also has the batching helpers; lamina.datasets only the loaders and errors
    pipelines = {
        "BatchDataset", "timeseries_dataset_from_array", "FileDataset",
        "image_dataset_from_directory", "text_dataset_from_directory",
    }  # fmt: skip
    assert sorted(lamina.datasets.__all__) == sorted(set(lamina.data.__all__) - pipelines)
    for module in LOADERS:
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
    assert airline_passengers.DATASET == "airline-passengers"
    assert sentiment_sentences.DATASET == "sentiment-labelled-sentences"
