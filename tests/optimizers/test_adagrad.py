import numpy as np
import pytest

import lamina
from lamina.optimizers import Adagrad

W0 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
C = np.random.default_rng(1).normal(size=(3, 4))


def grad_fn(w):
    return 0.5 * w + C


def test_matches_textbook():
    lr, s0, eps = 0.1, 0.1, 1e-7
    w, s = W0.astype(np.float64), s0
    t = lamina.tensor(W0.copy(), requires_grad=True)
    opt = Adagrad(learning_rate=lr)
    for _ in range(4):
        opt.apply([grad_fn(t.data).astype(np.float32)], [t])
        g = grad_fn(w)
        s = s + g**2
        w = w - lr * g / np.sqrt(s + eps)
        np.testing.assert_allclose(t.data, w, atol=1e-6)


def test_accumulator_starts_at_initial_value():
    w = lamina.tensor(W0.copy(), requires_grad=True)
    opt = Adagrad(initial_accumulator_value=0.25, params=[w])
    (acc,) = opt.variables()
    assert acc.dtype == np.float32 and np.all(acc == 0.25)


def test_defaults_and_errors():
    opt = Adagrad()
    assert (opt.learning_rate, opt.initial_accumulator_value, opt.epsilon) == (0.001, 0.1, 1e-7)
    with pytest.raises(ValueError, match="initial_accumulator_value must be a number >= 0"):
        Adagrad(initial_accumulator_value=-1)
