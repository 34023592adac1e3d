import numpy as np
import pytest

import lamina
from lamina.optimizers import Adamax

W0 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
C = np.random.default_rng(1).normal(size=(3, 4))


def grad_fn(w):
    return 0.5 * w + C


@pytest.mark.parametrize("eps", [1e-7, 0.5])  # a large epsilon shows where it sits
def test_matches_textbook(eps):
    lr, b1, b2 = 0.01, 0.9, 0.999
    w, m, u = W0.astype(np.float64), 0.0, 0.0
    t_ = lamina.tensor(W0.copy(), requires_grad=True)
    opt = Adamax(learning_rate=lr, epsilon=eps)
    for t in range(1, 6):
        opt.apply([grad_fn(t_.data).astype(np.float32)], [t_])
        g = grad_fn(w)
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr / (1 - b1**t) * m / (u + eps)
        np.testing.assert_allclose(t_.data, w, atol=1e-6)


def test_defaults_slots_and_errors():
    opt = Adamax()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    opt.build([lamina.tensor(W0, requires_grad=True)])
    assert sorted(opt.get_state()) == ["0/momentum", "0/norm", "iterations", "learning_rate"]
    with pytest.raises(ValueError, match=r"beta_2 must be in \[0, 1\), got 1"):
        Adamax(beta_2=1)
