import hashlib
from importlib import resources

import numpy as np
import pytest

from lamina.data import digits
from lamina.data.download import ChecksumError

COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # samples of each digit


def rows(images, labels):
    """Samples as sorted rows (64 pixels + label), to compare sets of samples."""
    table = np.column_stack([images.reshape(len(images), -1), labels])
    return table[np.lexsort(table.T[::-1])]


def test_the_bundled_file_holds_the_uci_test_set():
    images, labels = digits.read()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.dtype == np.uint8 and labels.dtype == np.uint8
    assert (images.min(), images.max()) == (0, 16)
    assert np.bincount(labels).tolist() == COUNTS
    assert images[0, 1].tolist() == [0, 0, 13, 15, 10, 15, 5, 0]  # a '0', second row


def test_split_is_stratified_disjoint_and_complete():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert np.bincount(y_test).tolist() == [round(n * 0.2) for n in COUNTS]
    together = rows(np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test]))
    np.testing.assert_array_equal(together, rows(*digits.read()))


def test_split_is_deterministic_per_seed():
    first, second, other = digits.load_data(seed=3), digits.load_data(seed=3), digits.load_data()
    np.testing.assert_array_equal(first[1][0], second[1][0])
    assert not np.array_equal(first[1][0], other[1][0])
    (x_train, _), (x_test, y_test) = digits.load_data(test_split=0.5, seed=1)
    assert np.bincount(y_test).tolist() == [round(n * 0.5) for n in COUNTS]


def test_test_split_bounds():
    (x_train, _), (x_test, y_test) = digits.load_data(test_split=0)
    assert x_train.shape == (1797, 8, 8) and x_test.shape == (0, 8, 8) and y_test.shape == (0,)
    for bad in (1, 1.5, -0.1):
        with pytest.raises(ValueError, match=f"test_split must be in \\[0, 1\\), got {bad}"):
            digits.load_data(test_split=bad)


def test_the_bundled_file_is_verified(monkeypatch):
    data = resources.files("lamina.data").joinpath(digits.FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digits.SHA256
    monkeypatch.setattr(digits, "SHA256", "0" * 64)
    with pytest.raises(ChecksumError, match="digits.csv.gz is corrupt.*reinstall lamina"):
        digits.load_data()


def test_the_licence_note_ships_with_the_data():
    note = resources.files("lamina.data").joinpath("files/SOURCE.md").read_text()
    assert "CC BY 4.0" in note and "Alpaydin" in note and digits.SHA256 in note
