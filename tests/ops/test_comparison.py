"""Comparison, logical and value-test ops: NumPy's results, as boolean tensors outside the
graph, for tensors, arrays and Python numbers."""

import numpy as np
import pytest

import lamina
from lamina import ops

BINARY = {
    "equal": np.equal,
    "not_equal": np.not_equal,
    "greater": np.greater,
    "greater_equal": np.greater_equal,
    "less": np.less,
    "less_equal": np.less_equal,
    "logical_and": np.logical_and,
    "logical_or": np.logical_or,
    "logical_xor": np.logical_xor,
}


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_broadcast_like_numpy(name):
    a = np.array([[0.0, 1.0, 2.0], [2.0, 0.0, 1.0]])
    b = np.array([1.0, 0.0, 2.0])
    op = getattr(ops, name)
    cases = [
        (lamina.tensor(a, requires_grad=True), b, BINARY[name](a, b)),
        (a, lamina.tensor(b), BINARY[name](a, b)),
        (a, 1.0, BINARY[name](a, 1.0)),
    ]
    for x1, x2, expected in cases:
        out = op(x1, x2)
        assert isinstance(out, lamina.Tensor) and not out.requires_grad
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out.numpy(), expected)


def test_unary_tests():
    x = np.array([np.nan, np.inf, -1.0, 0.0])
    assert ops.isnan(x).tolist() == [True, False, False, False]
    assert ops.isinf(lamina.tensor(x)).tolist() == [False, True, False, False]
    assert ops.isfinite(lamina.tensor(x)).tolist() == [False, False, True, True]
    assert ops.logical_not(lamina.tensor([0.0, 2.0])).tolist() == [True, False]


def test_comparisons_feed_cast_and_where():
    x = lamina.tensor([1.0, -2.0, 3.0], requires_grad=True)
    mask = ops.greater(x, 0)
    assert ops.cast(mask, "float32").tolist() == [1.0, 0.0, 1.0]
    ops.where(mask, x, 0.0).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]
