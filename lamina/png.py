"""A PNG writer in pure NumPy + zlib, so that examples and reports save images without Pillow
or matplotlib. 8-bit grayscale, gray + alpha, RGB or RGBA; written atomically.

>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "ramp.png")
>>> write_png(path, np.tile(np.arange(0, 256, 16, dtype=np.uint8), (4, 1)))
>>> open(path, "rb").read(8) == PNG_SIGNATURE
True
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from lamina.files import write_atomic

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (gray, gray+alpha, RGB, RGBA)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode_png(pixels) -> bytes:
    """PNG bytes of a uint8 array of shape (height, width) or (height, width, channels)."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8:
        raise TypeError(f"encode_png needs uint8 pixels, got {pixels.dtype}; scale them first")
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.ndim != 3 or pixels.shape[2] not in _COLOR_TYPES or 0 in pixels.shape[:2]:
        raise ValueError(
            f"a PNG needs pixels of shape (height, width[, 1-4 channels]), got {pixels.shape}"
        )
    height, width, channels = pixels.shape
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    rows = np.concatenate(  # each scanline starts with its filter type, 0 (none)
        [np.zeros((height, 1), np.uint8), pixels.reshape(height, width * channels)], axis=1
    )
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 9))
        + _chunk(b"IEND", b"")
    )


def write_png(path, pixels) -> None:
    """Write ``pixels`` (see ``encode_png``) to ``path``; a failed write keeps the old file."""
    write_atomic(path, encode_png(pixels))
