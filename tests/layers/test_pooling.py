import numpy as np
import pytest

from lamina.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool3D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from tests.helpers import check_layer, check_layer_gradients


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: MaxPooling1D(), (2, 7, 3)),
        (lambda: MaxPooling1D(3, strides=1, padding="same"), (2, 7, 3)),
        (lambda: MaxPooling2D(), (2, 6, 6, 3)),
        (lambda: MaxPooling2D((3, 3), strides=2, padding="same"), (2, 7, 5, 2)),
        (lambda: AveragePooling1D(2, padding="same"), (2, 7, 3)),
        (lambda: AveragePooling2D(), (2, 6, 6, 3)),
        (lambda: AveragePooling2D((2, 3), strides=(1, 2), padding="same"), (2, 5, 7, 2)),
        (lambda: GlobalAveragePooling1D(), (2, 7, 3)),
        (lambda: GlobalAveragePooling2D(keepdims=True), (2, 4, 5, 3)),
        (lambda: GlobalMaxPooling1D(keepdims=True), (2, 7, 3)),
        (lambda: GlobalMaxPooling2D(), (2, 4, 5, 3)),
    ],
)
def test_check_layer(factory, shape):
    assert check_layer(factory, shape)


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: MaxPooling2D((3, 3), strides=2, padding="same", dtype="float64"), (2, 5, 5, 2)),
        (lambda: AveragePooling2D(2, padding="same", dtype="float64"), (2, 5, 5, 2)),
        (lambda: GlobalMaxPooling2D(dtype="float64"), (2, 3, 3, 2)),
        (lambda: GlobalAveragePooling1D(dtype="float64"), (2, 4, 3)),
    ],
)
def test_layer_gradients(factory, shape):
    x = np.random.default_rng(1).normal(size=shape)
    assert check_layer_gradients(factory(), x)


def test_outputs_match_numpy():
    x = np.random.default_rng(0).normal(size=(2, 6, 4, 3)).astype(np.float32)
    windows = x.reshape(2, 3, 2, 2, 2, 3)
    np.testing.assert_array_equal(MaxPooling2D()(x).numpy(), windows.max(axis=(2, 4)))
    np.testing.assert_allclose(AveragePooling2D()(x).numpy(), windows.mean(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)),
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_array_equal(GlobalMaxPooling2D(keepdims=True)(x).numpy(),
                                  x.max(axis=(1, 2), keepdims=True))  # fmt: skip
    seq = x[:, :, 0]  # (2, 6, 3)
    np.testing.assert_array_equal(MaxPooling1D(3)(seq).numpy(), seq.reshape(2, 2, 3, 3).max(2))
    np.testing.assert_array_equal(GlobalMaxPooling1D()(seq).numpy(), seq.max(axis=1))


def test_keras_defaults_and_aliases():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert MaxPooling1D().pool_size == (2,)
    assert AveragePooling2D(3).strides == (3, 3)
    assert AveragePooling2D(3, strides=1).strides == (1, 1)
    assert GlobalMaxPooling2D().keepdims is False
    assert MaxPool2D is MaxPooling2D and AvgPool2D is AveragePooling2D
    assert GlobalMaxPool2D is GlobalMaxPooling2D


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        (MaxPooling2D(), (None, 13, 13, 32), (None, 6, 6, 32)),
        (MaxPooling2D(padding="same"), (None, 13, 13, 32), (None, 7, 7, 32)),
        (AveragePooling1D(3, strides=2), (None, 10, 4), (None, 4, 4)),
        (MaxPooling2D(), (None, None, 8, 2), (None, None, 4, 2)),
        (GlobalAveragePooling2D(), (None, 5, 5, 7), (None, 7)),
        (GlobalMaxPooling1D(keepdims=True), (None, 5, 7), (None, 1, 7)),
    ],
)
def test_compute_output_shape(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


def test_config_round_trip():
    layer = MaxPooling2D((3, 2), strides=(1, 2), padding="same", name="pool")
    config = layer.get_config()
    assert config["pool_size"] == [3, 2] and config["strides"] == [1, 2]
    assert MaxPooling2D.from_config(config).get_config() == config
    glob = GlobalAveragePooling2D(keepdims=True)
    assert GlobalAveragePooling2D.from_config(glob.get_config()).keepdims is True


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="channels_first"):
        MaxPooling2D(data_format="channels_first")
    with pytest.raises(ValueError, match="channels_first"):
        GlobalAveragePooling2D(data_format="channels_first")
    with pytest.raises(ValueError, match="pool_size"):
        MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="padding"):
        AveragePooling1D(padding="causal")
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\)"):
        MaxPooling2D()(np.zeros((2, 4, 4), np.float32))
    with pytest.raises(ValueError, match="smaller than the pool"):
        MaxPooling2D(3)(np.zeros((1, 2, 2, 1), np.float32))


# ----- volumes (3-D) -----
@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: MaxPooling3D(), (2, 4, 6, 4, 3)),
        (lambda: MaxPooling3D((3, 2, 2), strides=(2, 1, 2), padding="same"), (2, 5, 4, 5, 2)),
        (lambda: AveragePooling3D(), (2, 4, 4, 6, 2)),
        (lambda: AveragePooling3D((2, 3, 2), strides=1, padding="same"), (2, 3, 4, 3, 2)),
        (lambda: GlobalAveragePooling3D(), (2, 3, 4, 2, 3)),
        (lambda: GlobalMaxPooling3D(keepdims=True), (2, 3, 4, 2, 3)),
    ],
)
def test_pooling3d_check_layer(factory, shape):
    assert check_layer(factory, shape)


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: MaxPooling3D(2, strides=1, padding="same", dtype="float64"), (2, 3, 3, 2, 2)),
        (lambda: AveragePooling3D((2, 2, 3), padding="same", dtype="float64"), (2, 3, 3, 4, 2)),
        (lambda: GlobalMaxPooling3D(dtype="float64"), (2, 2, 3, 2, 2)),
        (lambda: GlobalAveragePooling3D(keepdims=True, dtype="float64"), (2, 2, 3, 2, 2)),
    ],
)
def test_pooling3d_layer_gradients(factory, shape):
    x = np.random.default_rng(1).normal(size=shape)
    assert check_layer_gradients(factory(), x)


def test_pooling3d_outputs_match_numpy():
    x = np.random.default_rng(0).normal(size=(2, 4, 6, 2, 3)).astype(np.float32)
    windows = x.reshape(2, 2, 2, 3, 2, 1, 2, 3)
    np.testing.assert_array_equal(MaxPooling3D()(x).numpy(), windows.max(axis=(2, 4, 6)))
    np.testing.assert_allclose(AveragePooling3D()(x).numpy(), windows.mean(axis=(2, 4, 6)),
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(GlobalAveragePooling3D()(x).numpy(), x.mean(axis=(1, 2, 3)),
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_array_equal(GlobalMaxPooling3D(keepdims=True)(x).numpy(),
                                  x.max(axis=(1, 2, 3), keepdims=True))  # fmt: skip


def test_pooling3d_keras_defaults_config_and_aliases():
    layer = MaxPooling3D()
    assert layer.pool_size == (2, 2, 2) and layer.strides == (2, 2, 2) and layer.padding == "valid"
    assert layer.name.startswith("max_pooling3d")
    config = layer.get_config()  # Keras 3.15's keys and values
    assert {k: config[k] for k in ("pool_size", "strides", "padding", "data_format")} == {
        "pool_size": [2, 2, 2], "strides": [2, 2, 2], "padding": "valid",
        "data_format": "channels_last",
    }  # fmt: skip
    assert MaxPooling3D.from_config(config).get_config() == config
    assert AveragePooling3D(3, strides=(1, 2, 1)).strides == (1, 2, 1)
    glob = GlobalAveragePooling3D(keepdims=True)
    assert glob.name.startswith("global_average_pooling3d")
    assert GlobalAveragePooling3D.from_config(glob.get_config()).keepdims is True
    assert MaxPool3D is MaxPooling3D and AvgPool3D is AveragePooling3D
    assert GlobalAvgPool3D is GlobalAveragePooling3D and GlobalMaxPool3D is GlobalMaxPooling3D


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        (MaxPooling3D(), (None, 64, 63, 31, 64), (None, 32, 31, 15, 64)),
        (MaxPooling3D(padding="same"), (None, 5, None, 3, 2), (None, 3, None, 2, 2)),
        (AveragePooling3D((3, 1, 2), strides=(1, 1, 2)), (None, 5, 4, 6, 2), (None, 3, 4, 3, 2)),
        (GlobalAveragePooling3D(), (None, 5, 5, 5, 7), (None, 7)),
        (GlobalMaxPooling3D(keepdims=True), (None, 5, 5, 5, 7), (None, 1, 1, 1, 7)),
    ],
)
def test_pooling3d_compute_output_shape(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


def test_pooling3d_errors_name_the_problem():
    with pytest.raises(ValueError, match="pool_size"):
        MaxPooling3D((2, 2))
    with pytest.raises(ValueError, match="channels_first"):
        AveragePooling3D(data_format="channels_first")
    with pytest.raises(ValueError, match=r"\(batch, depth, height, width, channels\)"):
        MaxPooling3D()(np.zeros((2, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"\(batch, depth, height, width, channels\)"):
        GlobalAveragePooling3D()(np.zeros((2, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="smaller than the pool"):
        MaxPooling3D(3)(np.zeros((1, 2, 4, 4, 1), np.float32))
