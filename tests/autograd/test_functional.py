"""lamina.grad and lamina.value_and_grad: argnums, list arguments, has_aux and the errors."""

import numpy as np
import pytest

import lamina
from lamina import ops


def test_grad_of_a_simple_function():
    df = lamina.grad(lambda x: (x**3).sum())
    np.testing.assert_allclose(df(lamina.tensor([1.0, 2.0])), [3.0, 12.0])
    np.testing.assert_allclose(df(np.array([1.0, -1.0])), [3.0, 3.0])  # plain arrays work too


def test_value_and_grad_with_int_and_tuple_argnums():
    def f(w, b, x):
        return ((x @ w + b) ** 2).sum()

    w, b, x = lamina.tensor([[1.0], [2.0]]), lamina.tensor([0.5]), lamina.tensor([[1.0, 1.0]])
    value, gw = lamina.value_and_grad(f)(w, b, x)
    assert value.item() == 3.5**2
    np.testing.assert_allclose(gw, [[7.0], [7.0]])
    value, (gb, gx) = lamina.value_and_grad(f, argnums=(1, 2))(w, b, x)
    np.testing.assert_allclose(gb, [7.0])
    np.testing.assert_allclose(gx, [[7.0, 14.0]])
    gx_only = lamina.grad(f, argnums=-1)(w, b, x)
    np.testing.assert_allclose(gx_only, [[7.0, 14.0]])


def test_a_list_argument_gets_a_list_of_gradients():
    def f(params, x):
        w, b = params
        return (x * w + b).sum()

    grads = lamina.grad(f)(
        [lamina.tensor([2.0, 3.0]), lamina.tensor(1.0)], lamina.tensor([4.0, 5.0])
    )
    assert isinstance(grads, list) and len(grads) == 2
    np.testing.assert_allclose(grads[0], [4.0, 5.0])
    np.testing.assert_allclose(grads[1], 2.0)


def test_has_aux():
    def f(x):
        y = x * 2
        return y.sum(), {"y": y}

    (value, aux), g = lamina.value_and_grad(f, has_aux=True)(lamina.tensor([1.0, 2.0]))
    assert value.item() == 6.0 and aux["y"].tolist() == [2.0, 4.0]
    np.testing.assert_allclose(g, [2.0, 2.0])
    g, aux = lamina.grad(f, has_aux=True)(lamina.tensor([1.0]))
    assert g.tolist() == [2.0] and aux["y"].tolist() == [2.0]


def test_arguments_are_not_modified():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    lamina.grad(lambda t: (t * t).sum())(x)
    assert x.grad is None


def test_unused_argument_gets_zeros_and_keyword_arguments_pass_through():
    g = lamina.grad(lambda a, b, scale=1.0: (a * scale).sum(), argnums=(0, 1))
    ga, gb = g(lamina.tensor([1.0, 2.0]), lamina.tensor([5.0, 6.0, 7.0]), scale=3.0)
    np.testing.assert_allclose(ga, [3.0, 3.0])
    np.testing.assert_array_equal(gb, np.zeros(3))


def test_works_inside_no_grad():
    with lamina.no_grad():
        g = lamina.grad(lambda x: ops.exp(x).sum())(lamina.tensor([0.0]))
    np.testing.assert_allclose(g, [1.0])


def test_non_scalar_output_is_a_clear_error():
    with pytest.raises(ValueError, match=r"scalar tensor, got \(2,\)"):
        lamina.value_and_grad(lambda x: x * 2)(lamina.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="scalar tensor, got float"):
        lamina.grad(lambda x: 1.0)(lamina.tensor([1.0]))


def test_argnums_out_of_range_is_an_error():
    with pytest.raises(ValueError, match=r"argnums=\(0, 2\) but the function got 2 arguments"):
        lamina.grad(lambda a, b: (a * b).sum(), argnums=(0, 2))(lamina.tensor(1.0), 2.0)
