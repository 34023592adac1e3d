import numpy as np
import pytest

from lamina.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
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
