import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.layers import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Input,
    Layer,
    LeakyReLU,
    PReLU,
    Reshape,
    Softmax,
)
from tests.helpers import check_layer, check_layer_gradients


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: Dense(4, activation="relu"), (3, 5)),
        (lambda: Dense(2, use_bias=False, kernel_initializer="he_normal"), (3, 2, 5)),
        (lambda: Activation("tanh"), (3, 4)),
        (lambda: Flatten(), (2, 3, 4)),
        (lambda: Reshape((4, 3)), (2, 12)),
        (lambda: Reshape((-1, 2)), (2, 3, 4)),
        (lambda: Dropout(0.3), (4, 6)),
        (lambda: LeakyReLU(0.1), (3, 4)),
        (lambda: PReLU(alpha_initializer="constant"), (3, 4)),
        (lambda: PReLU(shared_axes=[1]), (3, 4, 2)),
        (lambda: Softmax(), (3, 4)),
        (lambda: layers.ReLU(), (3, 4)),
        (lambda: layers.ELU(0.5), (3, 4)),
    ],
)
def test_check_layer(factory, shape):
    assert check_layer(factory, shape)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: Dense(3, activation="tanh", dtype="float64"), (4, 5)),
        (lambda: Dense(3, activation="sigmoid", dtype="float64"), (2, 3, 5)),
        (lambda: PReLU(alpha_initializer="random_uniform", dtype="float64"), (3, 4)),
        (lambda: Softmax(dtype="float64"), (3, 4)),
    ],
)
def test_layer_gradients(layer, shape):
    x = np.random.default_rng(1).normal(size=shape) + 0.05
    assert check_layer_gradients(layer(), x)


def test_dense_matches_numpy():
    d = Dense(3, activation="relu")
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    out = d(x).numpy()
    expected = np.maximum(x @ d.kernel.numpy() + d.bias.numpy(), 0)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_dense_wrong_feature_count_names_shapes():
    d = Dense(3)
    d(np.zeros((2, 10), np.float32))
    with pytest.raises(ValueError, match=r"last dimension 10, got shape \(32, 12\)"):
        d(np.zeros((32, 12), np.float32))


def test_dense_rejects_bad_units():
    with pytest.raises(ValueError, match="units"):
        Dense(0)


def test_unknown_activation_lists_options():
    with pytest.raises(ValueError, match="relu"):
        Dense(2, activation="nope")


def test_activation_accepts_callable():
    layer = Dense(2, activation=lambda t: t * 2, kernel_initializer="ones")
    assert layer(np.ones((1, 3))).tolist() == [[6.0, 6.0]]


def test_dropout_only_in_training_and_inverted():
    lamina.seed(0)
    x = np.ones((200, 50), np.float32)
    layer = Dropout(0.4)
    assert np.array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.6], rtol=1e-6)
    assert abs((y == 0).mean() - 0.4) < 0.02
    assert abs(y.mean() - 1.0) < 0.03


def test_dropout_seeded_reproducible():
    x = np.ones((10, 10), np.float32)
    lamina.seed(5)
    a = Dropout(0.5)(x, training=True).numpy()
    lamina.seed(5)
    b = Dropout(0.5)(x, training=True).numpy()
    assert np.array_equal(a, b)


def test_prelu_learns_slope():
    layer = PReLU(alpha_initializer="constant")
    x = lamina.tensor([[-2.0, 3.0]])
    y = layer(x)
    assert layer.alpha.shape == (2,)
    y.sum().backward()
    assert layer.alpha.grad.tolist() == [-2.0, 0.0]  # d(alpha * x)/d alpha = x where x < 0


def test_leaky_relu_default_slope_is_keras():
    assert LeakyReLU().negative_slope == 0.3
    assert LeakyReLU(alpha=0.1).negative_slope == 0.1


def test_input_in_sequential():
    model = lamina.models.Sequential([Input(shape=(4,)), Dense(2)])
    assert model.built and model.count_params() == 10
    with pytest.raises(ValueError, match="first"):
        lamina.models.Sequential([Dense(2, input_shape=(3,)), Input(shape=(4,))])


def test_trainable_flag_freezes_weights_and_propagates():
    model = lamina.models.Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    first = model.layers[0]
    first.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    assert not first.kernel.requires_grad
    model.trainable = False
    assert model.trainable_weights == []
    model.trainable = True
    assert len(model.trainable_weights) == 4 and first.trainable


def test_nested_layer_tracking_and_weights_order():
    class Block(Layer):
        def __init__(self):
            super().__init__()
            self.a = Dense(3)
            self.parts = [Dense(2), Dense(1)]

        def call(self, x, training=False):
            return self.parts[1](self.parts[0](self.a(x)))

    block = Block()
    block(np.zeros((1, 4), np.float32))
    assert len(block.weights) == 6
    assert [w.shape for w in block.get_weights()] == [(4, 3), (3,), (3, 2), (2,), (2, 1), (1,)]
    block.set_weights([np.ones(w.shape) for w in block.get_weights()])
    assert block.a.kernel.numpy().sum() == 12
    with pytest.raises(ValueError, match="6 weights"):
        block.set_weights([np.ones(1)])


def test_set_weights_shape_mismatch():
    d = Dense(2)
    d(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        d.set_weights([np.zeros((2, 2)), np.zeros(2)])


def test_regularizer_losses_enter_layer_losses():
    d = Dense(
        2,
        kernel_regularizer=lamina.regularizers.L2(0.5),
        kernel_initializer="ones",
        activity_regularizer="l1",
    )
    out = d(np.ones((4, 3), np.float32))
    penalties = [p.item() for p in d.losses]
    assert penalties[0] == pytest.approx(0.5 * 6)
    assert penalties[1] == pytest.approx(0.01 * np.abs(out.numpy()).sum() / 4, rel=1e-5)


def test_layer_names_are_unique_and_snake_case():
    a, b = Dense(1), Dense(1)
    assert a.name.startswith("dense") and a.name != b.name
    assert LeakyReLU().name.startswith("leaky_re_lu") or LeakyReLU().name.startswith("leaky_relu")


def test_custom_layer_contract_build_lazily():
    class Scale(Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x, training=False):
            return x * self.w

    layer = Scale()
    assert not layer.built
    layer(np.ones((2, 3)))
    assert layer.built and layer.w.shape == (3,) and layer.w.name.endswith("/w")


def test_unexpected_kwarg_is_an_error():
    with pytest.raises(TypeError, match="unexpected"):
        Dense(2, bogus=1)


def test_setting_activation_to_none_leaves_the_logits_as_grad_cam_does(tmp_path):
    # keras.io Grad-CAM: model.layers[-1].activation = None, then predict gives the logits
    lamina.seed(0)
    model = lamina.Sequential(
        [Input(shape=(6, 6, 1)), layers.Conv2D(4, 3, activation="relu"), Flatten(),
         Dense(3, activation="softmax")]
    )  # fmt: skip
    x = np.random.default_rng(0).normal(size=(5, 6, 6, 1)).astype("float32")
    probs = model.predict(x, verbose=0)
    head = model.layers[-1]
    head.activation = None
    logits = model.predict(x, verbose=0)
    features = model.layers[0](x).numpy().reshape(5, -1)
    np.testing.assert_allclose(logits, features @ head.kernel.numpy() + head.bias.numpy(),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    assert not np.allclose(logits.sum(axis=1), 1.0)
    np.testing.assert_allclose(lamina.ops.softmax(logits).numpy(), probs, rtol=1e-5)
    assert head.get_config()["activation"] == "linear"
    model.save(tmp_path / "logits.lamina")
    loaded = lamina.models.load_model(tmp_path / "logits.lamina")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), logits, rtol=1e-6)
    head.activation = "softmax"  # a name or a callable works as in the constructor
    np.testing.assert_allclose(model.predict(x, verbose=0), probs, rtol=1e-6)
    head.activation = lambda t: t * 0
    assert not model.predict(x, verbose=0).any()
    with pytest.raises(ValueError, match="unknown activation 'nope'"):
        head.activation = "nope"


def test_activation_set_on_conv_and_activation_layers_is_applied():
    x = np.random.default_rng(1).normal(size=(2, 5, 5, 1)).astype("float32")
    conv = layers.Conv2D(3, 3, activation="relu")
    fused = conv(x).numpy()
    conv.activation = None
    linear = conv(x).numpy()
    assert linear.min() < 0 and fused.min() == 0
    np.testing.assert_allclose(np.maximum(linear, 0), fused, rtol=1e-6)
    conv.activation = "relu"  # back on the fused path (activation is ops.relu)
    np.testing.assert_array_equal(conv(x).numpy(), fused)
    act = Activation("relu")
    act.activation = None
    assert act(np.array([[-1.0, 2.0]], "float32")).tolist() == [[-1.0, 2.0]]
    assert Activation.from_config(act.get_config())(np.array([[-1.0]], "float32")).tolist() == [
        [-1.0]
    ]


def test_bias_initializer_none_uses_glorot_uniform_like_keras():
    layer = Dense(4, bias_initializer=None)
    layer.build((None, 3))
    bias = layer.bias.numpy()
    assert bias.std() > 0 and np.abs(bias).max() < np.sqrt(6 / 8)  # glorot: fans (4, 4)
    assert layer.get_config()["bias_initializer"] is None
    assert Dense.from_config(layer.get_config())(np.ones((1, 3), "float32")).shape == (1, 4)


def test_constant_array_bias_initializer_saves_and_loads(tmp_path):
    # keras.io "imbalanced classification": the output bias starts at log(pos / neg)
    init = lamina.initializers.Constant(np.log([3 / 97]))
    model = lamina.Sequential([Input(shape=(4,)), Dense(1, activation="sigmoid",
                                                        bias_initializer=init)])  # fmt: skip
    np.testing.assert_allclose(model.layers[0].bias.numpy(), np.log([3 / 97]), rtol=1e-6)
    model.save(tmp_path / "bias.lamina")
    loaded = lamina.models.load_model(tmp_path / "bias.lamina").layers[0]
    assert loaded.bias_initializer.get_config() == {"value": [float(np.log(3 / 97))]}
    np.testing.assert_array_equal(loaded.bias.numpy(), model.layers[0].bias.numpy())


def test_dense_takes_numpy_integer_units():
    import json

    layer = Dense(np.prod((4, 4)))  # GAN tutorials: Dense(np.prod(img_shape))
    assert type(layer.units) is int and layer.units == 16
    json.dumps(layer.get_config())
    assert layer(np.ones((2, 3), "float32")).shape == (2, 16)
    for bad in (np.float64(3.0), np.bool_(True), True):
        with pytest.raises(ValueError, match="units must be a positive integer"):
            Dense(bad)


def test_relu_options_match_keras():
    from lamina.layers import ReLU

    x = np.array([-2.0, -0.5, 0.0, 0.5, 1.0, 2.5, 7.0], "float32")
    # Keras 3.15 (torch backend): keras.layers.ReLU(**options)(x)
    cases = {
        (6.0, 0.0, 0.0): [0.0, 0.0, 0.0, 0.5, 1.0, 2.5, 6.0],
        (None, 0.1, 1.0): [-0.3, -0.15, -0.1, -0.05, 0.0, 2.5, 7.0],
        (2.0, 0.2, 0.5): [-0.5, -0.2, -0.1, 0.0, 1.0, 2.0, 2.0],
    }
    for (max_value, slope, threshold), expected in cases.items():
        layer = ReLU(max_value=max_value, negative_slope=slope, threshold=threshold)
        np.testing.assert_allclose(layer(x).numpy(), expected, atol=1e-6)
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="max_value must be a number >= 0"):
        ReLU(max_value=-1.0)


def test_softmax_layer_applies_its_mask_as_keras():
    x = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]], "float32")
    mask = np.array([[True, False, True, False], [False, False, False, False]])
    xt = lamina.tensor(x, requires_grad=True)
    out = Softmax()(xt, mask=mask)
    e = np.exp([1.0, 3.0]) / np.exp([1.0, 3.0]).sum()
    # masked entries get 0, the others share 1; a fully masked row is all zeros (Keras 3.15)
    np.testing.assert_allclose(out.numpy(), [[e[0], 0, e[1], 0], [0, 0, 0, 0]], atol=1e-7)
    out.backward(np.array([[1.0, 5.0, -1.0, 5.0], [1.0, 2.0, 3.0, 4.0]], "float32"))
    g = e * (np.array([1.0, -1.0]) - (e * [1.0, -1.0]).sum())  # softmax's backward, kept entries
    np.testing.assert_allclose(xt.grad, [[g[0], 0, g[1], 0], [0, 0, 0, 0]], atol=1e-7)
    # a mask that broadcasts (e.g. over attention heads), and non-boolean masks (> 0.5 = keep)
    scores = np.zeros((2, 3, 4), "float32")
    probs = Softmax()(scores, mask=np.array([[[1.0, 1.0, 0.2, 0.9]]])).numpy()
    np.testing.assert_allclose(probs, np.broadcast_to([1 / 3, 1 / 3, 0, 1 / 3], (2, 3, 4)))
    with pytest.raises(ValueError, match=r"mask of shape \(2, 3\) must broadcast"):
        Softmax()(scores, mask=np.ones((2, 3), bool))
