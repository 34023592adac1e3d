"""sort, argsort and top_k: NumPy's order, stable ties, gradients routed back to the sorted
elements, and Keras's (values, indices) result for top_k."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.testing import check_gradients


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_sort_and_argsort_match_numpy(axis, rng):
    x = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(ops.sort(lamina.tensor(x), axis=axis).numpy(),
                                  np.sort(x, axis=axis))  # fmt: skip
    idx = ops.argsort(lamina.tensor(x), axis=axis)
    assert not idx.requires_grad and idx.dtype == np.int64
    np.testing.assert_array_equal(idx.numpy(), np.argsort(x, axis=axis, kind="stable"))
    assert check_gradients(lambda t: ops.sort(t, axis=axis), x)


def test_argsort_is_stable():
    assert ops.argsort(lamina.tensor([2.0, 1.0, 2.0, 1.0])).tolist() == [1, 3, 0, 2]


def test_top_k(rng):
    values, indices = ops.top_k(lamina.tensor([[1.0, 5.0, 3.0], [2.0, 0.0, 9.0]]), 2)
    assert values.tolist() == [[5.0, 3.0], [9.0, 2.0]]  # Keras's values
    assert indices.tolist() == [[1, 2], [2, 0]] and not indices.requires_grad
    _, ties = ops.top_k(lamina.tensor([4.0, 7.0, 4.0, 7.0]), 3)
    assert ties.tolist() == [1, 3, 0]  # equal values: the lower index first
    x = rng.normal(size=(2, 3, 5))
    assert check_gradients(lambda t: ops.top_k(t, 3)[0], x)
    for k in (0, 6, 2.0):
        with pytest.raises(ValueError, match=r"k must be an integer in \[1, 5\]"):
            ops.top_k(lamina.tensor(x), k)


def test_top_k_of_unsigned_integers_ranks_by_value():
    values, indices = ops.top_k(lamina.tensor(np.array([0, 5, 3, 255], np.uint8)), 3)
    assert values.numpy().tolist() == [255, 5, 3] and indices.numpy().tolist() == [3, 1, 2]
