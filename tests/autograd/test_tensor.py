"""The Tensor API: array facts, conversions, operator overloads (reflected ones and NumPy operands
included), comparisons, backward's checks and dtype preservation."""

import operator

import numpy as np
import pytest

import lamina
from lamina import Tensor


def test_array_facts():
    data = np.arange(6.0).reshape(2, 3)
    t = lamina.tensor(data, requires_grad=True)
    np.testing.assert_array_equal(t.data, data)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.dtype == np.float64
    assert t.requires_grad and t.is_leaf and t.grad is None
    assert t.numpy() is t.data  # no copy on the NumPy backend
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert t.tolist() == data.tolist()
    assert "requires_grad=True" in repr(t) and "float64" in repr(t)
    assert not (t * 2).is_leaf


def test_item_and_python_conversions():
    t = lamina.tensor([[2.5]])
    assert t.item() == 2.5 and isinstance(t.item(), float)
    assert float(t) == 2.5 and int(t) == 2 and bool(t)
    assert [10, 20, 30][lamina.tensor(1)] == 20  # __index__
    with pytest.raises(ValueError, match=r"one element, got shape \(2,\)"):
        lamina.tensor([1.0, 2.0]).item()


def test_detach_shares_data_and_cuts_the_graph():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    (x * d).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]  # d counted as a constant
    assert x.detach().data is x.data


def test_requires_grad_needs_a_float_dtype():
    with pytest.raises(TypeError, match="int64"):
        lamina.tensor([1, 2], requires_grad=True)
    assert lamina.tensor([1, 2], requires_grad=True, dtype="float32").requires_grad


def test_assign_keeps_shape_and_dtype_and_zero_grad_clears():
    w = lamina.tensor([1.0, 2.0], requires_grad=True)
    data = w.data
    w.assign(np.array([3.0, 4.0]))  # float64 values into a float32 tensor
    assert w.data is data and w.tolist() == [3.0, 4.0] and w.dtype == np.float32
    with pytest.raises(ValueError, match=r"cannot assign shape \(3,\)"):
        w.assign([1.0, 2.0, 3.0])
    (w * w).sum().backward()
    w.zero_grad()
    assert w.grad is None


BINARY_OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", BINARY_OPERATORS, ids=lambda f: f.__name__)
def test_operators_and_their_reflections(op, rng):
    a = rng.uniform(0.5, 2.0, (2, 3))
    b = rng.uniform(0.5, 2.0, (3,))
    ta, tb = lamina.tensor(a), lamina.tensor(b)
    for left, right, expected in [
        (ta, tb, op(a, b)),  # Tensor op Tensor
        (ta, 2.0, op(a, 2.0)),  # Tensor op number
        (2.0, ta, op(2.0, a)),  # number op Tensor: __r*__
        (b, ta, op(b, a)),  # ndarray op Tensor: __array_priority__ hands it to the Tensor
        (np.float64(2.0), ta, op(2.0, a)),  # NumPy scalar op Tensor
    ]:
        out = op(left, right)
        assert isinstance(out, Tensor), (left, right)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("op", BINARY_OPERATORS, ids=lambda f: f.__name__)
def test_reflected_operators_differentiate_the_tensor(op):
    x = lamina.tensor([1.5, 2.0], requires_grad=True, dtype="float64")
    op(2.0, x).sum().backward()
    h = 1e-6
    numeric = (op(2.0, x.numpy() + h) - op(2.0, x.numpy() - h)) / (2 * h)
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-6)


def test_matmul_operators_with_ndarrays(rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    w = lamina.tensor(b, requires_grad=True)
    out = a @ w  # ndarray @ Tensor
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.numpy(), a @ b)
    out.sum().backward()
    np.testing.assert_allclose(w.grad, a.T @ np.ones((2, 4)))
    np.testing.assert_allclose((lamina.tensor(a) @ b).numpy(), a @ b)


def test_unary_operators():
    x = lamina.tensor([-1.5, 2.0], requires_grad=True)
    assert (-x).tolist() == [1.5, -2.0]
    assert (+x) is x
    assert abs(x).tolist() == [1.5, 2.0]
    (-x + abs(x)).sum().backward()
    assert x.grad.tolist() == [-2.0, 0.0]


@pytest.mark.parametrize(
    "op",
    [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge],
    ids=lambda f: f.__name__,
)
def test_comparisons_are_boolean_tensors_outside_the_graph(op):
    a = np.array([1.0, 2.0, 3.0])
    x = lamina.tensor(a, requires_grad=True)
    for other in (2.0, np.array([3.0, 2.0, 1.0]), lamina.tensor([3.0, 2.0, 1.0])):
        out = op(x, other)
        assert isinstance(out, Tensor) and out.dtype == bool and not out.requires_grad
        np.testing.assert_array_equal(out.numpy(), op(a, np.asarray(other)))
    reflected = op(np.array([3.0, 2.0, 1.0]), x)  # ndarray on the left defers to the Tensor
    assert isinstance(reflected, Tensor)
    np.testing.assert_array_equal(reflected.numpy(), op(np.array([3.0, 2.0, 1.0]), a))


def test_tensors_stay_hashable():
    x = lamina.tensor([1.0])
    assert {x: 1}[x] == 1


def test_float32_grad_stays_float32_with_float64_constants():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    assert x.dtype == np.float32
    c = np.array([0.5, 0.25])  # float64
    y = (x * c + np.float64(1.5)) / c - x**2
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [1 / 0.5 * 0.5 - 2, 1 - 4], rtol=1e-6)


def test_float64_stays_float64():
    x = lamina.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * np.float32(2.0) + np.ones(2, np.float32)).sum()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float64


def test_backward_on_a_non_scalar_needs_grad():
    x = lamina.tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)") as info:
        y.backward()
    assert "grad=" in str(info.value)
    y.backward(np.full((2, 3), 0.5))
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


def test_backward_checks_the_grad_shape_and_requires_grad():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the tensor has \(2,\)"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        lamina.tensor([1.0]).sum().backward()


def test_backward_of_a_leaf_is_its_seed():
    x = lamina.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad == 1.0


def test_grad_is_a_fresh_writable_array():
    # sum's gradient is a read-only broadcast view and add hands one array to both inputs:
    # .grad must be the leaf's own array, since optimizers update it in place
    a = lamina.tensor([1.0, 2.0], requires_grad=True)
    b = lamina.tensor([3.0, 4.0], requires_grad=True)
    seed = np.ones(2, dtype=np.float32)
    (a + b).backward(seed)
    assert a.grad is not b.grad and a.grad is not seed
    a.grad *= 3
    assert b.grad.tolist() == [1.0, 1.0] and seed.tolist() == [1.0, 1.0]
    c = lamina.tensor(np.ones((2, 2)), requires_grad=True)
    c.sum().backward()
    c.grad += 1
    assert c.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    # one array passed on through a non-leaf to a second leaf
    d, e = lamina.tensor([1.0], requires_grad=True), lamina.tensor([1.0], requires_grad=True)
    (d + (e + 0.0).reshape(1)).backward(np.ones(1, np.float32))
    d.grad += 1
    assert e.grad.tolist() == [1.0]


@pytest.mark.parametrize("name", ["max", "min", "sum", "mean", "argmax", "argmin", "std", "prod"])
def test_numpy_functions_on_tensors_return_numpy_results(name, rng):
    data = rng.normal(size=(3, 4)).astype(np.float32)
    t = lamina.tensor(data, requires_grad=True)
    fn = getattr(np, name)
    whole, per_row = fn(t), fn(t, axis=1)
    assert not isinstance(whole, lamina.Tensor) and not isinstance(per_row, lamina.Tensor)
    np.testing.assert_array_equal(whole, fn(data))
    np.testing.assert_array_equal(per_row, fn(data, axis=1))


def test_numpy_functions_take_tensors_inside_lists_and_keywords():
    score = lamina.ops.softmax(lamina.tensor([[1.0, 3.0]]))
    assert f"{100 * np.max(score):.2f}" == "88.08"  # the TensorFlow tutorials' idiom
    a, b = lamina.tensor([1.0, 2.0]), lamina.tensor([3.0])
    joined = np.concatenate([a, b])
    assert isinstance(joined, np.ndarray) and joined.tolist() == [1.0, 2.0, 3.0]
    assert np.reshape(a, (2, 1)).shape == (2, 1) and isinstance(np.transpose(a), np.ndarray)
    assert np.where(a > 1.5, a, b).tolist() == [3.0, 2.0]
    assert np.allclose(a, [1.0, 2.0])
    # the tensor methods stay differentiable
    a.requires_grad = True
    a.max().backward()
    assert a.grad.tolist() == [0.0, 1.0]


def test_assign_add_and_assign_sub_work_in_place_outside_the_graph():
    w = lamina.tensor([1.0, 2.0], requires_grad=True)
    data = w.data
    assert w.assign_add([0.5, 0.5]) is w
    w.assign_sub(lamina.tensor([1.0, 1.0]))
    assert w.tolist() == [0.5, 1.5] and w.data is data and w.is_leaf
    counts = lamina.tensor(np.zeros((), np.float32))
    counts.assign_add(np.float64(2.5))
    assert counts.item() == 2.5 and counts.dtype == np.float32
    with pytest.raises(ValueError, match=r"assign_add: a value of shape \(3,\) does not fit"):
        w.assign_add([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"assign_sub: a value of shape \(2, 2\) does not fit"):
        w.assign_sub(np.ones((2, 2)))
    w.assign_add(1.0)  # a scalar broadcasts
    assert w.tolist() == [1.5, 2.5]


def test_reductions_take_pytorchs_dim_and_keepdim():
    data = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], "float32")
    t = lamina.tensor(data, requires_grad=True)
    assert t.argmax(dim=1, keepdim=True).tolist() == [[1], [0]]
    assert t.argmin(dim=0).tolist() == [0, 1, 0]
    np.testing.assert_array_equal(t.sum(dim=0, keepdim=True).numpy(), [[8.0, 5.0, 5.0]])
    np.testing.assert_array_equal(t.mean(dim=[0, 1]).numpy(), data.mean())
    assert t.sum(axis=1, keepdim=True).shape == (2, 1)  # the two spellings mix
    # max/min with dim= return PyTorch's (values, indices); NumPy's spelling the values only
    values, indices = t.max(dim=1, keepdim=True)
    assert values.tolist() == [[5.0], [7.0]] and indices.tolist() == [[1], [0]]
    assert t.min(dim=0).indices.tolist() == [0, 1, 0]
    assert t.max(axis=1).tolist() == [5.0, 7.0] and t.max().item() == 7.0
    values.sum().backward()  # the values stay differentiable
    np.testing.assert_array_equal(t.grad, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with pytest.raises(TypeError, match="give axis or dim, not both"):
        t.sum(axis=0, dim=1)


def test_numpy_functions_that_write_into_a_tensor_are_refused():
    t = lamina.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (t * t).sum()
    for write in (lambda: np.fill_diagonal(t, 0), lambda: np.put(t, [0], [9.0])):
        with pytest.raises(TypeError, match="in place"):
            write()
    y.backward()
    np.testing.assert_array_equal(t.grad, [[2.0, 4.0], [6.0, 8.0]])
    assert np.max(t) == 4.0  # reading functions still work
