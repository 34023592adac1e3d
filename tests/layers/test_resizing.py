"""UpSampling, ZeroPadding and Cropping (1D, 2D, 3D): the layer contract, values against NumPy,
gradients, Keras's argument forms and errors."""

import numpy as np
import pytest

from lamina.layers import Input
from lamina.layers.resizing import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from lamina.models import Sequential
from tests.helpers import check_layer, check_layer_gradients


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: UpSampling1D(), (2, 3, 4)),
        (lambda: UpSampling2D(), (2, 3, 4, 2)),
        (lambda: UpSampling2D((1, 3), interpolation="bilinear"), (2, 3, 4, 2)),
        (lambda: UpSampling2D(2, data_format="channels_first"), (2, 2, 3, 4)),
        (lambda: UpSampling3D((1, 2, 2)), (1, 2, 2, 3, 2)),
        (lambda: ZeroPadding1D((1, 2)), (2, 3, 4)),
        (lambda: ZeroPadding2D(), (2, 3, 4, 2)),
        (lambda: ZeroPadding2D(((1, 0), (2, 3)), data_format="channels_first"), (2, 2, 3, 4)),
        (lambda: ZeroPadding3D(1), (1, 2, 2, 3, 2)),
        (lambda: Cropping1D(), (2, 5, 3)),
        (lambda: Cropping2D(((1, 0), (0, 2))), (2, 3, 4, 2)),
        (lambda: Cropping3D(), (1, 3, 4, 3, 2)),
    ],
)
def test_check_layer(factory, shape):
    assert check_layer(factory, shape)


@pytest.mark.parametrize(
    "factory",
    [
        lambda: UpSampling2D((2, 3), dtype="float64"),
        lambda: UpSampling2D(interpolation="bilinear", dtype="float64"),
        lambda: ZeroPadding2D(((1, 0), (2, 1)), dtype="float64"),
        lambda: Cropping2D(((1, 0), (1, 1)), dtype="float64"),
    ],
)
def test_layer_gradients(factory):
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 2))
    assert check_layer_gradients(factory(), x)


def test_values_match_numpy():
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(
        UpSampling2D((2, 3))(x).numpy(), x.repeat(2, axis=1).repeat(3, axis=2)
    )
    np.testing.assert_array_equal(
        ZeroPadding2D(((1, 0), (2, 3)))(x).numpy(), np.pad(x, [(0, 0), (1, 0), (2, 3), (0, 0)])
    )
    np.testing.assert_array_equal(Cropping2D(((1, 2), (0, 1)))(x).numpy(), x[:, 1:2, 0:4])
    np.testing.assert_array_equal(
        Cropping2D(1, data_format="channels_first")(x).numpy(), x[:, :, 1:4, 1:2]
    )
    np.testing.assert_array_equal(UpSampling1D(3)(x[:, 0]).numpy(), x[:, 0].repeat(3, axis=1))
    np.testing.assert_array_equal(ZeroPadding1D(2)(x[:, 0]).numpy()[:, 2:-2], x[:, 0])
    np.testing.assert_array_equal(Cropping1D((2, 0))(x[:, 0]).numpy(), x[:, 0, 2:])


def test_bilinear_keeps_constants_and_interpolates_linearly():
    ramp = np.arange(4, dtype=np.float32).reshape(1, 4, 1, 1) * np.ones((1, 1, 3, 1), np.float32)
    out = UpSampling2D(interpolation="bilinear")(ramp).numpy()[0, :, 0, 0]
    np.testing.assert_allclose(out, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])  # edges clamp
    const = np.full((1, 3, 3, 2), 7.0, np.float32)
    np.testing.assert_allclose(UpSampling2D((3, 2), interpolation="bilinear")(const).numpy(), 7)


@pytest.mark.parametrize(
    "layer, expected",
    [
        (ZeroPadding2D(2), ((2, 2), (2, 2))),
        (ZeroPadding2D((1, 3)), ((1, 1), (3, 3))),
        (ZeroPadding2D(((1, 0), (2, 3))), ((1, 0), (2, 3))),
        (ZeroPadding1D((1, 2)), ((1, 2),)),
        (ZeroPadding1D(3), ((3, 3),)),
        (ZeroPadding3D((1, 2, 3)), ((1, 1), (2, 2), (3, 3))),
    ],
)
def test_keras_padding_forms(layer, expected):
    assert layer.padding == expected
    assert type(layer).from_config(layer.get_config()).padding == expected


def test_keras_defaults():
    assert UpSampling2D().size == (2, 2) and UpSampling2D().interpolation == "nearest"
    assert UpSampling1D().size == (2,) and UpSampling3D().size == (2, 2, 2)
    assert ZeroPadding2D().padding == ((1, 1), (1, 1)) and ZeroPadding1D().padding == ((1, 1),)
    assert Cropping2D().cropping == ((0, 0), (0, 0)) and Cropping1D().cropping == ((1, 1),)
    assert UpSampling2D().data_format == "channels_last"


def test_output_shapes_with_unknown_sizes_and_in_a_model():
    assert UpSampling2D((2, 3)).compute_output_shape((None, None, 4, 2)) == (None, None, 12, 2)
    assert Cropping2D(((1, 1), (0, 2))).compute_output_shape((None, 5, 6, 3)) == (None, 3, 4, 3)
    model = Sequential(
        [Input(shape=(4, 4, 3)), ZeroPadding2D(1), UpSampling2D(), Cropping2D(((2, 2), (1, 3)))]
    )
    assert model.compute_output_shape((None, 4, 4, 3)) == (None, 8, 8, 3)
    assert model.predict(np.ones((2, 4, 4, 3), np.float32), verbose=0).shape == (2, 8, 8, 3)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="interpolation must be one of"):
        UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="size must be a positive integer"):
        UpSampling2D((2, 0))
    with pytest.raises(ValueError, match=r"padding must be .*got \(1, 2, 3\)"):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="data_format"):
        Cropping2D(data_format="nhwc")
    with pytest.raises(ValueError, match=r"expected 4-D input .*got shape \(2, 3, 4\)"):
        UpSampling2D()(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match="removes all 3 entries of axis 1"):
        Cropping2D(((2, 1), (0, 0)))(np.zeros((1, 3, 3, 1), np.float32))
