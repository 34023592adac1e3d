"""lamina.optimizers.lr_scheduler against PyTorch's learning-rate sequences
(tests/fixtures/make_lr_schedulers.py -> tests/fixtures/lr_schedulers.npz)."""

import json
import os

import numpy as np
import pytest

import lamina
from lamina.optimizers import SGD, lr_scheduler
from lamina.optimizers.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    ReduceLROnPlateau,
    StepLR,
)
from lamina.optimizers.schedules import ExponentialDecay

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "lr_schedulers.npz")
with np.load(FIXTURE) as _f:
    REFERENCE = {key: _f[key] for key in _f.files}
CASES = sorted({key.split("/")[0] for key in REFERENCE if "/" in key})


def weight():
    return lamina.tensor([1.0, -2.0], requires_grad=True)


@pytest.mark.parametrize("case", CASES)
def test_learning_rates_match_pytorch(case):
    config = json.loads(str(REFERENCE[f"{case}/config"]))
    metrics = REFERENCE[f"{case}/metrics"]
    w = weight()
    optimizer = SGD([w], lr=float(REFERENCE["lr"]))
    scheduler = getattr(lr_scheduler, config["class"])(optimizer, **config["kwargs"])
    rates = [scheduler.get_last_lr()[0]]
    for epoch in range(len(REFERENCE[f"{case}/lr"]) - 1):
        optimizer.zero_grad()
        (w * w).sum().backward()
        optimizer.step()
        if case == "exponential_manual" and epoch == 5:
            optimizer.param_groups[0]["lr"] = 0.05
        scheduler.step(metrics[epoch]) if len(metrics) else scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
        assert optimizer.learning_rate == rates[-1]  # the next step uses it
    np.testing.assert_allclose(rates, REFERENCE[f"{case}/lr"], rtol=1e-12, atol=1e-15)


def test_the_scheduled_rate_is_the_one_the_next_step_uses():
    w = weight()
    optimizer = SGD([w], lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    scheduler.step()  # epoch 1: lr 0.5
    before = w.numpy().copy()
    optimizer.zero_grad()
    w.sum().backward()  # gradient 1 everywhere
    optimizer.step()
    np.testing.assert_allclose(w.numpy(), before - 0.5)


def test_state_dict_resumes_the_sequence():
    def make():
        optimizer = SGD([weight()], lr=1.0)
        return optimizer, CosineAnnealingLR(optimizer, T_max=6, eta_min=0.1)

    optimizer, scheduler = make()
    for _ in range(3):
        scheduler.step()
    saved, saved_opt = scheduler.state_dict(), optimizer.state_dict()
    expected = [(scheduler.step(), scheduler.get_last_lr()[0])[1] for _ in range(4)]
    optimizer, resumed = make()
    optimizer.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    assert [(resumed.step(), resumed.get_last_lr()[0])[1] for _ in range(4)] == expected
    assert "optimizer" not in saved


def test_step_with_an_epoch_jumps_to_the_closed_form():
    optimizer = SGD([weight()], lr=1.0)
    scheduler = ExponentialLR(optimizer, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(3)
    assert scheduler.get_last_lr() == [0.125]


def test_arguments_are_checked():
    optimizer = SGD([weight()], lr=0.1)
    with pytest.raises(ValueError, match="step_size must be an integer >= 1, got 0"):
        StepLR(optimizer, step_size=0)
    with pytest.raises(ValueError, match="T_max must be an integer >= 1"):
        CosineAnnealingLR(optimizer, T_max=2.5)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'lowest'"):
        ReduceLROnPlateau(optimizer, mode="lowest")
    with pytest.raises(ValueError, match=r"factor must be in \[0, 1\), got 1.0"):
        ReduceLROnPlateau(optimizer, factor=1.0)
    with pytest.raises(TypeError, match="needs a lamina optimizer, got str"):
        StepLR("sgd", step_size=1)
    scheduled = SGD(ExponentialDecay(0.1, 10, 0.5), params=[weight()])
    with pytest.raises(TypeError, match="has the schedule .* use one or the other"):
        ExponentialLR(scheduled, gamma=0.9)
    fresh = SGD([weight()], lr=0.1)
    with pytest.raises(KeyError, match="no 'initial_lr' to resume"):
        StepLR(fresh, step_size=1, last_epoch=4)


def test_plateau_takes_a_tensor_metric_and_max_mode():
    optimizer = SGD([weight()], lr=1.0)
    scheduler = ReduceLROnPlateau(optimizer, mode="max", factor=0.5, patience=0)
    scheduler.step(lamina.tensor(0.5))
    scheduler.step(lamina.tensor(0.9))  # better: kept
    assert optimizer.learning_rate == 1.0
    scheduler.step(lamina.tensor(0.8))  # worse, patience 0: halved
    assert scheduler.get_last_lr() == [0.5] and optimizer.learning_rate == 0.5


def test_package_exposes_the_module():
    assert lamina.optimizers.lr_scheduler.StepLR is StepLR
