"""PyTorch's tensor method names, as code ported from a PyTorch loop uses them."""

import numpy as np
import pytest

import lamina
from lamina import ops


def test_shape_methods():
    x = lamina.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.size == 24 and type(x.size) is int  # NumPy's meaning, not PyTorch's method
    assert x.view(2, -1).shape == (2, 12) and x.view(-1).shape == (24,)
    assert x.dim() == 3 and x.numel() == 24
    assert x.float().dtype == np.float32 and x.double().dtype == np.float64
    assert x.long().dtype == np.int64
    assert x.to("cpu") is x and x.cpu() is x and x.contiguous() is x
    assert x.to("float64").dtype == np.float64 and x.to(dtype="float32").dtype == np.float32


def test_norms_and_pow_are_differentiable():
    x = lamina.tensor([[3.0, -4.0], [0.0, 1.0]], requires_grad=True)
    np.testing.assert_allclose(x.norm(dim=1).numpy(), [5.0, 1.0])
    np.testing.assert_allclose(x.norm(1, dim=0).numpy(), [3.0, 5.0])
    np.testing.assert_allclose(x.norm(float("inf")).numpy(), 4.0)
    x.norm().backward()
    np.testing.assert_allclose(x.grad, x.numpy() / np.sqrt(26.0), rtol=1e-6)
    assert x.pow(2).sum().item() == 26.0
    with pytest.raises(ValueError, match="norm supports"):
        x.norm(3)


def test_clone_and_requires_grad_():
    x = lamina.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    y = x.clone()
    assert y.data is not x.data
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])
    with pytest.raises(TypeError, match="float"):
        lamina.tensor([1, 2]).requires_grad_()


def test_a_pytorch_gradient_penalty_snippet():
    rng = np.random.default_rng(0)
    w = lamina.tensor(rng.normal(size=(6, 1)), requires_grad=True)
    real, fake = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    alpha = rng.uniform(size=(4, 1))
    interpolates = lamina.tensor(alpha * real + (1 - alpha) * fake).requires_grad_(True)
    d_interpolates = ops.tanh(interpolates @ w)
    gradients = lamina.autograd.grad(
        outputs=d_interpolates, inputs=interpolates,
        grad_outputs=lamina.tensor(np.ones(d_interpolates.shape)),
        create_graph=True, retain_graph=True, only_inputs=True,
    )[0]  # fmt: skip
    gradients = gradients.view(gradients.shape[0], -1)
    penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    assert w.grad is not None and w.grad.shape == (6, 1) and np.all(np.isfinite(w.grad))
