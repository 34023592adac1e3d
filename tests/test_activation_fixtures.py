"""Every activation in lamina.ops.activations against PyTorch: values and gradients for a fixed
upstream gradient (fixture written by tests/fixtures/make_losses.py)."""

import os

import numpy as np
import pytest

import lamina
from lamina import ops

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "activations.npz"))

ACTIVATIONS = {
    "relu": ops.relu,
    "leaky_relu": lambda x: ops.leaky_relu(x, negative_slope=0.2),
    "elu": ops.elu,
    "selu": ops.selu,
    "gelu": ops.gelu,
    "gelu_tanh": lambda x: ops.gelu(x, approximate=True),
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "softplus": ops.softplus,
    "silu": ops.silu,
    "softmax": ops.softmax,
    "log_softmax": ops.log_softmax,
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch(name):
    x = lamina.tensor(FIXTURE["x"], requires_grad=True)
    out = ACTIVATIONS[name](x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), FIXTURE[f"{name}/out"], rtol=1e-5, atol=1e-6)
    out.backward(FIXTURE["g"])
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, FIXTURE[f"{name}/grad"], rtol=1e-5, atol=1e-6)


def test_fixture_covers_every_activation():
    stored = {key.split("/")[0] for key in FIXTURE.files if "/" in key}
    assert stored == set(ACTIVATIONS)
