"""load_img / img_to_array / array_to_img: Keras's behaviour through Pillow, and PNG files read
by lamina's own decoder when Pillow is missing (simulated by patching ``image_utils._pil``)."""

import io

import numpy as np
import pytest

from lamina import image_utils, utils
from lamina.image_utils import ArrayImage, array_to_img, img_to_array, load_img
from lamina.png import write_png

RNG = np.random.default_rng(0)
PIXELS = RNG.integers(0, 256, (9, 14, 3), dtype=np.uint8)


@pytest.fixture
def no_pillow(monkeypatch):
    monkeypatch.setattr(image_utils, "_pil", lambda: None)


@pytest.fixture
def png_path(tmp_path):
    path = tmp_path / "image.png"
    write_png(path, PIXELS)
    return path


def test_without_pillow_png_files_load_as_array_images(no_pillow, png_path):
    img = load_img(png_path)
    assert isinstance(img, ArrayImage) and img.mode == "RGB" and img.size == (14, 9)
    np.testing.assert_array_equal(np.asarray(img), PIXELS)
    x = img_to_array(img)
    assert x.shape == (9, 14, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x, PIXELS)
    gray = load_img(str(png_path), color_mode="grayscale")
    assert gray.mode == "L" and np.asarray(gray).shape == (9, 14)
    luma = (PIXELS.astype(np.int64) @ [19595, 38470, 7471] + 0x8000) >> 16  # ITU-R 601, fixed
    np.testing.assert_array_equal(np.asarray(gray), luma)
    rgba = load_img(io.BytesIO(png_path.read_bytes()), color_mode="rgba")
    assert rgba.mode == "RGBA" and (np.asarray(rgba)[..., 3] == 255).all()


def test_without_pillow_nearest_resize_and_aspect_crop(no_pillow, tmp_path):
    write_png(tmp_path / "tiny.png", np.array([[10, 20], [30, 40]], np.uint8))
    big = img_to_array(load_img(tmp_path / "tiny.png", color_mode="grayscale", target_size=(4, 4)))
    assert big[..., 0].tolist() == [[10, 10, 20, 20]] * 2 + [[30, 30, 40, 40]] * 2
    write_png(tmp_path / "wide.png", np.arange(8, dtype=np.uint8)[None].repeat(2, axis=0))
    # keep_aspect_ratio: the centered 2x2 window of the 2x8 image, then 2x2 -> 2x2
    crop = load_img(tmp_path / "wide.png", "grayscale", target_size=(2, 2), keep_aspect_ratio=True)
    assert np.asarray(crop).tolist() == [[3, 4], [3, 4]]
    with pytest.raises(ValueError, match="Invalid interpolation method cubic"):
        load_img(tmp_path / "tiny.png", target_size=(3, 3), interpolation="cubic")


def test_without_pillow_other_formats_and_array_to_img_ask_for_it(no_pillow, tmp_path):
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 a JPEG")
    with pytest.raises(ImportError, match="not a PNG file: pip install pillow"):
        load_img(tmp_path / "photo.jpg")
    with pytest.raises(ImportError, match="needs Pillow: pip install pillow"):
        array_to_img(np.zeros((2, 2, 3)))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n and then nothing")
    with pytest.raises(ValueError, match="broken.png.*truncated"):
        load_img(tmp_path / "broken.png")


def test_array_image_save_convert_and_errors(tmp_path):
    img = ArrayImage(PIXELS)
    img.save(tmp_path / "copy.png")
    np.testing.assert_array_equal(np.asarray(load_img(tmp_path / "copy.png")), PIXELS)
    with pytest.raises(ImportError, match="PNG files only, got 'jpg': pip install pillow"):
        img.save(tmp_path / "copy.jpg")
    la = img.convert("LA")
    assert la.mode == "LA" and np.asarray(la).shape == (9, 14, 2)
    assert np.asarray(la.convert("RGB")).shape == (9, 14, 3)
    with pytest.raises(ValueError, match="converts to"):
        img.convert("CMYK")
    with pytest.raises(TypeError, match="uint8"):
        ArrayImage(np.zeros((2, 2)))


def test_array_image_matches_pillow():
    Image = pytest.importorskip("PIL.Image")
    yy, xx = np.mgrid[0:23, 0:31]
    arrays = {
        "L": ((xx * 7 + yy * 11) % 256).astype(np.uint8),
        "LA": RNG.integers(0, 256, (23, 31, 2), dtype=np.uint8),
        "RGB": RNG.integers(0, 256, (23, 31, 3), dtype=np.uint8),
        "RGBA": RNG.integers(0, 256, (23, 31, 4), dtype=np.uint8),
    }
    arrays["RGBA"][..., 3] = RNG.choice([0, 7, 128, 200, 255], (23, 31))
    for mode, array in arrays.items():
        ours, theirs = ArrayImage(array), Image.fromarray(array, mode)
        for target in ("L", "LA", "RGB", "RGBA"):
            np.testing.assert_array_equal(
                np.asarray(ours.convert(target)), np.asarray(theirs.convert(target))
            )
        # one axis resized, or both shrinking or both growing: Pillow's exact values (newer
        # Pillows may run the vertical pass first when one axis grows and the other shrinks)
        for name in image_utils.INTERPOLATIONS:
            resample = getattr(Image.Resampling, name.upper())
            for size in [(10, 7), (64, 50), (31, 40), (13, 23)]:
                for box in [None, (2, 3, 29, 20), (0.5, 1.25, 30.0, 22.5)]:
                    np.testing.assert_array_equal(
                        np.asarray(ours.resize(size, name, box=box)),
                        np.asarray(theirs.resize(size, resample, box=box)),
                        err_msg=f"{mode} {name} {size} {box}",
                    )


def test_with_pillow_load_img_returns_pil_images(png_path, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    img = load_img(png_path, target_size=(18, 7), interpolation="bilinear")
    assert isinstance(img, Image.Image) and img.size == (7, 18)
    Image.fromarray(PIXELS).save(tmp_path / "image.jpg")
    photo = load_img(tmp_path / "image.jpg", color_mode="grayscale")
    assert photo.mode == "L" and photo.size == (14, 9)
    with pytest.raises(TypeError, match="path-like or io.BytesIO"):
        load_img(42)
    with pytest.raises(ValueError, match='color_mode must be "grayscale", "rgb", or "rgba"'):
        load_img(png_path, color_mode="cmyk")


def test_img_to_array_layouts_and_dtypes():
    assert img_to_array(np.zeros((2, 3), np.uint8)).shape == (2, 3, 1)
    assert img_to_array(np.zeros((2, 3), np.uint8), data_format="channels_first").shape == (1, 2, 3)
    x = img_to_array(ArrayImage(PIXELS), data_format="channels_first", dtype="uint8")
    assert x.shape == (3, 9, 14) and x.dtype == np.uint8
    np.testing.assert_array_equal(x, PIXELS.transpose(2, 0, 1))
    with pytest.raises(ValueError, match="Unsupported image shape"):
        img_to_array(np.zeros(5))
    with pytest.raises(ValueError, match="data_format must be"):
        img_to_array(np.zeros((2, 2)), data_format="channels_middle")


def test_array_to_img_modes_and_scaling():
    Image = pytest.importorskip("PIL.Image")
    x = np.linspace(-1.0, 1.0, 2 * 3 * 3).reshape(2, 3, 3)
    img = array_to_img(x)
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (3, 2)
    assert np.asarray(img).min() == 0 and np.asarray(img).max() == 255
    assert array_to_img(np.full((2, 2, 4), 9.0), scale=False).mode == "RGBA"
    assert array_to_img(np.full((2, 2, 1), 9.0), scale=False).mode == "L"
    assert array_to_img(np.full((2, 2, 1), 900.0), scale=False).mode == "I"
    assert array_to_img(np.full((3, 2, 2), 9.0), data_format="channels_first").size == (2, 2)
    with pytest.raises(ValueError, match="rank 3"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        array_to_img(np.zeros((2, 2, 2)))


def test_grad_cam_tutorial_flow(tmp_path):
    """keras.io Grad-CAM: heatmap colours -> array_to_img -> resize -> img_to_array -> blend ->
    array_to_img -> .save()."""
    pytest.importorskip("PIL.Image")
    img = RNG.random((28, 28, 3)) * 255
    jet_heatmap = utils.array_to_img(RNG.random((11, 11, 3)))
    jet_heatmap = jet_heatmap.resize((img.shape[1], img.shape[0]))
    jet_heatmap = utils.img_to_array(jet_heatmap)
    superimposed = utils.array_to_img(jet_heatmap * 0.4 + img)
    superimposed.save(tmp_path / "cam.png")
    assert np.asarray(utils.load_img(tmp_path / "cam.png")).shape == (28, 28, 3)


def test_keras_paths_export_the_same_functions():
    from lamina.preprocessing import image

    assert utils.load_img is image.load_img is load_img
    assert utils.img_to_array is image.img_to_array is img_to_array
    assert utils.array_to_img is image.array_to_img is array_to_img
