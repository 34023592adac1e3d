import pytest

from lamina.selection import HyperParameters
from lamina.selection.hyperparameters import search_space

optuna = pytest.importorskip("optuna")


def build(hp):
    return {
        "lr": hp.Float("lr", 1e-4, 1e-1, sampling="log"),
        "units": hp.int("units", 16, 128, step=16, default=64),
        "dropout": hp.float("dropout", 0.0, 0.5, step=0.1),
        "activation": hp.Choice("activation", ["relu", "tanh"]),
        "bn": hp.boolean("bn", default=True),
        "layers": hp.Fixed("layers", 2),
    }


def test_defaults_outside_a_search_follow_kerastuner():
    hp = HyperParameters()
    assert build(hp) == {"lr": 1e-4, "units": 64, "dropout": 0.0, "activation": "relu",
                         "bn": True, "layers": 2}  # fmt: skip
    assert hp.values["units"] == 64 and hp["activation"] == "relu" and "bn" in hp


def test_given_values_replace_the_defaults():
    hp = HyperParameters(values={"lr": 0.01, "activation": "tanh"})
    values = build(hp)
    assert values["lr"] == 0.01 and values["activation"] == "tanh" and values["units"] == 64


def test_values_come_from_the_optuna_trial_and_stay_in_range():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = []
    for _ in range(20):
        trial = study.ask()
        values = build(HyperParameters(trial))
        study.tell(trial, 0.0)
        seen.append(values)
        assert trial.params.keys() == values.keys() - {"layers"}
        assert all(trial.params[k] == pytest.approx(values[k]) for k in trial.params)
        assert 1e-4 <= values["lr"] <= 1e-1
        assert values["units"] in range(16, 129, 16)
        assert values["dropout"] in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)  # exactly: no float noise
        assert values["layers"] == 2
    assert len({v["lr"] for v in seen}) == 20  # sampled, not the default
    assert {v["activation"] for v in seen} == {"relu", "tanh"}
    # log sampling: about as many draws below 1e-2.5 (the log-midpoint) as above
    assert 5 <= sum(v["lr"] < 10**-2.5 for v in seen) <= 15


def test_log_is_sampled_in_log_space():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    draws = []
    for _ in range(200):
        trial = study.ask()
        draws.append(HyperParameters(trial).float("lr", 1e-5, 1.0, log=True))
        study.tell(trial, 0.0)
    # uniform on [1e-5, 1] would put ~99.99% above 1e-4; log-uniform puts ~80%
    assert 0.65 < sum(d > 1e-4 for d in draws) / 200 < 0.95


def test_grid_values():
    space = search_space(build)
    assert space["units"].grid() == [16, 32, 48, 64, 80, 96, 112, 128]
    assert space["dropout"].grid() == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert space["bn"].grid() == [False, True]
    assert space["layers"].grid() == [2]
    with pytest.raises(ValueError, match="grid search needs a step for hp.float"):
        space["lr"].grid()


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (lambda hp: hp.float("lr", 0.0, 1.0, log=True), "log sampling needs min_value > 0"),
        (lambda hp: hp.float("lr", 1e-3, 1.0, step=0.1, log=True), "cannot be combined with log"),
        (lambda hp: hp.int("n", 5, 1), "min_value 5 must be <= max_value 1"),
        (lambda hp: hp.int("n", 1.5, 4), "bounds must be integers"),
        (lambda hp: hp.int("n", 1, 8, step=0), "step must be a positive integer"),
        (lambda hp: hp.choice("act", []), "non-empty list"),
        (lambda hp: hp.choice("act", [object()]), "None, bool, int, float or str"),
        (lambda hp: hp.choice("act", ["a"], default="b"), "default 'b' is not one of"),
        (lambda hp: hp.float("m", 0.1, 0.9, sampling="reverse_log"), "no Optuna equivalent"),
        (lambda hp: hp.float("m", 0.1, 0.9, sampling="cubic"), "'linear' or 'log'"),
        (lambda hp: (hp.int("n", 1, 4), hp.int("n", 1, 8)), "declared twice differently"),
    ],
)
def test_bad_declarations_name_the_fix(declare, message):
    with pytest.raises(ValueError, match=message):
        declare(HyperParameters())


def test_reading_an_undeclared_name_lists_the_declared_ones():
    hp = HyperParameters()
    hp.int("units", 1, 4)
    with pytest.raises(KeyError, match="declared: \\['units'\\]"):
        hp.get("lr")
