import numpy as np
import pytest

import lamina
from lamina.optimizers import Ftrl

W0 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
C = np.random.default_rng(1).normal(size=(3, 4))


def grad_fn(w):
    return 0.5 * w + C


def reference(steps, lr, p=-0.5, n0=0.1, l1=0.0, l2=0.0, shrink=0.0, beta=0.0):
    """Keras's docstring algorithm, in float64."""
    w, n, z = W0.astype(np.float64), np.full(W0.shape, n0), np.zeros(W0.shape)
    out = []
    for _ in range(steps):
        g = grad_fn(w)
        n_new = n + g**2
        sigma = (n_new ** (-p) - n ** (-p)) / lr
        z = z + g + 2 * shrink * w - sigma * w
        quadratic = n_new ** (-p) / lr + 2 * (l2 + beta / (2 * lr))
        w = np.where(np.abs(z) <= l1, 0.0, (np.sign(z) * l1 - z) / quadratic)
        n = n_new
        out.append(w)
    return out


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"learning_rate_power": -0.7, "initial_accumulator_value": 0.3,
          "l1_regularization_strength": 0.2, "l2_regularization_strength": 0.1,
          "l2_shrinkage_regularization_strength": 0.05, "beta": 0.2}],
)  # fmt: skip
def test_matches_textbook(kwargs):
    names = {"learning_rate_power": "p", "initial_accumulator_value": "n0",
             "l1_regularization_strength": "l1", "l2_regularization_strength": "l2",
             "l2_shrinkage_regularization_strength": "shrink", "beta": "beta"}  # fmt: skip
    want = reference(5, 0.1, **{names[k]: v for k, v in kwargs.items()})
    t_ = lamina.tensor(W0.copy(), requires_grad=True)
    opt = Ftrl(learning_rate=0.1, **kwargs)
    for expected in want:
        opt.apply([grad_fn(t_.data).astype(np.float32)], [t_])
        np.testing.assert_allclose(t_.data, expected, atol=1e-5)


def test_l1_makes_weights_exactly_zero():
    w = lamina.tensor(W0.copy(), requires_grad=True)
    opt = Ftrl(0.5, l1_regularization_strength=1.0)
    for _ in range(3):
        opt.apply([grad_fn(w.data).astype(np.float32)], [w])
    assert np.any(w.data == 0) and np.any(w.data != 0)


def test_defaults_and_errors():
    opt = Ftrl()
    config = opt.get_config()
    assert (config["learning_rate"], config["learning_rate_power"]) == (0.001, -0.5)
    assert (config["initial_accumulator_value"], config["beta"]) == (0.1, 0.0)
    with pytest.raises(ValueError, match="learning_rate_power must be <= 0, got 0.5"):
        Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength must be a number >= 0"):
        Ftrl(l1_regularization_strength=-1)
