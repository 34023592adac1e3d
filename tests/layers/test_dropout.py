import os

import numpy as np
import pytest

import lamina
from lamina.layers import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from lamina.models import Sequential
from tests.helpers import check_layer

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "core_layers.npz"))
SPATIAL = [(SpatialDropout1D, (8, 5, 4)), (SpatialDropout2D, (8, 3, 5, 4)),
           (SpatialDropout3D, (8, 2, 3, 5, 4))]  # fmt: skip


@pytest.mark.parametrize("cls, shape", SPATIAL)
def test_check_layer(cls, shape):
    assert check_layer(lambda: cls(0.3), shape)


@pytest.mark.parametrize("cls, shape", SPATIAL)
def test_identity_at_inference(cls, shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    layer = cls(0.5)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)


@pytest.mark.parametrize("cls, shape", SPATIAL)
def test_whole_channels_dropped_with_dropout_scaling(cls, shape):
    rate = 0.4
    batch, *spatial, channels = (400, *shape[1:])
    x = np.random.default_rng(1).uniform(1, 2, size=(batch, *spatial, channels))
    y = cls(rate)(x.astype(np.float32), training=True).numpy()
    ratio = (y / x.astype(np.float32)).reshape(batch, -1, channels)
    # one draw per (sample, channel): every position of a channel has the same multiplier
    first = ratio[:, :1]
    np.testing.assert_allclose(ratio, np.broadcast_to(first, ratio.shape), rtol=1e-6)
    np.testing.assert_allclose(np.unique(np.round(ratio, 5)), [0.0, round(1 / (1 - rate), 5)])
    assert abs((first == 0).mean() - rate) < 0.04
    assert abs(y.mean() / x.mean() - 1) < 0.05  # inverted dropout keeps the mean


def test_value_set_and_structure_match_keras():
    keras_y = FIXTURE["spatial2d_y"]
    lamina.seed(0)
    y = SpatialDropout2D(0.4)(np.ones(keras_y.shape, np.float32), training=True).numpy()
    np.testing.assert_allclose(np.unique(y), np.unique(keras_y), rtol=1e-6)
    for out in (y, keras_y):
        assert (out == out[:, :1, :1]).all()


def test_reproducible_with_lamina_seed_and_with_a_layer_seed():
    x = np.ones((6, 4, 5), np.float32)
    lamina.seed(7)
    a = SpatialDropout1D(0.5)(x, training=True).numpy()
    lamina.seed(7)
    b = SpatialDropout1D(0.5)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    c = SpatialDropout1D(0.5, seed=3)(x, training=True).numpy()
    layer = SpatialDropout1D(0.5, seed=3)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), c)
    assert not np.array_equal(layer(x, training=True).numpy(), c)  # a new draw every call


def test_gradient_is_the_mask():
    x = lamina.tensor(np.ones((4, 3, 5), np.float32), requires_grad=True)
    y = SpatialDropout1D(0.5)(x, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())  # d(sum(x * m))/dx = m, and x = 1


def test_config_and_arguments():
    layer = SpatialDropout2D(0.25, seed=1, name="sd")
    config = layer.get_config()
    assert (
        config["rate"] == 0.25 and config["seed"] == 1 and config["data_format"] == "channels_last"
    )
    assert "noise_shape" not in config
    assert isinstance(SpatialDropout2D.from_config(config), Dropout)
    with pytest.raises(ValueError, match="rate"):
        SpatialDropout1D(1.0)
    with pytest.raises(ValueError, match="channels_first"):
        SpatialDropout2D(0.1, data_format="channels_first")
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\), got shape \(2, 3\)"):
        SpatialDropout2D(0.1)(np.zeros((2, 3)))


def test_in_a_convnet():
    lamina.seed(0)
    model = Sequential([Input(shape=(6, 6, 2)), Conv2D(4, 3), SpatialDropout2D(0.2), Flatten(),
                        Dense(1)])  # fmt: skip
    x = np.random.default_rng(0).normal(size=(16, 6, 6, 2)).astype(np.float32)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, x[:, 0, 0, :1], epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
