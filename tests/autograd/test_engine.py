"""The backward engine (and Function, no_grad): graph shapes, accumulation, deep chains without
recursion, each node run once, unbroadcast and the engine's checks."""

import inspect
import sys

import numpy as np
import pytest

import lamina
from lamina import Function, ops
from lamina.autograd import unbroadcast
from lamina.ops.math import Add


def test_x_times_x_plus_x():
    x = lamina.tensor([-1.0, 0.5, 3.0], requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.numpy() + 1)


def test_diamond():
    a = lamina.tensor([0.3, -1.2], requires_grad=True, dtype="float64")
    b = ops.exp(a)  # b = f(a)
    c = ops.tanh(a)  # c = g(a)
    d = b * c
    d.sum().backward()
    e, t = np.exp(a.numpy()), np.tanh(a.numpy())
    np.testing.assert_allclose(a.grad, e * t + e * (1 - t * t))


def test_gradients_accumulate_across_uses_and_backward_calls():
    x = lamina.tensor([2.0], requires_grad=True)
    y = x * 3 + x * x  # x used three times
    y.backward()
    assert x.grad.tolist() == [7.0]
    y.backward()  # the graph is kept: a second call adds
    assert x.grad.tolist() == [14.0]
    (x * 10).backward()  # so does a new graph
    assert x.grad.tolist() == [24.0]


def test_only_leaves_keep_grad_unless_retained():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    k = x * 4
    h.retain_grad()
    (h * k).sum().backward()
    assert h.grad.tolist() == [4.0, 8.0]
    assert k.grad is None
    assert x.grad.tolist() == [24.0, 48.0]


class CountingAdd(Add):
    calls = 0

    def backward(self, grad):
        CountingAdd.calls += 1
        return super().backward(grad)


def test_a_10000_op_chain_needs_no_recursion_and_runs_each_node_once():
    CountingAdd.calls = 0
    x = lamina.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = CountingAdd.apply(y, 1.0)
    # a recursive walk would need ~10,000 frames; allow only a few beyond the current depth
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 100)
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert CountingAdd.calls == 10_000
    assert x.grad.tolist() == [1.0]


def test_shared_subgraphs_are_visited_once():
    # y_{i+1} = y_i + y_i: 2**60 paths from the output to x, 60 nodes
    CountingAdd.calls = 0
    x = lamina.tensor([1.0], requires_grad=True, dtype="float64")
    y = x
    for _ in range(60):
        y = CountingAdd.apply(y, y)
    y.backward()
    assert CountingAdd.calls == 60
    assert x.grad.tolist() == [2.0**60]


def test_constant_inputs_and_none_gradients_are_skipped():
    class FirstOnly(Function):
        def forward(self, a, b):
            return a + b

        def backward(self, grad):
            return grad, None

    a = lamina.tensor([1.0], requires_grad=True)
    b = lamina.tensor([1.0], requires_grad=True)
    c = lamina.tensor([1.0])
    FirstOnly.apply(a, b).backward()
    (a * c + 2.0).backward()
    assert a.grad.tolist() == [2.0] and b.grad is None and c.grad is None


def test_a_wrong_number_of_gradients_is_reported():
    class Broken(Function):
        def forward(self, a, b):
            return a * b

        def backward(self, grad):
            return (grad,)

    a = lamina.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Broken.backward returned 1 gradients for 2 inputs"):
        Broken.apply(a, a).backward()


def test_a_gradient_of_the_wrong_shape_is_reported():
    class WrongShape(Function):
        def forward(self, a):
            return a.sum()

        def backward(self, grad):
            return (np.ones(5),)

    a = lamina.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"cannot reduce to shape \(2,\)"):
        WrongShape.apply(a).backward()


def test_apply_records_a_node_only_when_needed():
    x = lamina.tensor([1.0], requires_grad=True)
    assert (x * 2)._node is not None
    y = lamina.tensor([1.0]) * 2
    assert y._node is None and not y.requires_grad


@pytest.mark.parametrize(
    "grad_shape, shape",
    [
        ((4, 2, 3), (2, 3)),
        ((4, 2, 3), (2, 1)),
        ((4, 2, 3), (1, 3)),
        ((4, 2, 3), ()),
        ((2, 3), (2, 3)),
        ((5, 1, 3), (1, 1, 3)),
    ],
    ids=str,
)
def test_unbroadcast_sums_what_broadcasting_added(grad_shape, shape, rng):
    g = rng.normal(size=grad_shape)
    out = unbroadcast(g, shape)
    assert out.shape == shape
    # the adjoint of broadcasting: <g, broadcast(v)> == <unbroadcast(g), v>
    v = rng.normal(size=shape)
    np.testing.assert_allclose(np.sum(g * np.broadcast_to(v, grad_shape)), np.sum(out * v))


def test_unbroadcast_refuses_impossible_shapes():
    with pytest.raises(ValueError, match="cannot reduce"):
        unbroadcast(np.ones((2, 3)), (3, 3))
    with pytest.raises(ValueError, match="cannot reduce"):
        unbroadcast(np.ones(3), (1, 3, 1))


# ----- no_grad / enable_grad (lamina/autograd/grad_mode.py) -----


def test_no_grad_context_records_nothing():
    x = lamina.tensor([1.0], requires_grad=True)
    with lamina.no_grad():
        assert not lamina.is_grad_enabled()
        y = x * 2 + 1
    assert lamina.is_grad_enabled()
    assert not y.requires_grad and y._node is None
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


def test_no_grad_decorator_and_enable_grad_inside():
    x = lamina.tensor([1.0], requires_grad=True)

    @lamina.no_grad()
    def frozen(t):
        return t * 2

    @lamina.enable_grad()
    def tracked(t):
        return t * 2

    assert not frozen(x).requires_grad
    assert frozen.__name__ == "frozen"
    with lamina.no_grad():
        assert tracked(x).requires_grad
        with lamina.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad


def test_no_grad_restores_the_state_after_an_error():
    with pytest.raises(KeyError), lamina.no_grad():
        raise KeyError("boom")
    assert lamina.is_grad_enabled()


def test_no_grad_as_bare_decorator_and_reentrant_instance():
    @lamina.no_grad
    def double(t):
        return t * 2

    x = lamina.tensor([1.0], requires_grad=True)
    assert not double(x).requires_grad
    ctx = lamina.no_grad()
    with ctx:
        with ctx:
            pass
        assert not lamina.is_grad_enabled()
    assert lamina.is_grad_enabled()
