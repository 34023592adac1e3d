"""``cross_validate``: train a fresh model on each fold and score it on the held-out part.

Each fold gets a new model from ``build_model()``: new weights and a new optimizer, so nothing
learned on one fold reaches the next (a ``build_model`` that hands back shared layers or a
shared optimizer is refused). Layers with an ``adapt`` method that read the model's raw input
(``Normalization``, ``TextVectorization``) are adapted on the training part of each fold only.
The folds come from scikit-learn's splitters (see ``make_splits``).

>>> import numpy as np, lamina
>>> from lamina.layers import Dense
>>> from lamina.models import Sequential
>>> from lamina.optimizers import SGD
>>> def build_model():
...     model = Sequential([Dense(1, input_shape=(2,))])
...     model.compile(optimizer=SGD(0.1), loss="mse", metrics=["mae"])
...     return model
>>> lamina.seed(0)
>>> x = np.random.default_rng(0).normal(size=(60, 2)); y = x @ [[1.0], [-2.0]]
>>> result = cross_validate(build_model, x, y, cv=3, fit_kwargs={"epochs": 10, "batch_size": 8})
>>> result.scores["loss"].shape, bool(result.mean["mae"] < 0.05), len(result.histories)
((3,), True, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lamina.selection.splits import labels_of, make_splits

_RESERVED = ("x", "y", "validation_data", "validation_split")


@dataclass
class CVResult:
    """What ``cross_validate`` returns.

    Attributes:
        scores: per-fold scores by name (``"loss"``, ``"accuracy"``, your metric names), each an
            array of one value per fold, like scikit-learn's ``cross_val_score``.
        histories: each fold's ``History.history`` (with ``val_*`` curves on the held-out part).
        folds: each fold's ``(train_indices, validation_indices)``.
        models: each fold's trained model, with ``return_models=True`` (else None).
    """

    scores: dict[str, np.ndarray]
    histories: list[dict]
    folds: list[tuple[np.ndarray, np.ndarray]]
    models: list | None = field(default=None, repr=False)

    @property
    def mean(self) -> dict[str, float]:
        """The mean of each score over the folds."""
        return {k: float(np.mean(v)) for k, v in self.scores.items()}

    @property
    def std(self) -> dict[str, float]:
        """The standard deviation of each score over the folds (``ddof=0``, as scikit-learn's
        reports print it)."""
        return {k: float(np.std(v)) for k, v in self.scores.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        return self.scores[name]

    def summary(self) -> str:
        """One line per score: ``accuracy: 0.9512 +/- 0.0107 (5 folds)``."""
        k = len(self.folds)
        return "\n".join(
            f"{name}: {self.mean[name]:.4f} +/- {self.std[name]:.4f} ({k} folds)"
            for name in self.scores
        )

    def __repr__(self) -> str:
        return f"CVResult({self.summary()})".replace("\n", "; ")


def cross_validate(
    build_model: Callable[[], Any],
    x,
    y=None,
    cv=5,
    stratify=None,
    groups=None,
    fit_kwargs: dict | None = None,
    metrics=None,
    shuffle: bool = True,
    seed: int | None = None,
    adapt: bool | Callable = True,
    return_models: bool = False,
    verbose: int = 0,
) -> CVResult:
    """Train ``build_model()`` on each training part and score it on the held-out part.

    Args:
        build_model: a function returning a new compiled model at each call.
        x, y: the data (arrays, or a list/dict of arrays for several inputs).
        cv: folds (int), a hold-out fraction (float), a scikit-learn splitter, or index pairs.
        stratify: ``True`` to stratify by ``y`` (integer labels or one-hot), or labels to use.
        groups: a group id per sample, kept whole on one side of every split.
        fit_kwargs: arguments for ``fit`` (``epochs``, ``batch_size``, ``callbacks``...);
            the held-out part is passed as ``validation_data``.
        metrics: what to score: None for the loss and every compiled metric (``evaluate``'s
            names), a list of those names, or a dict ``{name: fn(y_true, y_pred) -> float}``
            (e.g. a scikit-learn metric on ``model.predict``), or a list mixing both.
        shuffle, seed: shuffle the samples before K-fold splitting, with this seed.
        adapt: adapt raw-input preprocessing layers on each training part (True), not at all
            (False), or call ``adapt(model, x_train)`` to do it yourself.
        return_models: keep each fold's trained model in ``result.models``.
        verbose: 1 prints one line per fold; ``fit`` stays silent unless ``fit_kwargs`` says.
    """
    return run_folds(build_model, x, y, cv=cv, stratify=stratify, groups=groups,
                     fit_kwargs=fit_kwargs, metrics=metrics, shuffle=shuffle, seed=seed,
                     adapt=adapt, return_models=return_models, verbose=verbose)  # fmt: skip


def run_folds(
    build_model, x, y=None, cv=5, stratify=None, groups=None, fit_kwargs=None, metrics=None,
    shuffle=True, seed=None, adapt=True, return_models=False, verbose=0, after_fold=None,
    fit=None,
) -> CVResult:  # fmt: skip
    """``cross_validate`` with two hooks for the Tuner: ``fit(model, x, y, **kwargs)`` trains
    instead of ``model.fit`` (a HyperModel's fit), and ``after_fold(index, model, history)``
    runs after each fold's training (a pruned trial stops there)."""
    fit_kwargs = dict(fit_kwargs or {})
    reserved = [k for k in _RESERVED if k in fit_kwargs]
    if reserved:
        raise ValueError(
            f"fit_kwargs must not contain {reserved}: cross_validate passes the data and uses "
            "each held-out fold as validation_data"
        )
    fit_kwargs.setdefault("verbose", 0)
    n = _num_samples(x)
    if y is not None and _num_samples(y) != n:
        raise ValueError(f"x has {n} samples but y has {_num_samples(y)}")
    if stratify is True:
        if y is None:
            raise ValueError("stratify=True stratifies by y, but y is None; pass the labels")
        stratify = labels_of(_first(y))
    folds = make_splits(n, cv=cv, stratify=stratify, groups=groups, shuffle=shuffle, seed=seed)
    names, functions = _split_metrics(metrics)

    scores: dict[str, list[float]] = {}
    histories, models, previous = [], [], None
    for index, (train, val) in enumerate(folds):
        model = build_model()
        _check_fresh(model, previous, index)
        x_train, y_train = _take(x, train), _take(y, train)
        x_val, y_val = _take(x, val), _take(y, val)
        if callable(adapt):
            adapt(model, x_train)
        elif adapt:
            for layer, data in adaptable_inputs(model, x_train):
                layer.adapt(data)
        fit_fold = fit or type(model).fit
        history = fit_fold(model, x_train, y_train, validation_data=(x_val, y_val), **fit_kwargs)
        histories.append(dict(history.history))
        if after_fold is not None:
            after_fold(index, model, history)
        fold_scores = _score(model, x_val, y_val, names, functions, fit_kwargs)
        for name, value in fold_scores.items():
            scores.setdefault(name, []).append(value)
        if verbose:
            line = " - ".join(f"{k}: {v:.4f}" for k, v in fold_scores.items())
            print(f"fold {index + 1}/{len(folds)}: {line}")
        if return_models:
            models.append(model)
        previous = model
    return CVResult(
        {k: np.asarray(v) for k, v in scores.items()},
        histories,
        folds,
        models if return_models else None,
    )


def adaptable_inputs(model, x) -> list:
    """``(layer, data)`` for every layer with an ``adapt`` method that reads the model's raw
    input ``x`` directly (the first layer of a Sequential, a functional model's layers called
    on an ``Input``), looking inside nested models."""
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential

    found = []
    if isinstance(model, Sequential):
        layers = model.layers
        if layers:
            found += _adaptable(layers[0], x)
    elif isinstance(model, Functional):
        by_input = dict(zip(map(id, model.inputs), _per_input(model, x)))
        for node in model._nodes:
            tensors = node.input_tensors
            if len(tensors) == 1 and id(tensors[0]) in by_input:
                found += _adaptable(node.layer, by_input[id(tensors[0])])
    unique, seen = [], set()
    for layer, data in found:
        if id(layer) not in seen:
            seen.add(id(layer))
            unique.append((layer, data))
    return unique


def _adaptable(layer, data) -> list:
    from lamina.models.model import Model

    if isinstance(layer, Model):
        return adaptable_inputs(layer, data)
    return [(layer, data)] if callable(getattr(layer, "adapt", None)) else []


def _per_input(model, x) -> list:
    if len(model.inputs) == 1:
        return [x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x]
    if isinstance(x, dict):
        return [x.get(name) for name in model.input_names]
    return list(x)


def _check_fresh(model, previous, index) -> None:
    """A model that shares nothing trainable with the previous fold's."""
    if not getattr(model, "compiled", False):
        raise ValueError(
            f"build_model() must return a compiled model; fold {index + 1}'s is not compiled: "
            "call model.compile(optimizer=..., loss=...) inside build_model"
        )
    if previous is None:
        return
    if model is previous:
        raise ValueError(
            "build_model() returned the same model object for two folds, so fold "
            f"{index + 1} would start from fold {index}'s weights: build a new model at each call"
        )
    old = {id(v) for v in previous.weights}
    shared = [v.name for v in model.weights if id(v) in old]
    if shared:
        raise ValueError(
            f"build_model() returned a model sharing weights {shared[:3]} with fold {index}'s "
            "model, so training would carry over: create the layers inside build_model"
        )
    if model.optimizer is not None and model.optimizer is previous.optimizer:
        raise ValueError(
            "build_model() gave two folds the same optimizer object, whose state (momenta, "
            "step count) would carry over: create the optimizer inside build_model (or pass "
            "it by name, optimizer='adam')"
        )


def _split_metrics(metrics):
    if metrics is None:
        return None, {}
    if isinstance(metrics, str):
        return [metrics], {}
    if isinstance(metrics, dict):
        return [], dict(metrics)
    names, functions = [], {}
    for m in metrics:
        if isinstance(m, str):
            names.append(m)
        elif callable(m):
            functions[getattr(m, "__name__", f"metric_{len(functions)}")] = m
        else:
            raise ValueError(f"metrics entries must be names or functions, got {m!r}")
    return names, functions


def _score(model, x_val, y_val, names, functions, fit_kwargs) -> dict[str, float]:
    batch_size = fit_kwargs.get("validation_batch_size") or fit_kwargs.get("batch_size")
    scores = {}
    if names is None or names:
        logs = model.evaluate(x_val, y_val, batch_size=batch_size, verbose=0, return_dict=True)
        wanted = list(logs) if names is None else names
        missing = [k for k in wanted if k not in logs]
        if missing:
            raise ValueError(
                f"metrics {missing} are not computed by the model; evaluate() gives {list(logs)}"
                ": add them to compile(metrics=...) or pass functions"
            )
        scores.update({k: float(logs[k]) for k in wanted})
    if functions:
        y_pred = model.predict(x_val, batch_size=batch_size, verbose=0)
        for name, fn in functions.items():
            scores[name] = float(fn(y_val, y_pred))
    return scores


def _first(data):
    if isinstance(data, (list, tuple)):
        return data[0]
    if isinstance(data, dict):
        return next(iter(data.values()))
    return data


def _num_samples(data) -> int:
    return len(_first(data))


def _take(data, index):
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return [np.asarray(a)[index] for a in data]
    if isinstance(data, dict):
        return {k: np.asarray(a)[index] for k, a in data.items()}
    return np.asarray(data)[index]
