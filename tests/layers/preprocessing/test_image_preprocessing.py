"""Resizing and CenterCrop: agreement with UpSampling2D (itself checked against PyTorch),
exact downsampling, aspect-ratio crop and pad, dtypes, gradients, models."""

import numpy as np
import pytest

import lamina
from lamina.layers import CenterCrop, Input, Resizing, UpSampling2D
from lamina.models import Sequential, load_model
from lamina.testing import check_gradients


def images(shape=(2, 6, 8, 3), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_upsizing_by_integers_equals_upsampling2d(interpolation):
    x = images()
    expected = UpSampling2D((2, 3), interpolation=interpolation)(x).numpy()
    out = Resizing(12, 24, interpolation=interpolation)(x).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_downsizing_by_two_averages_blocks_or_picks_pixels():
    x = images((1, 8, 8, 2))
    blocks = x.reshape(1, 4, 2, 4, 2, 2)
    np.testing.assert_allclose(Resizing(4, 4)(x).numpy(), blocks.mean(axis=(2, 4)), rtol=1e-5)
    # nearest: output j reads floor((j + 0.5) * 2) = 2j + 1
    np.testing.assert_array_equal(Resizing(4, 4, "nearest")(x).numpy(), x[:, 1::2, 1::2])


def test_resizing_a_row_by_hand():
    row = np.array([0.0, 10.0, 20.0], "float32").reshape(1, 1, 3, 1)
    # output j samples input (j + 0.5) * 3 / 5 - 0.5 = -0.2, 0.4, 1.0, 1.6, 2.2 (clamped)
    out = Resizing(1, 5)(row).numpy().ravel()
    np.testing.assert_allclose(out, [0.0, 4.0, 10.0, 16.0, 20.0], rtol=1e-6)


def test_crop_and_pad_to_aspect_ratio():
    x = images((1, 4, 8, 1))
    cropped = Resizing(4, 4, crop_to_aspect_ratio=True)(x).numpy()
    np.testing.assert_array_equal(cropped, x[:, :, 2:6])  # the central 4 x 4 window
    padded = Resizing(8, 8, pad_to_aspect_ratio=True, fill_value=-1.0)(x).numpy()
    assert (padded[:, :2] == -1).all() and (padded[:, -2:] == -1).all()
    np.testing.assert_array_equal(padded[:, 2:6], x)


def test_unbatched_images_and_integer_dtypes():
    image = np.arange(16, dtype="uint8").reshape(4, 4, 1) * 16
    out = Resizing(2, 2)(image)
    assert out.shape == (2, 2, 1) and out.dtype == np.uint8  # rounded back, as Keras
    assert out.numpy()[:, :, 0].tolist() == [[40, 72], [168, 200]]
    crop = CenterCrop(2, 2)(image)
    assert crop.dtype == np.float32 and crop.numpy()[:, :, 0].tolist() == [[80, 96], [144, 160]]


def test_center_crop_slices_the_middle_or_resizes_small_images():
    x = images((2, 7, 6, 3))
    np.testing.assert_array_equal(CenterCrop(3, 4)(x).numpy(), x[:, 2:5, 1:5])
    small = images((1, 4, 4, 1))
    expected = Resizing(8, 6, crop_to_aspect_ratio=True)(small).numpy()
    np.testing.assert_array_equal(CenterCrop(8, 6)(small).numpy(), expected)


def test_gradients_flow_through_resizing():
    lamina.set_floatx("float64")
    try:
        for layer in (Resizing(3, 5), Resizing(5, 2, "nearest", crop_to_aspect_ratio=True)):
            x = np.random.default_rng(0).normal(size=(2, 4, 3, 2))
            assert check_gradients(lambda t, layer=layer: layer(t), x)
    finally:
        lamina.set_floatx("float32")


def test_in_a_model_with_output_shapes(tmp_path):
    model = Sequential([Input(shape=(10, 12, 3)), Resizing(8, 8), CenterCrop(6, 4)])
    assert model.compute_output_shape((None, 10, 12, 3)) == (None, 6, 4, 3)
    x = images((2, 10, 12, 3))
    model.save(tmp_path / "r.lamina")
    np.testing.assert_array_equal(
        load_model(tmp_path / "r.lamina").predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="height must be a positive integer"):
        Resizing(0, 4)
    with pytest.raises(ValueError, match="interpolation must be one of"):
        Resizing(4, 4, interpolation="bicubic")
    with pytest.raises(ValueError, match="only one of crop_to_aspect_ratio"):
        Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="channels-last"):
        CenterCrop(4, 4, data_format="channels_first")
    with pytest.raises(ValueError, match=r"expects images .* got shape \(2, 5\)"):
        Resizing(4, 4)(np.zeros((2, 5), "float32"))
