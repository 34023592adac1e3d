"""sin, cos, erf, log1p, rsqrt, the rounding ops and nan_to_num: forward against NumPy/SciPy
values and gradients against central differences."""

import math

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.testing import check_gradients
from tests.helpers import check_op

SMOOTH = {
    "sin": (ops.sin, np.sin, False),
    "cos": (ops.cos, np.cos, False),
    "erf": (ops.erf, np.vectorize(math.erf), False),
    "log1p": (ops.log1p, np.log1p, True),
    "rsqrt": (ops.rsqrt, lambda a: 1 / np.sqrt(a), True),
}


@pytest.mark.parametrize("name", SMOOTH)
def test_smooth_ops_forward_and_gradient(name, rng):
    op, ref, positive = SMOOTH[name]
    x = rng.uniform(0.5, 2.0, (3, 4)) if positive else rng.normal(size=(3, 4))
    np.testing.assert_allclose(op(lamina.tensor(x)).numpy(), ref(x), rtol=1e-12)
    assert check_op(op, (3, 4), positive=positive)


def test_integer_inputs_are_computed_in_the_float_dtype():
    out = ops.sin(np.array([1, 2]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), np.sin([1, 2]), rtol=1e-6)
    assert ops.floor(np.array([1, 2])).dtype == np.float32
    assert ops.rsqrt(4.0).item() == 0.5


def test_rounding_ops_match_numpy_and_have_zero_gradient():
    x = np.array([-2.5, -1.5, -0.2, 0.0, 0.5, 1.5, 2.567])
    t = lamina.tensor(x, requires_grad=True)
    for op, ref in [(ops.sign, np.sign), (ops.floor, np.floor), (ops.ceil, np.ceil),
                    (ops.round, np.round)]:  # fmt: skip
        np.testing.assert_array_equal(op(t).numpy(), ref(x))
    np.testing.assert_array_equal(ops.round(t, 1).numpy(), np.round(x, 1))
    assert ops.round(lamina.tensor([0.5, 1.5, 2.5])).tolist() == [0.0, 2.0, 2.0]  # half to even
    (ops.round(t) * 3 + ops.sign(t) + ops.floor(t) + ops.ceil(t)).sum().backward()
    np.testing.assert_array_equal(t.grad, np.zeros_like(x))


def test_nan_to_num_replaces_and_passes_gradient_where_finite():
    x = np.array([np.nan, np.inf, -np.inf, 1.5])
    out = ops.nan_to_num(lamina.tensor(x))
    np.testing.assert_array_equal(out.numpy(), np.nan_to_num(x))
    assert ops.nan_to_num(lamina.tensor(x), nan=1.0, posinf=9.0, neginf=-9.0).tolist() == [
        1.0, 9.0, -9.0, 1.5,
    ]  # fmt: skip
    t = lamina.tensor(x, requires_grad=True)
    (ops.nan_to_num(t, posinf=1.0, neginf=-1.0) * 2).sum().backward()
    assert t.grad.tolist() == [0.0, 0.0, 0.0, 2.0]
    assert check_gradients(ops.nan_to_num, np.array([0.3, -1.2]))
