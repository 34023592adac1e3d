"""Fused loss kernels: float64 gradient checks, stability at saturation, and the use of a
recorded sigmoid/softmax's logits."""

import warnings

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.ops import losses as L
from lamina.testing import check_gradients


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _probs(rng, shape):
    return rng.uniform(0.05, 0.95, size=shape)


# ----- gradients (float64, away from clipping and kinks) -----
@pytest.mark.parametrize("fn", [L.squared_error, L.absolute_error, L.huber_error])
def test_regression_gradients_for_both_sides(fn, rng):
    t, p = rng.normal(size=(4, 5)), rng.normal(size=(4, 5)) * 2
    assert check_gradients(fn, t, p)


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_squared_error_axis(axis, rng):
    assert check_gradients(
        lambda t, p: L.squared_error(t, p, axis=axis), *rng.normal(size=(2, 3, 4))
    )


def test_huber_delta_gradient(rng):
    t, p = rng.normal(size=(4, 5)), rng.normal(size=(4, 5)) * 2
    assert check_gradients(lambda t, p: L.huber_error(t, p, delta=0.3), t, p, wrt=[1])


def test_hinge_gradient(rng):
    t = rng.choice([-1.0, 1.0], size=(4, 5))
    p = rng.normal(size=(4, 5)) * 2
    p[np.abs(1 - t * p) < 1e-3] += 0.01  # off the kink
    assert check_gradients(L.hinge_error, t, p, wrt=[1])


def test_kl_div_gradient(rng):
    t = rng.dirichlet(np.ones(5), size=4)
    assert check_gradients(L.kl_div, t, _probs(rng, (4, 5)), wrt=[1])


@pytest.mark.parametrize("axis", [-1, 1, None])
@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_cross_entropy_gradient(from_logits, axis, rng):
    t = rng.uniform(size=(2, 3, 4))  # soft targets too
    p = rng.normal(size=(2, 3, 4)) * 3 if from_logits else _probs(rng, (2, 3, 4))
    fn = lambda t, p: L.binary_cross_entropy(t, p, from_logits=from_logits, axis=axis)  # noqa: E731
    assert check_gradients(fn, t, p, wrt=[1])


@pytest.mark.parametrize("axis", [-1, 1])
@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_cross_entropy_gradient(from_logits, axis, rng):
    t = rng.dirichlet(np.ones(4), size=(2, 3))  # class axis last
    t = np.moveaxis(t, -1, axis)
    p = rng.normal(size=t.shape) * 2 if from_logits else rng.uniform(0.1, 1.0, size=t.shape)
    fn = lambda t, p: L.categorical_cross_entropy(t, p, from_logits=from_logits, axis=axis)  # noqa: E731
    assert check_gradients(fn, t, p, wrt=[1])


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_cross_entropy_gradient(from_logits, rng):
    labels = rng.integers(0, 4, size=(2, 3))
    p = rng.normal(size=(2, 3, 4)) * 2 if from_logits else rng.uniform(0.1, 1.0, size=(2, 3, 4))
    fn = lambda y, p: L.sparse_categorical_cross_entropy(y, p, from_logits=from_logits)  # noqa: E731
    assert check_gradients(fn, labels, p)


def test_sparse_cross_entropy_valid_mask_zeroes_loss_and_gradient(rng):
    labels = rng.integers(0, 4, size=5)
    valid = np.array([True, False, True, True, False])
    z = lamina.tensor(rng.normal(size=(5, 4)), requires_grad=True)
    out = L.sparse_categorical_cross_entropy(labels, z, from_logits=True, valid=valid)
    assert np.all(out.numpy()[~valid] == 0) and np.all(out.numpy()[valid] > 0)
    out.sum().backward()
    assert np.all(z.grad[~valid] == 0) and np.all(np.abs(z.grad[valid]).sum(-1) > 0)
    fn = lambda p: L.sparse_categorical_cross_entropy(labels, p, valid=valid)  # noqa: E731
    assert check_gradients(fn, rng.uniform(0.1, 1.0, size=(5, 4)))


# ----- stability -----
def _finite_everywhere(loss_fn, y_pred):
    x = lamina.tensor(y_pred, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(divide="raise", over="raise", invalid="raise"):  # underflow is fine
            out = loss_fn(x)
            out.sum().backward()
    assert np.all(np.isfinite(out.numpy())), out
    assert np.all(np.isfinite(x.grad)), x.grad
    return out.numpy(), x.grad


# Keras's clipping bounds as float32 rounds them
LO, HI = float(np.float32(1e-7)), float(np.float32(1 - 1e-7))


def test_binary_cross_entropy_saturated_probabilities():
    t = np.array([[0.0, 1.0, 0.0, 1.0]], dtype=np.float32)
    p = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=np.float32)
    loss, grad = _finite_everywhere(lambda p: L.binary_cross_entropy(t, p), p)
    # right answers cost ~0, wrong ones are capped (-log(1e-7) = 16.1)
    expected = -(np.log1p(-LO) + np.log(HI) + np.log1p(-HI) + np.log(LO)) / 4
    np.testing.assert_allclose(loss, [expected], rtol=1e-5)
    np.testing.assert_array_equal(grad, 0)  # clipped: no gradient, as in Keras


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_cross_entropy_saturated_logits(dtype):
    t = np.array([[0.0, 1.0, 0.0, 1.0]], dtype=dtype)
    z = np.array([[-100.0, 100.0, 100.0, -100.0]], dtype=dtype)
    loss, grad = _finite_everywhere(lambda x: L.binary_cross_entropy(t, x, from_logits=True), z)
    np.testing.assert_allclose(loss, [50.0], rtol=1e-6)  # two wrong answers at 100 each, / 4
    np.testing.assert_allclose(grad, [[0.0, 0.0, 0.25, -0.25]], atol=1e-7)


def test_categorical_cross_entropy_saturated():
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    p = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    loss, _ = _finite_everywhere(lambda x: L.categorical_cross_entropy(t, x), p)
    np.testing.assert_allclose(loss, [-np.log(HI), -np.log(LO)], rtol=1e-5)
    z = np.array([[-100.0, 100.0, 0.0], [-100.0, 100.0, 0.0]], dtype=np.float32)
    loss, grad = _finite_everywhere(
        lambda x: L.categorical_cross_entropy(t, x, from_logits=True), z
    )
    np.testing.assert_allclose(loss, [0.0, 200.0], atol=1e-5)
    np.testing.assert_allclose(grad, [[0, 0, 0], [-1, 1, 0]], atol=1e-7)


def test_sparse_cross_entropy_saturated():
    labels = np.array([1, 0])
    p = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    loss, _ = _finite_everywhere(lambda x: L.sparse_categorical_cross_entropy(labels, x), p)
    np.testing.assert_allclose(loss, [-np.log(HI), -np.log(LO)], rtol=1e-5)
    z = np.array([[-100.0, 100.0, 0.0], [-100.0, 100.0, 0.0]], dtype=np.float32)
    fn = lambda x: L.sparse_categorical_cross_entropy(labels, x, from_logits=True)  # noqa: E731
    loss, grad = _finite_everywhere(fn, z)
    np.testing.assert_allclose(loss, [0.0, 200.0], atol=1e-5)
    np.testing.assert_allclose(grad, [[0, 0, 0], [-1, 1, 0]], atol=1e-7)


def test_kl_div_with_zero_probabilities():
    t = np.array([[0.0, 1.0]], dtype=np.float32)
    _finite_everywhere(lambda p: L.kl_div(t, p), [[1.0, 0.0]])


# ----- logits of a recorded sigmoid / softmax -----
def test_sigmoid_output_uses_its_logits(rng):
    z = lamina.tensor(rng.normal(size=(4, 3)) * 50, requires_grad=True)  # many saturate
    t = rng.integers(0, 2, size=(4, 3)).astype(np.float32)
    loss = L.binary_cross_entropy(t, ops.sigmoid(z))
    assert isinstance(loss._node, L.BinaryCrossEntropy) and loss._node.inputs[1] is z
    expected = L.binary_cross_entropy(t, z.detach(), from_logits=True)
    np.testing.assert_allclose(loss.numpy(), expected.numpy(), rtol=1e-6)
    loss.sum().backward()
    sig = 1 / (1 + np.exp(-z.data.astype(np.float64)))
    np.testing.assert_allclose(z.grad, (sig - t) / 3, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("sparse", [False, True])
def test_softmax_output_uses_its_logits(sparse, rng):
    z = lamina.tensor(rng.normal(size=(5, 4)) * 40, requires_grad=True)
    labels = rng.integers(0, 4, size=5)
    onehot = np.eye(4, dtype=np.float32)[labels]
    if sparse:
        fn = L.sparse_categorical_cross_entropy
        loss, direct = fn(labels, ops.softmax(z)), fn(labels, z.detach(), from_logits=True)
    else:
        fn = L.categorical_cross_entropy
        loss, direct = fn(onehot, ops.softmax(z)), fn(onehot, z.detach(), from_logits=True)
    assert loss._node.inputs[1] is z
    np.testing.assert_allclose(loss.numpy(), direct.numpy(), rtol=1e-6)
    assert loss.numpy().max() > 20  # beyond the -log(1e-7) = 16.1 cap of clipped probabilities
    loss.sum().backward()
    e = np.exp(z.data - z.data.max(-1, keepdims=True))
    np.testing.assert_allclose(z.grad, e / e.sum(-1, keepdims=True) - onehot, atol=1e-6)


def test_softmax_over_another_axis_is_treated_as_probabilities(rng):
    z = lamina.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    y = ops.softmax(z, axis=0)
    t = np.eye(4, dtype=np.float32)[[0, 1, 2]]
    loss = L.categorical_cross_entropy(t, y)
    assert loss._node.inputs[1] is y
    q = y.numpy() / y.numpy().sum(-1, keepdims=True)
    np.testing.assert_allclose(loss.numpy(), -np.log((t * q).sum(-1)), rtol=1e-5)


def test_no_trick_under_no_grad_or_with_from_logits(rng):
    z = lamina.tensor(rng.normal(size=(3, 2)), requires_grad=True)
    t = np.ones((3, 2), dtype=np.float32)
    with lamina.no_grad():
        y = ops.sigmoid(z)
        assert y._node is None  # nothing recorded: the probabilities are used as they are
        np.testing.assert_allclose(
            L.binary_cross_entropy(t, y).numpy(), -np.log(y.numpy()).mean(-1), rtol=1e-5
        )
    y = ops.sigmoid(z)
    loss = L.binary_cross_entropy(t, y, from_logits=True)  # y itself taken as logits
    assert loss._node.inputs[1] is y


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept(dtype, rng):
    p = lamina.tensor(_probs(rng, (3, 2)).astype(dtype), requires_grad=True)
    out = L.binary_cross_entropy(np.ones((3, 2), dtype=np.int64), p)
    assert out.dtype == dtype
    out.sum().backward()
    assert p.grad.dtype == dtype
