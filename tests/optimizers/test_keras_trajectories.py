"""lamina's optimizers follow Keras 3's trajectories where PyTorch has no counterpart or places
epsilon elsewhere (tests/fixtures/make_keras_optimizers.py)."""

import json
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import optimizers

FIXTURE = np.load(Path(__file__).parents[1] / "fixtures" / "keras_optimizers.npz")
CASES = sorted({k.split("/")[0] for k in FIXTURE.files if "/" in k} - {"schedule"})


def _loss_grads(w, b, x, y):
    """d/dw, d/db of mean((x @ w + b - y) ** 2), in float32 as the fixture."""
    r = (2.0 / y.size) * (x @ w + b - y)
    return x.T @ r, r.sum(axis=0)


@pytest.mark.parametrize("case", CASES)
def test_matches_keras_over_20_steps(case):
    x, y = FIXTURE["x"], FIXTURE["y"]
    w = lamina.tensor(FIXTURE["w0"].copy(), requires_grad=True)
    b = lamina.tensor(FIXTURE["b0"].copy(), requires_grad=True)
    opt = optimizers.get(json.loads(str(FIXTURE[f"{case}/config"])))
    want_w, want_b = FIXTURE[f"{case}/w"], FIXTURE[f"{case}/b"]
    for step in range(len(want_w)):
        opt.apply(_loss_grads(w.data, b.data, x, y), [w, b])
        np.testing.assert_allclose(w.data, want_w[step], rtol=1e-5, atol=3e-6, err_msg=case)
        np.testing.assert_allclose(b.data, want_b[step], rtol=1e-5, atol=3e-6, err_msg=case)
    assert w.data.dtype == np.float32
    assert not np.allclose(want_w[-1], FIXTURE["w0"], atol=1e-2)  # the weights did move


def test_fixture_covers_the_new_optimizers():
    classes = {json.loads(str(FIXTURE[f"{c}/config"]))["class_name"] for c in CASES}
    assert classes == {"Adamax", "Adadelta", "Lion", "Ftrl"}
    assert {"lion_weight_decay", "lion_clipvalue", "adamax_restarts_global_clipnorm"} <= set(CASES)
