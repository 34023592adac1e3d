"""BatchNormalization, LayerNormalization, GroupNormalization and UnitNormalization: the layer
contract, gradients, Keras's moving averages and frozen-layer semantics, parameter counts,
PyTorch references."""

import os

import numpy as np
import pytest

import lamina
from lamina.layers import Dense, Input
from lamina.layers.normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    UnitNormalization,
)
from lamina.models import Sequential
from tests.helpers import check_layer, check_layer_gradients

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "normalization.npz"))


@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: BatchNormalization(), (4, 5)),
        (lambda: BatchNormalization(momentum=0.9, epsilon=1e-5), (3, 4, 4, 2)),
        (lambda: BatchNormalization(axis=1, center=False), (3, 2, 4)),
        (lambda: BatchNormalization(scale=False, gamma_regularizer="l2"), (4, 3)),
        (lambda: LayerNormalization(), (3, 6)),
        (lambda: LayerNormalization(axis=[1, 2], epsilon=1e-5), (2, 3, 4)),
        (lambda: LayerNormalization(center=False, gamma_initializer="random_normal"), (2, 3, 4)),
        (lambda: GroupNormalization(groups=2), (3, 4, 4, 6)),
        (lambda: GroupNormalization(groups=-1, center=False), (2, 5, 4)),
        (lambda: GroupNormalization(groups=1, axis=1, epsilon=1e-5), (2, 4, 3)),
        (lambda: GroupNormalization(groups=4, gamma_regularizer="l2"), (3, 8)),
        (lambda: UnitNormalization(), (3, 6)),
        (lambda: UnitNormalization(axis=[1, 2]), (2, 3, 4)),
    ],
)
def test_check_layer(factory, shape):
    assert check_layer(factory, shape)


@pytest.mark.parametrize(
    "factory, shape, training",
    [
        (lambda: BatchNormalization(dtype="float64"), (6, 3), True),
        (lambda: BatchNormalization(dtype="float64"), (3, 2, 2, 3), True),
        (lambda: BatchNormalization(axis=1, dtype="float64"), (4, 2, 3), True),
        (lambda: BatchNormalization(dtype="float64"), (4, 3), False),
        (lambda: LayerNormalization(dtype="float64"), (3, 5), False),
        (lambda: LayerNormalization(axis=(1, 2), dtype="float64"), (2, 3, 2), False),
        (lambda: GroupNormalization(groups=2, dtype="float64"), (2, 3, 2, 4), False),
        (lambda: GroupNormalization(groups=-1, dtype="float64"), (3, 4, 3), False),
        (lambda: GroupNormalization(groups=3, axis=1, scale=False, dtype="float64"), (2, 6, 2),
         False),
        (lambda: GroupNormalization(groups=2, dtype="float64"), (3, 4), True),
        (lambda: UnitNormalization(dtype="float64"), (3, 5), False),
        (lambda: UnitNormalization(axis=[1, 2], dtype="float64"), (2, 3, 2), False),
    ],
)  # fmt: skip
def test_layer_gradients(factory, shape, training):
    layer = factory()
    x = np.random.default_rng(1).normal(size=shape)
    layer(x)  # build, then move every weight off its initial value
    rng = np.random.default_rng(2)
    layer.set_weights([w + rng.uniform(0.1, 0.5, w.shape) for w in layer.get_weights()])
    assert check_layer_gradients(layer, x, training=training)


def _keras_moving(batches, momentum):
    """NumPy version of Keras 3's update with the biased batch variance."""
    mean, var = np.zeros(batches[0].shape[-1]), np.ones(batches[0].shape[-1])
    for b in batches:
        axes = tuple(range(b.ndim - 1))
        mean = mean * momentum + b.mean(axis=axes) * (1 - momentum)
        var = var * momentum + b.var(axis=axes) * (1 - momentum)
    return mean, var


def test_moving_averages_follow_keras_formula_in_training_only():
    rng = np.random.default_rng(0)
    bn = BatchNormalization(momentum=0.8)
    batches = [rng.normal(2.0, 3.0, size=(8, 3, 3, 4)).astype(np.float32) for _ in range(3)]
    bn(batches[0])  # inference: nothing moves
    bn(batches[0], training=False)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(4))
    np.testing.assert_array_equal(bn.moving_variance.numpy(), np.ones(4))
    for b in batches:
        bn(b, training=True)
    mean, var = _keras_moving(batches, 0.8)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), var, rtol=1e-5)


def test_moving_averages_converge_to_data_statistics():
    rng = np.random.default_rng(0)
    mu, sigma = np.array([1.0, -2.0, 5.0]), np.array([0.5, 2.0, 3.0])
    bn = BatchNormalization()  # momentum 0.99: about the last 100 batches count
    for _ in range(600):
        bn(rng.normal(mu, sigma, size=(64, 3)), training=True)
    assert np.all(np.abs(bn.moving_mean.numpy() - mu) < 0.05 * sigma)
    np.testing.assert_allclose(bn.moving_variance.numpy(), sigma**2, rtol=0.05)
    x = rng.normal(mu, sigma, size=(2000, 3)).astype(np.float32)
    out = bn(x).numpy()  # inference with the learned statistics normalizes new data
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=0.1)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=0.1)


def test_inference_uses_moving_statistics():
    bn = BatchNormalization(epsilon=1e-3)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    bn(x)
    mm, mv = np.array([1.0, 2.0, 3.0]), np.array([0.5, 2.0, 4.0])
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 1.0])
    bn.set_weights([gamma, beta, mm, mv])
    expected = gamma * (x - mm) / np.sqrt(mv + 1e-3) + beta
    np.testing.assert_allclose(bn(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    training_out = bn(x, training=True).numpy()  # batch statistics instead
    np.testing.assert_allclose(
        training_out, gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) + beta, rtol=1e-4
    )


def test_frozen_batch_norm_runs_in_inference_mode_even_when_training():
    bn = BatchNormalization()
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(16, 4)).astype(np.float32)
    bn(x, training=True)
    frozen_stats = [w.copy() for w in bn.get_weights()[2:]]
    bn.trainable = False
    out = bn(x, training=True)
    np.testing.assert_allclose(out.numpy(), bn(x, training=False).numpy())
    for before, after in zip(frozen_stats, bn.get_weights()[2:], strict=True):
        np.testing.assert_array_equal(before, after)
    assert bn.trainable_weights == [] and not out.requires_grad


def test_weights_order_names_and_param_counts():
    model = Sequential([Input(shape=(4, 4, 3)), BatchNormalization(), LayerNormalization()])
    bn, ln = model.layers
    assert [w.name.split("/")[-1] for w in bn.weights] == [
        "gamma",
        "beta",
        "moving_mean",
        "moving_variance",
    ]
    assert [w.shape for w in bn.get_weights()] == [(3,)] * 4
    assert [w.name.split("/")[-1] for w in bn.non_trainable_weights] == [
        "moving_mean",
        "moving_variance",
    ]
    assert bn.count_params() == 12 and ln.count_params() == 6
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 18" in text
    assert "Trainable params: 12" in text and "Non-trainable params: 6" in text


def test_fit_updates_moving_statistics_and_predict_uses_them():
    rng = np.random.default_rng(0)
    x = rng.normal(4.0, 2.0, size=(64, 3)).astype(np.float32)
    y = rng.normal(size=(64, 1)).astype(np.float32)
    model = Sequential([Input(shape=(3,)), BatchNormalization(momentum=0.5), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = model.predict(x, verbose=0)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    bn = model.layers[0]
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(0), atol=0.5)
    assert not np.allclose(model.predict(x, verbose=0), before)


def test_batch_norm_layer_matches_torch_in_training():
    f = {k.split("/", 1)[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith("bn_train/")}
    bn = BatchNormalization(dtype="float64")
    bn(f["x"])
    bn.set_weights([f["gamma"], f["beta"], np.zeros(5), np.ones(5)])
    x = lamina.Tensor(f["x"].astype(np.float64), requires_grad=True)
    out = bn(x, training=True)
    out.backward(f["w"])
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(x.grad, f["grad_x"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(bn.gamma.grad, f["grad_gamma"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(bn.beta.grad, f["grad_beta"], rtol=1e-9, atol=1e-9)


def test_layer_norm_layer_matches_torch_over_two_axes():
    f = {k.split("/", 1)[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith("ln2/")}
    ln = LayerNormalization(axis=[1, 2], dtype="float64")
    ln(f["x"])
    assert ln.gamma.shape == (4, 6)
    ln.set_weights([f["gamma"], f["beta"]])
    x = lamina.Tensor(f["x"].astype(np.float64), requires_grad=True)
    out = ln(x)
    out.backward(f["w"])
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(x.grad, f["grad_x"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ln.gamma.grad, f["grad_gamma"], rtol=1e-9, atol=1e-9)


def test_keras_defaults_and_config_round_trip():
    bn = BatchNormalization()
    assert (bn.axis, bn.momentum, bn.epsilon, bn.center, bn.scale) == (-1, 0.99, 1e-3, True, True)
    assert LayerNormalization().epsilon == 1e-3
    cfg = BatchNormalization(momentum=0.9, center=False, axis=1, name="bn_x").get_config()
    clone = BatchNormalization.from_config(cfg)
    assert (clone.momentum, clone.center, clone.axis, clone.name) == (0.9, False, 1, "bn_x")
    ln = LayerNormalization.from_config(LayerNormalization(axis=[1, 2], scale=False).get_config())
    assert ln.axis == [1, 2] and not ln.scale


def test_errors_name_the_problem():
    bn = BatchNormalization()
    bn(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"3 channels along axis -1, got shape \(2, 4\)"):
        bn(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="momentum"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="epsilon must be positive"):
        LayerNormalization(epsilon=0)
    with pytest.raises(ValueError, match="non-batch axes"):
        LayerNormalization(axis=0)(np.zeros((2, 3), np.float32))


GROUP_NORM_CASES = [
    ("gn_g1", 1, -1), ("gn_g2", 2, -1), ("gn_gc", 6, -1), ("gn_gc", -1, -1),
    ("gn_dense_g2", 2, -1), ("gn_dense_gc", -1, -1), ("gn_seq_g3", 3, -1),
    ("gn_channels_first", 3, 1),
]  # fmt: skip


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-9), ("float32", 2e-4)])
@pytest.mark.parametrize("name, groups, axis", GROUP_NORM_CASES)
def test_group_norm_layer_matches_torch(name, groups, axis, dtype, tol):
    f = {k.split("/", 1)[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith(name + "/")}
    gn = GroupNormalization(groups=groups, axis=axis, dtype=dtype)  # epsilon: Keras's 1e-3
    gn(f["x"])
    gn.set_weights([f["gamma"], f["beta"]])
    x = lamina.Tensor(f["x"].astype(dtype), requires_grad=True)
    out = gn(x)
    out.backward(f["w"].astype(dtype))
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad, f["grad_x"], rtol=tol, atol=tol)
    np.testing.assert_allclose(gn.gamma.grad, f["grad_gamma"], rtol=tol, atol=tol)
    np.testing.assert_allclose(gn.beta.grad, f["grad_beta"], rtol=tol, atol=tol)


@pytest.mark.parametrize("name, axis", [("unit_last", -1), ("unit_axes", [1, 2])])
def test_unit_norm_layer_matches_torch(name, axis):
    f = {k.split("/", 1)[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith(name + "/")}
    x = lamina.Tensor(f["x"].astype(np.float64), requires_grad=True)
    out = UnitNormalization(axis=axis, dtype="float64")(x)
    out.backward(f["w"])
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(x.grad, f["grad_x"], rtol=1e-9, atol=1e-9)


def test_group_norm_keras_defaults_weights_and_config():
    gn = GroupNormalization()
    assert (gn.groups, gn.axis, gn.epsilon, gn.center, gn.scale) == (32, -1, 1e-3, True, True)
    model = Sequential([Input(shape=(4, 4, 64)), gn])
    assert [w.name.split("/")[-1] for w in gn.weights] == ["gamma", "beta"]  # Keras's order
    assert [w.shape for w in gn.get_weights()] == [(64,), (64,)]
    assert model.count_params() == 128 and len(gn.trainable_weights) == 2
    cfg = GroupNormalization(groups=-1, axis=1, center=False, epsilon=1e-5, name="gn").get_config()
    clone = GroupNormalization.from_config(cfg)
    assert clone.get_config() == cfg and cfg["groups"] == -1
    clone(np.zeros((2, 3, 5), np.float32))  # -1: one group per channel, whatever their count
    assert clone.beta is None and clone.gamma.shape == (3,)
    unit = UnitNormalization.from_config(UnitNormalization(axis=(1, 2)).get_config())
    assert unit.axis == [1, 2] and UnitNormalization().axis == -1 and not unit.weights


def test_group_norm_normalizes_each_group_of_each_sample():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 5, 8)) * np.arange(1.0, 9.0) + np.arange(8.0)
    out = GroupNormalization(groups=4, epsilon=1e-6, dtype="float64")(x).numpy()
    groups = out.reshape(3, 25, 4, 2)
    np.testing.assert_allclose(groups.mean(axis=(1, 3)), 0, atol=1e-10)
    np.testing.assert_allclose(groups.std(axis=(1, 3)), 1, rtol=1e-5)
    assert not np.allclose(out.reshape(3, 25, 8).std(axis=1), 1, rtol=1e-3)  # not per channel


def test_group_norm_is_the_same_in_training_and_inference_and_for_each_sample():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6, 4)).astype(np.float32)
    gn = GroupNormalization(groups=2)
    full = gn(x, training=True).numpy()
    np.testing.assert_array_equal(full, gn(x).numpy())
    np.testing.assert_allclose(gn(x[1:2]).numpy(), full[1:2], rtol=1e-6, atol=1e-6)


def test_unit_norm_gives_unit_vectors_and_keeps_zeros():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(4, 3, 5)).astype(np.float32)
    x[0] = 0.0
    out = UnitNormalization(axis=[1, 2])(x).numpy()
    np.testing.assert_allclose(np.sqrt((out**2).sum(axis=(1, 2))), [0, 1, 1, 1], rtol=1e-6)
    np.testing.assert_allclose(out[1:] * np.linalg.norm(x[1:], axis=(1, 2))[:, None, None],
                               x[1:], rtol=1e-5)  # fmt: skip


def test_group_and_unit_norm_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"6 channels .*groups=4 .*1, 2, 3, 6.* groups=-1"):
        GroupNormalization(groups=4)(np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match="groups=32"):  # Keras's default on few channels
        GroupNormalization()(np.zeros((2, 3, 8), np.float32))
    with pytest.raises(ValueError, match="groups must be a positive integer, or -1"):
        GroupNormalization(groups=0)
    with pytest.raises(TypeError, match="one integer"):
        GroupNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match="non-batch axis"):
        GroupNormalization(groups=1, axis=0)(np.zeros((2, 3), np.float32))
    gn = GroupNormalization(groups=2)
    gn(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"4 channels along axis -1, got shape \(2, 6\)"):
        gn(np.zeros((2, 6), np.float32))
    with pytest.raises(TypeError, match="UnitNormalization axis"):
        UnitNormalization(axis="last")
    with pytest.raises(ValueError, match="out of range"):
        UnitNormalization(axis=2)(np.zeros((2, 3), np.float32))


def test_batch_norm_leaves_masked_steps_out_of_the_training_statistics():
    rng = np.random.default_rng(3)
    x = rng.normal(2.0, 3.0, size=(2, 4, 3))
    mask = np.array([[True, True, False, False], [True, True, True, False]])
    bn = BatchNormalization(momentum=0.5, epsilon=1e-3, dtype="float64")
    bn.build(x.shape)
    gamma, beta = rng.uniform(0.5, 2.0, 3), rng.normal(size=3)
    bn.set_weights([gamma, beta, np.zeros(3), np.ones(3)])
    out = bn(x, training=True, mask=mask).numpy()
    kept = x[mask]  # (5, 3): the statistics Keras 3 uses (divided by count + 1e-7)
    mean, var = kept.sum(0) / (5 + 1e-7), ((kept - kept.mean(0)) ** 2).sum(0) / (5 + 1e-7)
    # every step, masked or not, is normalized with the unmasked steps' statistics
    np.testing.assert_allclose(out, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, rtol=1e-6)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * mean, rtol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.5 + 0.5 * var, rtol=1e-6)
    # gradients through the masked statistics, against central differences
    weights = rng.normal(size=x.shape)
    xt = lamina.tensor(x, requires_grad=True)
    (bn(xt, training=True, mask=mask) * weights).sum().backward()
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = 1e-6
        plus = (bn(x + step, training=True, mask=mask).numpy() * weights).sum()
        minus = (bn(x - step, training=True, mask=mask).numpy() * weights).sum()
        numeric[i] = (plus - minus) / 2e-6
    np.testing.assert_allclose(xt.grad, numeric, rtol=1e-5, atol=1e-7)
    # inference ignores the mask; an embedding's mask reaches the layer in a model
    np.testing.assert_allclose(bn(x, mask=mask).numpy(), bn(x).numpy())
    model = Sequential([lamina.layers.Embedding(5, 3, mask_zero=True), BatchNormalization()])
    tokens = np.array([[1, 2, 0, 0], [3, 1, 4, 0]])
    model.layers[-1](model.layers[0](tokens), training=True)
    emb = model.layers[0].embeddings.numpy()[tokens][tokens > 0]
    np.testing.assert_allclose(model.layers[-1].moving_mean.numpy(), 0.01 * emb.mean(0), rtol=1e-5)
