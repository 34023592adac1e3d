"""The IDX format of MNIST and Fashion-MNIST, parsed with validation.

An IDX file is a 4-byte magic number ``00 00 <type code> <number of dims>``, then each dimension
as a big-endian uint32, then the values in C order (big-endian). A file whose payload is longer or
shorter than its dimensions say is rejected, never truncated or padded.

>>> import struct
>>> data = struct.pack(">BBBBII", 0, 0, 0x08, 2, 2, 3) + bytes(range(6))
>>> parse_idx(data)
array([[0, 1, 2],
       [3, 4, 5]], dtype=uint8)
>>> parse_idx(data[:-1])
Traceback (most recent call last):
...
lamina.data.download.DatasetFormatError: IDX data: the header gives shape (2, 3) of uint8, \
which is 6 bytes, but the payload has 5 bytes
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from pathlib import Path

import numpy as np

from lamina.data.download import DatasetFormatError

# type code -> dtype (big-endian, as stored)
_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CHUNK = 1 << 24


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzip-compressed when its name ends in ``.gz``; a writable array."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as stream:
            return _read(stream, str(path))
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DatasetFormatError(f"{path} is truncated or not valid gzip data: {exc}") from None


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Parse the (uncompressed) bytes of an IDX file; ``name`` is used in error messages."""
    return _read(io.BytesIO(data), name)


def read_images_and_labels(images_path: Path, labels_path: Path, image_shape=(28, 28),
                           num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """An MNIST-style pair: uint8 images ``(n, *image_shape)`` and uint8 labels ``(n,)``."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.shape[1:] != tuple(image_shape):
        raise DatasetFormatError(
            f"{images_path}: expected uint8 images of shape (n, {', '.join(map(str, image_shape))})"
            f", got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DatasetFormatError(
            f"{labels_path}: expected a vector of uint8 labels, got {labels.dtype} of shape "
            f"{labels.shape}"
        )
    if len(images) != len(labels):
        raise DatasetFormatError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if labels.size and int(labels.max()) >= num_classes:
        raise DatasetFormatError(
            f"{labels_path}: labels must be in 0..{num_classes - 1}, found {int(labels.max())}"
        )
    return images, labels


def _read(stream, name: str) -> np.ndarray:
    magic = _read_exact(stream, 4, name, "the magic number")
    if magic[0] != 0 or magic[1] != 0 or magic[2] not in _DTYPES or magic[3] == 0:
        raise DatasetFormatError(
            f"{name}: not an IDX file (magic number {magic.hex()}; expected 0000 followed by a "
            f"type code in {{{', '.join(f'{c:02x}' for c in _DTYPES)}}} and a nonzero rank)"
        )
    dtype, ndim = _DTYPES[magic[2]], magic[3]
    shape = tuple(int(d) for d in np.frombuffer(_read_exact(stream, 4 * ndim, name, "dims"), ">u4"))
    expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
    # read in chunks, not read(expected): a hostile header must not make us allocate its size
    payload = bytearray()
    while len(payload) < expected and (chunk := stream.read(min(_CHUNK, expected - len(payload)))):
        payload += chunk
    if len(payload) < expected or stream.read(1):
        got = f"has {len(payload)} bytes" if len(payload) < expected else "is longer"
        raise DatasetFormatError(
            f"{name}: the header gives shape {shape} of {dtype.name}, which is {expected} bytes, "
            f"but the payload {got}"
        )
    array = np.frombuffer(payload, dtype).reshape(shape)
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))


def _read_exact(stream, size: int, name: str, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise DatasetFormatError(f"{name}: file ends inside {what} ({len(data)} of {size} bytes)")
    return data
