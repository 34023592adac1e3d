"""MNIST handwritten digits, from the original IDX files.

``load_data()`` returns ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
``(60000, 28, 28)`` / ``(10000, 28, 28)`` with values 0..255 and uint8 labels 0..9, as
``keras.datasets.mnist.load_data()``. The four ``*-ubyte.gz`` files are downloaded once into
``<data dir>/mnist/`` (see ``docs/datasets.md``) and checked against the SHA-256s below.

Y. LeCun, C. Cortes, C. J. C. Burges; licence as commonly stated: CC BY-SA 3.0.

>>> [f.name for f in FILES]  # doctest: +NORMALIZE_WHITESPACE
['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']
"""

from __future__ import annotations

import numpy as np

from lamina.data.download import RemoteFile, fetch
from lamina.data.idx import read_images_and_labels

DATASET = "mnist"

# Mirrors of the original files, tried in order (yann.lecun.com itself now refuses downloads).
# The first is TensorFlow's, the second PyTorch's (torchvision).
MIRRORS = [
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
]

# SHA-256s computed from copies byte-identical to the official release (their md5s match the
# published ones) and equal to those pinned by tensorflow-datasets (url_checksums/mnist.txt).
FILES = [
    RemoteFile(
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        9_912_422,
    ),
    RemoteFile(
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        28_881,
    ),
    RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        1_648_877,
    ),
    RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        4_542,
    ),
]


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: uint8 ``(n, 28, 28)`` images, uint8 labels."""
    return load_idx_dataset(DATASET, FILES, MIRRORS)


def load_idx_dataset(dataset: str, files, mirrors):
    """Fetch and parse the four files of an MNIST-format dataset (train images, train labels,
    test images, test labels)."""
    train_images, train_labels, test_images, test_labels = fetch(dataset, files, mirrors)
    train = read_images_and_labels(train_images, train_labels)
    test = read_images_and_labels(test_images, test_labels)
    return train, test
