"""Elementwise arithmetic, where, clip, cast and matmul: forward against NumPy, gradients against
central differences (float64), broadcasting included."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.testing import check_gradients
from tests.helpers import check_op

# (shape of a, shape of b): equal shapes, trailing broadcast, both sides stretched, a scalar
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((3, 1), (1, 4)), ((), (2, 3))]

BINARY = {
    "add": (ops.add, np.add, False),
    "sub": (ops.sub, np.subtract, False),
    "mul": (ops.mul, np.multiply, False),
    "div": (ops.div, np.divide, True),  # positive inputs keep the denominator away from 0
    "pow": (ops.pow, np.power, True),  # tensor exponent: defined for a positive base
    "maximum": (ops.maximum, np.maximum, False),  # random values: no ties
    "minimum": (ops.minimum, np.minimum, False),
}


def _away_from_zero(rng, shape, margin=0.1):
    x = rng.normal(size=shape)
    return np.sign(x) * (np.abs(x) + margin)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
def test_binary_forward_matches_numpy(name, shapes, rng):
    op, ref, positive = BINARY[name]
    a, b = (rng.uniform(0.5, 2.0, s) if positive else rng.normal(size=s) for s in shapes)
    out = op(lamina.tensor(a), lamina.tensor(b))
    np.testing.assert_allclose(out.numpy(), ref(a, b), rtol=1e-12)
    assert out.shape == np.broadcast_shapes(*shapes)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
def test_binary_gradients(name, shapes):
    op, _, positive = BINARY[name]
    assert check_op(op, *shapes, positive=positive)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
def test_binary_with_a_constant_on_either_side(name, rng):
    op, ref, _ = BINARY[name]
    x = rng.uniform(0.5, 2.0, (2, 3))
    c = np.array([0.7, 1.1, 1.3])
    np.testing.assert_allclose(op(lamina.tensor(x), c).numpy(), ref(x, c), rtol=1e-12)
    np.testing.assert_allclose(op(1.2, lamina.tensor(x)).numpy(), ref(1.2, x), rtol=1e-12)
    assert check_gradients(lambda t: op(t, c), x)
    assert check_gradients(lambda t: op(1.2, t), x)


UNARY = {
    "neg": (ops.neg, np.negative, "normal"),
    "exp": (ops.exp, np.exp, "normal"),
    "log": (ops.log, np.log, "positive"),
    "sqrt": (ops.sqrt, np.sqrt, "positive"),
    "square": (ops.square, np.square, "normal"),
    "abs": (ops.abs, np.abs, "nonzero"),  # the kink at 0 is tested separately
}


def _unary_input(kind, rng, shape=(3, 4)):
    if kind == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "nonzero":
        return _away_from_zero(rng, shape)
    return rng.normal(size=shape)


@pytest.mark.parametrize("name", UNARY)
def test_unary_forward_and_gradient(name, rng):
    op, ref, kind = UNARY[name]
    x = _unary_input(kind, rng)
    np.testing.assert_allclose(op(lamina.tensor(x)).numpy(), ref(x), rtol=1e-12)
    assert check_gradients(op, x)


def test_abs_gradient_is_zero_at_zero():
    x = lamina.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    ops.abs(x).sum().backward()
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5, 0])
def test_pow_with_a_number_exponent(exponent, rng):
    x = rng.uniform(0.5, 2.0, (2, 3))
    np.testing.assert_allclose(ops.pow(lamina.tensor(x), exponent).numpy(), x**exponent)
    assert check_gradients(lambda t: t**exponent, x)


def test_pow_of_a_number_to_a_tensor(rng):
    x = rng.normal(size=(2, 3))
    np.testing.assert_allclose((2.0 ** lamina.tensor(x)).numpy(), 2.0**x, rtol=1e-12)
    assert check_gradients(lambda t: 2.0**t, x)
    assert check_gradients(lambda t: ops.pow(3, t), x)


def test_pow_gradient_of_a_tensor_exponent_is_a_pow_b_log_a():
    a = lamina.tensor([2.0, 3.0], requires_grad=True, dtype="float64")
    b = lamina.tensor([3.0, 0.5], requires_grad=True, dtype="float64")
    (a**b).sum().backward()
    np.testing.assert_allclose(b.grad, [8 * np.log(2), np.sqrt(3) * np.log(3)])
    np.testing.assert_allclose(a.grad, [3 * 4, 0.5 / np.sqrt(3)])


def test_maximum_minimum_ties_split_the_gradient_evenly():
    for op in (ops.maximum, ops.minimum):
        a = lamina.tensor([1.0, 2.0, 5.0], requires_grad=True)
        b = lamina.tensor([1.0, 3.0, 4.0], requires_grad=True)
        op(a, b).sum().backward()
        wins = [0.0, 0.0, 1.0] if op is ops.maximum else [0.0, 1.0, 0.0]
        np.testing.assert_array_equal(a.grad, [0.5] + wins[1:])
        np.testing.assert_array_equal(b.grad, [0.5] + [1 - w for w in wins[1:]])


def test_maximum_with_a_scalar_is_relu_like():
    x = lamina.tensor([-1.0, 2.0], requires_grad=True)
    y = ops.maximum(x, 0.0)
    y.sum().backward()
    assert y.tolist() == [0.0, 2.0]
    assert x.grad.tolist() == [0.0, 1.0]


CLIP_INPUT = np.array([[-1.3, -0.7, -0.2], [0.1, 0.4, 0.9]])  # no value near the bounds


@pytest.mark.parametrize("lo, hi", [(-0.5, 0.5), (None, 0.3), (-0.3, None)])
def test_clip_forward_and_gradient(lo, hi):
    out = ops.clip(lamina.tensor(CLIP_INPUT), lo, hi)
    np.testing.assert_array_equal(out.numpy(), np.clip(CLIP_INPUT, lo, hi))
    assert check_gradients(lambda t: ops.clip(t, lo, hi), CLIP_INPUT)


def test_clip_passes_the_gradient_at_the_bounds_and_needs_one():
    x = lamina.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    x.clip(-1.0, 1.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="at least one of x_min and x_max"):
        ops.clip(x)


def test_clip_takes_keras_and_numpy_keywords():
    x = lamina.tensor(CLIP_INPUT)
    want = np.clip(CLIP_INPUT, -0.5, 0.5)
    np.testing.assert_array_equal(ops.clip(x, x_min=-0.5, x_max=0.5).numpy(), want)  # Keras
    np.testing.assert_array_equal(ops.clip(x=x, x_min=-0.5, x_max=0.5).numpy(), want)
    np.testing.assert_array_equal(ops.clip(x, min=-0.5, max=0.5).numpy(), want)  # NumPy, torch
    np.testing.assert_array_equal(ops.clip(x, -0.5, max=0.5).numpy(), want)
    np.testing.assert_array_equal(ops.clip(x, x_max=0.3).numpy(), np.clip(CLIP_INPUT, None, 0.3))
    with pytest.raises(TypeError, match="clip got both x_min and min"):
        ops.clip(x, -0.5, min=-0.5)
    with pytest.raises(TypeError, match="clip got both x_max and max"):
        ops.clip(x, x_max=1.0, max=1.0)


def test_where_forward_and_gradient_with_broadcasting(rng):
    cond = np.array([[True, False, True]])
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3,))
    out = ops.where(cond, lamina.tensor(a), lamina.tensor(b))
    np.testing.assert_array_equal(out.numpy(), np.where(cond, a, b))
    assert check_gradients(lambda x, y: ops.where(cond, x, y), a, b)


def test_where_takes_a_boolean_tensor_and_constants():
    x = lamina.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = ops.where(x > 0, x, 0.0)
    y.sum().backward()
    assert y.tolist() == [0.0, 2.0, 0.0]
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_cast_moves_values_and_gradients_between_float_dtypes():
    x = lamina.tensor([1.5, -2.0], requires_grad=True)
    y = x.astype("float64")
    assert y.dtype == np.float64
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float32
    assert x.grad.tolist() == [3.0, 3.0]
    assert x.astype("int32").tolist() == [1, -2]
    z = lamina.tensor([0.5, 1.5], requires_grad=True, dtype="float64")
    (ops.cast(z, "float32") * z).sum().backward()  # d(z * z)/dz through a float32 detour
    assert z.grad.dtype == np.float64
    assert z.grad.tolist() == [1.0, 3.0]


MATMUL_SHAPES = [
    ((4,), (4,)),  # dot product
    ((3, 4), (4,)),  # matrix @ vector
    ((4,), (4, 5)),  # vector @ matrix
    ((3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),  # batched
    ((2, 1, 3, 4), (3, 4, 2)),  # broadcast batch dimensions
    ((2, 3, 4), (4, 5)),  # 3-D @ 2-D: the dense-layer case
    ((3, 4), (2, 4, 5)),  # 2-D @ 3-D
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 5)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_forward_and_gradient(shapes, rng):
    a, b = (rng.normal(size=s) for s in shapes)
    out = ops.matmul(lamina.tensor(a), lamina.tensor(b))
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-12)
    assert check_op(ops.matmul, *shapes)


@pytest.mark.parametrize("shapes", [((3, 4), (5, 6)), ((4,), (3,)), ((2, 3, 4), (3, 2))], ids=str)
def test_matmul_shape_mismatch_names_both_shapes(shapes):
    a, b = (lamina.tensor(np.ones(s)) for s in shapes)
    with pytest.raises(ValueError) as info:
        a @ b
    assert str(shapes[0]) in str(info.value) and str(shapes[1]) in str(info.value)


def test_matmul_rejects_scalars():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        ops.matmul(lamina.tensor(2.0), lamina.tensor([1.0]))


def test_float32_stays_float32_with_python_numbers():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    y = (2 * x + 1.5) / 3 - x**2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_pow_with_constant_base_has_no_base_gradient_or_warning():
    z = lamina.tensor([0.0, 1.0], requires_grad=True)
    (0.0 ** (z + 1)).sum().backward()  # a**(b-1) at a=0 would warn (an error under pytest)
    assert z.grad.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("fn", [lamina.ops.maximum, lamina.ops.minimum])
def test_maximum_minimum_gradients_keep_float32(fn):
    a = lamina.tensor([1.0, 2.0], requires_grad=True)
    b = lamina.tensor([2.0, 2.0], requires_grad=True)
    fn(a, b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32
