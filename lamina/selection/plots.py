"""Pictures of a search: the score of each trial with the best so far, and how much each
hyperparameter mattered (fANOVA importances). Both write a PNG with matplotlib (the ``plots``
extra), without pyplot, so they work on a machine with no display.

``Tuner.plot_history(path)`` and ``Tuner.plot_importances(path)`` call these.

>>> import os, tempfile, optuna
>>> optuna.logging.set_verbosity(optuna.logging.WARNING)
>>> study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
>>> study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=8)
>>> path = os.path.join(tempfile.mkdtemp(), "history.png")
>>> plot_history(study, path)
>>> open(path, "rb").read(4)
b'\\x89PNG'
"""

from __future__ import annotations

import math
import os

import numpy as np

from lamina.evaluation.plots import new_figure, save_png
from lamina.selection._deps import optuna


def plot_history(study, path, objective: str = "score", title: str | None = None) -> None:
    """Each completed trial's score against its number, the best so far as a line, and the
    last value a pruned trial reported as a grey cross."""
    state = optuna().trial.TrialState
    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state == state.COMPLETE and _finite(t.value)]
    if not done:
        raise ValueError(f"{study.study_name} has no completed trial to plot yet")
    maximize = study.direction == optuna().study.StudyDirection.MAXIMIZE
    figure = new_figure(7, 4.2, dpi=110, layout=None)
    ax = figure.add_subplot()
    numbers = [t.number for t in done]
    values = [t.value for t in done]
    ax.scatter(numbers, values, s=22, color="tab:blue", label="completed trial", zorder=3)
    best = np.maximum.accumulate(values) if maximize else np.minimum.accumulate(values)
    last = max(t.number for t in trials)  # the line runs on past later pruned/failed trials
    ax.step([*numbers, last], [*best, best[-1]], where="post", color="tab:red",
            label="best so far", zorder=2)  # fmt: skip
    pruned = [(t.number, t.intermediate_values[max(t.intermediate_values)])
              for t in trials if t.state == state.PRUNED and t.intermediate_values]  # fmt: skip
    pruned = [(n, v) for n, v in pruned if _finite(v)]
    if pruned:
        ax.scatter(*zip(*pruned), marker="x", s=22, color="0.55", label="pruned (last report)")
    failed = sum(t.state == state.FAIL for t in trials)
    ax.set_xlabel("trial")
    ax.set_ylabel(f"{objective} ({'higher' if maximize else 'lower'} is better)")
    subtitle = f"{len(done)} completed, {len(pruned)} pruned, {failed} failed"
    ax.set_title(f"{title or study.study_name}: search history\n{subtitle}", fontsize=10)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(figure, path)


def plot_importances(study, path, title: str | None = None, seed: int = 0) -> dict:
    """A bar per hyperparameter: its share of the score's variance across the completed
    trials (Optuna's fANOVA evaluator). Returns the importances."""
    opt = optuna()
    done = [t for t in study.get_trials(deepcopy=False) if t.state == opt.trial.TrialState.COMPLETE]
    if len(done) < 2:
        raise ValueError(
            f"parameter importances need at least 2 completed trials, {study.study_name} has "
            f"{len(done)}"
        )
    evaluator = opt.importance.FanovaImportanceEvaluator(seed=seed)
    importances = opt.importance.get_param_importances(study, evaluator=evaluator)
    names = list(importances)[::-1]
    figure = new_figure(7, 4.2, dpi=110, layout=None)
    ax = figure.add_subplot()
    ax.barh(names, [importances[n] for n in names], color="tab:blue")
    for i, name in enumerate(names):
        ax.text(importances[name], i, f" {importances[name]:.2f}", va="center", fontsize=8)
    ax.set_xlim(0, max(1.0, max(importances.values()) * 1.15))
    ax.set_xlabel("importance (share of the score's variance, fANOVA)")
    ax.set_title(f"{title or study.study_name}: hyperparameter importances "
                 f"({len(done)} trials)", fontsize=10)  # fmt: skip
    ax.grid(axis="x", alpha=0.3)
    _save(figure, path)
    return {name: float(value) for name, value in importances.items()}


def _finite(value) -> bool:
    return value is not None and math.isfinite(value)


def _save(figure, path) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
    figure.tight_layout()
    save_png(figure, path)
