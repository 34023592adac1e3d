import numpy as np
import pytest

import lamina
from lamina.optimizers import RMSprop

W0 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
C = np.random.default_rng(1).normal(size=(3, 4))


def grad_fn(w):
    return 0.5 * w + C


def run(opt, steps=4):
    w = lamina.tensor(W0.copy(), requires_grad=True)
    out = []
    for _ in range(steps):
        opt.apply([grad_fn(w.data).astype(np.float32)], [w])
        out.append(w.data.copy())
    return out


@pytest.mark.parametrize("momentum", [0.0, 0.5])
@pytest.mark.parametrize("centered", [False, True])
def test_matches_textbook(momentum, centered):
    lr, rho, eps = 0.01, 0.9, 1e-7
    w, v, a, b = W0.astype(np.float64), 0.0, 0.0, 0.0
    opt = RMSprop(learning_rate=lr, rho=rho, momentum=momentum, centered=centered)
    for got in run(opt):
        g = grad_fn(w)
        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g
        step = lr * g / np.sqrt((v - a**2 if centered else v) + eps)
        b = momentum * b + step
        w = w - (b if momentum else step)
        np.testing.assert_allclose(got, w, atol=1e-6)


def test_epsilon_is_inside_the_square_root_as_in_keras():
    w = lamina.tensor([1.0], requires_grad=True)
    RMSprop(learning_rate=0.1, rho=0.9, epsilon=1.0).apply([np.ones(1, np.float32)], [w])
    np.testing.assert_allclose(w.data, 1 - 0.1 / np.sqrt(0.1 + 1.0), rtol=1e-6)


def test_defaults_and_slots():
    opt = RMSprop()
    assert (opt.learning_rate, opt.rho, opt.momentum, opt.epsilon, opt.centered) == (
        0.001,
        0.9,
        0.0,
        1e-7,
        False,
    )
    w = lamina.tensor(W0.copy(), requires_grad=True)
    opt = RMSprop(momentum=0.9, centered=True, params=[w])
    assert list(opt.get_state()) == [
        "iterations",
        "learning_rate",
        "0/velocity",
        "0/momentum",
        "0/average_gradient",
    ]


def test_rho_must_be_below_one():
    with pytest.raises(ValueError, match=r"rho must be in \[0, 1\), got 1"):
        RMSprop(rho=1)
