"""Search strategies and pruners by name, as Optuna objects.

| name | Optuna class | kind |
| --- | --- | --- |
| ``"grid"`` | ``GridSampler`` | every combination of the declared values |
| ``"random"`` | ``RandomSampler`` | independent uniform draws |
| ``"tpe"`` | ``TPESampler`` | Bayesian: tree-structured Parzen estimators |
| ``"gp"`` | ``GPSampler`` | Bayesian: Gaussian process (needs PyTorch) |
| ``"cmaes"`` | ``CmaEsSampler`` | evolutionary: CMA-ES (needs the ``cmaes`` package) |
| ``"nsga2"`` | ``NSGAIISampler`` | evolutionary: genetic algorithm |

Pruners: ``"median"`` (``MedianPruner``: after 5 completed trials, stop a trial whose value
is worse than the median of the others' at the same epoch, from the first third of the epochs
on), ``"hyperband"`` (``HyperbandPruner`` from 1 epoch to all of them), None.

>>> type(make_sampler("random", seed=0)).__name__, type(make_pruner(None)).__name__
('RandomSampler', 'NopPruner')
"""

from __future__ import annotations

import importlib.util
import math

from lamina.selection._deps import optuna

SAMPLERS = ("tpe", "random", "grid", "gp", "cmaes", "nsga2")
PRUNERS = ("median", "hyperband", None)


def make_sampler(spec, seed: int | None = None, space: dict | None = None, n_trials: int = 20):
    """An Optuna sampler from a name (or the sampler itself). ``space`` (name -> ``Param``)
    gives a grid search its grid; ``n_trials`` sizes NSGA-II's population."""
    opt = optuna()
    samplers = opt.samplers
    if isinstance(spec, samplers.BaseSampler):
        return spec
    if spec == "tpe":
        return samplers.TPESampler(seed=seed)
    if spec == "random":
        return samplers.RandomSampler(seed=seed)
    if spec == "grid":
        if not space:
            raise ValueError("a grid search needs a search space: declare hyperparameters")
        return samplers.GridSampler({name: p.grid() for name, p in space.items()}, seed=seed)
    if spec == "gp":
        _need("torch", "sampler='gp' (Optuna's GPSampler runs on PyTorch)", "pip install torch")
        return samplers.GPSampler(seed=seed)
    if spec == "cmaes":
        _need("cmaes", "sampler='cmaes' (Optuna's CmaEsSampler)", "pip install cmaes")
        return samplers.CmaEsSampler(seed=seed)
    if spec == "nsga2":
        # 50 (Optuna's default) would leave a 20-trial search in its random first generation
        population = max(4, min(50, n_trials // 4))
        return samplers.NSGAIISampler(population_size=population, seed=seed)
    raise ValueError(
        f"unknown sampler {spec!r}: use one of {list(SAMPLERS)} or an optuna.samplers object"
    )


def make_pruner(spec, max_resource: int | None = None, warmup: int = 0):
    """An Optuna pruner from a name (or the pruner itself). ``max_resource`` is the number of
    epochs (steps) a full trial reports, for Hyperband; the median pruner waits ``warmup``
    steps (and 5 completed trials) before it prunes, since early epochs rank trials poorly."""
    pruners = optuna().pruners
    if isinstance(spec, pruners.BasePruner):
        return spec
    if spec is None or spec == "none":
        return pruners.NopPruner()
    if spec == "median":
        return pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=warmup)
    if spec == "hyperband":
        return pruners.HyperbandPruner(min_resource=1, max_resource=max_resource or "auto")
    raise ValueError(
        f"unknown pruner {spec!r}: use 'median', 'hyperband', None or an optuna.pruners object"
    )


def grid_size(space: dict) -> int:
    """How many points a grid over ``space`` has."""
    return math.prod(len(p.grid()) for p in space.values())


def _need(module: str, what: str, fix: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ImportError(f"{what} needs the {module} package, which is not installed: {fix}")
