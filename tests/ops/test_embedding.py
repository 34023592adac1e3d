"""ops.embedding: lookup, gradient accumulation over repeated ids, argument errors."""

import numpy as np
import pytest

import lamina
from lamina.ops import embedding
from lamina.testing import check_gradients


def test_lookup_matches_numpy_indexing():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    ids = np.array([[3, 0], [1, 1]])
    np.testing.assert_array_equal(embedding(ids, lamina.tensor(table)).numpy(), table[ids])


def test_repeated_ids_accumulate_gradients():
    table = lamina.tensor(np.zeros((4, 2)), requires_grad=True)
    embedding(np.array([1, 1, 3]), table).sum().backward()
    np.testing.assert_array_equal(table.grad, [[0, 0], [2, 2], [0, 0], [1, 1]])


def test_gradient_check_float64():
    ids = np.array([[0, 2, 2], [1, 0, 3]])
    table = np.random.default_rng(0).normal(size=(4, 3))
    assert check_gradients(lambda w: embedding(ids, w), table)


def test_integral_float_ids_are_accepted():
    table = lamina.tensor(np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(embedding(np.array([2.0, 0.0]), table).numpy(), np.eye(3)[[2, 0]])


@pytest.mark.parametrize("ids", [[0, 4], [-1, 0]])
def test_out_of_range_ids_name_the_range(ids):
    with pytest.raises(ValueError, match=r"ids must be in \[0, 3\].*table of 4 rows"):
        embedding(np.array(ids), lamina.tensor(np.zeros((4, 2))))


def test_non_integer_ids_are_refused():
    table = lamina.tensor(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="integers"):
        embedding(np.array([0.5]), table)
    with pytest.raises(TypeError, match="integers"):
        embedding(np.array(["a"]), table)
