import json

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.models import Model, Sequential, model_from_json


def _functional():
    a, b = layers.Input((4,), name="a"), layers.Input((2,), name="b")
    hidden = layers.Dense(8, activation="relu", name="hidden")(a)
    merged = layers.Concatenate(name="merge")([hidden, b])
    return Model([a, b], layers.Dense(1, name="out")(merged), name="two_inputs")


def test_sequential_round_trip_keeps_the_architecture_not_the_weights():
    model = Sequential([layers.Input((5,)), layers.Dense(3, activation="relu"), layers.Dense(1)])
    text = model.to_json()
    spec = json.loads(text)
    assert spec["class_name"] == "Sequential" and spec["build_config"] == {"input_shape": [None, 5]}
    assert set(spec) == {"class_name", "config", "build_config"}  # no weights, no compile
    clone = model_from_json(text)
    assert isinstance(clone, Sequential) and clone.get_config() == model.get_config()
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])  # fresh weights


def test_functional_round_trip_computes_the_same_function():
    model = _functional()
    clone = model_from_json(model.to_json(indent=2))
    assert type(clone).__name__ == "Functional" and clone.name == "two_inputs"
    clone.set_weights(model.get_weights())
    x = [np.random.default_rng(0).normal(size=(3, 4)), np.ones((3, 2))]
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_model_from_config_rebuilds_a_functional_config():
    model = _functional()
    clone = Model.from_config(model.get_config())
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]


def test_keras_names():
    assert lamina.models.model_from_json is model_from_json
    assert lamina.models.save_model is lamina.saving.save_model


@lamina.saving.register_keras_serializable()
def _double(x):
    return x * 2


def test_lambda_functions_are_named_and_looked_up_never_run_from_the_json():
    model = Sequential([layers.Input((2,)), layers.Lambda(_double)])
    clone = model_from_json(model.to_json())
    np.testing.assert_allclose(clone.predict(np.ones((1, 2)), verbose=0), [[2.0, 2.0]])
    unnamed = Sequential([layers.Input((2,)), layers.Lambda(lambda x: x + 1)])
    with pytest.raises(ValueError, match="lambda expression"):
        unnamed.to_json()


def test_custom_layers_come_from_custom_objects():
    class ScaleForJsonTest(layers.Layer):  # a name nobody registered
        def __init__(self, factor=1.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    text = Sequential([layers.Input((2,)), ScaleForJsonTest(3.0)]).to_json()
    with pytest.raises(ValueError, match="unknown layer class 'ScaleForJsonTest'"):
        model_from_json(text)
    clone = model_from_json(text, custom_objects={"ScaleForJsonTest": ScaleForJsonTest})
    assert clone.layers[0].factor == 3.0


@pytest.mark.parametrize(
    "text, match",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "an object with 'class_name' and 'config'"),
        ('{"class_name": "os.system", "config": {}}', "unknown layer class 'os.system'"),
    ],
)
def test_bad_json_is_refused_with_a_reason(text, match):
    with pytest.raises(ValueError, match=match):
        model_from_json(text)
    with pytest.raises(TypeError, match="expects a JSON string"):
        model_from_json({"class_name": "Sequential"})
