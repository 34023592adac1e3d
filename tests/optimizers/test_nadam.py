import numpy as np
import pytest

import lamina
from lamina.optimizers import Nadam

W0 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
C = np.random.default_rng(1).normal(size=(3, 4))


def grad_fn(w):
    return 0.5 * w + C


@pytest.mark.parametrize("psi", [1.0, 0.004])  # Keras 3; Dozat's paper and PyTorch
def test_matches_textbook(psi):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    w, m, v, prod = W0.astype(np.float64), 0.0, 0.0, 1.0
    t_ = lamina.tensor(W0.copy(), requires_grad=True)
    opt = Nadam(learning_rate=lr, momentum_decay=psi)
    for t in range(1, 6):
        opt.apply([grad_fn(t_.data).astype(np.float32)], [t_])
        g = grad_fn(w)
        mu = b1 * (1 - 0.5 * 0.96 ** (psi * t))
        mu_next = b1 * (1 - 0.5 * 0.96 ** (psi * (t + 1)))
        prod *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu) * g / (1 - prod)
        v_hat = v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(t_.data, w, atol=1e-6)


def test_defaults():
    opt = Nadam()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    assert opt.get_config()["momentum_decay"] == 1.0
