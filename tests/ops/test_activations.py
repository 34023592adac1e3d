"""Activations: forward against NumPy formulas, gradients against central differences (away from
kinks), and stability: finite values and gradients, with no warning, at +-1000."""

import math
import warnings

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.ops.activations import SELU_ALPHA, SELU_SCALE
from lamina.testing import check_gradients

_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


ACTIVATIONS = {  # name: (lamina function, NumPy reference)
    "relu": (ops.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "leaky_relu_0.01": (
        lambda x: ops.leaky_relu(x, negative_slope=0.01),
        lambda x: np.where(x > 0, x, 0.01 * x),
    ),
    "elu": (ops.elu, _elu),
    "elu_0.5": (lambda x: ops.elu(x, alpha=0.5), lambda x: _elu(x, 0.5)),
    "selu": (ops.selu, lambda x: SELU_SCALE * _elu(x, SELU_ALPHA)),
    "gelu": (ops.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    "gelu_tanh": (lambda x: ops.gelu(x, approximate=True), _gelu_tanh),
    "sigmoid": (ops.sigmoid, _sigmoid),
    "tanh": (ops.tanh, np.tanh),
    "softplus": (ops.softplus, lambda x: np.log1p(np.exp(x))),
    "silu": (ops.silu, lambda x: x * _sigmoid(x)),
    "softmax": (ops.softmax, _softmax),
    "softmax_axis0": (lambda x: ops.softmax(x, axis=0), lambda x: _softmax(x, 0)),
    "log_softmax": (ops.log_softmax, lambda x: np.log(_softmax(x))),
    "log_softmax_axis0": (lambda x: ops.log_softmax(x, axis=0), lambda x: np.log(_softmax(x, 0))),
}


def _input(rng, shape=(3, 4)):
    """Normal values moved at least 0.1 away from 0, where relu-like functions have a kink."""
    x = rng.normal(scale=2.0, size=shape)
    return np.sign(x) * (np.abs(x) + 0.1)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_forward_matches_numpy(name, rng):
    fn, ref = ACTIVATIONS[name]
    x = _input(rng)
    np.testing.assert_allclose(fn(lamina.tensor(x)).numpy(), ref(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_gradient(name, rng):
    fn, _ = ACTIVATIONS[name]
    assert check_gradients(fn, _input(rng))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_float32_in_float32_out(name, rng):
    fn, ref = ACTIVATIONS[name]
    x = _input(rng).astype(np.float32)
    t = lamina.tensor(x, requires_grad=True)
    y = fn(t)
    y.sum().backward()
    assert y.dtype == np.float32 and t.grad.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), ref(x.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_swish_is_silu_and_tensor_methods_match():
    assert ops.swish is ops.silu
    x = lamina.tensor([[-1.5, 0.5, 2.0]])
    for method, fn in [("relu", ops.relu), ("sigmoid", ops.sigmoid), ("tanh", ops.tanh),
                       ("softmax", ops.softmax), ("log_softmax", ops.log_softmax)]:  # fmt: skip
        np.testing.assert_array_equal(getattr(x, method)().numpy(), fn(x).numpy())


EXTREME = np.array([-1000.0, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1000.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_stable_at_plus_minus_1000(name, dtype):
    fn, _ = ACTIVATIONS[name]
    x = lamina.tensor(EXTREME, requires_grad=True, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow / invalid value would be a RuntimeWarning
        y = fn(x)
        y.backward(np.linspace(-1, 1, EXTREME.size))
    assert np.all(np.isfinite(y.numpy())), y
    assert np.all(np.isfinite(x.grad)), x.grad


def test_sigmoid_saturates_exactly():
    x = lamina.tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    y = ops.sigmoid(x)
    y.sum().backward()
    assert y.tolist() == [0.0, 0.5, 1.0]
    assert x.grad.tolist() == [0.0, 0.25, 0.0]


def test_softmax_and_log_softmax_of_huge_logits():
    x = lamina.tensor([1000.0, 0.0, -1000.0], dtype="float64", requires_grad=True)
    np.testing.assert_allclose(ops.softmax(x).numpy(), [1.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(ops.log_softmax(x).numpy(), [0.0, -1000.0, -2000.0])
    ops.log_softmax(x)[1].backward()  # d log p_1 / dx = onehot_1 - p
    np.testing.assert_allclose(x.grad, [-1.0, 1.0, 0.0], atol=1e-300)


def test_saturated_gradients_have_their_limits():
    x = lamina.tensor([-1000.0, 1000.0], requires_grad=True)
    for fn, expected in [(ops.softplus, [0, 1]), (ops.silu, [0, 1]), (ops.gelu, [0, 1]),
                         (lambda t: ops.gelu(t, approximate=True), [0, 1]), (ops.tanh, [0, 0]),
                         (ops.elu, [0, 1]), (ops.relu, [0, 1])]:  # fmt: skip
        x.grad = None
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad, expected, atol=1e-30)
    assert ops.softplus(x).tolist() == [0.0, 1000.0]


def test_softmax_rows_sum_to_one(rng):
    y = ops.softmax(lamina.tensor(rng.normal(size=(4, 5)) * 50))
    np.testing.assert_allclose(y.numpy().sum(axis=-1), 1.0, rtol=1e-6)


def test_relu_gradient_is_zero_at_zero():
    x = lamina.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    ops.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
