"""check_gradients must pass on correct gradients and fail, readably, on wrong ones."""

import numpy as np
import pytest

import lamina
from lamina import Function, ops
from lamina.testing import check_gradients
from tests.helpers import check_op


class WrongAtOneElement(Function):
    """x * x with a gradient that is right everywhere except at flat index 5."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        g = 2 * self.x * grad
        g.reshape(-1)[5] += 1.0
        return (g,)


class ForgotTheFactor(Function):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        return (self.x * grad,)  # should be 2 x


def test_passes_on_correct_ops(rng):
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    assert check_gradients(lambda a, b: ops.tanh(a @ b).sum(), x, y)  # scalar output
    assert check_gradients(lambda a: a * a, x)
    assert check_op(ops.mul, (2, 3), (3,))
    assert check_op(ops.log, (4,), positive=True)


def test_fails_on_a_wrong_gradient_naming_the_worst_element(rng):
    x = rng.normal(size=(2, 4))
    with pytest.raises(AssertionError) as info:
        check_gradients(WrongAtOneElement.apply, x)
    report = str(info.value)
    assert "gradient check failed" in report
    assert "input 0 (shape (2, 4)): 1 of 8 elements differ" in report
    assert "worst at index (1, 1)" in report  # flat index 5
    assert "analytic" in report and "numeric" in report


def test_fails_on_every_wrong_input_and_only_those(rng):
    x, y = rng.normal(size=(3,)), rng.normal(size=(3,))
    with pytest.raises(AssertionError) as info:
        check_gradients(lambda a, b: ForgotTheFactor.apply(a) + b, x, y)
    assert "input 0" in str(info.value) and "input 1" not in str(info.value)
    assert check_gradients(lambda a, b: ForgotTheFactor.apply(a) + b, x, y, wrt=[1])


def test_a_nan_gradient_is_reported_as_the_worst():
    class NanGrad(Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return (grad * np.nan,)

    with pytest.raises(AssertionError, match="2 of 2 elements differ.*analytic nan"):
        check_gradients(NanGrad.apply, np.array([1.0, 2.0]))


def test_non_contiguous_and_float32_inputs_are_checked_in_float64(rng):
    x = rng.normal(size=(4, 3)).astype(np.float32).T  # Fortran-ordered view
    assert check_gradients(lambda a: a * a, x)
    assert check_gradients(lambda a: a * a, np.asfortranarray(rng.normal(size=(3, 4))))


def test_integer_inputs_are_constants(rng):
    x = rng.normal(size=(4,))
    index = np.array([0, 0, 3])
    assert check_gradients(lambda a, i: a[i.data] * 2, x, index)


def test_needs_a_float_input_and_a_connected_output():
    with pytest.raises(ValueError, match="floating-point input"):
        check_gradients(lambda i: i * 2, np.array([1, 2]))
    with pytest.raises(AssertionError, match="does not depend"):
        check_gradients(lambda a: lamina.tensor([1.0]), np.array([1.0]))
