import json
import math
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina.optimizers import SGD, schedules
from lamina.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    StepDecay,
)

ALL = [
    ExponentialDecay(0.1, 10, 0.5, staircase=True),
    InverseTimeDecay(0.1, 5, 0.5),
    StepDecay(0.1, step_size=3, gamma=0.5),
    PiecewiseConstantDecay([3, 7], [0.3, 0.2, 0.1]),
    PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0, cycle=True),
    CosineDecay(0.01, 20, alpha=0.1, warmup_target=0.1, warmup_steps=5),
    CosineDecayRestarts(0.1, 4, t_mul=1.5, m_mul=0.5, alpha=0.1),
]


def test_exponential_decay():
    s = ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    assert [s(k) for k in (0, 2, 4, 8)] == pytest.approx([0.1, 0.1 / math.sqrt(2), 0.05, 0.025])
    s = ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)
    assert [s(k) for k in (0, 3, 4, 7, 8)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_inverse_time_and_step_decay():
    assert InverseTimeDecay(1.0, 2, 1.0)(4) == pytest.approx(1 / 3)
    assert InverseTimeDecay(1.0, 2, 1.0, staircase=True)(3) == pytest.approx(0.5)
    s = StepDecay(1.0, step_size=10, gamma=0.5)
    assert [s(k) for k in (0, 9, 10, 25)] == pytest.approx([1.0, 1.0, 0.5, 0.25])


def test_piecewise_constant_boundaries_belong_to_the_left():
    s = PiecewiseConstantDecay([3, 7], [0.3, 0.2, 0.1])
    assert [s(k) for k in range(10)] == [0.3] * 4 + [0.2] * 4 + [0.1] * 2


def test_polynomial_decay():
    s = PolynomialDecay(1.0, 10, end_learning_rate=0.0, power=2.0)
    assert [s(k) for k in (0, 5, 10, 20)] == pytest.approx([1.0, 0.25, 0.0, 0.0])
    s = PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
    assert s(15) == pytest.approx(0.25)  # horizon 20


def test_cosine_decay_without_warmup():
    s = CosineDecay(1.0, decay_steps=10, alpha=0.1)
    want = [0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * k / 10)) for k in range(11)]
    assert [s(k) for k in range(11)] == pytest.approx(want)
    assert s(50) == pytest.approx(0.1)


def test_cosine_decay_with_linear_warmup():
    s = CosineDecay(0.01, decay_steps=20, alpha=0.0, warmup_target=0.1, warmup_steps=5)
    warm = [s(k) for k in range(6)]
    assert warm == pytest.approx([0.01, 0.028, 0.046, 0.064, 0.082, 0.1])
    assert s(15) == pytest.approx(0.05)  # halfway through the decay
    assert s(25) == pytest.approx(0.0, abs=1e-12)
    assert s(100) == pytest.approx(0.0, abs=1e-12)


KERAS = np.load(Path(__file__).parents[1] / "fixtures" / "keras_optimizers.npz")
KERAS_SCHEDULES = sorted({k.split("/")[1] for k in KERAS.files if k.startswith("schedule/")})


@pytest.mark.parametrize("i", KERAS_SCHEDULES)
def test_cosine_decay_restarts_matches_keras(i):
    config = json.loads(str(KERAS[f"schedule/{i}/config"]))
    s = CosineDecayRestarts(**config)
    want = KERAS[f"schedule/{i}/values"]
    np.testing.assert_allclose([s(k) for k in range(len(want))], want, rtol=1e-5, atol=1e-8)


def test_cosine_decay_restarts_periods_grow_and_restart_exactly():
    s = CosineDecayRestarts(1.0, first_decay_steps=4, t_mul=1.5, m_mul=0.5, alpha=0.0)
    # periods of 4 and 6 steps; the third starts at step 10 at 1.0 * 0.5 ** 2
    assert [round(s(k), 6) for k in (0, 2, 4, 7, 10, 19)] == pytest.approx(
        [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    )
    assert s(9) == pytest.approx(0.25 * (1 + math.cos(math.pi * 5 / 6)))  # before the restart
    # Keras computes the period index in float32 and lands step 10 at the second period's end
    # (its minimum); lamina restarts there, as the formula says
    constant = CosineDecayRestarts(0.1, 3, t_mul=1.0, alpha=0.2)
    assert [constant(k) for k in (0, 3, 6, 99)] == pytest.approx([0.1] * 4)


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    clone = schedules.deserialize(schedules.serialize(schedule))
    assert type(clone) is type(schedule)
    assert clone.get_config() == schedule.get_config()
    assert [clone(k) for k in range(30)] == [schedule(k) for k in range(30)]


def test_errors():
    with pytest.raises(ValueError, match="decay_steps must be positive, got 0"):
        ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="one more value than boundaries"):
        PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="strictly increasing"):
        PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="first_decay_steps must be positive, got 0"):
        CosineDecayRestarts(0.1, 0)
    with pytest.raises(ValueError, match="t_mul must be positive, got -2"):
        CosineDecayRestarts(0.1, 10, t_mul=-2)
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'Nope'"):
        schedules.deserialize({"class_name": "Nope", "config": {}})


def test_optimizer_follows_the_schedule():
    w = lamina.tensor([0.0], requires_grad=True)
    opt = SGD(PiecewiseConstantDecay([1], [1.0, 0.1]))
    rates = []
    for _ in range(4):
        rates.append(opt.learning_rate)
        opt.apply([np.ones(1, np.float32)], [w])
    assert rates == [1.0, 1.0, 0.1, 0.1]
    np.testing.assert_allclose(w.data, [-2.2], rtol=1e-6)


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_array_of_steps_gives_the_scalar_values(schedule):
    steps = np.concatenate([np.arange(60.0), [0.5, 2.25, 13.7, 1e5]])
    rates = schedule(steps)
    assert isinstance(rates, np.ndarray) and rates.shape == steps.shape
    np.testing.assert_allclose(rates, [schedule(s) for s in steps], rtol=1e-12, atol=1e-15)
    assert schedule(steps.reshape(8, 8)).shape == (8, 8)
    assert schedule([0, 1]).shape == (2,)  # a list of steps too
    assert type(schedule(3)) is float and type(schedule(np.int64(3))) is float


def test_overfit_tutorial_plots_the_schedule_over_steps():
    # TF "Overfit and underfit": lr_schedule(np.linspace(0, 100000)) for a plot
    lr_schedule = InverseTimeDecay(0.001, decay_steps=20 * 1000, decay_rate=1, staircase=False)
    lr = lr_schedule(np.linspace(0, 100000))
    assert lr.shape == (50,)
    assert lr[0] == pytest.approx(0.001) and lr[-1] == pytest.approx(0.001 / 6)
    assert np.all(np.diff(lr) < 0)
