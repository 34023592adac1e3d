import struct
import zlib

import numpy as np
import pytest

from lamina.explain import overlay, save_overlay
from lamina.explain.overlay import colorize


def read_png(path):
    """Width, height and RGB pixels of an 8-bit RGB PNG with unfiltered rows (as lamina writes)."""
    data = open(path, "rb").read()
    width, height = struct.unpack(">II", data[16:24])
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * 3)
    return rows[:, 1:].reshape(height, width, 3)


def test_overlay_shows_the_image_where_attribution_is_zero(tmp_path):
    image = np.linspace(0, 1, 16).reshape(4, 4)
    attribution = np.zeros((4, 4))
    attribution[1, 2] = 1.0
    path = tmp_path / "o.png"
    save_overlay(path, image, attribution, scale=3)
    pixels = read_png(path)
    assert pixels.shape == (12, 12, 3)
    gray = np.rint(image * 0.5 * 255).astype(np.uint8)  # the image at half brightness
    np.testing.assert_array_equal(pixels[0, 0], [gray[0, 0]] * 3)  # untouched pixel
    np.testing.assert_array_equal(pixels[0, 3], [gray[0, 1]] * 3)
    red, green, blue = pixels[3 * 1, 3 * 2].astype(int)
    assert red > 150 and red - max(green, blue) > 100  # the peak is drawn red


def test_signed_maps_use_red_and_blue():
    picture = overlay(np.zeros((2, 2)), np.array([[1.0, -1.0], [0.0, 0.0]]), alpha=1.0, scale=1)
    assert picture[0, 0, 0] > 200 and picture[0, 0, 2] < 50  # positive: red
    assert picture[0, 1, 2] > 200 and picture[0, 1, 0] < 50  # negative: blue
    np.testing.assert_array_equal(picture[1], 0)  # zero: the (black) image


def test_overlay_checks_shapes():
    with pytest.raises(ValueError, match="attribution has shape"):
        overlay(np.zeros((4, 4)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="unknown colour map"):
        colorize(np.zeros(2), "viridis")
