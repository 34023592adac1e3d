"""Fashion-MNIST: Zalando article images in MNIST's format, from the original IDX files.

``load_data()`` returns ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
``(60000, 28, 28)`` / ``(10000, 28, 28)`` with values 0..255 and uint8 labels 0..9, as
``keras.datasets.fashion_mnist.load_data()``. The files are cached in ``<data dir>/fashion-mnist/``.

H. Xiao, K. Rasul, R. Vollgraf (Zalando Research), 2017; MIT licence.

>>> CLASS_NAMES[9]
'Ankle boot'
"""

from __future__ import annotations

import numpy as np

from lamina.data.download import RemoteFile
from lamina.data.mnist import load_idx_dataset

DATASET = "fashion-mnist"

CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip

# The project's own mirror (plain HTTP: the pinned checksums below are what protects the data).
MIRRORS = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]

# SHA-256s computed from copies byte-identical to the official release (their md5s match the
# published ones), and equal to those pinned by tensorflow-datasets
# (tensorflow_datasets/url_checksums/fashion_mnist.txt).
FILES = [
    RemoteFile(
        "train-images-idx3-ubyte.gz",
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        26_421_880,
    ),
    RemoteFile(
        "train-labels-idx1-ubyte.gz",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        29_515,
    ),
    RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        4_422_102,
    ),
    RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        5_148,
    ),
]


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: uint8 ``(n, 28, 28)`` images, uint8 labels."""
    return load_idx_dataset(DATASET, FILES, MIRRORS)
