import json
import os

import numpy as np
import pytest

import lamina
from lamina.layers import Dense, Dropout, Flatten
from lamina.layers.conv import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Convolution2D,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from lamina.layers.pooling import GlobalAveragePooling2D, MaxPooling2D
from lamina.models import Sequential
from lamina.ops.conv import conv2d, conv2d_transpose, depthwise_conv2d
from tests.helpers import check_layer, check_layer_gradients

FIXTURES = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "conv.npz"))


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: Conv1D(4, 3), (2, 7, 3)),
        (lambda: Conv1D(3, 2, padding="causal", dilation_rate=2, activation="tanh"), (2, 6, 2)),
        (lambda: Conv1D(3, 3, strides=2, padding="same", use_bias=False), (2, 7, 2)),
        (lambda: Conv2D(4, 3, activation="relu"), (2, 6, 5, 2)),
        (lambda: Conv2D(3, (2, 3), strides=(2, 1), padding="same"), (2, 7, 6, 3)),
        (lambda: Conv2D(2, 3, dilation_rate=2, kernel_initializer="he_normal"), (2, 7, 7, 1)),
        (lambda: Conv2DTranspose(3, 3, strides=2, padding="same"), (2, 4, 3, 2)),
        (lambda: Conv2DTranspose(2, (3, 2), strides=2, output_padding=1), (2, 3, 3, 2)),
        (lambda: Conv1DTranspose(3, 3, strides=2), (2, 4, 2)),
        (lambda: DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (2, 5, 5, 3)),
        (lambda: DepthwiseConv1D(2, activation="relu"), (2, 6, 3)),
        (lambda: SeparableConv2D(4, 3, depth_multiplier=2, padding="same"), (2, 5, 5, 3)),
        (lambda: SeparableConv2D(3, (2, 3), strides=2, activation="relu"), (2, 7, 6, 2)),
        (lambda: SeparableConv2D(2, 3, dilation_rate=2, use_bias=False), (2, 7, 7, 3)),
        (lambda: SeparableConv1D(3, 3, padding="causal", activation="tanh"), (2, 6, 2)),
        (lambda: SeparableConv1D(4, 2, strides=2, depth_multiplier=3), (2, 7, 2)),
    ],
)
def test_check_layer(factory, shape):
    assert check_layer(factory, shape)


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: Conv1D(3, 3, padding="causal", dtype="float64"), (2, 5, 2)),
        (lambda: Conv2D(3, 3, strides=2, padding="same", dtype="float64"), (2, 5, 5, 2)),
        (lambda: Conv2D(2, (2, 3), activation="relu", dtype="float64"), (2, 4, 5, 2)),
        (lambda: Conv2DTranspose(2, 3, strides=2, padding="same", dtype="float64"), (2, 3, 3, 2)),
        (lambda: DepthwiseConv2D(3, depth_multiplier=2, dtype="float64"), (2, 4, 4, 2)),
        (lambda: SeparableConv2D(3, 3, depth_multiplier=2, activation="relu", dtype="float64"),
         (2, 5, 5, 2)),
        (lambda: SeparableConv2D(2, 2, strides=2, padding="same", dilation_rate=1,
                                 dtype="float64"), (2, 5, 4, 3)),
        (lambda: SeparableConv1D(3, 3, padding="causal", dilation_rate=2, depth_multiplier=2,
                                 dtype="float64"), (2, 6, 2)),
    ],
)  # fmt: skip
def test_layer_gradients(factory, shape):
    x = np.random.default_rng(1).normal(size=shape)
    assert check_layer_gradients(factory(), x)


def test_mnist_cnn_parameter_count():
    model = Sequential(
        [
            Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
            MaxPooling2D((2, 2)),
            Conv2D(64, (3, 3), activation="relu"),
            MaxPooling2D((2, 2)),
            Conv2D(128, (3, 3), activation="relu"),
            Flatten(),
            Dense(128, activation="relu"),
            Dropout(0.5),
            Dense(10, activation="softmax"),
        ]
    )
    assert model.count_params() == 241_546
    assert [layer._summary_shape for layer in model.layers[:5]] == [
        (None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64), (None, 5, 5, 64),
        (None, 3, 3, 128),
    ]  # fmt: skip
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 241,546" in "\n".join(lines)


def test_conv2d_layer_matches_op_and_keras_defaults():
    layer = Conv2D(4, 3)
    assert layer.strides == (1, 1) and layer.padding == "valid" and layer.dilation_rate == (1, 1)
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype(np.float32)
    out = layer(x)
    assert layer.kernel.shape == (3, 3, 3, 4) and layer.bias.shape == (4,)
    np.testing.assert_array_equal(layer.bias.numpy(), 0)
    expected = conv2d(x, layer.kernel.numpy(), layer.bias.numpy())
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


def test_fused_relu_matches_conv_then_relu():
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 3))
    fused = Conv2D(4, 3, activation="relu", dtype="float64")
    plain = Conv2D(4, 3, activation=lambda t: lamina.ops.relu(t), dtype="float64")
    fused(x), plain(x)
    plain.set_weights(fused.get_weights())
    np.testing.assert_allclose(fused(x).numpy(), plain(x).numpy())
    assert (fused(x).numpy() == 0).any()  # the relu did clip


def test_transpose_and_depthwise_layers_match_ops():
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 3))
    t = Conv2DTranspose(2, 3, strides=2, padding="same", dtype="float64")
    out = t(x).numpy()
    assert t.kernel.shape == (3, 3, 2, 3)  # (kh, kw, filters, in), as Keras
    ref = conv2d_transpose(x, t.kernel.numpy(), t.bias.numpy(), strides=2, padding="same")
    np.testing.assert_allclose(out, ref.numpy())
    d = DepthwiseConv2D(3, depth_multiplier=2, dtype="float64")
    out = d(x).numpy()
    assert d.kernel.shape == (3, 3, 3, 2) and d.depthwise_kernel is d.kernel
    ref = depthwise_conv2d(x, d.kernel.numpy(), d.bias.numpy())
    np.testing.assert_allclose(out, ref.numpy())
    assert d.compute_output_shape((None, 4, 4, 3)) == (None, 2, 2, 6)


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        (Conv2D(8, 3, strides=2, padding="same"), (None, 28, 28, 1), (None, 14, 14, 8)),
        (Conv2D(8, 3), (None, None, 10, 1), (None, None, 8, 8)),
        (Conv1D(8, 5, padding="causal"), (None, 20, 3), (None, 20, 8)),
        (Conv2DTranspose(4, 3, strides=2), (None, 7, 7, 8), (None, 15, 15, 4)),
        (Conv2DTranspose(4, 3, strides=2, padding="same"), (None, 7, 7, 8), (None, 14, 14, 4)),
        (Conv2DTranspose(4, 4, strides=2, padding="same", output_padding=1), (None, 7, 7, 8),
         (None, 13, 13, 4)),
    ],
)  # fmt: skip
def test_compute_output_shape(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


def test_config_round_trip_keeps_arguments():
    layer = Conv2DTranspose(
        5, (3, 2), strides=(2, 1), padding="same", output_padding=(1, 0), activation="relu",
        use_bias=False, name="up",
    )  # fmt: skip
    config = layer.get_config()
    clone = Conv2DTranspose.from_config(config)
    assert clone.get_config() == config
    assert config["kernel_size"] == [3, 2] and config["output_padding"] == [1, 0]
    assert config["data_format"] == "channels_last"
    conv = Conv1D.from_config(Conv1D(3, 5, padding="causal").get_config())
    assert conv.padding == "causal" and conv.kernel_size == (5,)
    assert Convolution2D is Conv2D


def test_argument_errors_name_the_problem():
    with pytest.raises(ValueError, match="channels_first"):
        Conv2D(4, 3, data_format="channels_first")
    with pytest.raises(ValueError, match="filters"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match="padding"):
        Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="filters=4 must be divisible by groups=3"):
        Conv2D(4, 3, groups=3)
    with pytest.raises(ValueError, match="output_padding"):
        Conv2DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="depth_multiplier"):
        DepthwiseConv2D(3, depth_multiplier=0)


def test_input_errors_name_the_problem():
    layer = Conv2D(4, 3)
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\)"):
        layer(np.zeros((2, 8, 8), np.float32))
    layer(np.zeros((1, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="3 channels"):
        layer(np.zeros((1, 8, 8, 2), np.float32))
    with pytest.raises(ValueError, match="too small"):
        Conv2D(4, 5)(np.zeros((1, 3, 3, 1), np.float32))


def test_conv_trains_in_a_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.int64)
    lamina.seed(0)
    model = Sequential([
        Conv2D(8, 3, activation="relu", padding="same", input_shape=(8, 8, 1)),
        MaxPooling2D(),
        Flatten(),
        Dense(2, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0).history
    assert history["loss"][-1] < 0.6 * history["loss"][0] and history["accuracy"][-1] > 0.9


def _separable_case(case):
    f = {k.split("/", 1)[1]: FIXTURES[k] for k in FIXTURES.files if k.startswith(case + "/")}
    return f, json.loads(f["params"].item())


SEPARABLE_CASES = sorted(
    {k.split("/")[0] for k in FIXTURES.files if k.startswith("separable_conv")}
)


@pytest.mark.parametrize("dtype, tol", [("float32", 1e-4), ("float64", 1e-6)])
@pytest.mark.parametrize("case", SEPARABLE_CASES)
def test_separable_layer_matches_pytorch(case, dtype, tol):
    """The layer with PyTorch's weights (a grouped conv then a 1x1 conv) gives PyTorch's outputs
    and gradients; the fixture's results are float64 rounded to float32, hence 1e-6 in float64."""
    f, params = _separable_case(case)
    layer_cls = SeparableConv1D if f["op"].item() == "separable_conv1d" else SeparableConv2D
    dk, pk = f["depthwise_kernel"], f["pointwise_kernel"]
    layer = layer_cls(
        pk.shape[-1], dk.shape[:-2], depth_multiplier=dk.shape[-1], dtype=dtype, **params
    )
    x = lamina.Tensor(f["x"].astype(dtype), requires_grad=True)
    layer(x)
    layer.set_weights([dk, pk, f["bias"]])
    out = layer(x)
    out.backward(f["w"].astype(dtype))
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad, f["grad_x"], rtol=tol, atol=tol)
    grads = [layer.depthwise_kernel.grad, layer.pointwise_kernel.grad, layer.bias.grad]
    for name, grad in zip(("depthwise_kernel", "pointwise_kernel", "bias"), grads, strict=True):
        np.testing.assert_allclose(grad, f[f"grad_{name}"], rtol=tol, atol=tol, err_msg=name)


def test_separable_keras_weights_defaults_and_param_count():
    layer = SeparableConv2D(8, 3, depth_multiplier=2)
    assert (layer.strides, layer.padding, layer.dilation_rate) == ((1, 1), "valid", (1, 1))
    assert layer.depthwise_kernel is None and not hasattr(layer, "kernel")
    out = layer(np.zeros((2, 6, 6, 5), np.float32))
    assert out.shape == (2, 4, 4, 8)
    assert [w.name.split("/")[-1] for w in layer.weights] == [
        "depthwise_kernel",
        "pointwise_kernel",
        "bias",
    ]  # Keras's names and order, so Keras weights load as they are
    assert [tuple(w.shape) for w in layer.weights] == [(3, 3, 5, 2), (1, 1, 10, 8), (8,)]
    assert layer.count_params() == 3 * 3 * 5 * 2 + 10 * 8 + 8
    np.testing.assert_array_equal(layer.bias.numpy(), 0)
    no_bias = SeparableConv1D(4, 3, use_bias=False)
    no_bias(np.zeros((1, 5, 2), np.float32))
    assert [tuple(w.shape) for w in no_bias.weights] == [(3, 2, 1), (1, 2, 4)]
    assert no_bias.bias is None
    assert SeparableConvolution1D is SeparableConv1D and SeparableConvolution2D is SeparableConv2D


def test_separable_equals_depthwise_then_1x1_conv():
    x = np.random.default_rng(0).normal(size=(2, 7, 6, 3))
    sep = SeparableConv2D(4, 3, strides=2, padding="same", depth_multiplier=2, dtype="float64")
    out = sep(x).numpy()
    dw = DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, use_bias=False,
                         dtype="float64")  # fmt: skip
    pw = Conv2D(4, 1, dtype="float64")
    mid = dw(x)
    pw(mid)
    dw.set_weights([sep.depthwise_kernel.numpy()])
    pw.set_weights([sep.pointwise_kernel.numpy(), np.arange(4.0)])
    sep.set_weights([*sep.get_weights()[:2], np.arange(4.0)])
    np.testing.assert_allclose(sep(x).numpy(), pw(dw(x)).numpy(), rtol=1e-12, atol=1e-12)
    assert not np.allclose(sep(x).numpy(), out)  # the bias did change the output


def test_separable_config_regularizers_and_constraints():
    layer = SeparableConv2D(
        5, (3, 2), strides=(2, 1), padding="same", depth_multiplier=3, activation="relu",
        depthwise_initializer="he_normal", pointwise_initializer="zeros",
        depthwise_regularizer="l2", pointwise_regularizer="l1", name="sep",
    )  # fmt: skip
    config = layer.get_config()
    clone = SeparableConv2D.from_config(config)
    assert clone.get_config() == config
    assert config["filters"] == 5 and config["depth_multiplier"] == 3
    assert config["kernel_size"] == [3, 2] and config["data_format"] == "channels_last"
    layer(np.ones((1, 4, 4, 2), np.float32))
    np.testing.assert_array_equal(layer.pointwise_kernel.numpy(), 0)
    assert len(layer.losses) == 2  # one penalty per regularized kernel

    def unit_norm(w):
        return w

    constrained = SeparableConv1D(2, 3, pointwise_constraint=unit_norm,
                                  depthwise_constraint=unit_norm)  # fmt: skip
    constrained(np.ones((1, 5, 2), np.float32))
    assert constrained.pointwise_kernel.constraint is unit_norm
    assert constrained.depthwise_kernel.constraint is unit_norm


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        (SeparableConv2D(8, 3, strides=2, padding="same"), (None, 28, 28, 3), (None, 14, 14, 8)),
        (SeparableConv2D(8, 3, depth_multiplier=4), (None, None, 10, 3), (None, None, 8, 8)),
        (SeparableConv1D(6, 5, padding="causal"), (None, 20, 3), (None, 20, 6)),
        (SeparableConv1D(6, 3, dilation_rate=2), (None, 20, 3), (None, 16, 6)),
    ],
)
def test_separable_compute_output_shape(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


def test_separable_errors_name_the_problem():
    with pytest.raises(ValueError, match="SeparableConv2D filters must be a positive integer"):
        SeparableConv2D(0, 3)
    with pytest.raises(ValueError, match="depth_multiplier"):
        SeparableConv2D(4, 3, depth_multiplier=0)
    with pytest.raises(ValueError, match="channels_first"):
        SeparableConv2D(4, 3, data_format="channels_first")
    with pytest.raises(ValueError, match="padding"):
        SeparableConv2D(4, 3, padding="causal")
    layer = SeparableConv2D(4, 3)
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\)"):
        layer(np.zeros((2, 8, 8), np.float32))
    layer(np.zeros((1, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="3 channels"):
        layer(np.zeros((1, 8, 8, 2), np.float32))


def test_separable_conv_trains_in_a_model():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=64)
    x = rng.normal(size=(64, 8, 8, 2)).astype(np.float32)
    x[..., 0] += np.where(y == 1, 0.5, -0.5)[:, None, None]  # the class is in channel 0 only
    lamina.seed(0)
    model = Sequential([
        SeparableConv2D(8, 3, activation="relu", padding="same", input_shape=(8, 8, 2)),
        GlobalAveragePooling2D(),
        Dense(2, activation="softmax"),
    ])  # fmt: skip
    model.compile(
        optimizer=lamina.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0).history
    assert history["loss"][-1] < 0.2 * history["loss"][0] and history["accuracy"][-1] > 0.9


def test_numpy_integer_sizes_are_accepted_and_saved_as_ints():
    layer = Conv2D(np.int64(8), np.int64(3), strides=(np.int32(1), 1), padding="same")
    sep = SeparableConv2D(np.int64(4), 3, depth_multiplier=np.int64(2))
    config = layer.get_config()
    assert type(config["filters"]) is int and config["kernel_size"] == [3, 3]
    assert type(config["kernel_size"][0]) is int and type(config["strides"][0]) is int
    assert type(sep.get_config()["depth_multiplier"]) is int
    json.dumps([config, sep.get_config(), MaxPooling2D(np.int64(2)).get_config()])
    assert layer(np.zeros((1, 5, 5, 2), np.float32)).shape == (1, 5, 5, 8)
    with pytest.raises(ValueError, match="Conv2D filters must be a positive integer"):
        Conv2D(np.float32(8), 3)
    with pytest.raises(ValueError, match="kernel_size must be a positive integer"):
        Conv2D(8, np.bool_(True))


# ----- volumes (3-D): Conv3D and Conv3DTranspose -----
@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: lamina.layers.Conv3D(3, 2, activation="relu"), (2, 4, 3, 4, 2)),
        (lambda: lamina.layers.Conv3D(2, (3, 1, 2), strides=(2, 1, 1), padding="same",
                                      use_bias=False), (2, 5, 3, 4, 2)),
        (lambda: lamina.layers.Conv3D(2, 2, dilation_rate=(2, 1, 1),
                                      kernel_initializer="he_normal"), (2, 5, 3, 3, 1)),
        (lambda: lamina.layers.Conv3D(4, 2, groups=2, padding="same"), (2, 3, 3, 2, 6)),
        (lambda: lamina.layers.Conv3DTranspose(2, 3, strides=2, padding="same"), (2, 2, 3, 2, 2)),
        (lambda: lamina.layers.Conv3DTranspose(2, (2, 3, 1), strides=(2, 1, 3),
                                               output_padding=(1, 0, 2)), (2, 2, 2, 2, 3)),
    ],
)  # fmt: skip
def test_conv3d_check_layer(factory, shape):
    assert check_layer(factory, shape)


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: lamina.layers.Conv3D(2, 2, strides=(1, 2, 1), padding="same", activation="relu",
                                      dtype="float64"), (2, 3, 4, 3, 2)),
        (lambda: lamina.layers.Conv3D(4, 2, groups=2, dtype="float64"), (1, 3, 2, 3, 4)),
        (lambda: lamina.layers.Conv3DTranspose(2, 2, strides=2, activation="tanh",
                                               dtype="float64"), (2, 2, 2, 2, 2)),
    ],
)  # fmt: skip
def test_conv3d_layer_gradients(factory, shape):
    x = np.random.default_rng(1).normal(size=shape)
    assert check_layer_gradients(factory(), x)


def test_conv3d_keras_weights_config_and_shapes():
    """Weight names and shapes, config and output shapes as Keras 3.15 gives them."""
    layer = lamina.layers.Conv3D(4, 3)
    layer.build((None, 5, 6, 7, 2))
    assert [(w.name.split("/")[-1], w.shape) for w in layer.weights] == [
        ("kernel", (3, 3, 3, 2, 4)),
        ("bias", (4,)),
    ]
    assert layer.name.startswith("conv3d") and layer.weights[0].name.startswith(layer.name + "/")
    config = layer.get_config()
    expected = {"filters": 4, "kernel_size": [3, 3, 3], "strides": [1, 1, 1], "padding": "valid",
                "data_format": "channels_last", "dilation_rate": [1, 1, 1], "groups": 1,
                "activation": "linear", "use_bias": True}  # fmt: skip
    assert {k: config[k] for k in expected} == expected
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert lamina.layers.Conv3D.from_config(config).get_config() == config
    assert layer.compute_output_shape((None, 5, 6, 7, 2)) == (None, 3, 4, 5, 4)

    up = lamina.layers.Conv3DTranspose(4, 3, strides=2)
    up.build((None, 5, 6, 7, 2))
    assert up.name.startswith("conv3d_transpose")
    assert [(w.name.split("/")[-1], w.shape) for w in up.weights] == [
        ("kernel", (3, 3, 3, 4, 2)),
        ("bias", (4,)),
    ]
    assert up.compute_output_shape((None, 5, 6, 7, 2)) == (None, 11, 13, 15, 4)
    assert up.get_config()["output_padding"] is None and up.get_config()["strides"] == [2, 2, 2]
    assert lamina.layers.Convolution3D is lamina.layers.Conv3D
    assert lamina.layers.Convolution3DTranspose is lamina.layers.Conv3DTranspose


def test_conv3d_layers_match_ops():
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 3, 2))
    conv = lamina.layers.Conv3D(3, (2, 3, 2), strides=(1, 2, 1), padding="same", dtype="float64")
    out = conv(x).numpy()
    ref = lamina.ops.conv3d(x, conv.kernel.numpy(), conv.bias.numpy(), strides=(1, 2, 1),
                            padding="same")  # fmt: skip
    np.testing.assert_allclose(out, ref.numpy())
    up = lamina.layers.Conv3DTranspose(2, 3, strides=2, padding="same", dtype="float64")
    out = up(x).numpy()
    ref = lamina.ops.conv3d_transpose(x, up.kernel.numpy(), up.bias.numpy(), strides=2,
                                      padding="same")  # fmt: skip
    assert out.shape == (2, 8, 10, 6, 2)
    np.testing.assert_allclose(out, ref.numpy())


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        (lambda: lamina.layers.Conv3D(8, 3, strides=2, padding="same"), (None, 9, 8, 7, 1),
         (None, 5, 4, 4, 8)),
        (lambda: lamina.layers.Conv3D(8, 3), (None, None, 10, 6, 1), (None, None, 8, 4, 8)),
        (lambda: lamina.layers.Conv3DTranspose(4, 3, strides=2, padding="same"),
         (None, 7, None, 3, 8), (None, 14, None, 6, 4)),
    ],
)  # fmt: skip
def test_conv3d_compute_output_shape(layer, input_shape, expected):
    assert layer().compute_output_shape(input_shape) == expected


def test_conv3d_errors_name_the_problem():
    with pytest.raises(ValueError, match="kernel_size"):
        lamina.layers.Conv3D(4, (3, 3))
    with pytest.raises(ValueError, match="padding"):
        lamina.layers.Conv3D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="output_padding"):
        lamina.layers.Conv3DTranspose(4, 3, strides=(2, 2, 1), output_padding=(1, 1, 1))
    layer = lamina.layers.Conv3D(4, 3)
    with pytest.raises(ValueError, match=r"\(batch, depth, height, width, channels\)"):
        layer(np.zeros((2, 8, 8, 1), np.float32))
    layer(np.zeros((1, 4, 4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="3 channels"):
        layer(np.zeros((1, 4, 4, 4, 2), np.float32))
    with pytest.raises(ValueError, match="too small"):
        lamina.layers.Conv3D(4, 3)(np.zeros((1, 2, 4, 4, 1), np.float32))


def _volume_classifier():
    """The shape of keras.io's "3D image classification from CT scans" model, tiny."""
    from lamina import layers

    return Sequential([
        layers.Input((8, 8, 8, 1)),
        layers.Conv3D(filters=4, kernel_size=3, activation="relu"),
        layers.MaxPool3D(pool_size=2),
        layers.BatchNormalization(),
        layers.GlobalAveragePooling3D(),
        layers.Dense(units=8, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(units=1, activation="sigmoid"),
    ])  # fmt: skip


def test_volume_classifier_trains_and_saves(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3, 4)) > x[:, 4:].mean(axis=(1, 2, 3, 4))).astype(np.float32)
    lamina.seed(0)
    model = _volume_classifier()
    model.compile(optimizer=lamina.optimizers.Adam(1e-2), loss="binary_crossentropy",
                  metrics=["acc"])  # fmt: skip
    losses = model.fit(x, y, epochs=8, batch_size=8, verbose=0).history["loss"]
    assert losses[-1] < 0.9 * losses[0]
    assert model.count_params() == 112 + 16 + 40 + 9  # conv, batch norm, dense, dense
    path = str(tmp_path / "volumes.keras")
    model.save(path)
    loaded = lamina.models.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers][:3] == [
        "Conv3D", "MaxPooling3D", "BatchNormalization"]  # fmt: skip
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ----- groups -----
def test_grouped_kernel_shape_and_param_count_as_keras():
    conv = Conv2D(6, 3, groups=3)
    conv(np.zeros((1, 5, 5, 9), np.float32))
    assert conv.kernel.shape == (3, 3, 3, 6) and conv.count_params() == 3 * 3 * 3 * 6 + 6
    conv1 = Conv1D(4, 3, groups=2, use_bias=False)
    assert conv1(np.zeros((2, 8, 6), np.float32)).shape == (2, 6, 4)
    assert conv1.kernel.shape == (3, 3, 4)
    assert conv1.compute_output_shape((None, 8, 6)) == (None, 6, 4)


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: Conv2D(6, 3, groups=3, padding="same", activation="relu"), (2, 5, 5, 6)),
        (lambda: Conv2D(4, (2, 3), strides=2, groups=2), (2, 7, 6, 4)),
        (lambda: Conv1D(4, 3, groups=2, padding="causal", dilation_rate=2), (2, 7, 4)),
    ],
)
def test_grouped_check_layer(factory, shape):
    assert check_layer(factory, shape)


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: Conv2D(6, 3, groups=2, strides=2, padding="same", activation="relu",
                        dtype="float64"), (2, 5, 5, 4)),
        (lambda: Conv2D(4, (3, 2), groups=4, dilation_rate=2, dtype="float64"), (2, 6, 5, 4)),
        (lambda: Conv1D(6, 3, groups=3, strides=2, padding="same", dtype="float64"), (2, 7, 6)),
    ],
)  # fmt: skip
def test_grouped_layer_gradients(factory, shape):
    x = np.random.default_rng(1).normal(size=shape)
    assert check_layer_gradients(factory(), x)


GROUPED_CASES = sorted(
    {k.split("/")[0] for k in FIXTURES.files if "_groups" in k and k.startswith("conv")}
)


@pytest.mark.parametrize("dtype, tol", [("float32", 1e-4), ("float64", 1e-6)])
@pytest.mark.parametrize("case", GROUPED_CASES)
def test_grouped_layer_matches_pytorch(case, dtype, tol):
    """The layer with the weights of PyTorch's ``F.conv2d(..., groups=)`` (Keras layout) gives its
    outputs and gradients."""
    f = {k.split("/", 1)[1]: FIXTURES[k] for k in FIXTURES.files if k.startswith(case + "/")}
    params = json.loads(f["params"].item())
    kernel = f["kernel"]
    groups = f["x"].shape[-1] // kernel.shape[-2]
    layer_cls = Conv1D if f["op"].item() == "conv1d" else Conv2D
    layer = layer_cls(kernel.shape[-1], kernel.shape[:-2], groups=groups, dtype=dtype, **params)
    x = lamina.Tensor(f["x"].astype(dtype), requires_grad=True)
    layer(x)
    layer.set_weights([kernel, f["bias"]])
    out = layer(x)
    out.backward(f["w"].astype(dtype))
    assert groups > 1 and layer.kernel.shape == kernel.shape
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad, f["grad_x"], rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.kernel.grad, f["grad_kernel"], rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.bias.grad, f["grad_bias"], rtol=tol, atol=tol)


def test_groups_equal_to_channels_and_filters_is_depthwise():
    x = np.random.default_rng(0).normal(size=(2, 7, 6, 5))
    conv = Conv2D(5, 3, strides=2, padding="same", groups=5, dtype="float64")
    depthwise = DepthwiseConv2D(3, strides=2, padding="same", dtype="float64")
    conv(x), depthwise(x)
    kernel, bias = conv.get_weights()
    assert kernel.shape == (3, 3, 1, 5)
    depthwise.set_weights([kernel.reshape(3, 3, 5, 1), bias + 1.0])
    conv.set_weights([kernel, bias + 1.0])
    xs = [lamina.Tensor(x, requires_grad=True) for _ in range(2)]
    outs = [conv(xs[0]), depthwise(xs[1])]
    np.testing.assert_allclose(outs[0].numpy(), outs[1].numpy(), rtol=1e-12, atol=1e-12)
    weights = np.random.default_rng(1).normal(size=outs[0].shape)
    for out in outs:
        out.backward(weights)
    np.testing.assert_allclose(xs[0].grad, xs[1].grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.kernel.grad.reshape(3, 3, 5, 1), depthwise.kernel.grad,
                               rtol=1e-12, atol=1e-12)  # fmt: skip


def test_grouped_model_saves_and_loads(tmp_path):
    lamina.seed(0)
    model = Sequential([
        lamina.layers.Input(shape=(8, 8, 4)),
        Conv2D(8, 3, groups=2, padding="same", activation="relu"),
        Conv2D(8, 3, groups=4, strides=2),
        GlobalAveragePooling2D(),
    ])  # fmt: skip
    x = np.random.default_rng(0).normal(size=(3, 8, 8, 4)).astype(np.float32)
    path = str(tmp_path / "grouped.lamina")
    model.save(path)
    loaded = lamina.models.load_model(path)
    assert [layer.groups for layer in loaded.layers[:2]] == [2, 4]
    assert all(tuple(layer.kernel.shape) == (3, 3, 2, 8) for layer in loaded.layers[:2])
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_groups_errors_name_the_layer_and_the_problem():
    with pytest.raises(ValueError, match="Conv2D groups must be a positive integer, got 0"):
        Conv2D(6, 3, groups=0)
    with pytest.raises(ValueError, match="positive integer"):
        Conv1D(6, 3, groups=1.5)
    with pytest.raises(ValueError, match="mix: filters=6 must be divisible by groups=4"):
        Conv2D(6, 3, groups=4, name="mix")
    layer = Conv2D(6, 3, groups=3, name="mix")
    with pytest.raises(ValueError, match=r"mix: groups=3 must divide the input's 8 channels"):
        layer(np.zeros((1, 5, 5, 8), np.float32))
    with pytest.raises(ValueError, match="groups=2 must divide the input's 3 channels"):
        Conv1D(4, 3, groups=2)(np.zeros((1, 5, 3), np.float32))
