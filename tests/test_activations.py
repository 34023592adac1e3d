"""lamina.activations: every built-in as an attribute saved by name (keras.activations.softmax),
the added Keras activations, and custom activation functions that save and load by name."""

import numpy as np
import pytest

import lamina
from lamina import activations
from lamina import layers as L
from lamina.models import Model, Sequential, clone_model, load_model
from tests.helpers import check_op

BUILT_INS = [
    "elu", "exponential", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "leaky_relu",
    "linear", "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu", "softmax",
    "softplus", "softsign", "swish", "tanh",
]  # fmt: skip


@pytest.mark.parametrize("name", BUILT_INS)
def test_every_built_in_is_an_attribute_saved_by_name(name):
    fn = getattr(activations, name)
    assert activations.get(name) is fn
    saved = activations.serialize(fn)
    assert isinstance(saved, str) and activations.get(saved) is fn
    config = L.Dense(3, activation=fn).get_config()
    assert L.Dense.from_config(config).activation is fn


def test_aliases_save_under_keras_name():
    assert activations.swish is activations.silu  # as in Keras, saved as "silu"
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"
    model = Sequential([L.Input(shape=(4,)), L.Dense(10, activation=activations.softmax)])
    assert model.layers[-1].get_config()["activation"] == "softmax"
    out = model.predict(np.ones((2, 4)), verbose=0)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)


def test_added_activations_match_their_formulas_and_gradients():
    x = np.linspace(-8, 8, 33)
    hard_sigmoid = np.clip(x / 6 + 0.5, 0, 1)
    expected = {
        "relu6": np.clip(x, 0, 6),
        "mish": x * np.tanh(np.log1p(np.exp(x))),
        "hard_silu": x * hard_sigmoid,
    }
    for name, values in expected.items():
        got = getattr(activations, name)(lamina.tensor(x)).numpy()
        np.testing.assert_allclose(got, values, rtol=1e-6, atol=1e-7, err_msg=name)
        assert check_op(getattr(activations, name), (4, 5))


def test_relu6_and_hard_sigmoid_have_zero_gradient_at_their_kinks():
    # Keras (TensorFlow and torch backends) and PyTorch: relu6'(0) = relu6'(6) = 0 and
    # hard_sigmoid'(+-3) = 0; an inclusive clip would pass the gradient there
    x = np.array([-4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 7.0])
    inside = {
        "relu6": (x > 0) & (x < 6),
        "hard_sigmoid": ((x > -3) & (x < 3)) / 6,
        "hard_silu": np.clip(x / 6 + 0.5, 0, 1) + x * ((x > -3) & (x < 3)) / 6,
    }
    for name, expected in inside.items():
        t = lamina.tensor(x, requires_grad=True)
        getattr(activations, name)(t).sum().backward()
        np.testing.assert_allclose(t.grad, expected, atol=1e-12, err_msg=name)
    values = activations.relu6(np.array([-1.0, 6.5], np.float32))
    assert values.dtype == np.float32 and values.tolist() == [0.0, 6.0]


@lamina.saving.register_keras_serializable()
def doubled_square(x):
    return x * x * 2


def times_three(x):
    return x * 3


def activation_model(fn):
    inputs = L.Input(shape=(3,))
    hidden = L.Dense(4, activation=fn)(inputs)
    return Model(inputs, L.Activation(fn)(hidden))


def test_registered_activation_saves_and_loads(tmp_path):
    model = activation_model(doubled_square)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.layers[1].activation is doubled_square
    assert loaded.layers[2].activation is doubled_square
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_activation_from_custom_objects_and_a_clear_error_without(tmp_path):
    model = activation_model(times_three)
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"unknown activation .*times_three.*custom_objects"):
        load_model(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras", custom_objects={"times_three": times_three})
    assert loaded.layers[1].activation is times_three
    x = np.ones((2, 3))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_file_naming_a_module_function_imports_nothing():
    with pytest.raises(ValueError, match="unknown activation 'os.system'"):
        activations.get({"module": "os", "name": "system"})
    with pytest.raises(ValueError, match="unknown activation 'nope'.*'relu'"):
        activations.get("nope")


def test_lambda_activation_clones_but_does_not_save(tmp_path):
    model = activation_model(lambda x: x + 1)
    clone = clone_model(model)  # in memory the config keeps the function
    x = np.ones((2, 3))
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="lambda expression.*register_keras_serializable"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
