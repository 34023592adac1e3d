"""Reductions: forward against NumPy and gradients over every kind of axis, with keepdims; ties;
argmax and argmin outside the graph."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.testing import check_gradients

AXES = [None, 0, 1, -1, (0, 2), (-1, 0)]
REDUCTIONS = {
    "sum": (ops.sum, np.sum),
    "mean": (ops.mean, np.mean),
    "var": (ops.var, np.var),
    "max": (ops.max, np.max),  # random inputs: no ties
    "min": (ops.min, np.min),
}


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_forward_and_gradient(name, axis, keepdims, rng):
    op, ref = REDUCTIONS[name]
    x = rng.normal(size=(2, 3, 4))
    out = op(lamina.tensor(x), axis=axis, keepdims=keepdims)
    expected = ref(x, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert check_gradients(lambda t: op(t, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "max", "min"])
def test_tensor_methods_match_the_ops(name, rng):
    x = lamina.tensor(rng.normal(size=(3, 4)))
    method = getattr(x, name)(axis=1, keepdims=True)
    np.testing.assert_array_equal(method.numpy(), REDUCTIONS[name][0](x, 1, True).numpy())


def test_var_with_ddof(rng):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(ops.var(lamina.tensor(x), axis=0, ddof=1).numpy(), x.var(0, ddof=1))
    assert check_gradients(lambda t: ops.var(t, axis=0, ddof=1), x)


def test_reductions_of_a_scalar_tensor():
    x = lamina.tensor(3.0, requires_grad=True)
    (ops.sum(x) + ops.mean(x) + ops.max(x)).backward()
    assert x.grad.item() == 3.0


def test_max_ties_share_the_gradient_evenly():
    x = lamina.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    ops.max(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    x.grad = None
    ops.max(x).backward()  # the two 3s tie over the whole tensor
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [0, 0, 0]])


def test_min_ties_share_the_gradient_evenly():
    x = lamina.tensor([[1.0, 1.0, 4.0], [5.0, 0.0, 6.0]], requires_grad=True)
    ops.min(x, axis=-1, keepdims=True).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0.5, 0], [0, 1, 0]])


def test_max_of_an_empty_tensor_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        ops.max(lamina.tensor(np.zeros((0, 3))))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_argmax_and_argmin_give_integer_tensors_outside_the_graph(axis, rng):
    data = rng.normal(size=(3, 4))
    x = lamina.tensor(data, requires_grad=True)
    for op, ref in ((ops.argmax, np.argmax), (ops.argmin, np.argmin)):
        out = op(x, axis=axis)
        np.testing.assert_array_equal(out.numpy(), ref(data, axis=axis))
        assert out.dtype.kind == "i"
        assert not out.requires_grad
    np.testing.assert_array_equal(x.argmax(axis).numpy(), np.argmax(data, axis))
    np.testing.assert_array_equal(ops.argmax(data, axis).numpy(), np.argmax(data, axis))


def test_argmax_keepdims(rng):
    data = rng.normal(size=(3, 4))
    out = ops.argmax(data, axis=1, keepdims=True)
    assert out.shape == (3, 1)
    np.testing.assert_array_equal(out.numpy(), np.argmax(data, axis=1, keepdims=True))
    assert ops.argmin(data, axis=0, keepdims=True).shape == (1, 4)


NEW_REDUCTIONS = {
    "prod": (ops.prod, np.prod),
    "std": (ops.std, np.std),
    "logsumexp": (ops.logsumexp, lambda a, axis, keepdims: np.log(
        np.sum(np.exp(a), axis=axis, keepdims=keepdims))),
}  # fmt: skip


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", NEW_REDUCTIONS)
def test_prod_std_logsumexp_forward_and_gradient(name, axis, keepdims, rng):
    op, ref = NEW_REDUCTIONS[name]
    x = rng.normal(size=(2, 3, 4))
    out = op(lamina.tensor(x), axis=axis, keepdims=keepdims)
    expected = ref(x, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert check_gradients(lambda t: op(t, axis=axis, keepdims=keepdims), x)


def test_prod_gradient_with_zeros():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])
    t = lamina.tensor(x, requires_grad=True)
    ops.prod(t, axis=1).sum().backward()
    # d/dx_i = product of the others: exact even where x_i (or another entry) is 0
    assert t.grad.tolist() == [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]]
    assert check_gradients(lambda a: ops.prod(a, axis=0), x)
    assert ops.prod(np.array([1, 2, 3])).item() == 6


def test_logsumexp_is_stable():
    big = lamina.tensor([1000.0, 1000.0], dtype="float64", requires_grad=True)
    out = ops.logsumexp(big)
    np.testing.assert_allclose(out.item(), 1000 + np.log(2), rtol=1e-15)
    out.backward()
    np.testing.assert_allclose(big.grad, [0.5, 0.5], rtol=1e-12)
    assert ops.logsumexp(lamina.tensor([-np.inf, -np.inf])).item() == -np.inf


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumsum(axis, rng):
    x = rng.normal(size=(3, 4))
    out = ops.cumsum(lamina.tensor(x), axis=axis)
    np.testing.assert_allclose(out.numpy(), np.cumsum(x, axis=axis), rtol=1e-12)
    assert check_gradients(lambda t: ops.cumsum(t, axis=axis), x)
    assert ops.cumsum(np.array([1, 2, 3]), dtype="float32").tolist() == [1.0, 3.0, 6.0]
