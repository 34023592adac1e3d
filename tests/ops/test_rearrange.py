"""tile, repeat, flip, swapaxes and moveaxis: forward against NumPy, gradients against central
differences (copies summed back)."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.testing import check_gradients


@pytest.mark.parametrize("reps", [2, (2, 1), (1, 3), (2, 1, 2), (2, 2, 1, 1)], ids=str)
def test_tile(reps, rng):
    x = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(ops.tile(lamina.tensor(x), reps).numpy(), np.tile(x, reps))
    assert check_gradients(lambda t: ops.tile(t, reps), x)


@pytest.mark.parametrize(
    "repeats, axis", [(2, None), (3, 0), (2, 1), (2, -1), ([1, 0, 3], 1), ([2, 1], 0), ([2], 0)]
)
def test_repeat(repeats, axis, rng):
    x = rng.normal(size=(2, 3))
    out = ops.repeat(lamina.tensor(x), repeats, axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.repeat(x, repeats, axis=axis))
    assert check_gradients(lambda t: ops.repeat(t, repeats, axis=axis), x)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1], ids=str)
def test_flip(axis, rng):
    x = rng.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(ops.flip(lamina.tensor(x), axis).numpy(), np.flip(x, axis))
    assert check_gradients(lambda t: ops.flip(t, axis), x)


@pytest.mark.parametrize("a, b", [(0, 2), (1, -1), (2, 2)])
def test_swapaxes(a, b, rng):
    x = rng.normal(size=(2, 3, 4))
    out = ops.swapaxes(lamina.tensor(x), a, b)
    np.testing.assert_array_equal(out.numpy(), np.swapaxes(x, a, b))
    assert check_gradients(lambda t: ops.swapaxes(t, a, b), x)


@pytest.mark.parametrize(
    "source, destination", [(0, -1), (-1, 0), (1, 2), ((0, 1), (-1, -2)), ([2, 0], [0, 1])]
)
def test_moveaxis(source, destination, rng):
    x = rng.normal(size=(2, 3, 4, 5))
    out = ops.moveaxis(lamina.tensor(x), source, destination)
    np.testing.assert_array_equal(out.numpy(), np.moveaxis(x, source, destination))
    assert check_gradients(lambda t: ops.moveaxis(t, source, destination), x[:1, :2, :3, :2])


def test_moveaxis_checks_lengths():
    with pytest.raises(ValueError, match="need the same length"):
        ops.moveaxis(ops.zeros((2, 3)), (0, 1), 0)
