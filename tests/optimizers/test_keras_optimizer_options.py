"""The options every optimizer shares (use_ema, gradient_accumulation_steps, loss_scale_factor)
follow Keras 3's trajectories, from the configs Keras writes
(tests/fixtures/make_keras_optimizer_options.py)."""

import json
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import optimizers

FIXTURE = np.load(Path(__file__).parents[1] / "fixtures" / "keras_optimizer_options.npz")
CASES = sorted({k.split("/")[0] for k in FIXTURE.files if "/" in k})
EMA_CASES = [c for c in CASES if f"{c}/average_w" in FIXTURE.files]
# Keras's torch Adam and Nadam round differently in float32 (alpha in float32, m * b1 + (1 - b1) g):
# they drift by up to 7e-6 from lamina's within 20 steps; a wrong rule is off by 1e-3 or more.
TOLERANCE = {"rtol": 1e-5, "atol": 2e-5}
SHARED_KEYS = ("use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
               "gradient_accumulation_steps", "clipnorm", "global_clipnorm", "name")  # fmt: skip


def _loss_grads(w, b, x, y):
    """d/dw, d/db of mean((x @ w + b - y) ** 2), in float32 as the fixture."""
    r = (2.0 / y.size) * (x @ w + b - y)
    return x.T @ r, r.sum(axis=0)


def _start(case):
    w = lamina.tensor(FIXTURE["w0"].copy(), requires_grad=True)
    b = lamina.tensor(FIXTURE["b0"].copy(), requires_grad=True)
    return optimizers.get(json.loads(str(FIXTURE[f"{case}/config"]))), w, b


def _run(opt, w, b, steps, check_from=None):
    x, y = FIXTURE["x"], FIXTURE["y"]
    case = check_from
    for _ in range(steps):
        opt.apply(_loss_grads(w.data, b.data, x, y), [w, b])
        if case is not None:
            step = opt._iterations - 1
            np.testing.assert_allclose(w.data, FIXTURE[f"{case}/w"][step], **TOLERANCE)
            np.testing.assert_allclose(b.data, FIXTURE[f"{case}/b"][step], **TOLERANCE)


@pytest.mark.parametrize("case", CASES)
def test_matches_keras_over_20_steps(case):
    opt, w, b = _start(case)
    _run(opt, w, b, len(FIXTURE[f"{case}/w"]), check_from=case)
    assert opt.iterations == int(FIXTURE[f"{case}/iterations"])
    assert not np.allclose(w.data, FIXTURE["w0"], atol=1e-2)  # the weights did move


def test_the_configs_are_keras_own_and_round_trip():
    for case in CASES:
        keras_config = json.loads(str(FIXTURE[f"{case}/config"]))["config"]
        opt = _start(case)[0]
        config = opt.get_config()
        for key in SHARED_KEYS:
            assert config[key] == keras_config[key], (case, key)
        assert type(opt).from_config(config).get_config() == config


def test_accumulation_counts_updates_and_a_schedule_counts_calls():
    opt, w, b = _start("adam_accumulation_schedule")
    _run(opt, w, b, 7)
    assert opt.iterations == 2 and opt._iterations == 7
    assert opt.learning_rate == pytest.approx(0.05 * 0.7 ** (7 / 2))  # schedule at step 7
    held = FIXTURE["adam_accumulation_schedule/w"]
    np.testing.assert_array_equal(held[3], held[4])  # calls 4 and 5 only accumulate


@pytest.mark.parametrize("case", EMA_CASES)
def test_moving_averages_and_finalize_match_keras(case):
    opt, w, b = _start(case)
    _run(opt, w, b, len(FIXTURE[f"{case}/w"]))
    state = opt.get_state()
    np.testing.assert_allclose(state["0/average"], FIXTURE[f"{case}/average_w"], **TOLERANCE)
    np.testing.assert_allclose(state["1/average"], FIXTURE[f"{case}/average_b"], **TOLERANCE)
    opt.finalize_variable_values([w, b])
    np.testing.assert_allclose(w.data, FIXTURE[f"{case}/final_w"], **TOLERANCE)
    np.testing.assert_allclose(b.data, FIXTURE[f"{case}/final_b"], **TOLERANCE)


def test_state_with_ema_and_accumulator_slots_resumes_exactly(tmp_path):
    case = "sgd_accumulation_ema_overwrite"
    opt, w, b = _start(case)
    _run(opt, w, b, 7)  # mid-accumulation: call 8 completes an update
    state = opt.get_state()
    assert sorted(state) == ["0/average", "0/gradient_accumulator", "1/average",
                             "1/gradient_accumulator", "iterations", "learning_rate"]  # fmt: skip
    assert state["iterations"] == 7 and state["0/gradient_accumulator"].any()
    np.savez(tmp_path / "opt.npz", **state)
    saved = w.data.copy(), b.data.copy()
    _run(opt, w, b, 13)

    fresh, w2, b2 = _start(case)
    w2.data[...], b2.data[...] = saved
    fresh.build([w2, b2])
    fresh.set_state(np.load(tmp_path / "opt.npz"))
    assert fresh.iterations == 3
    _run(fresh, w2, b2, 13, check_from=case)
    np.testing.assert_array_equal(w2.data, w.data)
    np.testing.assert_array_equal(fresh.get_state()["0/average"], opt.get_state()["0/average"])


def test_fixture_covers_each_option():
    assert {"adam_ema", "sgd_ema_overwrite", "sgd_accumulation_ema_overwrite"} <= set(EMA_CASES)
    assert "sgd_loss_scale" in CASES
    # without overwriting, finalizing moves the weights (so the test above can fail)
    assert not np.allclose(FIXTURE["adam_ema/final_w"], FIXTURE["adam_ema/w"][-1], atol=1e-3)
