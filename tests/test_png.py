"""PNG files written by lamina.png / lamina.utils.save_img decode back to the same pixels, and
lamina.png's decoder reads what other writers make (every filter, palettes, low bit depths) and
refuses damaged files with a ValueError."""

import struct
import zlib

import numpy as np
import pytest

from lamina import image_utils, png
from lamina.png import PNG_SIGNATURE, decode_png, encode_png, read_png, write_png
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


def test_save_img_scales_and_checks(tmp_path, monkeypatch):
    save_img(tmp_path / "s.png", np.array([[-1.0, 0.0], [0.5, 1.0]])[..., None])
    decoded, colour = decode((tmp_path / "s.png").read_bytes())
    assert colour == 0 and decoded[..., 0].tolist() == [[0, 128], [191, 255]]
    save_img(tmp_path / "c.png", np.full((3, 2, 2), 9.0), data_format="channels_first", scale=False)
    decoded, colour = decode((tmp_path / "c.png").read_bytes())
    assert colour == 2 and decoded.shape == (2, 2, 3) and (decoded == 9).all()
    monkeypatch.setattr(image_utils, "_pil", lambda: None)  # without Pillow: PNG only
    with pytest.raises(ValueError, match="PNG files only without Pillow.*pip install pillow"):
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


# ----- the decoder -----


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def make_png(rows: bytes, width, height, colour, depth=8, interlace=0, extra=()) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + b"".join(extra)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def filter_rows(pixels: np.ndarray, kinds) -> bytes:
    """Scanlines of 8-bit ``pixels`` (h, w, c), row y filtered with ``kinds[y % len(kinds)]``,
    written straight from the PNG specification's formulas."""
    height, width, channels = pixels.shape
    previous = np.zeros(width * channels, np.int64)
    out = b""
    for y in range(height):
        line = pixels[y].reshape(-1).astype(np.int64)
        left = np.concatenate([np.zeros(channels, np.int64), line[:-channels]])
        up_left = np.concatenate([np.zeros(channels, np.int64), previous[:-channels]])
        kind = kinds[y % len(kinds)]
        if kind == 0:
            predictor = 0
        elif kind == 1:
            predictor = left
        elif kind == 2:
            predictor = previous
        elif kind == 3:
            predictor = (left + previous) // 2
        else:
            p = left + previous - up_left
            pa, pb, pc = abs(p - left), abs(p - previous), abs(p - up_left)
            predictor = np.where(
                (pa <= pb) & (pa <= pc), left, np.where(pb <= pc, previous, up_left)
            )
        out += bytes([kind]) + ((line - predictor) % 256).astype(np.uint8).tobytes()
        previous = line
    return out


@pytest.mark.parametrize("colour,channels", [(0, 1), (4, 2), (2, 3), (6, 4)])
@pytest.mark.parametrize("kinds", [[0], [1], [2], [3], [4], [4, 3, 2, 1, 0]])
def test_decoder_undoes_every_filter(colour, channels, kinds):
    pixels = np.random.default_rng(channels).integers(0, 256, (6, 9, channels), dtype=np.uint8)
    pixels[2:4] = pixels[1]  # flat runs, where predictions are exact
    decoded = decode_png(make_png(filter_rows(pixels, kinds), 9, 6, colour))
    np.testing.assert_array_equal(decoded, pixels[..., 0] if channels == 1 else pixels)


def test_palette_with_transparency_and_low_bit_depths():
    palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]], np.uint8)
    index = np.array([[0, 1, 2, 3, 3], [3, 2, 1, 0, 0]], np.uint8)
    packed = np.packbits(np.unpackbits(index[..., None], axis=2)[..., -2:].reshape(2, -1), axis=1)
    rows = b"".join(b"\0" + row.tobytes() for row in packed)  # 2-bit indices, 2 bytes a row
    plte = chunk(b"PLTE", palette.tobytes())
    rgb = decode_png(make_png(rows, 5, 2, colour=3, depth=2, extra=[plte]))
    np.testing.assert_array_equal(rgb, palette[index])
    trns = chunk(b"tRNS", bytes([0, 128]))  # entries past the list stay opaque
    rgba = decode_png(make_png(rows, 5, 2, colour=3, depth=2, extra=[plte, trns]))
    assert rgba.shape == (2, 5, 4)
    assert rgba[..., 3].tolist() == [[0, 128, 255, 255, 255], [255, 255, 128, 0, 0]]
    gray = decode_png(make_png(b"\0" + bytes([0b10110000]), 4, 1, colour=0, depth=1))
    assert gray.tolist() == [[255, 0, 255, 255]]  # 1-bit gray is scaled to 0/255, as Pillow


def test_decoder_reads_what_pillow_writes(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:50]
    smooth = ((xx * 5 + yy * 3) % 256).astype(np.uint8)  # Pillow picks varied filters for it
    layers = [smooth, rng.integers(0, 256, (40, 50), dtype=np.uint8), smooth // 2, 255 - smooth]
    for mode, channels in [("L", 1), ("LA", 2), ("RGB", 3), ("RGBA", 4)]:
        stacked = np.stack(layers[:channels], -1)
        image = Image.fromarray(stacked[..., 0] if channels == 1 else stacked, mode)
        image.save(tmp_path / f"{mode}.png")
        np.testing.assert_array_equal(read_png(tmp_path / f"{mode}.png"), np.asarray(image))
    rgb = Image.fromarray(np.stack(layers[:3], -1), "RGB")
    for bits in (1, 2, 4, 8):
        rgb.quantize(2**bits).save(tmp_path / "p.png", bits=bits)
        reference = np.asarray(Image.open(tmp_path / "p.png").convert("RGB"))
        np.testing.assert_array_equal(read_png(tmp_path / "p.png"), reference)
    Image.fromarray(layers[1] > 128).save(tmp_path / "bw.png")  # mode "1"
    reference = np.asarray(Image.open(tmp_path / "bw.png").convert("L"))
    np.testing.assert_array_equal(read_png(tmp_path / "bw.png"), reference)


def test_damaged_files_raise_value_errors_only():
    pixels = np.random.default_rng(1).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    good = make_png(filter_rows(pixels, [4, 1]), 5, 7, colour=2)
    for end in range(len(good) - 1):  # every truncation
        with pytest.raises(ValueError, match="not a PNG file|truncated|corrupt"):
            decode_png(good[:end])
    rng = np.random.default_rng(2)
    for _ in range(300):  # random damage: a clear ValueError or (past IEND) the right pixels
        data = bytearray(good)
        for position in rng.integers(0, len(data), rng.integers(1, 4)):
            data[position] ^= int(rng.integers(1, 256))
        try:
            np.testing.assert_array_equal(decode_png(bytes(data)), pixels)
        except ValueError as exc:
            assert "PNG" in str(exc)


def test_unsupported_files_say_what_reads_them(tmp_path):
    with pytest.raises(ValueError, match=r"interlaced \(Adam7\).*pip install pillow"):
        decode_png(make_png(b"\0\0", 1, 1, colour=0, interlace=1))
    with pytest.raises(ValueError, match="16-bit samples.*pip install pillow"):
        decode_png(make_png(b"\0\0\0", 1, 1, colour=0, depth=16))
    with pytest.raises(ValueError, match="bad CRC in its b'IDAT'"):
        data = bytearray(make_png(b"\0\0", 1, 1, colour=0))
        data[-20] ^= 1
        decode_png(bytes(data))
    (tmp_path / "fake.png").write_bytes(b"GIF89a...")
    with pytest.raises(ValueError, match=r"fake\.png: not a PNG file"):
        read_png(tmp_path / "fake.png")


def test_sizes_are_checked_before_allocating():
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = (
        PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(ValueError, match=r"10,000,000,000 pixels, more than the limit"):
        decode_png(bomb)
    # image data that inflates far past what the image needs is cut where it stops mattering
    flood = make_png(b"\0" * 50_000_000, 4, 3, colour=0)
    assert len(flood) < 100_000 and decode_png(flood).tolist() == [[0] * 4] * 3
    assert png.MAX_PIXELS == 178_956_970


def test_save_img_writes_other_formats_through_pillow(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    save_img(tmp_path / "a.jpg", np.full((4, 6, 3), 200.0), scale=False, quality=95)
    assert (tmp_path / "a.jpg").read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    with Image.open(tmp_path / "a.jpg") as image:
        assert image.size == (6, 4) and abs(int(np.asarray(image).mean()) - 200) <= 1
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        save_img(tmp_path / "b.jpg", np.zeros((2, 2, 4)))


def test_the_byte_by_byte_filters_are_bounded(monkeypatch):
    pixels = np.zeros((8, 16, 3), np.uint8)
    paeth = make_png(filter_rows(pixels, [4]), 16, 8, 2)
    monkeypatch.setattr(png, "MAX_LOOPED_BYTES", 8 * 16 * 3 - 1)
    with pytest.raises(ValueError, match="Average/Paeth.*pip install pillow"):
        decode_png(paeth)
    np.testing.assert_array_equal(decode_png(make_png(filter_rows(pixels, [1]), 16, 8, 2)), pixels)
    monkeypatch.setattr(png, "MAX_LOOPED_BYTES", 8 * 16 * 3)
    np.testing.assert_array_equal(decode_png(paeth), pixels)
