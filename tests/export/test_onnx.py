"""ONNX export: every supported layer in a tiny model with random weights, run by onnxruntime
and compared with ``model.predict``; layouts, dynamic sizes, graph checks and the errors."""

import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from lamina import export  # noqa: E402
from lamina.cnn import mnist_cnn  # noqa: E402
from lamina.layers import (  # noqa: E402
    ELU,
    GRU,
    LSTM,
    Activation,
    ActivityRegularization,
    AlphaDropout,
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    BatchNormalization,
    Bidirectional,
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Dense,
    DepthwiseConv1D,
    DepthwiseConv2D,
    Dropout,
    Embedding,
    Flatten,
    GaussianDropout,
    GaussianNoise,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    GroupNormalization,
    Identity,
    Input,
    LayerNormalization,
    LeakyReLU,
    Masking,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    Permute,
    PReLU,
    ReLU,
    RepeatVector,
    Reshape,
    SeparableConv1D,
    SeparableConv2D,
    SimpleRNN,
    Softmax,
    SpatialDropout1D,
    SpatialDropout2D,
    SpectralNormalization,
    UnitNormalization,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from lamina.models import Model, Sequential  # noqa: E402

ACTIVATIONS = [
    "linear", "relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh",
    "softplus", "softsign", "silu", "swish", "softmax", "log_softmax", "exponential",
]  # fmt: skip


def randomize(model, seed=0):
    """Random weights everywhere; positive moving variances, so batch norm is not the identity."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if w.name.endswith("moving_variance"):
            w.assign(rng.uniform(0.5, 2.0, size=w.shape).astype(np.float32))
        else:
            w.assign(rng.normal(scale=0.5, size=w.shape).astype(np.float32))
    return model


def data(*shape, seed=1, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


def run(path, *inputs):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))


def check(model, inputs, tmp_path, opset=17, atol=1e-5):
    """Export, check the graph strictly, and compare onnxruntime with ``model.predict``."""
    inputs = inputs if isinstance(inputs, list) else [inputs]
    path = export.onnx(model, tmp_path / "model.onnx", opset=opset)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    expected = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    expected = expected if isinstance(expected, list) else [expected]
    got = run(path, *inputs)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, atol=atol, rtol=1e-5)
    return proto


def op_types(proto):
    return [node.op_type for node in proto.graph.node]


# ----- whole models -----
def test_mlp(tmp_path):
    model = randomize(
        Sequential(
            [
                Dense(16, activation="relu", input_shape=(8,)),
                Dropout(0.5),
                Dense(8, activation="tanh", use_bias=False),
                Dense(4, activation="softmax"),
            ]
        )
    )
    proto = check(model, data(5, 8), tmp_path)
    assert op_types(proto).count("Gemm") == 3 and "Dropout" not in op_types(proto)
    assert [i.name for i in proto.graph.input] == ["input"]
    assert [o.name for o in proto.graph.output] == ["output"]


def test_mnist_cnn_has_one_transpose_in_and_one_out(tmp_path):
    model = randomize(mnist_cnn())
    proto = check(model, np.random.default_rng(0).random((4, 28, 28, 1), np.float32), tmp_path)
    assert op_types(proto).count("Transpose") == 2
    batch = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param == "batch"
    # the same file runs any batch size
    model_path = tmp_path / "model.onnx"
    x = np.random.default_rng(1).random((1, 28, 28, 1), np.float32)
    np.testing.assert_allclose(run(model_path, x)[0], model.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_dense_activations(name, tmp_path):
    model = randomize(Sequential([Dense(6, activation=name, input_shape=(5,))]))
    check(model, data(4, 5, scale=2.0), tmp_path)


def test_dense_on_sequences_uses_matmul(tmp_path):
    model = randomize(Sequential([Dense(6, activation="relu", input_shape=(7, 5)), Dense(3)]))
    proto = check(model, data(3, 7, 5), tmp_path)
    assert "MatMul" in op_types(proto)


@pytest.mark.parametrize("opset", [17, 20])
def test_gelu_by_opset(opset, tmp_path):
    model = randomize(Sequential([Dense(6, activation="gelu", input_shape=(5,))]))
    proto = check(model, data(4, 5, scale=2.0), tmp_path, opset=opset)
    assert ("Gelu" in op_types(proto)) == (opset >= 20)


# ----- activation layers, on vectors and on conv outputs (held channels-first) -----
ACTIVATION_LAYERS = [
    lambda: Activation("swish"),
    lambda: ReLU(),
    lambda: LeakyReLU(negative_slope=0.1),
    lambda: PReLU(),
    lambda: ELU(alpha=0.7),
    lambda: Softmax(),
    lambda: Softmax(axis=1),
]


@pytest.mark.parametrize("make", ACTIVATION_LAYERS + [lambda: PReLU(shared_axes=[1, 2])])
def test_activation_layers_on_images(make, tmp_path):
    model = randomize(Sequential([Conv2D(4, 3, input_shape=(6, 5, 2)), make()]))
    check(model, data(3, 6, 5, 2), tmp_path)


@pytest.mark.parametrize("make", ACTIVATION_LAYERS)
def test_activation_layers_on_vectors(make, tmp_path):
    model = randomize(Sequential([Dense(6, input_shape=(4,)), make()]))
    check(model, data(3, 4), tmp_path)


# ----- convolution and pooling -----
CONVS = [
    (lambda: Conv2D(4, 3, strides=2, padding="same"), (7, 9, 3)),
    (lambda: Conv2D(4, (3, 2), dilation_rate=2, activation="relu"), (9, 8, 2)),
    (lambda: Conv2D(4, 3, strides=2, dilation_rate=2, padding="same"), (8, 7, 2)),
    (lambda: Conv2D(3, 1, use_bias=False, activation="tanh"), (4, 4, 5)),
    (lambda: Conv1D(4, 3, padding="causal", dilation_rate=2), (10, 3)),
    (lambda: Conv1D(4, 3, strides=2, padding="same"), (9, 3)),
    (lambda: DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (7, 7, 3)),
    (lambda: DepthwiseConv1D(3, strides=2), (9, 3)),
]


@pytest.mark.parametrize("make, shape", CONVS)
def test_convolutions(make, shape, tmp_path):
    model = randomize(Sequential([make()], name="m"))
    model.build((None, *shape))
    check(model, data(2, *shape), tmp_path)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: Conv2D(6, 3, groups=3, strides=2, padding="same"), (7, 9, 6)),
        (lambda: Conv2D(4, (3, 2), groups=4, dilation_rate=2, activation="relu"), (9, 8, 4)),
        (lambda: Conv1D(4, 3, groups=2, padding="causal", dilation_rate=2), (10, 6)),
    ],
)
def test_grouped_convolutions(make, shape, tmp_path):
    layer = make()
    model = randomize(Sequential([layer], name="m"))
    model.build((None, *shape))
    proto = check(model, data(2, *shape), tmp_path)
    (conv,) = [node for node in proto.graph.node if node.op_type == "Conv"]
    assert {a.name: onnx.helper.get_attribute_value(a) for a in conv.attribute}["group"] == (
        layer.groups
    )


POOLS = [
    (lambda: MaxPooling2D((3, 3), strides=2, padding="same"), (7, 7, 2)),
    (lambda: MaxPooling2D(), (6, 7, 2)),
    (lambda: AveragePooling2D(padding="same"), (5, 5, 2)),
    (lambda: AveragePooling2D((3, 3), strides=1), (5, 6, 2)),
    (lambda: MaxPooling1D(3, strides=2, padding="same"), (9, 2)),
    (lambda: AveragePooling1D(2, padding="same"), (7, 2)),
    (lambda: GlobalAveragePooling2D(), (5, 6, 2)),
    (lambda: GlobalMaxPooling2D(keepdims=True), (5, 6, 2)),
    (lambda: GlobalAveragePooling1D(keepdims=True), (7, 2)),
    (lambda: GlobalMaxPooling1D(), (7, 2)),
]


@pytest.mark.parametrize("after_conv", [False, True])
@pytest.mark.parametrize("make, shape", POOLS)
def test_pooling(make, shape, after_conv, tmp_path):
    conv = Conv2D if len(shape) == 3 else Conv1D
    layers = [conv(3, 1, input_shape=shape), make()] if after_conv else [make()]
    model = Sequential(layers)
    model.build((None, *shape))
    check(randomize(model), data(2, *shape), tmp_path)


@pytest.mark.parametrize("opset", [18, 21])
def test_reductions_take_axes_as_input_from_opset_18(opset, tmp_path):
    model = randomize(Sequential([Conv2D(3, 3, input_shape=(6, 6, 2)), GlobalMaxPooling2D()]))
    check(model, data(2, 6, 6, 2), tmp_path, opset=opset)


def test_same_padding_with_unknown_image_size(tmp_path):
    inputs = Input(shape=(None, None, 2))
    x = Conv2D(3, 3, strides=2, padding="same")(inputs)
    outputs = MaxPooling2D(3, strides=2, padding="same")(x)
    model = randomize(Model(inputs, outputs))
    path = export.onnx(model, tmp_path / "model.onnx")
    for shape in [(2, 7, 9, 2), (1, 8, 5, 2)]:
        x = data(*shape)
        np.testing.assert_allclose(run(path, x)[0], model.predict(x, verbose=0), atol=1e-5)


# ----- normalization -----
@pytest.mark.parametrize(
    "layers, shape",
    [
        ([Conv2D(4, 3), BatchNormalization()], (6, 6, 2)),  # channels-first: the ONNX op
        ([Dense(5), BatchNormalization()], (3,)),
        ([BatchNormalization()], (5, 4)),  # (batch, time, features): broadcast arithmetic
        ([BatchNormalization(axis=1)], (5, 4)),
        ([BatchNormalization()], (4, 4, 3)),
        ([BatchNormalization(center=False, scale=False, epsilon=0.1)], (6,)),
    ],
)
def test_batch_normalization_uses_moving_statistics(layers, shape, tmp_path):
    model = Sequential(layers)
    model.build((None, *shape))
    check(randomize(model), data(3, *shape), tmp_path)


@pytest.mark.parametrize(
    "layers, shape",
    [
        ([Dense(6), LayerNormalization()], (3,)),
        ([LayerNormalization()], (5, 4)),
        ([LayerNormalization(axis=[1, 2], epsilon=1e-5)], (5, 4)),
        ([Conv2D(4, 3), LayerNormalization()], (6, 6, 2)),
        ([LayerNormalization(center=False, scale=False)], (7,)),
    ],
)
def test_layer_normalization(layers, shape, tmp_path):
    model = Sequential(layers)
    model.build((None, *shape))
    check(randomize(model), data(3, *shape, scale=3.0), tmp_path)


def test_layer_normalization_over_a_leading_axis_is_not_supported(tmp_path):
    model = Sequential([LayerNormalization(axis=1, name="ln")])
    model.build((None, 5, 4))
    with pytest.raises(NotImplementedError, match=r"'ln' \(LayerNormalization\).*axis 1"):
        export.onnx(model, tmp_path / "model.onnx")


# ----- reshaping, padding, cropping, upsampling -----
@pytest.mark.parametrize(
    "layers, shape",
    [
        ([Conv2D(4, 3), Reshape((-1, 4)), Dense(2)], (6, 5, 2)),
        ([Dense(12), Reshape((3, 4)), Flatten()], (5,)),
        ([Conv2D(3, 1), ZeroPadding2D(((1, 0), (2, 1)))], (4, 5, 2)),
        ([Cropping2D(((1, 0), (0, 2)))], (5, 6, 2)),
        ([Conv2D(3, 1), UpSampling2D(2)], (3, 4, 2)),
        ([Conv2D(3, 1), UpSampling2D((2, 3), interpolation="bilinear")], (3, 4, 2)),
        ([UpSampling2D(2, interpolation="bilinear")], (3, 4, 2)),
        ([ZeroPadding1D((1, 2)), Cropping1D((2, 1))], (6, 3)),
        ([Conv1D(3, 1), UpSampling1D(3)], (5, 2)),
        ([UpSampling1D(2, interpolation="linear")], (5, 2)),
        ([ZeroPadding2D(1, data_format="channels_first")], (2, 4, 5)),
    ],
)
def test_reshaping_and_resizing(layers, shape, tmp_path):
    model = Sequential(layers)
    model.build((None, *shape))
    check(randomize(model), data(2, *shape), tmp_path)


@pytest.mark.parametrize(
    "layers, shape",
    [
        ([Conv1D(3, 2), Permute((2, 1)), Dense(2)], (6, 2)),
        ([Conv2D(3, 1), Permute((3, 1, 2))], (4, 5, 2)),
        ([Dense(3), RepeatVector(4), LSTM(2)], (5,)),
        ([Identity(), ActivityRegularization(l2=0.1), Dense(2)], (5,)),
        ([Conv1D(4, 1), SpatialDropout1D(0.5), GaussianNoise(1.0), GaussianDropout(0.3)], (6, 2)),
        ([Conv2D(4, 1), SpatialDropout2D(0.5), AlphaDropout(0.2), Conv2D(2, 1)], (4, 5, 2)),
    ],
)
def test_permute_repeat_and_layers_that_are_the_identity_at_inference(layers, shape, tmp_path):
    model = Sequential(layers)
    model.build((None, *shape))
    proto = check(randomize(model), data(2, *shape), tmp_path)
    assert "Dropout" not in op_types(proto) and "RandomNormal" not in op_types(proto)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (SeparableConv2D(4, 3, padding="same", depth_multiplier=2, activation="relu"), (6, 5, 3)),
        (SeparableConv2D(3, 3, strides=2, dilation_rate=1, use_bias=False), (7, 7, 2)),
        (SeparableConv2D(3, (3, 2), dilation_rate=2), (8, 7, 2)),
        (SeparableConv1D(4, 3, padding="causal", depth_multiplier=3), (9, 2)),
    ],
)
def test_separable_convolutions(layer, shape, tmp_path):
    model = Sequential([Input(shape=shape), layer])
    proto = check(randomize(model), data(2, *shape), tmp_path)
    assert op_types(proto).count("Conv") == 2


@pytest.mark.parametrize(
    "layers, shape",
    [
        ([Conv2D(6, 1), GroupNormalization(groups=3)], (4, 5, 2)),
        ([GroupNormalization(groups=-1)], (4, 5, 6)),
        ([GroupNormalization(groups=2, center=False)], (8,)),
        ([Conv1D(4, 1), GroupNormalization(groups=1, scale=False)], (7, 3)),
        ([Conv2D(4, 1), UnitNormalization()], (3, 4, 2)),
        ([UnitNormalization(axis=[1, 2])], (3, 4)),
    ],
)
@pytest.mark.parametrize("opset", [17, 18])
def test_group_and_unit_normalization(layers, shape, opset, tmp_path):
    model = Sequential(layers)
    model.build((None, *shape))
    check(randomize(model), data(2, *shape, scale=3.0), tmp_path, opset=opset)


def test_group_normalization_over_another_axis_is_not_supported(tmp_path):
    model = Sequential([Input(shape=(4, 6)), GroupNormalization(groups=2, axis=1, name="odd")])
    with pytest.raises(NotImplementedError, match="'odd'.*axis 1"):
        export.onnx(model, tmp_path / "model.onnx")


# ----- embeddings and recurrent layers -----
@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_layers(cls, return_sequences, go_backwards, tmp_path):
    layer = cls(5, return_sequences=return_sequences, go_backwards=go_backwards)
    model = randomize(Sequential([Input(shape=(7, 3)), layer]))
    check(model, data(4, 7, 3), tmp_path)


@pytest.mark.parametrize(
    "layer",
    [
        lambda: GRU(4, reset_after=False, return_sequences=True),
        lambda: GRU(4, use_bias=False),
        lambda: LSTM(4, use_bias=False, return_sequences=True),
        lambda: LSTM(4, recurrent_activation="hard_sigmoid", activation="relu"),
        lambda: LSTM(4, activation="linear"),
        lambda: SimpleRNN(4, activation="relu", return_sequences=True),
        lambda: GRU(4, recurrent_activation="hard_sigmoid", activation="linear"),
    ],
)
def test_recurrent_options(layer, tmp_path):
    model = randomize(Sequential([Input(shape=(6, 3)), layer()]))
    check(model, data(3, 6, 3), tmp_path)


def test_stacked_lstm_on_embeddings_takes_int64_ids(tmp_path):
    model = randomize(
        Sequential(
            [
                Embedding(20, 6, input_shape=(7,)),
                LSTM(5, return_sequences=True),
                Dropout(0.2),
                LSTM(4),
                Dense(1, activation="sigmoid"),
            ]
        )
    )
    ids = np.random.default_rng(0).integers(0, 20, size=(3, 7))
    check(model, ids, tmp_path)
    proto = onnx.load(tmp_path / "model.onnx")
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64


@pytest.mark.parametrize("dtype", ["int32", "float32"])
def test_embedding_input_dtypes(dtype, tmp_path):
    inputs = Input(shape=(5,), dtype=dtype)
    model = randomize(Model(inputs, GRU(3)(Embedding(10, 4)(inputs))))
    ids = np.random.default_rng(0).integers(0, 10, size=(2, 5)).astype(dtype)
    check(model, ids, tmp_path)


def test_variable_length_sequences(tmp_path):
    inputs = Input(shape=(None, 3))
    model = randomize(Model(inputs, LSTM(4, return_sequences=True)(inputs)))
    path = export.onnx(model, tmp_path / "model.onnx")
    for steps in (2, 9):
        x = data(2, steps, 3)
        np.testing.assert_allclose(run(path, x)[0], model.predict(x, verbose=0), atol=1e-5)


def test_return_state_and_initial_state(tmp_path):
    """An encoder's final states start a decoder, as in seq2seq."""
    encoder_in, decoder_in = Input(shape=(5, 3), name="encoder"), Input(shape=(4, 2), name="dec")
    _, h, c = LSTM(6, return_state=True)(encoder_in)
    decoded = LSTM(6, return_sequences=True)(decoder_in, initial_state=[h, c])
    gru_out, gru_h = GRU(6, return_state=True)(decoder_in, initial_state=h)
    model = randomize(Model([encoder_in, decoder_in], [Dense(2)(decoded), gru_out, gru_h]))
    proto = check(model, [data(3, 5, 3), data(3, 4, 2, seed=2)], tmp_path)
    assert [i.name for i in proto.graph.input] == ["encoder", "dec"]
    assert len({o.name for o in proto.graph.output}) == 3


# ----- functional models -----
def test_residual_block(tmp_path):
    inputs = Input(shape=(8, 8, 3))
    x = Conv2D(4, 3, padding="same", activation="relu")(inputs)
    y = Conv2D(4, 3, padding="same")(x)
    y = BatchNormalization()(y)
    x = ReLU()(add([x, y]))
    x = add([x, Conv2D(4, 1)(inputs), Dense(4)(inputs)])  # channels-first and -last mixed
    outputs = Dense(3, activation="softmax")(GlobalAveragePooling2D()(x))
    check(randomize(Model(inputs, outputs)), data(2, 8, 8, 3), tmp_path)


def test_two_inputs_two_outputs(tmp_path):
    image, features = Input(shape=(6, 6, 1), name="image"), Input(shape=(5,), name="features")
    x = Flatten()(MaxPooling2D()(Conv2D(4, 3, activation="relu")(image)))
    x = concatenate([x, Dense(8, activation="relu")(features)])
    label = Dense(3, activation="softmax", name="label")(x)
    score = Dense(1, name="score")(x)
    model = randomize(Model([image, features], [label, score]))
    proto = check(model, [data(4, 6, 6, 1), data(4, 5, seed=2)], tmp_path)
    assert [i.name for i in proto.graph.input] == ["image", "features"]
    assert [o.name for o in proto.graph.output] == ["label", "score"]


@pytest.mark.parametrize("merge", [subtract, multiply, average, maximum, minimum, add])
def test_merges_broadcast_lower_ranks_as_lamina(merge, tmp_path):
    a, b = Input(shape=(4, 3)), Input(shape=(3,))
    inputs = [a, b] if merge is subtract else [a, b, Dense(3)(b)]
    model = randomize(Model([a, b], merge(inputs)))
    check(model, [data(2, 4, 3), data(2, 3, seed=2)], tmp_path)


@pytest.mark.parametrize("axis", [1, -1])
def test_concatenate_conv_outputs(axis, tmp_path):
    inputs = Input(shape=(5, 5, 2))
    x = concatenate([Conv2D(3, 1)(inputs), Conv2D(3, 1)(inputs)], axis=axis)
    model = randomize(Model(inputs, Conv2D(2, 3)(x)))
    proto = check(model, data(2, 5, 5, 2), tmp_path)
    assert op_types(proto).count("Transpose") == 2  # in and out only


def test_shared_layer(tmp_path):
    left, right = Input(shape=(4,), name="left"), Input(shape=(4,), name="right")
    shared = Dense(3, activation="tanh")
    model = randomize(Model([left, right], subtract([shared(left), shared(right)])))
    check(model, [data(2, 4), data(2, 4, seed=2)], tmp_path)


def test_nested_models(tmp_path):
    block = Sequential([Dense(6, activation="relu", input_shape=(4,)), Dense(4)])
    inputs = Input(shape=(4,))
    inner = Model(inputs, block(inputs))
    outer_in = Input(shape=(4,))
    model = randomize(Model(outer_in, Dense(2)(add([inner(outer_in), outer_in]))))
    check(model, data(3, 4), tmp_path)


# ----- the file, the options and the errors -----
def test_writes_atomically_and_returns_the_path(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    target = tmp_path / "model.onnx"
    target.write_bytes(b"an older file")
    assert export.onnx(model, target) == str(target)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]
    assert onnx.load(target).producer_name == "lamina"


def test_unsupported_layer_names_it_and_writes_nothing(tmp_path):
    model = Sequential([Masking(input_shape=(5, 3), name="pad_mask"), LSTM(2)])
    with pytest.raises(NotImplementedError, match=r"cannot export layer 'pad_mask' \(Masking\)"):
        export.onnx(model, tmp_path / "model.onnx")
    inputs = Input(shape=(5, 3))
    model = Model(inputs, Bidirectional(LSTM(2), name="bi")(inputs))
    with pytest.raises(NotImplementedError, match=r"'bi' \(Bidirectional\)"):
        export.onnx(model, tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "layer, shape, what",
    [
        (Dense(3, activation=lambda x: 2 * x, name="odd"), (4,), "custom activations"),
        (Embedding(10, 3, mask_zero=True, name="odd"), (4,), "mask_zero"),
        (LSTM(3, stateful=True, name="odd"), (4, 3), "stateful"),
    ],
)
def test_unsupported_options(layer, shape, what, tmp_path):
    model = Sequential([Input(shape=shape), layer])
    with pytest.raises(NotImplementedError, match=rf"'odd'.*{what}"):
        export.onnx(model, tmp_path / "model.onnx")


def test_subclassed_models_and_layer_subclasses_are_refused(tmp_path):
    class Twice(Model):
        def call(self, x, training=False):
            return 2 * x

    with pytest.raises(NotImplementedError, match="Sequential and functional"):
        export.onnx(Twice(), tmp_path / "model.onnx")

    class MyDense(Dense):
        pass

    model = Sequential([MyDense(2, input_shape=(3,), name="mine")])
    with pytest.raises(NotImplementedError, match=r"'mine' \(MyDense\)"):
        export.onnx(model, tmp_path / "model.onnx")


def test_training_true_calls_are_refused(tmp_path):
    inputs = Input(shape=(3,))
    model = Model(inputs, Dropout(0.5, name="mc")(inputs, training=True))
    with pytest.raises(NotImplementedError, match="'mc'.*training=True"):
        export.onnx(model, tmp_path / "model.onnx")


def test_model_without_input_shape(tmp_path):
    with pytest.raises(ValueError, match="no known input shape"):
        export.onnx(Sequential([Dense(2)]), tmp_path / "model.onnx")


@pytest.mark.parametrize("opset", [11, "17", 10_000])
def test_bad_opset(opset, tmp_path):
    with pytest.raises(ValueError, match="opset must be an integer from 17"):
        export.onnx(Sequential([Dense(2, input_shape=(3,))]), tmp_path / "m.onnx", opset=opset)


def test_missing_onnx_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "lamina\[onnx\]"'):
        export.onnx(Sequential([Dense(2, input_shape=(3,))]), tmp_path / "model.onnx")


def test_relu_with_max_value_is_clipped(tmp_path):
    from lamina.layers import ReLU

    model = Sequential([Input(shape=(5,)), Dense(4), ReLU(max_value=0.5)])
    proto = check(randomize(model), data(3, 5, scale=3.0), tmp_path)
    assert "Clip" in op_types(proto)


# ----- volumes (3-D) and transposed convolutions -----
@pytest.mark.parametrize(
    "layers, shape",
    [
        ([Conv3D(3, 2, strides=(1, 2, 1), padding="same"), MaxPooling3D(padding="same"),
          BatchNormalization(), GlobalAveragePooling3D()], (4, 5, 6, 2)),
        ([Conv3D(3, (3, 1, 2), dilation_rate=(2, 1, 1), activation="relu"),
          AveragePooling3D((2, 2, 1), strides=1, padding="same"),
          GlobalMaxPooling3D(keepdims=True)], (6, 4, 5, 2)),
        ([MaxPooling3D((3, 2, 2), strides=(2, 1, 2)), Conv3D(2, 1, use_bias=False)], (5, 4, 6, 2)),
        ([Conv3D(4, 2, groups=2, padding="same", activation="relu")], (3, 4, 3, 6)),
        ([ZeroPadding3D(((1, 0), (0, 2), (1, 1))), Cropping3D(((0, 1), (1, 0), (0, 0))),
          Conv3D(2, 1), UpSampling3D((1, 2, 2))], (3, 4, 3, 2)),
        ([UpSampling3D(2, interpolation="trilinear")], (2, 3, 2, 2)),
    ],
)  # fmt: skip
def test_volumes(layers, shape, tmp_path):
    model = Sequential(layers)
    model.build((None, *shape))
    proto = check(randomize(model), data(2, *shape), tmp_path)
    assert op_types(proto).count("Transpose") <= 2  # into channels-first once, and back


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: Conv3DTranspose(3, 3, strides=2, padding="same"), (2, 3, 4, 2)),
        (lambda: Conv3DTranspose(3, (2, 3, 1), strides=(3, 2, 1), activation="tanh"),
         (2, 3, 4, 2)),
        (lambda: Conv3DTranspose(2, 3, strides=2, padding="same", output_padding=1),
         (2, 3, 2, 2)),
        (lambda: Conv3DTranspose(2, 4, strides=2, padding="same"), (2, 3, 2, 2)),
        (lambda: Conv3DTranspose(2, 3, padding="same", dilation_rate=2, use_bias=False),
         (3, 4, 3, 2)),
        (lambda: Conv2DTranspose(3, 3, strides=2, padding="same"), (3, 4, 2)),
        (lambda: Conv2DTranspose(2, 2, strides=3), (3, 4, 2)),  # stride above the kernel
        (lambda: Conv2DTranspose(2, (3, 4), strides=2, output_padding=(1, 0)), (3, 4, 2)),
        (lambda: Conv1DTranspose(3, 4, strides=2, padding="same", output_padding=1), (5, 2)),
    ],
)  # fmt: skip
def test_transposed_convolutions(make, shape, tmp_path):
    model = randomize(Sequential([make()]))
    model.build((None, *shape))
    proto = check(model, data(2, *shape), tmp_path)
    assert "ConvTranspose" in op_types(proto)


def test_volumes_with_unknown_sizes(tmp_path):
    inputs = Input(shape=(None, None, 5, 2))
    x = Conv3D(3, 3, strides=2, padding="same")(inputs)
    x = Conv3DTranspose(2, 3, strides=2, padding="same")(x)
    outputs = MaxPooling3D(3, strides=2, padding="same")(x)
    model = randomize(Model(inputs, outputs))
    path = export.onnx(model, tmp_path / "model.onnx")
    for shape in [(2, 7, 6, 5, 2), (1, 4, 9, 5, 2)]:
        x = data(*shape)
        np.testing.assert_allclose(run(path, x)[0], model.predict(x, verbose=0), atol=1e-5)


def test_spectral_normalization_exports_its_layer(tmp_path):
    model = randomize(
        Sequential(
            [SpectralNormalization(Conv2D(3, 2, activation="relu")), Flatten(),
             SpectralNormalization(Dense(2))],
            name="m",
        )
    )  # fmt: skip
    model.build((None, 5, 5, 2))
    model(data(2, 5, 5, 2), training=True)  # normalize the kernels once
    check(model, data(2, 5, 5, 2), tmp_path)
