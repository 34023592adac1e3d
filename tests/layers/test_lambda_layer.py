import json
import os
import struct
import sys

import numpy as np
import pytest

import lamina
from lamina import layers as L
from lamina.layers import Dense, Embedding, Input, Lambda, get_mask
from lamina.models import Model, Sequential, clone_model, load_model
from lamina.saving import register_keras_serializable
from lamina.saving.safetensors import encode_header
from tests.helpers import check_layer, check_layer_gradients


def double(x):
    return x * 2


def scale(x, factor=1.0):
    return x * factor


def l2_normalize(x):
    return x / lamina.ops.sqrt(lamina.ops.sum(x * x, axis=-1, keepdims=True) + 1e-6)


@register_keras_serializable()
def registered_cube(x):
    return x * x * x


def test_function_applied_with_arguments():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(Lambda(double)(x).numpy(), 2 * x)
    np.testing.assert_array_equal(Lambda(scale, arguments={"factor": 3.0})(x).numpy(), 3 * x)


def test_training_and_mask_are_passed_to_a_function_that_names_them():
    seen = {}

    def spy(x, training=None, mask=None):
        seen.update(training=training, mask=mask)
        return x

    layer = Lambda(spy)
    layer(np.ones((1, 2)), training=True)
    assert seen == {"training": True, "mask": None}
    x = lamina.tensor(np.ones((1, 3, 2), np.float32))
    lamina.layers.set_mask(x, np.array([[True, True, False]]))
    layer(x)
    assert seen["training"] is False and seen["mask"].tolist() == [[True, True, False]]


def test_check_layer_with_a_registered_function():
    assert check_layer(lambda: Lambda(registered_cube), (3, 4))


def test_gradients_flow_through_the_function():
    assert check_layer_gradients(Lambda(l2_normalize, dtype="float64"), np.ones((2, 3)) + 0.1)


def test_sequential_trains_through_lambda():
    lamina.seed(0)
    model = Sequential([Input(shape=(4,)), Dense(8), Lambda(l2_normalize), Dense(1)])
    x = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    y = x[:, :1] > 0
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y.astype(np.float32), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    out = model.layers[1](np.ones((2, 8), np.float32)).numpy()
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, rtol=1e-5)


def test_functional_shape_inference_and_several_inputs():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    product = Lambda(lambda xs: xs[0] * xs[1])([a, b])
    total = Lambda(lambda t: lamina.ops.sum(t, axis=-1, keepdims=True))(product)
    assert product.shape == (None, 3) and total.shape == (None, 1)
    model = Model([a, b], total)
    xa, xb = np.ones((2, 3), np.float32), np.full((2, 3), 2.0, np.float32)
    np.testing.assert_array_equal(model.predict([xa, xb], verbose=0), [[6.0], [6.0]])
    steps = Input(shape=(None, 4))
    assert Lambda(lambda t: t[:, :, :2])(steps).shape == (None, None, 2)


def test_compute_output_shape_from_argument():
    assert Lambda(double).compute_output_shape((None, 5)) == (None, 5)
    assert Lambda(double, output_shape=(2, 5)).compute_output_shape((None, 10)) == (None, 2, 5)
    shape_fn = lambda s: (s[0], s[1] // 2)  # noqa: E731
    assert Lambda(double, output_shape=shape_fn).compute_output_shape((7, 10)) == (7, 5)


def test_mask_argument():
    tokens = np.array([[1, 2, 0]])
    embedded = Embedding(5, 2, mask_zero=True)(tokens)
    kept = Lambda(double, mask=lambda inputs, mask: mask)(embedded)
    assert get_mask(kept).tolist() == [[True, True, False]]
    assert get_mask(Lambda(double)(embedded)) is None  # no mask argument: dropped, as in Keras
    fixed = Lambda(double, mask=[[True, False, False]])(embedded)
    assert get_mask(fixed).tolist() == [[True, False, False]]


def test_rejects_bad_arguments():
    with pytest.raises(TypeError, match="callable"):
        Lambda("double")
    with pytest.raises(TypeError, match="dict"):
        Lambda(double, arguments=[1])


# ----- saving -----
def _model(fn, **kwargs):
    return Sequential([Input(shape=(3,)), Dense(2), Lambda(fn, name="fn_layer", **kwargs)])


def test_named_function_round_trips_with_custom_objects(tmp_path):
    model = _model(scale, arguments={"factor": 3.0})
    path = tmp_path / "m.lamina"
    model.save(path)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    loaded = load_model(path, custom_objects={"scale": scale})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[-1].function is scale and loaded.layers[-1].arguments == {"factor": 3.0}
    config = json.loads(_split(path.read_bytes())[0]["__metadata__"]["model_config"])
    assert config["config"]["layers"][-1]["config"]["function"] == {
        "module": __name__,
        "name": "scale",
    }


def test_output_shape_and_mask_functions_round_trip(tmp_path):
    def half(shape):
        return (shape[0], shape[1])

    def keep_mask(inputs, mask):
        return mask

    path = tmp_path / "m.lamina"
    _model(double, output_shape=half, mask=keep_mask).save(path)
    objects = {"double": double, "half": half, "keep_mask": keep_mask}
    layer = load_model(path, custom_objects=objects).layers[-1]
    assert layer._output_shape is half and layer.mask is keep_mask


def test_registered_function_loads_without_custom_objects(tmp_path):
    path = tmp_path / "m.lamina"
    _model(registered_cube).save(path)
    assert load_model(path).layers[-1].function is registered_cube


def test_unknown_function_is_a_clear_error(tmp_path):
    path = tmp_path / "m.lamina"
    _model(double).save(path)
    with pytest.raises(ValueError, match=r"fn_layer.*double.*custom_objects=\{'double': double\}"):
        load_model(path)
    with pytest.raises(ValueError, match="unknown"):
        load_model(path, custom_objects={"other": scale})


def test_custom_objects_do_not_outlive_load_model(tmp_path):
    path = tmp_path / "m.lamina"
    _model(double).save(path)
    load_model(path, custom_objects={"double": double})
    with pytest.raises(ValueError, match="double"):
        load_model(path)


def test_lambda_expression_cannot_be_saved_and_leaves_the_old_file(tmp_path):
    path = tmp_path / "m.lamina"
    _model(double).save(path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"fn_layer.*lambda expression.*def.*custom Layer"):
        _model(lambda x: x + 1).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.lamina"]  # no temporary file left behind


def test_unsavable_arguments_fail_before_writing(tmp_path):
    path = tmp_path / "m.lamina"
    with pytest.raises(ValueError, match="fn_layer.*arguments"):
        _model(scale, arguments={"factor": np.ones(2)}).save(path)
    assert not path.exists()


def _split(blob):
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def _tamper(path, reference):
    header, data = _split(path.read_bytes())
    metadata = header.pop("__metadata__")
    config = json.loads(metadata["model_config"])
    config["config"]["layers"][-1]["config"]["function"] = reference
    metadata["model_config"] = json.dumps(config)
    path.write_bytes(encode_header(header, metadata) + data)


def test_tampered_file_naming_os_system_is_refused_without_calling_it(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args) or 0)
    path = tmp_path / "m.lamina"
    _model(double).save(path)
    _tamper(path, {"module": "os", "name": "system"})
    with pytest.raises(ValueError, match="'os.system', which is unknown"):
        load_model(path, custom_objects={"double": double})
    assert calls == []


def test_tampered_file_never_imports_the_module_it_names(tmp_path):
    path = tmp_path / "m.lamina"
    _model(double).save(path)
    _tamper(path, {"module": "this", "name": "s"})  # importing `this` prints the Zen of Python
    had_this = "this" in sys.modules
    with pytest.raises(ValueError, match="unknown"):
        load_model(path)
    assert ("this" in sys.modules) == had_this
    _tamper(path, "os.system")
    with pytest.raises(ValueError, match="malformed function reference"):
        load_model(path)


def test_clone_model_keeps_the_function_in_memory():
    model = _model(scale, arguments={"factor": 2.0})
    clone = clone_model(model)
    assert clone.layers[-1].function is scale
    clone.set_weights(model.get_weights())
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_lambda_expression_clones_in_memory_but_cannot_be_saved(tmp_path):
    model = _model(lambda x: x * 3)
    clone = clone_model(model)
    x = np.ones((2, 3), np.float32)
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="'fn_layer'.*lambda expression"):
        model.save(tmp_path / "m.lamina")
    assert not list(tmp_path.iterdir())
    layer = L.Lambda(double)
    assert type(layer).from_config(layer.get_config()).function is double
