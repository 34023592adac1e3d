"""take and take_along_axis: NumPy's results (negative indices, axis=None), gradients with
repeated indices adding up, and errors that name the problem."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.testing import check_gradients


@pytest.mark.parametrize(
    "indices, axis",
    [([3, 0, 3], None), ([[1, 0], [1, 1]], 0), ([-1, 0, 2], 1), (1, 1), ([0, 0, 1], -1)],
)
def test_take(indices, axis, rng):
    x = rng.normal(size=(2, 3, 2))
    out = ops.take(lamina.tensor(x), indices, axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.take(x, indices, axis=axis))
    assert check_gradients(lambda t: ops.take(t, np.array(indices), axis=axis), x)


def test_take_repeated_indices_accumulate_and_errors():
    x = lamina.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ops.take(x, lamina.tensor([2, 2, 0])).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 2.0]
    with pytest.raises(IndexError, match=r"indices must lie in \[-3, 3\)"):
        ops.take(x, [3])
    with pytest.raises(ValueError, match="integer indices"):
        ops.take(x, [0.5])
    assert ops.take(x, np.array([1.0])).tolist() == [2.0]  # integral floats are fine


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_take_along_axis(axis, rng):
    x = rng.normal(size=(3, 4))
    shape = (6,) if axis is None else ((2, 4) if axis == 0 else (3, 5))
    idx = rng.integers(-3, 3, size=shape)
    out = ops.take_along_axis(lamina.tensor(x), idx, axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.take_along_axis(x, idx, axis=axis))
    assert check_gradients(lambda t: ops.take_along_axis(t, idx, axis=axis), x)


def test_take_along_axis_broadcasts_and_checks_rank(rng):
    x = rng.normal(size=(3, 4))
    idx = np.array([[0, 3]])  # one row of indices for every row of x
    out = ops.take_along_axis(lamina.tensor(x), idx, axis=1)
    np.testing.assert_array_equal(out.numpy(), x[:, [0, 3]])
    with pytest.raises(ValueError, match="as many dimensions as x"):
        ops.take_along_axis(lamina.tensor(x), np.array([0, 1]), axis=1)
