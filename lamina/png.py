"""A PNG writer and reader in pure NumPy + zlib, so that examples and reports save and load
images without Pillow or matplotlib. Writes 8-bit grayscale, gray + alpha, RGB or RGBA,
atomically; reads those and palette images, at bit depths 1, 2, 4 and 8, not interlaced (other
files raise a ``ValueError`` that says so: Pillow reads them).

>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "ramp.png")
>>> write_png(path, np.tile(np.arange(0, 256, 16, dtype=np.uint8), (4, 1)))
>>> open(path, "rb").read(8) == PNG_SIGNATURE
True
>>> read_png(path)[0, :4].tolist()
[0, 16, 32, 48]
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


# ----- reading -----

MAX_PIXELS = 178_956_970  # Pillow's decompression-bomb limit: refused before anything is allocated
# the Average and Paeth filters are undone one byte at a time in Python (~0.25 us a byte)
MAX_LOOPED_BYTES = 32 * 2**20
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel
_DEPTHS = {0: (1, 2, 4, 8), 2: (8,), 3: (1, 2, 4, 8), 4: (8,), 6: (8,)}


def read_png(path) -> np.ndarray:
    """The pixels of the PNG file at ``path`` (see ``decode_png``)."""
    with open(path, "rb") as stream:
        data = stream.read()
    try:
        return decode_png(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def decode_png(data: bytes) -> np.ndarray:
    """uint8 pixels of PNG bytes: ``(height, width)`` for grayscale, ``(height, width, c)`` with
    c = 2 (gray + alpha), 3 (RGB) or 4 (RGBA); a palette image becomes RGB, or RGBA when its
    palette has transparency. Gray levels of 1, 2 or 4 bits are scaled to 0..255, as Pillow does.

    Truncated or corrupt data, 16-bit samples and interlaced images raise ``ValueError``.

    >>> import numpy as np
    >>> decode_png(encode_png(np.array([[0, 255]], np.uint8))).tolist()
    [[0, 255]]
    """
    data = bytes(data)
    if data[:8] != PNG_SIGNATURE:
        raise ValueError("not a PNG file (its first 8 bytes are not the PNG signature)")
    header, palette, alpha, idat = None, None, None, []
    pos = 8
    while True:
        if pos + 8 > len(data):
            raise ValueError("the PNG file is truncated (it ends before its IEND chunk)")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 8 + length
        if end + 4 > len(data):
            raise ValueError(f"the PNG file is truncated (in its {kind!r} chunk)")
        body = data[pos + 8 : end]
        if struct.unpack(">I", data[end : end + 4])[0] != zlib.crc32(kind + body):
            raise ValueError(f"the PNG file is corrupt (bad CRC in its {kind!r} chunk)")
        pos = end + 4
        if header is None and kind != b"IHDR":
            raise ValueError(f"the PNG file is corrupt (its first chunk is {kind!r}, not IHDR)")
        if kind == b"IHDR":
            header = _header(body)
        elif kind == b"PLTE":
            if not body or len(body) % 3 or len(body) > 768:
                raise ValueError(f"the PNG file is corrupt (a palette of {len(body)} bytes)")
            palette = np.zeros((256, 3), np.uint8)  # Pillow shows indices past the end as black
            palette[: len(body) // 3] = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS" and header[3] == 3:
            alpha = np.full(256, 255, np.uint8)
            alpha[: min(len(body), 256)] = np.frombuffer(body[:256], np.uint8)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour = header
    if not idat:
        raise ValueError("the PNG file is corrupt (it has no IDAT image data)")
    if colour == 3 and palette is None:
        raise ValueError("the PNG file is corrupt (a palette image without a PLTE chunk)")
    samples = _unfilter(_inflate(b"".join(idat), height, width, depth, colour), depth, colour)
    if depth < 8:  # unpack 1/2/4-bit samples, most significant first
        shifts = np.arange(8 - depth, -1, -depth, dtype=np.uint8)
        samples = (samples[:, :, None] >> shifts) & ((1 << depth) - 1)
        samples = samples.reshape(height, -1)[:, :width]
        if colour == 0:
            samples = samples * np.uint8(255 // ((1 << depth) - 1))
    pixels = samples.reshape(height, width, _CHANNELS[colour])
    if colour == 3:
        index = pixels[..., 0]
        if alpha is None:
            return palette[index]
        return np.concatenate([palette[index], alpha[index][..., None]], axis=-1)
    return pixels[..., 0] if colour == 0 else pixels


def _header(body: bytes):
    if len(body) != 13:
        raise ValueError(f"the PNG file is corrupt (an IHDR chunk of {len(body)} bytes, not 13)")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", body
    )
    if colour not in _CHANNELS or depth not in (1, 2, 4, 8, 16):
        raise ValueError(f"the PNG file is corrupt (colour type {colour}, bit depth {depth})")
    if depth not in _DEPTHS[colour]:
        raise ValueError(
            f"lamina reads PNG files of bit depth {_DEPTHS[colour]} for colour type {colour}, "
            f"this one has {depth}-bit samples: install Pillow (pip install pillow) to read it"
        )
    if interlace:
        raise ValueError(
            "lamina reads non-interlaced PNG files only, this one is interlaced (Adam7): "
            "install Pillow (pip install pillow) to read it"
        )
    if compression or filtering:
        raise ValueError("the PNG file is corrupt (unknown compression or filter method)")
    if not width or not height:
        raise ValueError(f"the PNG file is corrupt (its size is {width}x{height})")
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"the PNG image is {width}x{height} = {width * height:,} pixels, more than the limit "
            f"of {MAX_PIXELS:,} (lamina.png.MAX_PIXELS), which guards against decompression bombs"
        )
    return width, height, depth, colour


def _inflate(compressed: bytes, height: int, width: int, depth: int, colour: int) -> np.ndarray:
    """The filtered scanlines: ``(height, 1 + row bytes)``, each starting with its filter."""
    row = (width * _CHANNELS[colour] * depth + 7) // 8
    expected = height * (1 + row)
    try:  # max_length: a stream that inflates to more than the image needs stops there
        raw = zlib.decompressobj().decompress(compressed, expected)
    except zlib.error as exc:
        raise ValueError(
            f"the PNG file is corrupt (its image data does not inflate: {exc})"
        ) from exc
    if len(raw) < expected:
        raise ValueError(
            f"the PNG file is truncated (its image data holds {len(raw):,} of {expected:,} bytes)"
        )
    return np.frombuffer(raw, np.uint8).reshape(height, 1 + row)


def _unfilter(raw: np.ndarray, depth: int, colour: int) -> np.ndarray:
    """Undo the per-row filters (none, Sub, Up, Average, Paeth) of the PNG specification."""
    bpp = max(1, _CHANNELS[colour] * depth // 8)  # bytes per complete pixel, at least 1
    looped = int(np.isin(raw[:, 0], (3, 4)).sum()) * (raw.shape[1] - 1)
    if looped > MAX_LOOPED_BYTES:  # a Python loop per byte: bound the work, not just the size
        raise ValueError(
            f"the PNG image has {looped:,} bytes under the Average/Paeth filters, more than "
            f"lamina's decoder unfilters ({MAX_LOOPED_BYTES:,}, lamina.png.MAX_LOOPED_BYTES, "
            "about 8 s of work); install Pillow (pip install pillow) to read it"
        )
    out = np.empty((raw.shape[0], raw.shape[1] - 1), np.uint8)
    previous = np.zeros(out.shape[1], np.uint8)
    for y, (kind, line) in enumerate(zip(raw[:, 0], raw[:, 1:])):
        if kind == 0:
            out[y] = line
        elif kind == 1:  # Sub: a running sum of each byte of the pixel, modulo 256
            out[y] = np.cumsum(line.reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
        elif kind == 2:  # Up
            out[y] = line + previous
        elif kind in (3, 4):  # Average and Paeth depend on the byte just decoded: a loop
            out[y] = _sequential(line.tolist(), previous.tolist(), bpp, kind == 4)
        else:
            raise ValueError(f"the PNG file is corrupt (filter type {kind} in row {y})")
        previous = out[y]
    return out


def _sequential(line: list, up: list, bpp: int, paeth: bool) -> list:
    out = line[:]
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b = up[i]
        if paeth:
            c = up[i - bpp] if i >= bpp else 0
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        else:
            predictor = (a + b) >> 1
        out[i] = (out[i] + predictor) & 0xFF
    return out
