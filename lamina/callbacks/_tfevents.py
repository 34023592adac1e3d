"""TensorBoard event files, written by hand: no TensorFlow, no protobuf library.

A file is a sequence of records: ``uint64 length``, ``uint32 masked_crc32c(length bytes)``, the
bytes of one ``Event`` protobuf, ``uint32 masked_crc32c(bytes)`` (little-endian). The first event
holds ``file_version = "brain.Event:2"``; the others a ``Summary`` of scalar or histogram values.
The fields written (numbers from TensorFlow's ``event.proto`` and ``summary.proto``):

- ``Event``: ``wall_time = 1`` (double), ``step = 2`` (int64), ``file_version = 3`` (string),
  ``summary = 5``;
- ``Summary``: ``value = 1`` (repeated) ``{tag = 1, simple_value = 2 (float), histo = 5}``;
- ``HistogramProto``: ``min = 1``, ``max = 2``, ``num = 3``, ``sum = 4``, ``sum_squares = 5``
  (doubles), ``bucket_limit = 6``, ``bucket = 7`` (packed doubles).

>>> masked_crc32c(b"")  # the mask of crc 0
2726488792
>>> hex(crc32c(b"123456789"))  # the standard check value of CRC-32C
'0xe3069283'
"""

from __future__ import annotations

import itertools
import os
import socket
import struct
import time

import numpy as np


def _crc_table() -> list:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1  # Castagnoli, reflected
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``, the checksum TFRecord files use."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC: rotated right by 15 bits plus a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# ----- protobuf wire format -----
def _varint(n: int) -> bytes:
    n &= 0xFFFFFFFFFFFFFFFF  # int64 as protobuf writes negatives: two's complement
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def _double(field: int, value: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", value)


def _float(field: int, value: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", value)


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def _bytes(field: int, value: bytes) -> bytes:
    return _key(field, 2) + _varint(len(value)) + value


def _packed_doubles(field: int, values) -> bytes:
    return _bytes(field, np.asarray(values, dtype="<f8").tobytes())


def scalar_value(tag: str, value: float) -> bytes:
    """One ``Summary.Value`` holding a scalar."""
    return _bytes(1, tag.encode()) + _float(2, float(value))


def histogram_value(tag: str, values, bins: int = 30) -> bytes:
    """One ``Summary.Value`` holding a histogram of ``values`` in ``bins`` equal buckets."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    values = values[np.isfinite(values)]
    if values.size == 0:
        values = np.zeros(1)
    counts, edges = np.histogram(values, bins=bins)
    histo = (
        _double(1, values.min())
        + _double(2, values.max())
        + _double(3, values.size)
        + _double(4, values.sum())
        + _double(5, np.dot(values, values))
        + _packed_doubles(6, edges[1:])
        + _packed_doubles(7, counts)
    )
    return _bytes(1, tag.encode()) + _bytes(5, histo)


def event(step: int, values: list, wall_time: float | None = None) -> bytes:
    """An ``Event`` at ``step`` whose summary holds ``values`` (from ``scalar_value``...)."""
    summary = b"".join(_bytes(1, v) for v in values)
    wall_time = time.time() if wall_time is None else wall_time
    return _double(1, wall_time) + _int(2, step) + _bytes(5, summary)


def record(data: bytes) -> bytes:
    """``data`` framed as one TFRecord."""
    length = struct.pack("<Q", len(data))
    return (
        length
        + struct.pack("<I", masked_crc32c(length))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


_counter = itertools.count()


class EventFileWriter:
    """Appends events to a new ``events.out.tfevents.*`` file in ``log_dir``; the folder and the
    file (with its ``file_version`` event) are made at the first write. Each ``write`` opens,
    appends and closes, so what is written is on disk even if training dies."""

    def __init__(self, log_dir: str | os.PathLike):
        self.log_dir = os.fspath(log_dir)
        self.path = None

    def write(self, step: int, values: list) -> None:
        if not values:
            return
        chunks = []
        if self.path is None:
            os.makedirs(self.log_dir, exist_ok=True)
            name = (
                f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{next(_counter)}.v2"
            )
            self.path = os.path.join(self.log_dir, name)
            chunks.append(record(_double(1, time.time()) + _bytes(3, b"brain.Event:2")))
        chunks.append(record(event(step, values)))
        with open(self.path, "ab") as f:
            f.write(b"".join(chunks))
