import numpy as np
import pytest

import lamina
from lamina import backend, config
from lamina.layers import Dense, Normalization


@pytest.fixture(autouse=True)
def _restore_settings():
    yield
    backend.set_floatx("float32")
    backend.set_epsilon(1e-7)


def test_config_functions_are_the_backend_state():
    assert config.floatx is backend.floatx and config.set_floatx is backend.set_floatx
    assert config.epsilon is backend.epsilon and config.backend is backend.get_backend
    assert config.backend() == "numpy"
    assert lamina.config is config


def test_set_floatx_changes_new_weights():
    config.set_floatx("float64")
    assert config.floatx() == "float64"
    layer = Dense(2)
    layer(np.zeros((1, 3)))
    assert layer.kernel.dtype == np.float64
    with pytest.raises(ValueError, match="floatx must be"):
        config.set_floatx("int8")


def test_set_epsilon_changes_loss_clipping():
    y_true, y_pred = np.array([[1.0]]), np.array([[0.0]])
    default = float(lamina.losses.binary_crossentropy(y_true, y_pred).numpy().squeeze())
    np.testing.assert_allclose(default, -np.log(1e-7), rtol=1e-3)
    config.set_epsilon(1e-3)
    assert config.epsilon() == 1e-3
    clipped = float(lamina.losses.binary_crossentropy(y_true, y_pred).numpy().squeeze())
    np.testing.assert_allclose(clipped, -np.log(1e-3), rtol=1e-3)


def test_set_epsilon_changes_normalization_floor():
    layer = Normalization(mean=0.0, variance=0.0)
    config.set_epsilon(0.5)
    np.testing.assert_allclose(layer(np.array([[1.0]])).numpy(), [[2.0]])


@pytest.mark.parametrize("bad", [0, -1e-7, 1.5, "1e-7", True])
def test_set_epsilon_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="epsilon must be a small positive number"):
        config.set_epsilon(bad)


def test_image_data_format_is_channels_last_only():
    assert config.image_data_format() == "channels_last"
    config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="channels_last only"):
        config.set_image_data_format("channels_first")
    with pytest.raises(ValueError, match="data_format must be one of"):
        config.set_image_data_format("nhwc")


def test_enable_unsafe_deserialization_explains_lamina_never_loads_code():
    with pytest.warns(UserWarning, match="lamina never deserializes code"):
        config.enable_unsafe_deserialization()  # tutorial code calling it keeps running
