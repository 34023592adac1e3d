import numpy as np
import pytest

import lamina
from lamina.optimizers import Lion

W0 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
C = np.random.default_rng(1).normal(size=(3, 4))


def grad_fn(w):
    return 0.5 * w + C


def test_matches_textbook_with_decoupled_weight_decay():
    lr, b1, b2, wd = 0.01, 0.9, 0.99, 0.5
    w, m = W0.astype(np.float64), 0.0
    t_ = lamina.tensor(W0.copy(), requires_grad=True)
    opt = Lion(learning_rate=lr, weight_decay=wd)
    for _ in range(5):
        opt.apply([grad_fn(t_.data).astype(np.float32)], [t_])
        g = grad_fn(w)
        w = w * (1 - lr * wd)
        w = w - lr * np.sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
        np.testing.assert_allclose(t_.data, w, atol=1e-6)


def test_every_coordinate_moves_by_the_learning_rate():
    w = lamina.tensor(np.zeros(3, np.float32), requires_grad=True)
    Lion(0.25).apply([np.array([1e-6, -50.0, 3.0], np.float32)], [w])
    np.testing.assert_array_equal(w.data, [-0.25, 0.25, -0.25])


def test_defaults_and_errors():
    opt = Lion()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2) == (0.001, 0.9, 0.99)
    with pytest.raises(ValueError, match=r"beta_1 must be in \(0, 1\], got 0 .*sign descent"):
        Lion(beta_1=0)
    assert Lion(beta_1=1.0).beta_1 == 1.0
