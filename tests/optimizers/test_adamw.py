import numpy as np
import pytest

import lamina
from lamina.optimizers import Adam, AdamW

W0 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
C = np.random.default_rng(1).normal(size=(3, 4))


def grad_fn(w):
    return 0.5 * w + C


def test_matches_textbook():
    lr, b1, b2, eps, wd = 0.05, 0.9, 0.999, 1e-7, 0.1
    w, m, v = W0.astype(np.float64), 0.0, 0.0
    t_ = lamina.tensor(W0.copy(), requires_grad=True)
    opt = AdamW(learning_rate=lr, weight_decay=wd)
    for t in range(1, 6):
        opt.apply([grad_fn(t_.data).astype(np.float32)], [t_])
        g = grad_fn(w)  # the gradient at the weights before the decay
        w = w - lr * wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(t_.data, w, atol=1e-6)


def test_default_decay_and_adam_without_it():
    assert AdamW().weight_decay == 0.004 and AdamW().get_config()["weight_decay"] == 0.004
    assert Adam().weight_decay is None
    with pytest.raises(ValueError, match="AdamW needs a weight_decay"):
        AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="weight_decay must be positive, got -0.1"):
        AdamW(weight_decay=-0.1)


def test_exclude_from_weight_decay():
    zero = np.zeros(3, np.float32)
    kernel = lamina.tensor(np.ones(3), requires_grad=True)
    kernel.name = "dense/kernel"
    bias = lamina.tensor(np.ones(3), requires_grad=True)
    bias.name = "dense/bias"
    other = lamina.tensor(np.ones(3), requires_grad=True)
    opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    opt.apply([zero, zero, zero], [kernel, bias, other])
    np.testing.assert_allclose(kernel.data, 0.95)
    np.testing.assert_array_equal(bias.data, 1.0)
    np.testing.assert_array_equal(other.data, 1.0)


def test_weight_decay_on_any_optimizer_uses_the_scheduled_rate():
    from lamina.optimizers import SGD
    from lamina.optimizers.schedules import PiecewiseConstantDecay

    w = lamina.tensor(np.ones(2), requires_grad=True)
    opt = SGD(PiecewiseConstantDecay([0], [0.1, 0.2]), weight_decay=0.5)
    opt.apply([np.zeros(2, np.float32)], [w])  # step 0: lr 0.1
    opt.apply([np.zeros(2, np.float32)], [w])  # step 1: lr 0.2
    np.testing.assert_allclose(w.data, (1 - 0.05) * (1 - 0.1), rtol=1e-6)
