"""The safetensors file format, read and written with NumPy only, and read defensively.

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON, then raw tensor
bytes. The JSON maps each tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}``
(offsets into the bytes after the header) and may hold ``"__metadata__"``, a string-to-string
map. Nothing in the file is ever executed, and every claim in the header is checked against the
file's real size before any tensor is allocated: a huge header length, an absurd shape or an
offset beyond the end is refused with ``FormatError`` naming the problem.

>>> import numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "t.safetensors")
>>> save_file({"w": np.arange(6, dtype="float32").reshape(2, 3)}, path, {"note": "hi"})
>>> tensors, metadata = load_file(path)
>>> tensors["w"].tolist(), metadata
([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], {'note': 'hi'})
"""

from __future__ import annotations

import json
import math
import os
import struct

import numpy as np

from lamina.files import write_atomic

MAX_HEADER_BYTES = 64 * 2**20  # a header describes tensors; 64 MiB is far beyond any real one
MAX_RANK = 16
_DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"), "U32": np.dtype("<u4"), "U16": np.dtype("<u2"), "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"), "BF16": np.dtype("<u2"),  # bfloat16: the top half of a float32
}  # fmt: skip
_NAMES = {dtype: name for name, dtype in _DTYPES.items() if name != "BF16"}


class FormatError(ValueError):
    """A file that is not, or is no longer, a valid file of the format it claims to be."""


def _dtype_name(array) -> str:
    name = _NAMES.get(
        array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
    )
    if name is None:
        raise TypeError(f"safetensors cannot store arrays of dtype {array.dtype}")
    return name


def encode(tensors: dict, metadata: dict | None = None) -> tuple[bytes, bytes]:
    """``(header, data)``: the JSON header (with its 8-byte length) and the tensor bytes."""
    entries, data = pack(tensors)
    return encode_header(entries, metadata), data


def pack(tensors: dict) -> tuple[dict, bytes]:
    """``(entries, data)``: each tensor's header entry, and all tensor bytes in order."""
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"invalid tensor name {name!r}")
        array = np.asarray(array, order="C")  # (ascontiguousarray turns shape () into (1,))
        dtype = _dtype_name(array)
        raw = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}  # fmt: skip
        chunks.append(raw)
        offset += len(raw)
    return header, b"".join(chunks)


def encode_header(entries: dict, metadata: dict | None = None) -> bytes:
    """The 8-byte length and the JSON header for ``entries`` and string ``metadata``."""
    header = dict(entries)
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("safetensors metadata must map strings to strings")
        header = {"__metadata__": dict(metadata), **header}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the spec pads the header to a multiple of 8 bytes
    return struct.pack("<Q", len(text)) + text


def save_file(tensors: dict, path, metadata: dict | None = None) -> None:
    """Write ``tensors`` (name -> array) and string ``metadata`` to ``path``, atomically."""
    write_atomic(path, *encode(tensors, metadata))


def read_header(f, file_size: int, what: str = "file") -> tuple[dict, dict, int]:
    """``(entries, metadata, data_size)`` from an open binary file positioned at its start,
    every entry checked against ``file_size``."""
    if file_size < 8:
        raise FormatError(f"{what} is too short to be a safetensors file ({file_size} bytes)")
    (length,) = struct.unpack("<Q", f.read(8))
    if length > min(MAX_HEADER_BYTES, file_size - 8):
        raise FormatError(
            f"{what}: header length {length} exceeds the file ({file_size} bytes) or the "
            f"{MAX_HEADER_BYTES}-byte limit: not a safetensors file, or truncated"
        )
    raw = f.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"{what}: the header is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise FormatError(f"{what}: the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise FormatError(f"{what}: __metadata__ must map strings to strings")
    data_size = file_size - 8 - length
    for name, entry in header.items():
        _check_entry(name, entry, data_size, what)
    return header, metadata, data_size


def _check_entry(name, entry, data_size, what) -> None:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise FormatError(f"{what}: tensor {name!r} needs exactly dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in _DTYPES:
        raise FormatError(f"{what}: tensor {name!r} has unknown dtype {dtype!r}")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_RANK
        or not all(type(d) is int and d >= 0 for d in shape)
    ):
        raise FormatError(f"{what}: tensor {name!r} has an invalid shape {shape!r}")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(type(o) is int for o in offsets)
        or not 0 <= offsets[0] <= offsets[1] <= data_size
    ):
        raise FormatError(
            f"{what}: tensor {name!r} has data offsets {offsets!r} outside the "
            f"{data_size} data bytes (truncated or tampered file)"
        )
    needed = math.prod(shape) * _DTYPES[dtype].itemsize  # Python ints: no overflow
    if needed != offsets[1] - offsets[0]:
        raise FormatError(
            f"{what}: tensor {name!r} of shape {shape} and dtype {dtype} needs {needed} bytes, "
            f"the file gives it {offsets[1] - offsets[0]}"
        )


def load_file(path, what: str | None = None) -> tuple[dict, dict]:
    """``(tensors, metadata)`` from a safetensors file; arrays are read-only NumPy views of one
    buffer (bfloat16 tensors come back as float32)."""
    tensors, metadata, _ = load_file_with_data(path, what)
    return tensors, metadata


def load_file_with_data(path, what: str | None = None) -> tuple[dict, dict, bytes]:
    """Like ``load_file``, also returning the raw tensor bytes (to verify a checksum)."""
    what = what or os.fspath(path)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {os.fspath(path)}") from None
    with f:
        file_size = os.fstat(f.fileno()).st_size
        header, metadata, data_size = read_header(f, file_size, what)
        data = f.read(data_size)
    if len(data) != data_size:
        raise FormatError(f"{what}: the file changed while it was read")
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = _DTYPES[entry["dtype"]]
        if end == begin:  # an empty tensor (frombuffer refuses an offset at the very end)
            array = np.zeros(entry["shape"], dtype=dtype)
        else:
            count = (end - begin) // dtype.itemsize
            array = np.frombuffer(data, dtype, count, begin).reshape(entry["shape"])
        if entry["dtype"] == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = array
    return tensors, metadata, data
