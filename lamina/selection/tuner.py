"""``Tuner``: hyperparameter search over a ``build_model(hp)`` function, on Optuna.

KerasTuner's workflow: declare the search space inside ``build_model`` with ``hp`` calls, make a
Tuner, call ``search`` with the arguments of ``fit``, then read the results. Underneath, each
trial is an Optuna trial: a sampler picks the values (grid, random, TPE, GP, CMA-ES, NSGA-II),
a pruner stops hopeless trials from their epoch-end validation metric, and the study is kept in
a database (a SQLite file by default) so that a killed search resumes and several processes can
share it. See ``docs/selection.md``.

A trial's score is the best epoch's value of ``objective`` (as in KerasTuner), and the model of
the best trial so far is saved with those best-epoch weights, so ``best_model()`` needs no
retraining. With ``cv``, a trial's score is the mean over its folds and ``best_model()``
retrains on all the data.

>>> import numpy as np, os, tempfile, lamina
>>> from lamina.layers import Dense
>>> from lamina.models import Sequential
>>> from lamina.optimizers import SGD
>>> def build_model(hp):
...     model = Sequential([Dense(1, input_shape=(3,))])
...     model.compile(optimizer=SGD(hp.float("lr", 1e-3, 0.3, log=True)), loss="mse")
...     return model
>>> x = np.random.default_rng(0).normal(size=(64, 3)); y = x @ [[1.0], [2.0], [-1.0]]
>>> tuner = Tuner(build_model, objective="val_loss", sampler="random", seed=0, verbose=0,
...               directory=tempfile.mkdtemp())
>>> table = tuner.search(x, y, n_trials=4, epochs=5, validation_split=0.25)
>>> len(table), sorted(tuner.best_params), tuner.best_score < 0.5
(4, ['lr'], True)
>>> tuner.best_model().predict(x[:2], verbose=0).shape
(2, 1)
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import queue
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from lamina.callbacks import Callback
from lamina.selection import storage as storage_lib
from lamina.selection._deps import optuna
from lamina.selection.cross_validation import run_folds
from lamina.selection.hypermodel import HyperModel, as_hypermodel
from lamina.selection.hyperparameters import HyperParameters, search_space
from lamina.selection.plots import plot_history, plot_importances
from lamina.selection.pruning import PruningCallback
from lamina.selection.results import ResultsTable
from lamina.selection.strategies import PRUNERS, SAMPLERS, grid_size, make_pruner, make_sampler

_DIRECTIONS = {"min": "minimize", "minimize": "minimize", "max": "maximize",
               "maximize": "maximize"}  # fmt: skip
_CV_ONLY = ("stratify", "groups", "shuffle")


class _SurplusTrialError(Exception):
    """A trial started after the study already had its ``n_trials``."""


class Tuner:
    """Searches the hyperparameters ``build_model(hp)`` declares (see the module docstring).

    Args:
        build_model: ``build_model(hp) -> compiled model``, or a ``HyperModel`` (whose
            ``fit(hp, model, ...)`` may tune ``fit``'s arguments, e.g. the batch size).
        objective: the epoch-log key to optimize: ``"val_loss"``, ``"val_accuracy"``, ...
        direction: ``"min"``/``"minimize"`` or ``"max"``/``"maximize"``; None infers it from
            the name (losses and errors go down, accuracy, AUC, F1... go up).
        sampler: ``"tpe"``, ``"random"``, ``"grid"``, ``"gp"``, ``"cmaes"``, ``"nsga2"`` or an
            ``optuna.samplers`` object.
        pruner: ``"median"``, ``"hyperband"``, None, or an ``optuna.pruners`` object.
        max_trials: the default ``n_trials`` of ``search`` (KerasTuner's name): 10, or the
            whole grid for a grid search.
        directory: where the default SQLite file and the saved best models go.
        study_name: the study's name in the storage (KerasTuner's ``project_name``).
        storage: a database URL (``sqlite:///path.db``, ``postgresql://...``,
            ``mysql+pymysql://...``) or an ``optuna.storages`` object; default
            ``sqlite:///{directory}/{study_name}.db``.
        seed: seeds the sampler (worker ``i`` gets ``seed + i``) and each trial's weights
            (``lamina.seed(seed + trial_number)``).
        cv: None for ``fit``'s own validation; else cross-validate each trial, with ``cv``
            as in ``cross_validate`` (folds, a hold-out fraction, a splitter).
        n_jobs: trials run at once, each in its own process (-1: one per CPU core).
        overwrite: delete an existing study of this name first (default: resume it).
        save_models: save the best trial's model (best-epoch weights) under
            ``{directory}/{study_name}/``.
        heartbeat_interval: seconds between a running trial's heartbeats; a trial silent for
            twice that is taken for dead, marked FAIL and run again.
        verbose: 1 prints a line per finished trial.
    """

    def __init__(
        self,
        build_model: Callable[[HyperParameters], Any] | HyperModel,
        objective: str = "val_loss",
        direction: str | None = None,
        sampler: Any = "tpe",
        pruner: Any = "median",
        max_trials: int | None = None,
        directory: str = "tuning",
        study_name: str = "study",
        storage: Any = None,
        seed: int | None = None,
        cv: Any = None,
        n_jobs: int = 1,
        overwrite: bool = False,
        save_models: bool = True,
        heartbeat_interval: int | None = 10,
        verbose: int = 1,
    ) -> None:
        opt = optuna()
        self.hypermodel = as_hypermodel(build_model)
        if not isinstance(objective, str) or not objective:
            raise ValueError(
                f"objective must be an epoch-log key such as 'val_loss', got {objective!r}"
            )
        if direction is None:
            from lamina.callbacks._monitor import infer_direction

            try:
                direction = infer_direction(objective)
            except ValueError:
                raise ValueError(
                    f"cannot tell whether objective {objective!r} should be minimized or "
                    "maximized: pass direction='min' or direction='max'"
                ) from None
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be 'min' or 'max', got {direction!r}")
        if not isinstance(sampler, opt.samplers.BaseSampler) and sampler not in SAMPLERS:
            raise ValueError(
                f"unknown sampler {sampler!r}: use one of {list(SAMPLERS)} or an "
                "optuna.samplers object"
            )
        if not isinstance(pruner, opt.pruners.BasePruner) and pruner not in (*PRUNERS, "none"):
            raise ValueError(
                f"unknown pruner {pruner!r}: use 'median', 'hyperband', None or an "
                "optuna.pruners object"
            )
        if n_jobs == -1:
            n_jobs = os.cpu_count() or 1
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
            raise ValueError(f"n_jobs must be a positive integer or -1, got {n_jobs!r}")
        if max_trials is not None and (not isinstance(max_trials, int) or max_trials < 1):
            raise ValueError(f"max_trials must be a positive integer, got {max_trials!r}")
        self.objective = objective
        self.direction = _DIRECTIONS[direction]
        self.sampler = sampler
        self.pruner = pruner
        self.max_trials = max_trials
        self.directory = os.fspath(directory)
        self.study_name = study_name
        self.storage = (
            storage if storage is not None else storage_lib.default_url(self.directory, study_name)
        )
        if n_jobs > 1 and isinstance(self.storage, opt.storages.InMemoryStorage):
            raise ValueError(
                "an in-memory storage cannot be shared between processes: use n_jobs=1, or a "
                "SQLite file or database URL as storage"
            )
        self.seed = seed
        self.cv = cv
        self.n_jobs = n_jobs
        self.save_models = save_models
        self.heartbeat_interval = heartbeat_interval
        self.verbose = verbose
        self._context: dict | None = None
        if overwrite:
            self._delete_study()

    # ----- the study -----
    def _storage(self):
        """This process's connection to the storage, opened once (a worker process opens its
        own: connections are not shared across a fork)."""
        cached = self.__dict__.get("_opened")
        if cached is None or cached[0] != os.getpid():
            cached = (os.getpid(), storage_lib.open_storage(self.storage, self.heartbeat_interval))
            self._opened = cached
        return cached[1]

    def __getstate__(self):  # for spawned workers: connections do not travel
        state = dict(self.__dict__)
        state.pop("_opened", None)
        return state

    def _study(self, sampler=None, pruner=None):
        """The study (created if new), with ``sampler`` and ``pruner``."""
        opt = optuna()
        storage = self._storage()
        try:
            study = opt.load_study(
                study_name=self.study_name, storage=storage, sampler=sampler, pruner=pruner
            )
        except KeyError:  # a new study (create_study copes with a worker racing us to it)
            study = opt.create_study(
                storage=storage,
                sampler=sampler,
                pruner=pruner,
                study_name=self.study_name,
                direction=self.direction,
                load_if_exists=True,
            )
        if study.direction.name.lower() != self.direction:
            raise ValueError(
                f"study {self.study_name!r} in {self._where()} was made to "
                f"{study.direction.name.lower()}, not {self.direction}: use another "
                "study_name, or overwrite=True to start it again"
            )
        return study

    def _delete_study(self) -> None:
        with contextlib.suppress(KeyError):  # nothing to delete
            optuna().delete_study(study_name=self.study_name, storage=self._storage())

    def _where(self) -> str:
        return self.storage if isinstance(self.storage, str) else type(self.storage).__name__

    @property
    def study(self):
        """The Optuna study, loaded from the storage."""
        return self._study()

    def _trials(self) -> list:
        return self._study().get_trials(deepcopy=True)

    # ----- search -----
    def search_space_summary(self) -> None:
        """Print the hyperparameters ``build_model`` declares (with their defaults)."""
        space = search_space(self.hypermodel.build)
        print(f"Search space summary ({len(space)} hyperparameters)")
        for name, param in space.items():
            print(f"  {name}: {param.describe()}")

    def search(
        self,
        x=None,
        y=None,
        n_trials: int | None = None,
        epochs: int = 1,
        validation_data=None,
        validation_split: float = 0.0,
        callbacks: list | None = None,
        timeout: float | None = None,
        **fit_kwargs,
    ) -> ResultsTable:
        """Run trials until the study has ``n_trials`` (counting those of earlier, killed or
        parallel runs), then return ``results()``.

        Arguments are ``fit``'s (``batch_size``, ``class_weight``, ...), as in KerasTuner's
        ``search``; with ``cv`` also ``stratify``, ``groups`` and ``shuffle`` for the splits.
        ``timeout`` stops starting new trials after that many seconds.
        """
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        cv_kwargs = {k: fit_kwargs.pop(k) for k in _CV_ONLY if k in fit_kwargs}
        if self.cv is not None:
            if validation_data is not None or validation_split:
                raise ValueError(
                    "with cv=..., each trial validates on its held-out folds: pass no "
                    "validation_data or validation_split"
                )
        else:
            if cv_kwargs:
                raise ValueError(f"{sorted(cv_kwargs)} only apply with Tuner(cv=...)")
            if (
                self.objective.startswith("val_")
                and validation_data is None
                and not validation_split
            ):
                raise ValueError(
                    f"objective {self.objective!r} is a validation metric: pass validation_data= "
                    "or validation_split=, or give the Tuner cv="
                )
        space = search_space(self.hypermodel.build)  # also checks it before any trial
        if self.sampler == "grid":
            size = grid_size(space)
            n_trials = min(n_trials or self.max_trials or size, size)
        n_trials = n_trials or self.max_trials or 10
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
            raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}")
        first_x = x[0] if isinstance(x, (list, tuple)) else x
        self._context = {
            "x": x, "y": y, "epochs": epochs, "n_trials": n_trials, "space": space,
            "validation_data": validation_data, "validation_split": validation_split,
            "callbacks": list(callbacks or []), "fit_kwargs": fit_kwargs, "cv_kwargs": cv_kwargs,
            "timeout": timeout,
            "input_shape": list(first_x.shape[1:]) if hasattr(first_x, "shape") else None,
        }  # fmt: skip
        if self.n_jobs == 1:
            self._work(0)
        else:
            self._run_workers()
        return self.results()

    def _work(self, worker: int) -> None:
        """Run trials in this process until the study has its ``n_trials``."""
        import lamina

        opt = optuna()
        ctx = self._context
        seed = None if self.seed is None else self.seed + worker
        if worker and self.seed is None:
            lamina.seed(int.from_bytes(os.urandom(4), "little"))  # not the parent's stream
        sampler = make_sampler(self.sampler, seed, ctx["space"], ctx["n_trials"])
        if worker and (self.seed is None or not isinstance(self.sampler, str)):
            sampler.reseed_rng()  # a forked copy would otherwise draw what worker 0 draws
        folds = _fold_count(self.cv)
        pruner = make_pruner(self.pruner, ctx["epochs"] * folds, warmup=ctx["epochs"] // 3)
        state = opt.trial.TrialState
        verbosity = opt.logging.get_verbosity()
        opt.logging.set_verbosity(opt.logging.ERROR)  # lamina reports trials itself
        start = time.monotonic()
        try:
            study = self._study(sampler, pruner)
            storage_lib.fail_stale_trials(study)
            while ctx["timeout"] is None or time.monotonic() - start < ctx["timeout"]:
                trials = study.get_trials(deepcopy=False)
                if len(storage_lib.counted(trials)) < ctx["n_trials"] or any(
                    t.state == state.WAITING for t in trials
                ):
                    study.optimize(
                        self._objective, n_trials=1, catch=(_SurplusTrialError,),
                        callbacks=[self._report] if self.verbose else None,
                    )  # fmt: skip
                    continue
                # the count is reached; wait for trials still running elsewhere, or for a dead
                # process's trial to go stale and come back to be run again
                running = [t for t in trials if t.state == state.RUNNING]
                if not running or not storage_lib.heartbeat_enabled(study._storage):
                    break
                time.sleep(min(1.0, self.heartbeat_interval / 4))
                storage_lib.fail_stale_trials(study)
        finally:
            opt.logging.set_verbosity(verbosity)

    def _run_workers(self) -> None:
        methods = multiprocessing.get_all_start_methods()
        mp = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        errors = mp.Queue()
        self._study()  # create the study (and its tables) once, before the workers race to
        storage_lib.close_storage(self._storage())  # no pooled connection crosses the fork
        workers = [
            mp.Process(target=_worker_main, args=(self, i, errors), daemon=True)
            for i in range(self.n_jobs)
        ]
        for w in workers:
            w.start()
        failures = []
        try:
            while any(w.is_alive() for w in workers):
                for w in workers:
                    w.join(timeout=0.2)
                failures += _drain(errors)
        except BaseException:
            for w in workers:
                w.terminate()
            raise
        failures += _drain(errors)
        if failures:
            worker, text = failures[0]
            raise RuntimeError(f"search worker {worker} failed:\n{text}")
        crashed = [w.exitcode for w in workers if w.exitcode]
        if crashed:
            raise RuntimeError(f"search workers exited with codes {crashed}")

    def _objective(self, trial) -> float:
        import lamina

        ctx = self._context
        if storage_lib.is_surplus(trial.study.get_trials(deepcopy=False), trial.number,
                                  ctx["n_trials"]):  # fmt: skip
            trial.set_user_attr(storage_lib.SURPLUS, True)
            raise _SurplusTrialError(f"the study already has its {ctx['n_trials']} trials")
        trial.set_user_attr("pid", os.getpid())
        if self.seed is not None:
            lamina.seed(self.seed + trial.number)
        hp = HyperParameters(trial)
        pruning = PruningCallback(trial, self.objective)
        fit_kwargs = dict(ctx["fit_kwargs"])
        fit_kwargs.setdefault("verbose", 0)
        if self.cv is None:
            return self._fit_trial(trial, hp, pruning, fit_kwargs)
        return self._cv_trial(trial, hp, pruning, fit_kwargs)

    def _fit_trial(self, trial, hp, pruning, fit_kwargs) -> float:
        ctx = self._context
        model = self.hypermodel.build(hp)
        _check_model(model)
        best = _BestEpoch(self.objective, self.direction, keep_weights=self.save_models)
        history = self.hypermodel.fit(
            hp, model, ctx["x"], ctx["y"], epochs=ctx["epochs"],
            validation_data=ctx["validation_data"], validation_split=ctx["validation_split"],
            callbacks=[*ctx["callbacks"], best, pruning], **fit_kwargs,
        )  # fmt: skip
        pruning.check()
        trial.set_user_attr("history", _jsonable(history.history))
        trial.set_user_attr("best_epoch", best.epoch + 1 if best.epoch is not None else None)
        trial.set_user_attr("input_shape", ctx["input_shape"])
        score = best.value
        if self.save_models and math.isfinite(score) and self._beats_completed(trial, score):
            if best.weights is not None:
                model.set_weights(best.weights)
            path = os.path.join(self.directory, self.study_name, f"trial_{trial.number:04d}.lamina")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            model.save(path)
            trial.set_user_attr("model_path", os.path.abspath(path))
        return score

    def _cv_trial(self, trial, hp, pruning, fit_kwargs) -> float:
        ctx = self._context
        fit_kwargs.update(epochs=ctx["epochs"], callbacks=[*ctx["callbacks"], pruning])
        scores = []

        def after_fold(index, model, history):
            pruning.check()
            scores.append(_best_value(history.history, self.objective, self.direction)[0])

        def build():
            model = self.hypermodel.build(hp)
            _check_model(model)
            return model

        def fit(model, *args, **kwargs):
            return self.hypermodel.fit(hp, model, *args, **kwargs)

        seed = 0 if self.seed is None else self.seed  # every trial on the same folds
        run_folds(build, ctx["x"], ctx["y"], cv=self.cv, fit_kwargs=fit_kwargs, seed=seed,
                  after_fold=after_fold, fit=fit, **ctx["cv_kwargs"])  # fmt: skip
        trial.set_user_attr("fold_scores", [float(s) for s in scores])
        trial.set_user_attr("input_shape", ctx["input_shape"])
        return float(np.mean(scores))

    def _beats_completed(self, trial, score) -> bool:
        done = trial.study.get_trials(deepcopy=False, states=(optuna().trial.TrialState.COMPLETE,))
        values = [t.value for t in done if t.value is not None and math.isfinite(t.value)]
        if not values:
            return True
        return score < min(values) if self.direction == "minimize" else score > max(values)

    def _report(self, study, trial) -> None:
        if trial.user_attrs.get(storage_lib.SURPLUS):
            return
        params = ", ".join(f"{k}={_short(v)}" for k, v in trial.params.items())
        value = "" if trial.value is None else f" {self.objective} {trial.value:.4g}"
        if trial.state.name == "PRUNED":
            value = f" at epoch {len(trial.intermediate_values)},{value}"
        seconds = trial.duration.total_seconds() if trial.duration else 0.0
        print(f"Trial {trial.number} {trial.state.name}{value} in {seconds:.1f}s: {params}")

    # ----- results -----
    def results(self, sort_by: str = "trial") -> ResultsTable:
        """Every trial as a row ``{"trial", "state", "score", "duration", "params"}`` (a
        list of dicts that prints as a table), by trial number or, ``sort_by="score"``, best
        first."""
        trials = [t for t in self._trials() if not t.user_attrs.get(storage_lib.SURPLUS)]
        rows = ResultsTable(
            {
                "trial": t.number,
                "state": t.state.name,
                "score": t.value,
                "duration": t.duration.total_seconds() if t.duration else None,
                "params": _tidy(t.params),
            }
            for t in trials
        )
        if sort_by == "score":
            sign = 1 if self.direction == "minimize" else -1
            rows.sort(key=lambda r: (r["score"] is None or math.isnan(r["score"]),
                                     sign * (r["score"] or 0)))  # fmt: skip
        elif sort_by != "trial":
            raise ValueError(f"sort_by must be 'trial' or 'score', got {sort_by!r}")
        return rows

    def results_summary(self, num_trials: int = 10) -> None:
        """Print the best ``num_trials`` trials (KerasTuner's name)."""
        print(f"Results in {self._where()}, study {self.study_name!r} ({self.objective}, "
              f"{self.direction})")  # fmt: skip
        print(self.results(sort_by="score").to_text(max_rows=num_trials))

    def _best_trial(self):
        try:
            return self._study().best_trial
        except ValueError:
            raise ValueError(
                f"study {self.study_name!r} has no completed trial yet: run tuner.search(...)"
            ) from None

    @property
    def best_params(self) -> dict:
        """The hyperparameters of the best completed trial."""
        return _tidy(self._best_trial().params)

    @property
    def best_score(self) -> float:
        """The best completed trial's score."""
        return float(self._best_trial().value)

    def get_best_hyperparameters(self, num_trials: int = 1) -> list[HyperParameters]:
        """The best trials' hyperparameters, best first, as ``HyperParameters`` that
        ``build_model`` accepts (KerasTuner's name)."""
        done = [r for r in self.results(sort_by="score") if r["state"] == "COMPLETE"]
        return [HyperParameters(values=r["params"]) for r in done[:num_trials]]

    def best_model(self, x=None, y=None, **fit_kwargs):
        """The best trial's model.

        Without data: rebuilt by ``build_model`` with the best hyperparameters and loaded with
        the weights saved at the trial's best epoch (``{directory}/{study_name}/``). With
        ``x, y`` (or when the trial kept no weights: a ``cv`` search, or a study run on
        another machine, retrained on this process's search data): rebuilt and trained on
        them, with the search's ``epochs`` and fit arguments unless ``fit_kwargs`` says.
        """
        trial = self._best_trial()
        path = trial.user_attrs.get("model_path")
        hp = HyperParameters(values=trial.params)
        if x is None and path and os.path.exists(path):
            model = self.hypermodel.build(hp)
            if not model.built:
                shape = trial.user_attrs.get("input_shape")
                if shape is None:
                    raise ValueError(
                        "the best model has no input shape to be built with: give its first "
                        "layer an input_shape (or start with Input(shape)) in build_model"
                    )
                model(np.zeros((1, *shape), dtype="float32"))
            model.load_weights(path)
            return model
        if x is None:
            if self._context is None:
                raise ValueError(
                    f"trial {trial.number} kept no weights here (cv search, save_models=False or "
                    "another machine): pass the data to train on, tuner.best_model(x, y)"
                )
            x, y = self._context["x"], self._context["y"]
        ctx = self._context or {"epochs": 1, "fit_kwargs": {}}
        kwargs = {"epochs": ctx["epochs"], "verbose": 0, **ctx["fit_kwargs"], **fit_kwargs}
        model = self.hypermodel.build(hp)
        self.hypermodel.fit(hp, model, x, y, **kwargs)
        return model

    def get_best_models(self, num_models: int = 1) -> list:
        """KerasTuner's name: ``[tuner.best_model()]`` (only the best trial keeps weights)."""
        if num_models != 1:
            raise ValueError(
                "only the best trial's weights are kept: use get_best_models(1), or rebuild "
                "others from get_best_hyperparameters(n)"
            )
        return [self.best_model()]

    def plot_history(self, path) -> None:
        """Save a PNG of each trial's score and the best so far (matplotlib)."""
        plot_history(self._study(), path, objective=self.objective)

    def plot_importances(self, path) -> dict:
        """Save a PNG of the hyperparameters' importances (fANOVA); returns them."""
        return plot_importances(self._study(), path)


class _BestEpoch(Callback):
    """The best epoch's value of ``monitor`` (and, optionally, a copy of its weights)."""

    def __init__(self, monitor, direction, keep_weights):
        super().__init__()
        self.monitor, self.direction, self.keep_weights = monitor, direction, keep_weights
        self.value, self.epoch, self.weights = math.nan, None, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(
                f"objective {self.monitor!r} is not in the epoch logs {sorted(logs)}: compile "
                "the model with that metric (and pass validation data for val_* keys)"
            )
        value = float(logs[self.monitor])
        if not math.isfinite(value):
            return
        better = value < self.value if self.direction == "minimize" else value > self.value
        if self.epoch is None or better:
            self.value, self.epoch = value, epoch
            if self.keep_weights:
                self.weights = [w.copy() for w in self.model.get_weights()]


def _best_value(history: dict, key: str, direction: str) -> tuple[float, int | None]:
    if key not in history:
        raise KeyError(
            f"objective {key!r} is not in the fit history {sorted(history)}: compile the model "
            "with that metric"
        )
    values = np.asarray(history[key], dtype=float)
    finite = np.isfinite(values)
    if not finite.any():
        return math.nan, None
    masked = np.where(finite, values, np.inf if direction == "minimize" else -np.inf)
    epoch = int(np.argmin(masked) if direction == "minimize" else np.argmax(masked))
    return float(values[epoch]), epoch


def _check_model(model) -> None:
    if not getattr(model, "compiled", False):
        raise ValueError(
            "build_model(hp) must return a compiled model: call model.compile(...) inside it"
        )


def _fold_count(cv) -> int:
    if cv is None:
        return 1
    if isinstance(cv, int) and not isinstance(cv, bool):
        return cv
    if hasattr(cv, "get_n_splits"):
        try:
            return int(cv.get_n_splits())
        except TypeError:
            return 1
    if isinstance(cv, (list, tuple)):
        return len(cv)
    return 1


def _jsonable(history: dict) -> dict:
    return {k: [float(v) for v in values] for k, values in history.items()
            if all(isinstance(v, (int, float)) for v in values)}  # fmt: skip


def _tidy(params: dict) -> dict:
    """Parameters with Optuna's float noise removed (a step of 0.1 stores 0.30000000000000004)."""
    return {k: float(f"{v:.12g}") if isinstance(v, float) else v for k, v in params.items()}


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _drain(errors) -> list:
    out = []
    while True:
        try:
            out.append(errors.get_nowait())
        except queue.Empty:
            return out


def _worker_main(tuner: Tuner, worker: int, errors) -> None:
    """One search process: its own storage connection and sampler, trials until done."""
    try:
        tuner._work(worker)
    except BaseException:
        errors.put((worker, traceback.format_exc()))
        raise SystemExit(1) from None
