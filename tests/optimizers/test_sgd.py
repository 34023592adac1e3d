import numpy as np
import pytest

import lamina
from lamina.optimizers import SGD

W0 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
C = np.random.default_rng(1).normal(size=(3, 4))


def grad_fn(w):
    """A fixed gradient field (that of 0.25 w^2 + c w), so trajectories depend on the update."""
    return 0.5 * w + C


def run(opt, steps=4):
    w = lamina.tensor(W0.copy(), requires_grad=True)
    out = []
    for _ in range(steps):
        opt.apply([grad_fn(w.data).astype(np.float32)], [w])
        out.append(w.data.copy())
    return out


def test_plain_sgd_matches_textbook():
    w, lr = W0.astype(np.float64), 0.1
    for got in run(SGD(learning_rate=lr)):
        w = w - lr * grad_fn(w)
        np.testing.assert_allclose(got, w, atol=1e-6)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_textbook(nesterov):
    w, m, lr, mu = W0.astype(np.float64), 0.0, 0.1, 0.9
    for got in run(SGD(learning_rate=lr, momentum=mu, nesterov=nesterov)):
        g = grad_fn(w)
        m = mu * m - lr * g
        w = w + (mu * m - lr * g if nesterov else m)
        np.testing.assert_allclose(got, w, atol=1e-6)


def test_defaults_and_slots():
    opt = SGD()
    assert (opt.learning_rate, opt.momentum, opt.nesterov) == (0.01, 0.0, False)
    w = lamina.tensor(W0.copy(), requires_grad=True)
    opt.build([w])
    assert opt.variables() == []  # no momentum, no state
    opt = SGD(momentum=0.5)
    opt.build([w])
    assert [a.shape for a in opt.variables()] == [(3, 4)]


def test_momentum_must_be_in_unit_interval():
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\], got 1.5"):
        SGD(momentum=1.5)
