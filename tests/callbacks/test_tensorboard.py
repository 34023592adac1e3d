"""The event files are read back by a reader written here: TFRecord framing with both CRCs
checked by a bitwise CRC-32C (independent of lamina's table), and the protobuf fields decoded
by hand."""

import glob
import os
import struct

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import TensorBoard
from lamina.callbacks._tfevents import masked_crc32c


def _crc32c_bitwise(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


def _masked(data):
    crc = _crc32c_bitwise(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _records(path):
    raw = open(path, "rb").read()
    pos, out = 0, []
    while pos < len(raw):
        header = raw[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", raw[pos + 8 : pos + 12])
        assert length_crc == _masked(header), "length CRC"
        data = raw[pos + 12 : pos + 12 + length]
        (data_crc,) = struct.unpack("<I", raw[pos + 12 + length : pos + 16 + length])
        assert data_crc == _masked(data), "data CRC"
        out.append(data)
        pos += 16 + length
    assert pos == len(raw)
    return out


def _varint(buf, pos):
    result = shift = 0
    while True:
        byte = buf[pos]
        result |= (byte & 0x7F) << shift
        pos += 1
        shift += 7
        if not byte & 0x80:
            return result, pos


def _fields(buf):
    """{field number: [values]}: ints for varints, bytes for length-delimited, raw 4/8 bytes."""
    pos, out = 0, {}
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            assert wire == 2
            length, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        out.setdefault(field, []).append(value)
    return out


def _read_events(folder):
    """(file_version, {tag: [(step, value)]}, {tag: [(step, histogram fields)]}) of a folder."""
    (path,) = glob.glob(os.path.join(folder, "events.out.tfevents.*.v2"))
    records = [_fields(r) for r in _records(path)]
    version = records[0][3][0]
    scalars, histograms = {}, {}
    for event in records[1:]:
        assert struct.unpack("<d", event[1][0])[0] > 1e9  # wall_time: seconds since 1970
        step = event[2][0]
        for value in _fields(event[5][0])[1]:
            value = _fields(value)
            tag = value[1][0].decode()
            if 2 in value:
                scalars.setdefault(tag, []).append((step, struct.unpack("<f", value[2][0])[0]))
            else:
                histograms.setdefault(tag, []).append((step, _fields(value[5][0])))
    return version, scalars, histograms


def _model():
    lamina.seed(0)
    model = lamina.Sequential([layers.Input((2,)), layers.Dense(3, name="hidden"),
                               layers.Dense(1, name="out")])  # fmt: skip
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def _data():
    x = np.random.default_rng(0).normal(size=(40, 2))
    return x, x.sum(axis=1, keepdims=True)


def test_crc32c_matches_the_standard_check_value():
    assert _crc32c_bitwise(b"123456789") == 0xE3069283
    assert masked_crc32c(b"lamina") == _masked(b"lamina")


def test_epoch_scalars_as_keras_names_them(tmp_path):
    model = _model()
    x, y = _data()
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[TensorBoard(log_dir=tmp_path)])  # fmt: skip
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    version, train, _ = _read_events(tmp_path / "train")
    assert version == b"brain.Event:2"
    assert set(train) == {"epoch_loss", "epoch_mae", "epoch_learning_rate"}
    assert [step for step, _ in train["epoch_loss"]] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history.history["loss"],
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], 0.01, rtol=1e-6)
    _, validation, _ = _read_events(tmp_path / "validation")
    assert set(validation) == {"epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations",
                               "evaluation_mae_vs_iterations"}  # fmt: skip
    np.testing.assert_allclose([v for _, v in validation["epoch_mae"]], history.history["val_mae"],
                               rtol=1e-6)  # fmt: skip
    assert [s for s, _ in validation["evaluation_loss_vs_iterations"]] == [4, 8, 12]


def test_batch_scalars_and_histograms(tmp_path):
    model = _model()
    x, y = _data()
    callback = TensorBoard(tmp_path, histogram_freq=2, update_freq=3, write_steps_per_second=True)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[callback])
    assert os.listdir(tmp_path) == ["train"]  # no validation: no validation folder
    _, train, histograms = _read_events(tmp_path / "train")
    assert [s for s, _ in train["batch_loss"]] == [3, 6, 9, 12, 15]  # 5 batches an epoch
    assert "batch_steps_per_second" in train and "epoch_steps_per_second" in train
    assert set(histograms) == {"hidden/kernel/histogram", "hidden/bias/histogram",
                               "out/kernel/histogram", "out/bias/histogram"}  # fmt: skip
    step, histo = histograms["out/kernel/histogram"][-1]
    kernel = model.get_layer("out").kernel.numpy()
    assert step == 2 and [s for s, _ in histograms["out/kernel/histogram"]] == [0, 2]
    low, high, num = (struct.unpack("<d", histo[f][0])[0] for f in (1, 2, 3))
    assert (low, high, num) == (kernel.min(), kernel.max(), 3.0)
    counts = np.frombuffer(histo[7][0], "<f8")
    assert counts.sum() == 3 and len(counts) == 30


def test_evaluate_alone_logs_evaluation_scalars(tmp_path):
    model = _model()
    x, y = _data()
    model.evaluate(x, y, verbose=0, callbacks=[TensorBoard(tmp_path)])
    _, validation, _ = _read_events(tmp_path / "validation")
    assert [s for s, _ in validation["evaluation_loss_vs_iterations"]] == [0]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"write_images": True}, "not weights as images"),
        ({"profile_batch": 2}, "not profiling"),
        ({"embeddings_freq": 1}, "not embedding projections"),
        ({"update_freq": 0}, "update_freq must be 'epoch', 'batch'"),
        ({"histogram_freq": -1}, "histogram_freq must be a non-negative integer"),
    ],
)
def test_unsupported_options_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TensorBoard("logs", **kwargs)
