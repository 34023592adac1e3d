import numpy as np
import pytest

import lamina
from lamina.optimizers import Adadelta

W0 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
C = np.random.default_rng(1).normal(size=(3, 4))


def grad_fn(w):
    return 0.5 * w + C


def test_matches_textbook():
    lr, rho, eps = 1.0, 0.9, 1e-4
    w, v, s = W0.astype(np.float64), 0.0, 0.0
    t_ = lamina.tensor(W0.copy(), requires_grad=True)
    opt = Adadelta(learning_rate=lr, rho=rho, epsilon=eps)
    for _ in range(5):
        opt.apply([grad_fn(t_.data).astype(np.float32)], [t_])
        g = grad_fn(w)
        v = rho * v + (1 - rho) * g**2
        delta = np.sqrt(s + eps) / np.sqrt(v + eps) * g
        s = rho * s + (1 - rho) * delta**2
        w = w - lr * delta
        np.testing.assert_allclose(t_.data, w, atol=1e-6)


def test_defaults_slots_and_errors():
    opt = Adadelta()
    assert (opt.learning_rate, opt.rho, opt.epsilon) == (0.001, 0.95, 1e-7)
    opt.build([lamina.tensor(W0, requires_grad=True)])
    assert sorted(opt.get_state()) == [
        "0/accumulated_delta_var", "0/accumulated_grad", "iterations", "learning_rate",
    ]  # fmt: skip
    with pytest.raises(ValueError, match=r"rho must be in \[0, 1\), got 1.5"):
        Adadelta(rho=1.5)
