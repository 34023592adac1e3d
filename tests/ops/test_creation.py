"""Creation ops: arange, linspace, eye, one_hot, full_like, zeros_like/ones_like against NumPy
and Keras's conventions; tril/triu and their gradients; stop_gradient."""

import numpy as np
import pytest

import lamina
from lamina import ops
from tests.helpers import check_op


def test_arange_dtypes_follow_the_arguments():
    assert ops.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert ops.arange(5).dtype == np.int64
    assert ops.arange(2, 8, 3).tolist() == [2, 5]
    half = ops.arange(0.0, 2, 0.5)
    assert half.dtype == np.float32 and half.tolist() == [0.0, 0.5, 1.0, 1.5]
    assert ops.arange(3, dtype="float64").dtype == np.float64


def test_linspace_and_eye_match_numpy():
    np.testing.assert_allclose(ops.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    assert ops.linspace(0, 1).shape == (50,) and ops.linspace(0, 1).dtype == np.float32
    values, step = ops.linspace(0, 1, 4, endpoint=False, retstep=True)
    assert values.tolist() == [0.0, 0.25, 0.5, 0.75] and step == 0.25
    assert ops.linspace(0, 10, 3, dtype="int32").tolist() == [0, 5, 10]
    np.testing.assert_array_equal(ops.eye(2, 3, k=1).numpy(), np.eye(2, 3, k=1))
    assert ops.eye(3).dtype == np.float32


def test_one_hot_like_keras():
    assert ops.one_hot(np.array([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert ops.one_hot(np.array([0, 2]), 3, axis=0).tolist() == [[1, 0], [0, 0], [0, 1]]
    # out-of-range indices give zero rows (Keras's TensorFlow and JAX backends)
    assert ops.one_hot([1, -1, 3], 3).tolist() == [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    assert ops.one_hot(lamina.tensor([[1.0], [0.0]]), 2).shape == (2, 1, 2)
    assert ops.one_hot([1], 2, dtype="int32").dtype == np.int32
    with pytest.raises(ValueError, match="integer class indices"):
        ops.one_hot([0.5], 2)
    with pytest.raises(ValueError, match="sparse=True is not supported"):
        ops.one_hot([0], 2, sparse=True)
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        ops.one_hot([0], 0)


def test_like_ops_keep_shape_and_dtype():
    x = np.array([1, 2])
    assert ops.full_like(x, 3.5).tolist() == [3, 3] and ops.full_like(x, 3.5).dtype == np.int64
    assert ops.full_like(lamina.tensor([1.0, 2.0]), 3.5).tolist() == [3.5, 3.5]
    assert ops.zeros_like(x).dtype == np.int64 and ops.ones_like(x, dtype="float32").tolist() == [
        1.0,
        1.0,
    ]


@pytest.mark.parametrize("k", [-1, 0, 1])
def test_tril_triu_match_numpy_and_differentiate(k, rng):
    x = rng.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(ops.tril(lamina.tensor(x), k).numpy(), np.tril(x, k))
    np.testing.assert_array_equal(ops.triu(lamina.tensor(x), k).numpy(), np.triu(x, k))
    assert check_op(lambda t: ops.tril(t, k), (3, 4))
    assert check_op(lambda t: ops.triu(t, k), (2, 4, 3))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        ops.tril(lamina.tensor([1.0]))


def test_stop_gradient_cuts_the_graph():
    x = lamina.tensor([2.0, 3.0], requires_grad=True)
    y = ops.stop_gradient(x)
    assert not y.requires_grad and y.tolist() == [2.0, 3.0]
    (x * ops.stop_gradient(x * x)).sum().backward()
    assert x.grad.tolist() == [4.0, 9.0]  # d/dx of x * c, c = x^2 held constant
    assert ops.stop_gradient(np.array([1.0])).tolist() == [1.0]
