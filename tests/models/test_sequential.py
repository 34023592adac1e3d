"""Sequential's symbolic graph: model.inputs / outputs / input / output and every layer's output,
as Keras builds them once the input shape is known, so that a Model over an inner layer's
output (feature extraction, Grad-CAM, transfer learning) shares the Sequential's weights."""

import numpy as np
import pytest

from lamina.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from lamina.models import Model, Sequential, load_model


def trained_cnn():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int64")
    model = Sequential([Input(shape=(8, 8, 1)), Conv2D(4, 3, activation="relu", name="conv"),
                        MaxPooling2D(), Flatten(), Dense(2, name="logits")])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model, x


def by_hand(model, x):
    outputs, h = [], x
    for layer in model.layers:
        h = layer(h, training=False)
        outputs.append(h.numpy())
    return outputs


def test_feature_extractor_of_a_trained_sequential_cnn_equals_the_layers_by_hand():
    model, x = trained_cnn()
    extractor = Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    features = extractor.predict(x, verbose=0)
    expected = by_hand(model, x)
    assert [f.shape for f in features] == [(32, 6, 6, 4), (32, 3, 3, 4), (32, 36), (32, 2)]
    for got, want in zip(features, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(features[-1], model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_an_intermediate_output_model_shares_the_weights():
    model, x = trained_cnn()
    conv_model = Model(inputs=model.input, outputs=model.get_layer("conv").output)
    assert conv_model.get_layer("conv") is model.get_layer("conv")
    conv = model.get_layer("conv")
    assert any(w is conv.kernel for w in conv_model.trainable_weights)
    before = conv_model(x[:2]).numpy()
    for w in (conv.kernel, conv.bias):  # a change to the Sequential shows in the extractor
        w.assign(w.numpy() * 2.0)
    np.testing.assert_allclose(conv_model(x[:2]).numpy(), 2.0 * before, rtol=1e-5, atol=1e-6)


def test_graph_inputs_outputs_and_layer_outputs():
    inputs = Input(shape=(4,))
    first, second = Dense(3), Dense(2)
    model = Sequential([inputs, first, second])
    assert model.inputs == [inputs] and model.input is inputs
    assert model.outputs == [second.output] and model.output is second.output
    assert first.input is inputs and second.input is first.output
    assert first.output.shape == (None, 3) and second.output.shape == (None, 2)
    implicit = Sequential([Dense(3, input_shape=(5,)), Dense(1)])  # input_shape= builds too
    assert implicit.input.shape == (None, 5) and implicit.output.shape == (None, 1)


def test_unbuilt_until_its_input_shape_is_known():
    model = Sequential([Dense(3), Dense(2)])
    with pytest.raises(AttributeError, match="has no defined inputs yet"):
        _ = model.inputs
    with pytest.raises(AttributeError, match="has never been called"):
        _ = model.layers[0].output
    model(np.zeros((5, 4), "float32"))  # the first call builds the graph, batch size left open
    assert model.input.shape == (None, 4) and model.layers[0].output.shape == (None, 3)
    built = Sequential([Dense(3)])
    built.build((None, 7))
    assert built.output.shape == (None, 3) and built.layers[0].kernel.shape == (7, 3)


def test_add_and_pop_keep_the_graph_current():
    model = Sequential([Input(shape=(4,)), Dense(3)])
    extra = Dense(5)
    model.add(extra)
    assert model.output is extra.output and extra.input is model.layers[0].output
    assert model.pop() is extra
    assert extra._inbound_nodes == [] and model.output is model.layers[0].output
    model.add(Dense(6))
    assert model.output.shape == (None, 6)
    assert len(model.layers[0]._inbound_nodes) == 1  # built once, not once per add


def test_extractor_config_and_save_load_round_trip(tmp_path):
    model, x = trained_cnn()
    extractor = Model(model.inputs, [model.get_layer("conv").output, model.output])
    extractor.save(tmp_path / "features.lamina")
    loaded = load_model(tmp_path / "features.lamina")
    for got, want in zip(loaded.predict(x, verbose=0), extractor.predict(x, verbose=0)):
        np.testing.assert_array_equal(got, want)


def test_config_of_a_numeric_sequential_is_unchanged():
    model = Sequential([Input(shape=(4,)), Dense(2)])
    assert model.get_config()["layers"][0] == {
        "class_name": "InputLayer",
        "config": {"batch_shape": [None, 4]},
    }
    called = Sequential([Dense(2)])
    called(np.zeros((3, 4), "float32"))
    assert [spec["class_name"] for spec in called.get_config()["layers"]] == ["Dense"]
    ints = Sequential([Input(shape=(3,), dtype="int32"), Dense(2)])
    assert ints.get_config()["layers"][0]["config"]["dtype"] == "int32"
    assert Sequential.from_config(ints.get_config()).input.dtype == np.int32


def test_a_layer_that_does_not_fit_leaves_the_model_as_it_was():
    from lamina.layers import Reshape

    model = Sequential([Input(shape=(4,)), Dense(3)])
    with pytest.raises(ValueError, match="cannot be called on inputs of shape"):
        model.add(Reshape((5,)))
    assert len(model.layers) == 1 and model.output is model.layers[0].output
    model.add(Dense(2))
    assert model.output.shape == (None, 2)
