import numpy as np
import pytest

import lamina
from lamina.optimizers import Adam

W0 = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
C = np.random.default_rng(1).normal(size=(3, 4))


def grad_fn(w):
    return 0.5 * w + C


@pytest.mark.parametrize("amsgrad", [False, True])
def test_matches_textbook(amsgrad):
    """Kingma & Ba's efficient form (Sec. 2), which Keras implements."""
    lr, b1, b2, eps = 0.05, 0.9, 0.99, 1e-7
    w, m, v, v_max = W0.astype(np.float64), 0.0, 0.0, 0.0
    t_ = lamina.tensor(W0.copy(), requires_grad=True)
    opt = Adam(learning_rate=lr, beta_1=b1, beta_2=b2, amsgrad=amsgrad)
    for t in range(1, 8):
        opt.apply([grad_fn(t_.data).astype(np.float32)], [t_])
        g = grad_fn(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        v_max = np.maximum(v_max, v)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        w = w - alpha * m / (np.sqrt(v_max if amsgrad else v) + eps)
        np.testing.assert_allclose(t_.data, w, atol=1e-6)


def test_epsilon_is_keras_epsilon_hat():
    """epsilon is added to sqrt(v), before bias correction (Keras), not to sqrt(v_hat)."""
    w = lamina.tensor([1.0], requires_grad=True)
    Adam(learning_rate=0.1, epsilon=0.01).apply([np.ones(1, np.float32)], [w])
    m, v = 0.1, 0.001  # after one step with g = 1
    alpha = 0.1 * np.sqrt(1 - 0.999) / (1 - 0.9)
    np.testing.assert_allclose(w.data, 1 - alpha * m / (np.sqrt(v) + 0.01), rtol=1e-6)


def test_one_adam_step_on_a_dense_network_matches_numpy_textbook():
    """Forward, backward and one Adam step with lamina == plain NumPy, to 1e-6."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    init = [
        rng.normal(scale=0.5, size=(5, 8)), rng.normal(scale=0.1, size=8),
        rng.normal(scale=0.5, size=(8, 2)), rng.normal(scale=0.1, size=2),
    ]  # fmt: skip
    params = [lamina.tensor(a.astype(np.float32), requires_grad=True) for a in init]
    W1, b1, W2, b2 = params
    out = lamina.ops.tanh(x @ W1 + b1) @ W2 + b2
    ((out - y) ** 2).mean().backward()
    lr, beta_1, beta_2, eps = 0.01, 0.9, 0.999, 1e-7
    Adam(learning_rate=lr).apply([p.grad for p in params], params)

    # plain NumPy, float64: forward, backward by hand, Algorithm 1 of Kingma & Ba
    A1, B1, A2, B2 = (a.astype(np.float32).astype(np.float64) for a in init)
    h = np.tanh(x @ A1 + B1)
    d_out = 2 * (h @ A2 + B2 - y) / y.size
    d_h = d_out @ A2.T * (1 - h**2)
    grads = [x.T @ d_h, d_h.sum(0), h.T @ d_out, d_out.sum(0)]
    eps_alg1 = eps / np.sqrt(1 - beta_2)  # Keras's epsilon is the paper's epsilon-hat
    for p, w, g in zip(params, [A1, B1, A2, B2], grads, strict=True):
        m_hat = (1 - beta_1) * g / (1 - beta_1)
        v_hat = (1 - beta_2) * g**2 / (1 - beta_2)
        want = w - lr * m_hat / (np.sqrt(v_hat) + eps_alg1)
        np.testing.assert_allclose(p.data, want, atol=1e-6, rtol=0)
        assert p.data.dtype == np.float32


def test_defaults_and_errors():
    opt = Adam()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon, opt.amsgrad) == (
        0.001,
        0.9,
        0.999,
        1e-7,
        False,
    )
    with pytest.raises(ValueError, match=r"beta_1 must be in \[0, 1\), got 1.0"):
        Adam(beta_1=1.0)
    with pytest.raises(ValueError, match=r"beta_2 must be in \[0, 1\), got -0.1"):
        Adam(beta_2=-0.1)
    with pytest.raises(ValueError, match="epsilon must be a number >= 0, got -1e-08"):
        Adam(epsilon=-1e-8)
