import gzip
import struct

import numpy as np
import pytest

from lamina.data.download import DatasetFormatError
from lamina.data.idx import parse_idx, read_idx, read_images_and_labels
from tests.data import shared_folder


def idx_bytes(array, type_code, dtype):
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.asarray(array, dtype).tobytes()


def test_parses_each_type_in_native_byte_order(rng):
    cases = [
        (0x08, ">u1", rng.integers(0, 256, (4, 3, 2))),
        (0x09, ">i1", rng.integers(-128, 128, (5,))),
        (0x0B, ">i2", rng.integers(-3000, 3000, (2, 7))),
        (0x0C, ">i4", rng.integers(-(2**31), 2**31, (6,))),
        (0x0D, ">f4", rng.standard_normal((3, 3))),
        (0x0E, ">f8", rng.standard_normal((2, 2, 2))),
    ]
    for code, dtype, values in cases:
        array = parse_idx(idx_bytes(values, code, dtype))
        expected = np.asarray(values, dtype)
        assert array.dtype == expected.dtype.newbyteorder("=") and array.dtype.isnative
        np.testing.assert_array_equal(array, expected)


def test_reads_plain_and_gzipped_files_into_writable_arrays(tmp_path):
    values = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    data = idx_bytes(values, 0x08, "u1")
    (tmp_path / "a-idx3-ubyte").write_bytes(data)
    (tmp_path / "a-idx3-ubyte.gz").write_bytes(gzip.compress(data))
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        array = read_idx(tmp_path / name)
        np.testing.assert_array_equal(array, values)
        array[0, 0, 0] = 99  # callers may normalize in place


@pytest.mark.parametrize(
    "magic",
    [b"\x00\x01\x08\x01", b"\x01\x00\x08\x01", b"\x00\x00\x07\x01", b"\x00\x00\x08\x00"],
)
def test_rejects_a_wrong_magic_number(magic):
    with pytest.raises(DatasetFormatError, match=f"not an IDX file \\(magic number {magic.hex()}"):
        parse_idx(magic + struct.pack(">I", 1) + b"\x00", "labels")


def test_rejects_a_payload_of_the_wrong_length():
    data = idx_bytes(np.zeros((3, 2), np.uint8), 0x08, "u1")
    with pytest.raises(DatasetFormatError, match=r"shape \(3, 2\) of uint8, which is 6 bytes, bu"):
        parse_idx(data[:-1])
    with pytest.raises(DatasetFormatError, match="6 bytes, but the payload is longer"):
        parse_idx(data + b"\x00")
    wide = idx_bytes(np.zeros(3, np.int32), 0x0C, ">i4")
    message = "of int32, which is 12 bytes, but the payload has 10 bytes"
    with pytest.raises(DatasetFormatError, match=message):
        parse_idx(wide[:-2])


def test_rejects_a_cut_header():
    data = idx_bytes(np.zeros((3, 2), np.uint8), 0x08, "u1")
    with pytest.raises(DatasetFormatError, match=r"ends inside dims \(5 of 8 bytes\)"):
        parse_idx(data[:9])
    with pytest.raises(DatasetFormatError, match="ends inside the magic number"):
        parse_idx(b"\x00\x00")


def test_huge_dimensions_in_a_hostile_header_do_not_allocate_them():
    data = struct.pack(">BBBBIII", 0, 0, 0x0E, 3, 2**32 - 1, 2**32 - 1, 2**32 - 1) + bytes(64)
    with pytest.raises(DatasetFormatError, match="but the payload has 64 bytes"):
        parse_idx(data)


def test_truncated_or_invalid_gzip_names_the_file(tmp_path):
    data = gzip.compress(idx_bytes(np.arange(1000) % 256, 0x08, "u1"))
    path = tmp_path / "cut-idx1-ubyte.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetFormatError, match=f"{path} is truncated or not valid gzip"):
        read_idx(path)
    path.write_bytes(b"this is not gzip data at all")
    with pytest.raises(DatasetFormatError, match=f"{path} is truncated or not valid gzip"):
        read_idx(path)


def write_pair(tmp_path, images, labels):
    images_path, labels_path = tmp_path / "images.idx", tmp_path / "labels.idx"
    images_path.write_bytes(idx_bytes(images, 0x08, "u1"))
    labels_path.write_bytes(idx_bytes(labels, 0x08, "u1"))
    return images_path, labels_path


def test_image_label_pairs_are_checked_against_each_other(tmp_path):
    images, labels = np.zeros((4, 28, 28), np.uint8), np.array([0, 9, 3, 3], np.uint8)
    x, y = read_images_and_labels(*write_pair(tmp_path, images, labels))
    assert x.shape == (4, 28, 28) and y.tolist() == [0, 9, 3, 3]
    with pytest.raises(DatasetFormatError, match="holds 4 images but .* holds 3 labels"):
        read_images_and_labels(*write_pair(tmp_path, images, labels[:3]))
    with pytest.raises(DatasetFormatError, match=r"expected uint8 images of shape \(n, 28, 28\)"):
        read_images_and_labels(*write_pair(tmp_path, images[:, :27], labels))
    with pytest.raises(DatasetFormatError, match="expected a vector of uint8 labels"):
        read_images_and_labels(*write_pair(tmp_path, images, labels.reshape(2, 2)))
    with pytest.raises(DatasetFormatError, match="labels must be in 0..9, found 10"):
        read_images_and_labels(*write_pair(tmp_path, images, labels + 1))


def test_reads_the_real_mnist_label_file():
    labels = read_idx(shared_folder("mnist") / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
