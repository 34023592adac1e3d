import importlib.util
import itertools
import math

import numpy as np
import pytest

import lamina
from lamina.layers import Dense
from lamina.models import Sequential
from lamina.selection import HyperModel, HyperParameters, PruningCallback, Tuner
from lamina.selection.strategies import make_pruner, make_sampler
from tests.selection import task

optuna = pytest.importorskip("optuna")
pytest.importorskip("sklearn")

FIT = {"epochs": task.EPOCHS, "batch_size": 8}


@pytest.fixture
def data():
    return task.data()


def make_tuner(tmp_path, build_model=task.build_model, **kwargs):
    kwargs = {"sampler": "random", "seed": 0, "verbose": 0, "heartbeat_interval": 1, **kwargs}
    return Tuner(build_model, directory=str(tmp_path), **kwargs)


def default_score(data):
    x, y, xv, yv = data
    lamina.seed(0)
    model = task.build_model(HyperParameters())
    history = model.fit(x, y, validation_data=(xv, yv), verbose=0, **FIT)
    return min(history.history["val_loss"])


def test_search_finds_much_better_hyperparameters_than_the_defaults(tmp_path, data):
    x, y, xv, yv = data
    tuner = make_tuner(tmp_path)
    table = tuner.search(x, y, n_trials=8, validation_data=(xv, yv), **FIT)
    assert len(table) == 8 and all(row["state"] in ("COMPLETE", "PRUNED") for row in table)
    baseline = default_score(data)
    assert baseline > 1.0  # the defaults diverge ...
    assert tuner.best_score < baseline / 100  # ... the search finds a fit
    assert set(tuner.best_params) == {"lr", "momentum"}


def test_best_model_carries_the_best_epochs_weights(tmp_path, data):
    x, y, xv, yv = data
    tuner = make_tuner(tmp_path, pruner=None)
    tuner.search(x, y, n_trials=4, validation_data=(xv, yv), **FIT)
    best = tuner.study.best_trial
    assert best.value == min(best.user_attrs["history"]["val_loss"])
    assert best.user_attrs["model_path"].endswith(f"trial_{best.number:04d}.lamina")
    model = tuner.best_model()
    assert model.evaluate(xv, yv, verbose=0)[0] == pytest.approx(tuner.best_score, rel=1e-5)
    hp = tuner.get_best_hyperparameters()[0]
    assert hp.values == {} and task.build_model(hp) and hp.values == tuner.best_params
    # with data: rebuilt with the best hyperparameters and trained on it
    retrained = tuner.best_model(x, y, epochs=1)
    assert retrained.optimizer.iterations == math.ceil(len(x) / 8)


def test_grid_search_enumerates_exactly_its_grid(tmp_path, data):
    x, y, xv, yv = data

    def build(hp):
        model = Sequential([Dense(hp.choice("units", [1, 2]), input_shape=(4,))])
        if hp.boolean("second"):
            model.add(Dense(1))
        lr = hp.float("lr", 0.05, 0.15, step=0.05)
        model.compile(optimizer=lamina.optimizers.SGD(lr), loss="mse")
        return model

    tuner = make_tuner(tmp_path, build, sampler="grid", pruner=None, save_models=False)
    table = tuner.search(x, y, validation_data=(xv, yv), epochs=1)
    seen = sorted((r["params"]["units"], r["params"]["second"], r["params"]["lr"]) for r in table)
    grid = sorted(itertools.product([1, 2], [False, True], [0.05, 0.1, 0.15]))
    assert len(seen) == 12 and seen == [(u, s, pytest.approx(lr)) for u, s, lr in grid]
    # the grid is done: asking for more trials runs nothing more
    assert len(tuner.search(x, y, n_trials=20, validation_data=(xv, yv), epochs=1)) == 12


def test_n_trials_counts_the_study_so_a_later_search_only_adds_the_rest(tmp_path, data):
    x, y, xv, yv = data
    first = make_tuner(tmp_path, pruner=None, save_models=False)
    first.search(x, y, n_trials=3, validation_data=(xv, yv), **FIT)
    before = {t.number: (t.params, t.datetime_complete) for t in first.study.trials}
    again = make_tuner(tmp_path, pruner=None, save_models=False)  # same directory: same study
    again.search(x, y, n_trials=3, validation_data=(xv, yv), **FIT)
    assert len(again.study.trials) == 3  # nothing to do
    again.search(x, y, n_trials=5, validation_data=(xv, yv), **FIT)
    trials = again.study.trials
    assert [t.number for t in trials] == [0, 1, 2, 3, 4]
    assert {t.number: (t.params, t.datetime_complete) for t in trials[:3]} == before
    fresh = make_tuner(tmp_path, pruner=None, save_models=False, overwrite=True)
    assert fresh.study.trials == []


def test_results_table(tmp_path, data):
    x, y, xv, yv = data
    tuner = make_tuner(tmp_path, pruner=None)
    tuner.search(x, y, n_trials=4, validation_data=(xv, yv), **FIT)
    rows = tuner.results()
    assert [r["trial"] for r in rows] == [0, 1, 2, 3]
    assert set(rows[0]) == {"trial", "state", "score", "duration", "params"}
    assert all(r["duration"] > 0 and set(r["params"]) == {"lr", "momentum"} for r in rows)
    by_score = tuner.results(sort_by="score")
    assert by_score[0]["score"] == tuner.best_score
    assert [r["score"] for r in by_score] == sorted(r["score"] for r in rows)
    text = str(rows).splitlines()
    assert text[0].split() == ["trial", "state", "score", "duration", "lr", "momentum"]
    assert len(text) == 5 and text[1].split()[1] == "COMPLETE"


def test_median_pruning_stops_a_bad_trial_cleanly():
    x, y, xv, yv = task.data()
    study = optuna.create_study(pruner=optuna.pruners.MedianPruner(n_startup_trials=1))
    epochs_run, ended = [], []
    for lr in (0.3, 1e-3):  # a good trial, then a hopeless one
        trial = study.ask()
        model = task.build_model(HyperParameters(values={"lr": lr, "momentum": 0.0}))
        pruning = PruningCallback(trial, "val_loss")
        end = lamina.callbacks.LambdaCallback(on_train_end=lambda logs: ended.append(True))
        history = model.fit(x, y, validation_data=(xv, yv), epochs=6, batch_size=8, verbose=0,
                            callbacks=[pruning, end])  # fmt: skip
        epochs_run.append(len(history.history["loss"]))
        if pruning.pruned:
            with pytest.raises(optuna.TrialPruned, match="pruned at step 0"):
                pruning.check()
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            pruning.check()
            study.tell(trial, history.history["val_loss"][-1])
    assert epochs_run == [6, 1] and ended == [True, True]  # fit ended through on_train_end
    assert [t.state.name for t in study.trials] == ["COMPLETE", "PRUNED"]
    assert list(study.trials[0].intermediate_values) == [0, 1, 2, 3, 4, 5]


def test_the_tuner_prunes_through_its_callback(tmp_path, data):
    x, y, xv, yv = data
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2)
    tuner = make_tuner(tmp_path, pruner=pruner, save_models=False)
    tuner.search(x, y, n_trials=10, validation_data=(xv, yv), **FIT)
    pruned = [t for t in tuner.study.trials if t.state.name == "PRUNED"]
    assert pruned and all(len(t.intermediate_values) < task.EPOCHS for t in pruned)
    assert len(tuner.results()) == 10


def test_cross_validated_trials(tmp_path, data):
    x, y, _, _ = data
    tuner = make_tuner(tmp_path, cv=3, pruner=None)
    tuner.search(x, y, n_trials=3, **FIT)
    best = tuner.study.best_trial
    assert len(best.user_attrs["fold_scores"]) == 3
    assert best.value == pytest.approx(np.mean(best.user_attrs["fold_scores"]))
    assert "model_path" not in best.user_attrs  # k models: none is "the" model
    model = tuner.best_model()  # retrained on all the search data
    assert model.optimizer.iterations == task.EPOCHS * math.ceil(len(x) / 8)
    with pytest.raises(ValueError, match="each trial validates on its held-out folds"):
        tuner.search(x, y, validation_split=0.2)


@pytest.mark.parametrize("sampler", ["tpe", "nsga2"])
def test_other_samplers_search(tmp_path, data, sampler):
    x, y, xv, yv = data
    tuner = make_tuner(tmp_path, sampler=sampler, pruner="hyperband", save_models=False)
    assert len(tuner.search(x, y, n_trials=4, validation_data=(xv, yv), **FIT)) == 4


def test_strategies_by_name():
    names = {"tpe": "TPESampler", "random": "RandomSampler", "nsga2": "NSGAIISampler"}
    for name, cls in names.items():
        assert type(make_sampler(name, seed=0)).__name__ == cls
    if importlib.util.find_spec("torch") is not None:  # Optuna's GPSampler runs on PyTorch
        assert type(make_sampler("gp", seed=0)).__name__ == "GPSampler"
    else:
        with pytest.raises(ImportError, match="pip install torch"):
            make_sampler("gp")
    try:
        import cmaes  # noqa: F401

        assert type(make_sampler("cmaes", seed=0)).__name__ == "CmaEsSampler"
    except ImportError:
        with pytest.raises(ImportError, match="pip install cmaes"):
            make_sampler("cmaes")
    assert type(make_pruner("hyperband", 10)).__name__ == "HyperbandPruner"
    assert make_pruner("median", 10, warmup=3)._n_warmup_steps == 3
    with pytest.raises(ValueError, match="unknown sampler 'bayes'"):
        make_sampler("bayes")


def test_direction_and_argument_checks(tmp_path, data):
    x, y, xv, yv = data
    assert make_tuner(tmp_path, objective="val_accuracy").direction == "maximize"
    assert make_tuner(tmp_path, objective="val_mae").direction == "minimize"
    assert make_tuner(tmp_path, objective="val_score", direction="max").direction == "maximize"
    with pytest.raises(ValueError, match="pass direction='min' or direction='max'"):
        make_tuner(tmp_path, objective="val_score")
    with pytest.raises(ValueError, match="unknown sampler"):
        make_tuner(tmp_path, sampler="annealing")
    with pytest.raises(ValueError, match="pass validation_data= or validation_split="):
        make_tuner(tmp_path).search(x, y, n_trials=1)
    with pytest.raises(KeyError, match="'val_accuracy' is not in the epoch logs"):
        make_tuner(tmp_path, objective="val_accuracy").search(
            x, y, n_trials=1, validation_data=(xv, yv)
        )
    other = make_tuner(tmp_path, objective="val_mae")  # the study above maximizes
    with pytest.raises(ValueError, match="was made to maximize, not minimize"):
        other.search(x, y, n_trials=1, validation_data=(xv, yv))


def test_plots_are_written(tmp_path, data):
    pytest.importorskip("matplotlib")
    x, y, xv, yv = data
    tuner = make_tuner(tmp_path, save_models=False)
    tuner.search(x, y, n_trials=6, validation_data=(xv, yv), **FIT)
    tuner.plot_history(tmp_path / "history.png")
    importances = tuner.plot_importances(tmp_path / "importances.png")
    for name in ("history.png", "importances.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(importances) == {"lr", "momentum"}
    assert sum(importances.values()) == pytest.approx(1.0)


def test_a_hypermodel_tunes_fit_arguments(tmp_path, data):
    x, y, xv, yv = data
    steps = []

    class BatchSizeModel(HyperModel):
        def build(self, hp):
            hp.choice("batch_size", [8, 48])
            return task.build_model(hp)

        def fit(self, hp, model, *args, **kwargs):
            history = model.fit(*args, batch_size=hp["batch_size"], **kwargs)
            steps.append((hp["batch_size"], model.optimizer.iterations))
            return history

    tuner = make_tuner(tmp_path, BatchSizeModel(), sampler="random", pruner=None)
    tuner.search(x, y, n_trials=6, epochs=2, validation_data=(xv, yv))
    assert {b for b, _ in steps} == {8, 48}
    assert all(n == 2 * math.ceil(len(x) / b) for b, n in steps)
    best = tuner.best_params["batch_size"]
    tuner.best_model(x, y, epochs=1)  # retrains through the hypermodel's fit
    assert steps[-1] == (best, math.ceil(len(x) / best))


def test_best_model_of_a_model_without_an_input_shape(tmp_path, data):
    x, y, xv, yv = data

    def build_lazy(hp):  # built by its first batch, not before
        model = Sequential([Dense(hp.int("units", 2, 4)), Dense(1)])
        model.compile(optimizer=lamina.optimizers.SGD(0.05), loss="mse")
        return model

    tuner = make_tuner(tmp_path, build_lazy, pruner=None)
    tuner.search(x, y, n_trials=2, validation_data=(xv, yv), **FIT)
    model = tuner.best_model()
    assert model.evaluate(xv, yv, verbose=0) == pytest.approx(tuner.best_score, rel=1e-5)
