"""lamina.applications against the structures of keras.applications (keras_structures.json,
written by make_keras_structures.py with keras 3.15)."""

import json
import pathlib
import re

import numpy as np
import pytest

import lamina
from lamina import applications, layers
from lamina.applications import imagenet_utils, mobilenet_v2, resnet50, vgg16

STRUCTURES = json.loads((pathlib.Path(__file__).parent / "keras_structures.json").read_text())
OUTPUTS = STRUCTURES.pop("_outputs")


def _fill(layer_name, index, weight_name, shape):
    """make_keras_structures.fill: a deterministic weight (variances and scales near 1)."""
    phase = sum(map(ord, layer_name)) + index
    value = 0.05 * np.cos(np.arange(int(np.prod(shape))) * 0.37 + phase)
    if weight_name in ("gamma", "moving_variance"):
        value = 1.0 + value
    return value.reshape(shape).astype("float32")


def _layers(model):
    return [
        [layer.name, type(layer).__name__, [list(w.shape) for w in layer.weights]]
        for layer in model.layers
    ]


def _keras_class(name):
    # Keras's ReLU(6.0); lamina's ReLU has no max_value, MobileNetV2 uses Activation("relu6")
    return "Activation" if name == "ReLU" else name


def _unnumbered(name, class_name):
    """An automatic layer name without its process-wide counter (``global_average_pooling2d_3``:
    the fixture was made in a fresh process, the test suite has built other models before)."""
    auto = re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", class_name).lower()
    return auto if re.fullmatch(re.escape(auto) + r"(_\d+)?", name) else name


@pytest.mark.parametrize("key", list(STRUCTURES))
def test_structure_matches_keras(key):
    case = STRUCTURES[key]
    model = getattr(applications, case["builder"])(weights=None, **case["kwargs"])
    assert model.name == case["name"]
    assert list(model.output.shape) == case["output_shape"]
    assert model.count_params() == case["count_params"]
    ours = [[_unnumbered(n, c), c, s] for n, c, s in _layers(model) if c != "InputLayer"]
    theirs = [
        [_unnumbered(n, _keras_class(c)), _keras_class(c), s]
        for n, c, s in case["layers"]
        if c != "InputLayer"
    ]
    if case["builder"] == "ResNet50":
        # lamina orders a block's shortcut branch before its main branch, Keras after
        ours, theirs = sorted(ours), sorted(theirs)
    assert ours == theirs


@pytest.mark.parametrize("key", list(OUTPUTS))
def test_output_matches_keras(key):
    """Same weights (by formula, per layer name) and input: same output as Keras."""
    case = OUTPUTS[key]
    model = getattr(applications, case["builder"])(weights=None, **case["kwargs"])
    for layer in model.layers:
        layer.set_weights(
            [
                _fill(layer.name, i, w.name.split("/")[-1], tuple(w.shape))
                for i, w in enumerate(layer.weights)
            ]
        )
    shape = (1, *case["kwargs"]["input_shape"])
    x = (np.sin(np.arange(int(np.prod(shape))) * 0.1) * 2.0).reshape(shape).astype("float32")
    expected = np.array(case["output"], dtype="float32")
    out = np.asarray(model(x, training=False)).ravel()
    np.testing.assert_allclose(out, expected, rtol=2e-4, atol=2e-4 * np.abs(expected).max())


def _keras2_file(path, model, order=None):
    """Save ``model``'s weights in Keras 2's HDF5 layout (as Keras's published files are)."""
    h5py = pytest.importorskip("h5py")
    names = order or [layer.name for layer in model.layers]
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [n.encode() for n in names]
        for name in names:
            layer = model.get_layer(name)
            group = f.create_group(name)
            wnames = [f"{name}/{v.name.split('/')[-1]}:0" for v in layer.weights]
            group.attrs["weight_names"] = [w.encode() for w in wnames]
            for w, value in zip(wnames, layer.get_weights()):
                group.create_dataset(w, data=value)


def test_mobilenet_v2_forward_pooling_and_preprocess():
    model = applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights=None, pooling="avg"
    )
    images = np.random.default_rng(0).uniform(0, 255, (2, 96, 96, 3)).astype("float32")
    x = mobilenet_v2.preprocess_input(images)
    assert x.min() >= -1.0 and x.max() <= 1.0
    np.testing.assert_allclose(x, images / 127.5 - 1.0, rtol=1e-6)
    out = np.asarray(model(x, training=False))
    assert out.shape == (2, 1280) and np.isfinite(out).all()
    # the last activation is ReLU6: a large BatchNormalization shift is clipped at 6
    bn = model.get_layer("Conv_1_bn")
    gamma, beta, mean, var = bn.get_weights()
    bn.set_weights([gamma, beta + 100.0, mean, var])
    np.testing.assert_allclose(np.asarray(model(x, training=False)), 6.0)


def test_vgg16_forward_and_caffe_preprocess():
    model = applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    rgb = np.array([[[[10.0, 20.0, 30.0]]]], dtype="float32")
    np.testing.assert_allclose(
        vgg16.preprocess_input(rgb)[0, 0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-5
    )
    out = np.asarray(model(np.zeros((1, 32, 32, 3), "float32")))
    assert out.shape == (1, 1, 1, 512)


def test_preprocess_input_does_not_modify_its_input_and_works_on_tensors():
    x = np.full((1, 2, 2, 3), 255.0, dtype="float32")
    y = vgg16.preprocess_input(x)
    assert (x == 255.0).all() and y.dtype == np.float32
    t = imagenet_utils.preprocess_input(lamina.tensor(x), mode="caffe")
    np.testing.assert_allclose(np.asarray(t), y, rtol=1e-6)
    np.testing.assert_allclose(
        np.asarray(mobilenet_v2.preprocess_input(lamina.tensor(x))), np.ones_like(x)
    )
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(x, mode="bogus")


def test_frozen_base_with_new_head_trains_one_step():
    base = applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights=None
    )
    base.trainable = False
    inputs = lamina.Input((96, 96, 3))
    x = base(inputs, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1)(x)
    model = lamina.Model(inputs, outputs)
    assert len(model.trainable_weights) == 2
    model.compile(optimizer="adam", loss="mse")
    frozen = [w.copy() for w in base.get_weights()]
    head = [w.copy() for w in model.layers[-1].get_weights()]
    rng = np.random.default_rng(0)
    model.fit(rng.uniform(-1, 1, (4, 96, 96, 3)).astype("float32"), np.ones((4, 1)),
              epochs=1, batch_size=4, verbose=0)  # fmt: skip
    for before, after in zip(frozen, base.get_weights()):
        np.testing.assert_array_equal(before, after)  # BN statistics included
    assert any(not np.array_equal(b, a) for b, a in zip(head, model.layers[-1].get_weights()))


def test_imagenet_weights_download_and_load(tmp_path, monkeypatch):
    """The "imagenet" path: get_file fetches Keras's file name from the weight URL (here a local
    folder served as file://) into ~/.lamina/models and loads it by layer name."""
    source = applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights=None
    )
    served = tmp_path / "served"
    served.mkdir()
    fname = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    _keras2_file(served / fname, source)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", served.as_uri() + "/")
    model = applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights="imagenet"
    )
    assert (tmp_path / "home" / ".lamina" / "models" / fname).exists()
    for a, b in zip(source.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_file_path_in_keras_order_loads_by_name(tmp_path):
    """A Keras 2 file lists ResNet50's layers in Keras's order, which lamina's model.layers does
    not follow: they are matched by name."""
    case = STRUCTURES["resnet50_64_notop_avg"]
    source = applications.ResNet50(weights=None, **case["kwargs"])
    keras_order = [n for n, c, s in case["layers"] if s]
    assert keras_order != [layer.name for layer in source.layers if layer.weights]
    path = tmp_path / "resnet50.h5"
    _keras2_file(path, source, order=keras_order)
    model = applications.ResNet50(weights=str(path), **case["kwargs"])
    x = np.random.default_rng(1).normal(size=(1, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(source(x)), rtol=1e-5)


def test_weights_file_of_another_model_is_refused(tmp_path):
    small = applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights=None
    )
    path = tmp_path / "w.h5"
    _keras2_file(path, small)
    with pytest.raises(ValueError, match="shape"):
        applications.MobileNetV2(
            input_shape=(96, 96, 3), alpha=0.5, include_top=False, weights=str(path)
        )


def test_imagenet_weights_unreachable_names_the_cache_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(vgg16, "WEIGHTS_PATH_NO_TOP", (tmp_path / "nowhere.h5").as_uri())
    with pytest.raises(OSError, match="vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        applications.VGG16(include_top=False, input_shape=(32, 32, 3))


@pytest.mark.parametrize(
    "builder, kwargs, match",
    [
        (applications.VGG16, {"weights": "no/such/file.h5"}, "weights"),
        (applications.VGG16, {"weights": "imagenet", "classes": 10}, "`classes` should be 1000"),
        (applications.VGG16, {"weights": None, "input_shape": (16, 16, 3),
                              "include_top": False}, "at least 32x32"),
        (applications.VGG16, {"weights": "imagenet", "input_shape": (64, 64, 3)},
         r"input_shape` should be \(224, 224, 3\)"),
        (applications.ResNet50, {"weights": "imagenet", "include_top": False,
                                 "input_shape": (64, 64, 1)}, "3 channels"),
        (applications.ResNet50, {"weights": None, "input_shape": (64, 64)}, "three integers"),
        (applications.MobileNetV2, {"weights": "imagenet", "alpha": 0.6,
                                    "include_top": False}, "alpha must be one of"),
        (applications.MobileNetV2, {"weights": "imagenet", "classifier_activation": "relu"},
         "softmax"),
        (applications.MobileNetV2, {"weights": None, "input_shape": (96, 96, 3),
                                    "input_tensor": lamina.Input((96, 80, 3))}, "input_shape"),
        (applications.MobileNetV2, {"weights": None, "input_tensor": np.zeros((1, 96, 96, 3))},
         "symbolic tensor"),
    ],
)  # fmt: skip
def test_argument_validation(builder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        builder(**kwargs)


def test_include_top_needs_a_static_input_shape():
    with pytest.raises(ValueError, match="static"):
        applications.VGG16(weights=None, input_shape=(None, None, 3))


def test_input_tensor_from_a_preprocessing_layer():
    inputs = lamina.Input((64, 64, 3))
    x = layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    model = applications.ResNet50(weights=None, include_top=False, input_tensor=x, pooling="max")
    assert model.inputs[0] is inputs
    assert model.output.shape == (None, 2048)
    assert model.get_layer("max_pool") is not None


def test_imagenet_without_top_and_odd_size_warns_and_uses_224_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", (tmp_path / "none").as_uri() + "/")
    with pytest.warns(UserWarning, match="224"):
        with pytest.raises(OSError, match="0.35_224_no_top.h5"):
            applications.MobileNetV2(input_shape=(100, 100, 3), alpha=0.35, include_top=False)


def test_resnet50_module_preprocess_is_caffe():
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(resnet50.preprocess_input(x), vgg16.preprocess_input(x))
