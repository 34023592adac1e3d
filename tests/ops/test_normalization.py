"""batch_norm, layer_norm, group_norm and l2_normalize: float64 gradient checks (every input,
both modes), PyTorch reference outputs and gradients, and argument errors."""

import os

import numpy as np
import pytest

import lamina
from lamina.ops.normalization import batch_norm, group_norm, l2_normalize, layer_norm
from lamina.testing import check_gradients

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "normalization.npz"))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ----- gradients (float64 central differences) -----
def test_batch_norm_training_gradients_channels_last(rng):
    x = rng.normal(1.0, 2.0, size=(4, 3, 2, 5))
    gamma, beta = rng.uniform(0.5, 1.5, 5), rng.normal(size=5)
    assert check_gradients(lambda x, g, b: batch_norm(x, g, b), x, gamma, beta)


def test_batch_norm_training_gradients_other_axis_and_no_affine(rng):
    x = rng.normal(size=(5, 3, 4))
    gamma, beta = rng.uniform(0.5, 1.5, 3), rng.normal(size=3)
    assert check_gradients(lambda x, g, b: batch_norm(x, g, b, axis=1), x, gamma, beta)
    assert check_gradients(lambda x: batch_norm(x, axis=1), x)
    assert check_gradients(lambda x, b: batch_norm(x, beta=b), rng.normal(size=(6, 3)), beta)


def test_batch_norm_inference_gradients_include_statistics(rng):
    x = rng.normal(size=(3, 2, 4))
    gamma, beta = rng.uniform(0.5, 1.5, 4), rng.normal(size=4)
    mean, var = rng.normal(size=4), rng.uniform(0.5, 2.0, 4)
    assert check_gradients(lambda *a: batch_norm(*a), x, gamma, beta, mean, var)


@pytest.mark.parametrize("axis", [-1, (1, 2), [2, 1]])
def test_layer_norm_gradients(axis, rng):
    x = rng.normal(size=(3, 4, 5))
    shape = (5,) if axis == -1 else (4, 5)
    gamma, beta = rng.uniform(0.5, 1.5, shape), rng.normal(size=shape)
    assert check_gradients(lambda x, g, b: layer_norm(x, g, b, axis=axis), x, gamma, beta)
    assert check_gradients(lambda x: layer_norm(x, axis=axis), x)


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_group_norm_gradients_channels_last(groups, rng):
    x = rng.normal(1.0, 2.0, size=(2, 3, 4, 6))
    gamma, beta = rng.uniform(0.5, 1.5, 6), rng.normal(size=6)
    assert check_gradients(lambda x, g, b: group_norm(x, groups, g, b), x, gamma, beta)
    assert check_gradients(lambda x: group_norm(x, groups), x)
    assert check_gradients(lambda x, b: group_norm(x, groups, beta=b), x, beta)


@pytest.mark.parametrize("shape, axis", [((3, 6), -1), ((2, 6, 3, 2), 1), ((2, 3, 6, 2), -2)])
def test_group_norm_gradients_other_ranks_and_axes(shape, axis, rng):
    x = rng.normal(size=shape)
    gamma, beta = rng.uniform(0.5, 1.5, 6), rng.normal(size=6)
    assert check_gradients(lambda x, g, b: group_norm(x, 3, g, b, axis=axis), x, gamma, beta)


@pytest.mark.parametrize("axis", [-1, 1, (1, 2)])
def test_l2_normalize_gradients(axis, rng):
    assert check_gradients(lambda x: l2_normalize(x, axis=axis), rng.normal(size=(3, 4, 2)))


# ----- PyTorch references (float64 from float32 inputs, and float32) -----
def _fixture(name):
    return {k.split("/", 1)[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith(name + "/")}


def _compare(name, fn, inputs, dtype, tol):
    f = _fixture(name)
    tensors = [lamina.Tensor(f[k].astype(dtype), requires_grad=True) for k in inputs]
    out = fn(*tensors)
    assert out.dtype == dtype
    out.backward(f["w"].astype(dtype))
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=tol, atol=tol)
    for k, t in zip(inputs, tensors, strict=True):
        assert t.grad.dtype == dtype
        np.testing.assert_allclose(t.grad, f[f"grad_{k}"], rtol=tol, atol=tol, err_msg=k)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-9), ("float32", 2e-4)])
@pytest.mark.parametrize("name", ["bn_train", "bn_dense"])
def test_batch_norm_training_matches_torch(name, dtype, tol):
    _compare(name, lambda x, g, b: batch_norm(x, g, b), ["x", "gamma", "beta"], dtype, tol)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-9), ("float32", 2e-4)])
def test_batch_norm_inference_matches_torch(dtype, tol):
    f = _fixture("bn_eval")
    mean, var = f["mean"].astype(dtype), f["variance"].astype(dtype)

    def fn(x, g, b):
        return batch_norm(x, g, b, mean, var)

    _compare("bn_eval", fn, ["x", "gamma", "beta"], dtype, tol)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-9), ("float32", 2e-4)])
@pytest.mark.parametrize("name, axis", [("ln", -1), ("ln2", (1, 2))])
def test_layer_norm_matches_torch(name, axis, dtype, tol):
    def fn(x, g, b):
        return layer_norm(x, g, b, axis=axis)

    _compare(name, fn, ["x", "gamma", "beta"], dtype, tol)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-9), ("float32", 2e-4)])
@pytest.mark.parametrize(
    "name, axis",
    [("gn_g1", -1), ("gn_g2", -1), ("gn_gc", -1), ("gn_dense_g2", -1), ("gn_dense_gc", -1),
     ("gn_seq_g3", -1), ("gn_channels_first", 1)],
)  # fmt: skip
def test_group_norm_matches_torch(name, axis, dtype, tol):
    groups = int(_fixture(name)["groups"])

    def fn(x, g, b):
        return group_norm(x, groups, g, b, axis=axis)

    _compare(name, fn, ["x", "gamma", "beta"], dtype, tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, axis", [("unit_last", -1), ("unit_axes", (1, 2))])
def test_l2_normalize_matches_torch(name, axis, dtype):
    # relative tolerance only: the all-zero row's gradient is w / 1e-12
    f = _fixture(name)
    x = lamina.Tensor(f["x"].astype(dtype), requires_grad=True)
    out = l2_normalize(x, axis=axis)
    out.backward(f["w"].astype(dtype))
    tol = 1e-9 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad, f["grad_x"], rtol=tol * 10, atol=tol)


# ----- semantics -----
def test_batch_norm_returns_biased_batch_moments(rng):
    x = rng.normal(2.0, 3.0, size=(6, 2, 3)).astype(np.float32)
    out, mean, var = batch_norm(x, return_moments=True)
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(var.numpy(), x.var(axis=(0, 1)), rtol=1e-5)
    assert not mean.requires_grad and out.shape == x.shape
    expected = (x - x.mean(axis=(0, 1))) / np.sqrt(x.var(axis=(0, 1)) + 1e-3)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-5)


def test_batch_norm_inference_is_affine_with_given_statistics(rng):
    x = rng.normal(size=(4, 3))
    mean, var = np.array([1.0, -1.0, 0.5]), np.array([4.0, 1.0, 0.25])
    gamma, beta = np.array([2.0, 1.0, 0.5]), np.array([0.0, 1.0, -1.0])
    out = batch_norm(x, gamma, beta, mean, var, epsilon=0.0).numpy()
    np.testing.assert_allclose(out, gamma * (x - mean) / np.sqrt(var) + beta)


def test_norm_ops_keep_float32_and_record_no_graph_without_grad(rng):
    x = lamina.tensor(rng.normal(size=(4, 3)).astype(np.float32))
    assert batch_norm(x).dtype == np.float32 and layer_norm(x).dtype == np.float32
    assert not batch_norm(x).requires_grad


def test_layer_norm_normalizes_each_sample(rng):
    x = rng.normal(5.0, 4.0, size=(3, 8))
    out = layer_norm(x, epsilon=1e-12).numpy()
    np.testing.assert_allclose(out.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=-1), 1, rtol=1e-9)


def test_errors_name_the_shapes():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"gamma has shape \(4,\).*\(2, 3\)"):
        batch_norm(x, np.ones(4, np.float32))
    with pytest.raises(ValueError, match="both mean and variance"):
        batch_norm(x, mean=np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        batch_norm(x, axis=2)
    with pytest.raises(ValueError, match=r"beta has shape \(2,\)"):
        layer_norm(x, beta=np.zeros(2, np.float32))


def test_group_norm_extremes_are_layer_and_instance_norm(rng):
    x = rng.normal(3.0, 2.0, size=(2, 4, 5, 6))
    whole = layer_norm(x.reshape(2, -1)).numpy().reshape(x.shape)
    np.testing.assert_allclose(group_norm(x, 1).numpy(), whole, rtol=1e-10, atol=1e-12)
    per_channel = (x - x.mean(axis=(1, 2), keepdims=True)) / np.sqrt(
        x.var(axis=(1, 2), keepdims=True) + 1e-3
    )
    np.testing.assert_allclose(group_norm(x, 6).numpy(), per_channel, rtol=1e-10, atol=1e-12)


def test_group_norm_groups_consecutive_channels(rng):
    x = rng.normal(size=(3, 5, 6))
    out = group_norm(x, 2, epsilon=1e-5).numpy()
    for group in (slice(0, 3), slice(3, 6)):
        part = x[..., group]
        mean = part.mean(axis=(1, 2), keepdims=True)
        expected = (part - mean) / np.sqrt(part.var(axis=(1, 2), keepdims=True) + 1e-5)
        np.testing.assert_allclose(out[..., group], expected, rtol=1e-10, atol=1e-12)


def test_l2_normalize_keeps_zero_vectors_and_scales_their_gradient(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    x[1] = 0.0
    xt = lamina.Tensor(x, requires_grad=True)
    out = l2_normalize(xt)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out.numpy(), axis=1), [1.0, 0.0, 1.0], rtol=1e-6)
    g = np.ones_like(x)
    out.backward(g)
    np.testing.assert_allclose(xt.grad[1], g[1] / 1e-12, rtol=1e-6)  # y = x / eps there


def test_new_norm_errors_name_the_problem():
    x = np.zeros((2, 3, 6), np.float32)
    with pytest.raises(ValueError, match="6 channels .* cannot be split into 4 groups"):
        group_norm(x, 4)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        group_norm(x, 0)
    with pytest.raises(ValueError, match="batch axis"):
        group_norm(x, 1, axis=0)
    with pytest.raises(ValueError, match=r"gamma has shape \(3,\)"):
        group_norm(x, 2, np.ones(3, np.float32))
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        l2_normalize(x, axis=3)
    with pytest.raises(ValueError, match="epsilon must be positive"):
        l2_normalize(x, epsilon=0)


def test_normalize_is_keras_ops_normalize(rng):
    from lamina import ops

    x = lamina.tensor([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(ops.normalize(x).numpy(), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(ops.normalize(lamina.tensor([[3.0, 4.0]]), order=1).numpy(),
                               [[3 / 7, 4 / 7]], rtol=1e-6)  # fmt: skip
    cubed = rng.normal(size=(2, 5))
    norm = np.sum(np.abs(cubed) ** 3, axis=0, keepdims=True) ** (1 / 3)
    np.testing.assert_allclose(ops.normalize(cubed, axis=0, order=3).numpy(), cubed / norm)
    # the epsilon floor is Keras's 1e-7 by default
    tiny = ops.normalize(lamina.tensor([[1e-9, 0.0]], dtype="float64"))
    np.testing.assert_allclose(tiny.numpy(), [[1e-2, 0.0]])
    assert check_gradients(lambda t: ops.normalize(t, axis=0, order=1), rng.normal(size=(3, 2)))
    assert check_gradients(lambda t: ops.normalize(t, order=2), rng.normal(size=(3, 2)))
    with pytest.raises(ValueError, match="order must be an integer >= 1"):
        ops.normalize(x, order=0)
