"""The trajectory check shared by the PyTorch and Keras optimizer fixtures: 20 steps of an
optimizer on mean((x @ w + b - y) ** 2), compared step by step with the stored weights."""

import json

import numpy as np

import lamina
from lamina import optimizers


def _loss_grads(w, b, x, y):
    """d/dw, d/db of mean((x @ w + b - y) ** 2), in float32 as the fixture."""
    r = (2.0 / y.size) * (x @ w + b - y)
    return x.T @ r, r.sum(axis=0)


def check_trajectory(fixture, case):
    x, y = fixture["x"], fixture["y"]
    w = lamina.tensor(fixture["w0"].copy(), requires_grad=True)
    b = lamina.tensor(fixture["b0"].copy(), requires_grad=True)
    opt = optimizers.get(json.loads(str(fixture[f"{case}/config"])))
    want_w, want_b = fixture[f"{case}/w"], fixture[f"{case}/b"]
    for step in range(len(want_w)):
        opt.apply(_loss_grads(w.data, b.data, x, y), [w, b])
        np.testing.assert_allclose(w.data, want_w[step], rtol=1e-5, atol=3e-6, err_msg=case)
        np.testing.assert_allclose(b.data, want_b[step], rtol=1e-5, atol=3e-6, err_msg=case)
    assert w.data.dtype == np.float32
    assert not np.allclose(want_w[-1], fixture["w0"], atol=1e-2)  # the weights did move
