"""Corrupt, truncated, tampered and oversized files: each refused with an error that names the
problem, nothing executed, and no large allocation (peak traced memory < 100 MB)."""

import io
import json
import pickle
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

from lamina import layers as L
from lamina.models import Sequential, load_model
from lamina.saving import FormatError
from lamina.saving.safetensors import encode_header, load_file

MB = 2**20


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    model = Sequential([L.Input(shape=(4,)), L.Dense(8, name="hidden"), L.Dense(2, name="out")])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 4), "float32"), np.zeros((8, 2), "float32"), verbose=0)
    path = tmp_path_factory.mktemp("good") / "m.lamina"
    model.save(path)
    return path.read_bytes()


def split(blob):
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def join(header, data):
    metadata = header.pop("__metadata__", None)
    return encode_header(header, metadata) + data


def rewrite(blob, edit):
    header, data = split(blob)
    result = edit(header, data)
    return join(header, result if isinstance(result, bytes) else data)


def with_checksum(header, data):
    import hashlib

    header["__metadata__"]["sha256"] = hashlib.sha256(data).hexdigest()


class Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/lamina_pwned",))


def zip_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("weights.bin", b"\0" * (200 * MB))  # 200 MB that compress to ~200 KB
    return buffer.getvalue()


def edit_metadata(key, value):
    def edit(header, data):
        header["__metadata__"][key] = value

    return edit


def edit_entry(name, **changes):
    def edit(header, data):
        header[name].update(changes)

    return edit


def drop_tensor(header, data):
    del header["weights/out.bias"]


def absurd_shape(header, data):
    header["weights/hidden.kernel"]["shape"] = [2**40, 2**40]


def wrong_architecture(header, data):
    config = json.loads(header["__metadata__"]["model_config"])
    config["config"]["layers"][1]["config"]["units"] = 9
    header["__metadata__"]["model_config"] = json.dumps(config)


def unknown_class(header, data):
    config = json.loads(header["__metadata__"]["model_config"])
    config["config"]["layers"][1]["class_name"] = "os.system"
    header["__metadata__"]["model_config"] = json.dumps(config)


def flip_a_weight_byte(header, data):
    data = bytearray(data)
    data[5] ^= 0xFF
    return bytes(data)


def huge_layer(header, data):
    config = json.loads(header["__metadata__"]["model_config"])
    config["config"]["layers"][1]["config"]["units"] = 10**10  # a 40 GB kernel if allocated
    header["__metadata__"]["model_config"] = json.dumps(config)


def huge_input(header, data):
    config = json.loads(header["__metadata__"]["model_config"])
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, 10**9]
    header["__metadata__"]["model_config"] = json.dumps(config)


def huge_build_shape(header, data):
    config = json.loads(header["__metadata__"]["model_config"])
    config["config"]["layers"] = config["config"]["layers"][1:]  # no Input: built from the shape
    header["__metadata__"]["model_config"] = json.dumps(config)
    header["__metadata__"]["build_input_shape"] = json.dumps([None, 10**10])


def deep_json(header, data):
    header["__metadata__"]["model_config"] = "[" * 100_000 + "]" * 100_000


CASES = {
    "empty": (lambda good: b"", "too short"),
    "random bytes": (lambda good: np.random.default_rng(0).bytes(4096), "header length"),
    "truncated data": (lambda good: good[: len(good) - 40], "outside the"),
    "truncated header": (lambda good: good[:100], "header length"),
    "huge header length": (lambda good: struct.pack("<Q", 2**62) + good[8:], "header length"),
    "header not json": (lambda good: struct.pack("<Q", 8) + b"{{{{{{{{" + good[16:], "JSON"),
    "pickle": (lambda good: pickle.dumps(Evil()), "header length|too short|JSON"),
    "zip bomb": (lambda good: zip_bomb(), "header length|JSON"),
    "absurd shape": (lambda good: rewrite(good, absurd_shape), "needs .* bytes"),
    "unknown dtype": (lambda good: rewrite(good, edit_entry("weights/out.bias", dtype="O")),
                      "unknown dtype"),
    "offsets beyond the end": (
        lambda good: rewrite(good, edit_entry("weights/out.bias", data_offsets=[0, 10**12])),
        "outside the"),
    "newer format version": (lambda good: rewrite(good, edit_metadata("format_version", "99")),
                             "format version 99"),
    "not a lamina file": (lambda good: rewrite(good, edit_metadata("format", "other")),
                          "not a lamina model file"),
    "tampered weights": (lambda good: rewrite(good, flip_a_weight_byte), "checksum mismatch"),
    "missing tensor": (lambda good: rewrite(good, lambda h, d: (drop_tensor(h, d),
                                                                 with_checksum(h, d))),
                       r"missing tensors \['out.bias'\]"),
    "shape mismatch": (lambda good: rewrite(good, lambda h, d: (wrong_architecture(h, d),
                                                                 with_checksum(h, d))),
                       "layer 'hidden' has shape"),
    "unknown layer class": (lambda good: rewrite(good, lambda h, d: (unknown_class(h, d),
                                                                      with_checksum(h, d))),
                            "unknown layer class 'os.system'"),
    "huge layer in the config": (lambda good: rewrite(good, huge_layer),
                                 "asks for a weight of shape"),
    "huge input in the config": (lambda good: rewrite(good, huge_input),
                                 "values per sample, more than"),
    "huge build shape": (lambda good: rewrite(good, huge_build_shape),
                         "not a plausible sample shape"),
    "deeply nested json": (lambda good: rewrite(good, deep_json), "model_config is not valid JSON"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_file_is_refused_clearly_and_cheaply(case, good, tmp_path):
    make, message = CASES[case]
    path = tmp_path / "hostile.lamina"
    path.write_bytes(make(good))
    tracemalloc.start()
    try:
        with pytest.raises((FormatError, ValueError)) as info:
            load_model(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.match(message), str(info.value)
    assert str(path) in str(info.value)  # the error names the file
    assert peak < 100 * MB, f"{case}: peak {peak / MB:.0f} MB"
    assert not __import__("os").path.exists("/tmp/lamina_pwned")


def test_the_untouched_file_loads(good, tmp_path):
    path = tmp_path / "good.lamina"
    path.write_bytes(good)
    assert load_model(path).count_params() == 4 * 8 + 8 + 8 * 2 + 2


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_model(tmp_path / "absent.lamina")


def test_safetensors_reader_checks_names_and_metadata(tmp_path):
    path = tmp_path / "t.safetensors"
    header = {"__metadata__": {"a": 1}}
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text)
    with pytest.raises(FormatError, match="strings to strings"):
        load_file(path)
