"""PNG files written by lamina.png / lamina.utils.save_img decode back to the same pixels."""

import struct
import zlib

import numpy as np
import pytest

from lamina.png import PNG_SIGNATURE, encode_png, write_png
from lamina.utils import image_grid, save_img


def decode(data: bytes):
    """A minimal reader for the files we write (8-bit, filter 0): (pixels, colour type)."""
    assert data[:8] == PNG_SIGNATURE
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = header[:4]
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[colour]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * channels)
    assert depth == 8 and (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(height, width, channels), colour


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_round_trip(channels, tmp_path):
    pixels = np.random.default_rng(channels).integers(0, 256, (5, 7, channels), dtype=np.uint8)
    write_png(tmp_path / "a.png", pixels)
    decoded, _ = decode((tmp_path / "a.png").read_bytes())
    np.testing.assert_array_equal(decoded, pixels)


def test_bad_pixels_are_refused():
    with pytest.raises(TypeError, match="uint8"):
        encode_png(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="height, width"):
        encode_png(np.zeros((2, 2, 5), np.uint8))


def test_save_img_scales_and_checks(tmp_path):
    save_img(tmp_path / "s.png", np.array([[-1.0, 0.0], [0.5, 1.0]])[..., None])
    decoded, colour = decode((tmp_path / "s.png").read_bytes())
    assert colour == 0 and decoded[..., 0].tolist() == [[0, 128], [191, 255]]
    save_img(tmp_path / "c.png", np.full((3, 2, 2), 9.0), data_format="channels_first", scale=False)
    decoded, colour = decode((tmp_path / "c.png").read_bytes())
    assert colour == 2 and decoded.shape == (2, 2, 3) and (decoded == 9).all()
    with pytest.raises(ValueError, match="PNG files only"):
        save_img(tmp_path / "x.jpg", np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        save_img(tmp_path / "x.png", np.full((2, 2), 300.0), scale=False)
    with pytest.raises(ValueError, match="NaN"):
        save_img(tmp_path / "x.png", np.full((2, 2), np.nan))


def test_image_grid_places_images_row_by_row():
    images = np.arange(5)[:, None, None] * np.ones((5, 2, 2))
    grid = image_grid(images, cols=3, padding=1, pad_value=-1)
    assert grid.shape == (5, 8)
    assert grid[0, 0] == 0 and grid[0, 3] == 1 and grid[0, 6] == 2 and grid[3, 0] == 3
    assert grid[3, 3] == 4 and grid[3, 6] == -1 and grid[2, 0] == -1
