"""scikit-learn estimators around a lamina model, after Keras 3's ``keras.wrappers``:
``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer``.

``model`` is a function that builds and compiles a model, called as ``model(X=X, y=y,
**model_kwargs)`` (``y`` as the network sees it: one-hot for a classifier, 2-D for a
regressor), or a compiled model, which every ``fit`` clones (new weights). ``fit_kwargs`` go to
``Model.fit``. The wrappers work in pipelines, ``cross_val_score`` and ``GridSearchCV``, and pickle
through the ``.lamina`` format (see ``docs/sklearn.md``).

>>> import numpy as np
>>> from lamina.layers import Dense, Input
>>> from lamina.models import Sequential
>>> def build(X, y, units=8):
...     model = Sequential([Input(shape=X.shape[1:]), Dense(units, activation="relu"),
...                         Dense(y.shape[1], activation="softmax")])
...     model.compile(optimizer="adam", loss="categorical_crossentropy")
...     return model
>>> X = np.random.default_rng(0).normal(size=(100, 2))
>>> y = np.where(X[:, 0] > 0, "yes", "no")
>>> clf = SKLearnClassifier(build, fit_kwargs={"epochs": 60}, random_state=0).fit(X, y)
>>> clf.classes_.tolist(), clf.predict_proba(X[:1]).shape, bool(clf.score(X, y) > 0.9)
(['no', 'yes'], (1, 2), True)
"""

# ruff: noqa: N803, N806 - scikit-learn spells the data X (and Keras follows)

from __future__ import annotations

import contextlib
import copy
import inspect

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError('lamina.wrappers needs scikit-learn: pip install "lamina[sklearn]"') from None

from lamina import backend, losses
from lamina.models.model import Model
from lamina.wrappers._model_state import SavedModel, clone_model

_FLOATS = (np.float64, np.float32)


def _validate_data(estimator, *args, **kwargs):
    """sklearn's ``validate_data`` (1.6+), or the method it replaced."""
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(*args, **kwargs)
    return validate_data(estimator, *args, **kwargs)


@contextlib.contextmanager
def _seeded(random_state):
    """Inside, lamina's generator (weights, shuffling, dropout) is a private one seeded from
    ``random_state``; with ``None`` it is lamina's global generator (``lamina.seed``)."""
    if random_state is None:
        yield
        return
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        seed = int(random_state)
    else:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    with backend.isolated_rng():
        generator = backend.rng()
        generator.bit_generator.state = type(generator.bit_generator)(seed).state
        yield


class _LaminaEstimator(BaseEstimator):
    """What the three wrappers share: parameters, model creation, fit, pickling, cloning."""

    def __init__(
        self,
        model,
        warm_start: bool = False,
        model_kwargs: dict | None = None,
        fit_kwargs: dict | None = None,
        random_state=None,
    ):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs
        self.random_state = random_state

    # ----- scikit-learn protocol -----
    def __sklearn_clone__(self):
        # The model (a function, or a compiled model that fit only ever clones) is shared;
        # the dicts are copied so that clones never share a callback's state.
        params = self.get_params(deep=False)
        return type(self)(**{k: v if k == "model" else copy.deepcopy(v) for k, v in params.items()})

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": self.random_state is None}

    def __getstate__(self):
        # lamina models travel as .lamina bytes (or config JSON), never as pickled objects
        state = dict(super().__getstate__())
        for key in ("model", "model_"):
            if isinstance(state.get(key), Model):
                state[key] = SavedModel(state[key])
        if isinstance(state.get("fit_kwargs"), dict) and state["fit_kwargs"].get("callbacks"):
            state["fit_kwargs"] = dict(state["fit_kwargs"])
            state["fit_kwargs"]["callbacks"] = [
                _detached(c) for c in state["fit_kwargs"]["callbacks"]
            ]
        return state

    def __setstate__(self, state):
        state = {k: v.load() if isinstance(v, SavedModel) else v for k, v in state.items()}
        super().__setstate__(state)

    # ----- fitting -----
    def fit(self, X, y=None, sample_weight=None, **kwargs):
        """Train on ``(X, y)`` (a new model each call, or the same one with ``warm_start``);
        ``kwargs`` (and ``fit_kwargs``) go to ``Model.fit``. Returns ``self``."""
        continuing = bool(self.warm_start) and hasattr(self, "model_")
        X, y = self._validate_fit(X, y, reset=not continuing)
        targets, builder_y = self._encode_targets(X, y, reset=not continuing)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, len(X))
        fit_args = {"verbose": 0, **(self.fit_kwargs or {}), **kwargs}
        self._map_class_weight(fit_args, y)
        with _seeded(self.random_state):
            if continuing:
                model = self.model_
            else:
                model = self._new_model(X, builder_y)
                self._inspect_model(model, X, builder_y)
            history = model.fit(X, targets(), sample_weight=sample_weight, **fit_args)
        self.model_ = model
        self.history_ = dict(history.history)
        return self

    def _validate_fit(self, X, y, reset):
        return _validate_data(self, X, y, reset=reset, dtype=_FLOATS)

    def _encode_targets(self, X, y, reset):
        """``(targets, builder_y)``: a function giving the arrays ``Model.fit`` trains on (known
        once the model is), and ``y`` as the model-building function receives it."""
        y2 = np.asarray(y, dtype=backend.floatx())
        y2 = y2.reshape(len(y2), -1)
        return (lambda: y2), y2

    def _map_class_weight(self, fit_args, y):
        pass

    def _new_model(self, X, y):
        if isinstance(self.model, Model):
            return clone_model(self.model)
        if not callable(self.model):
            raise TypeError(
                f"{type(self).__name__}(model=...) must be a compiled lamina model or a function "
                f"that builds and compiles one, got {type(self.model).__name__}"
            )
        kwargs = dict(self.model_kwargs or {})
        model = self.model(**_accepted(self.model, {"X": X, "y": y}), **kwargs)
        if not isinstance(model, Model):
            raise TypeError(
                f"the model function {getattr(self.model, '__name__', self.model)!r} returned "
                f"{type(model).__name__}, not a lamina Model: return the compiled model"
            )
        if not model.compiled:
            raise ValueError(
                "the model function returned an uncompiled model: call model.compile(optimizer="
                "..., loss=...) before returning it"
            )
        return model

    def _inspect_model(self, model, X, y):
        """Check the new model's output against the targets (and learn what it outputs)."""
        width = _output_width(model, X)
        if width != y.shape[1]:
            raise ValueError(
                f"the model outputs {width} values per sample but y has {y.shape[1]} columns: "
                f"give the last layer {y.shape[1]} units"
            )

    def _predict_raw(self, X):
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False, dtype=_FLOATS)
        batch_size = (self.fit_kwargs or {}).get("batch_size")
        return np.asarray(self.model_.predict(X, batch_size=batch_size, verbose=0), np.float64)


class SKLearnClassifier(ClassifierMixin, _LaminaEstimator):
    """A scikit-learn classifier around a lamina model (Keras's ``SKLearnClassifier``).

    Labels of any type (strings, integers) are encoded as ``classes_`` (sorted); the model is
    given what its loss needs: integer indices for ``sparse_categorical_crossentropy``, a 0/1
    column for one sigmoid unit, one-hot rows otherwise (the builder always receives one-hot
    ``y``, so ``y.shape[1]`` is the number of classes).

    Args:
        model: a compiled model (cloned with new weights at every ``fit``, unless
            ``warm_start``) or a function ``model(X, y, **model_kwargs)`` returning one.
        warm_start: whether a second ``fit`` keeps training the model of the first.
        model_kwargs: keyword arguments for the model function (e.g. units, learning rate).
        fit_kwargs: keyword arguments for ``Model.fit`` (``epochs``, ``batch_size``,
            ``callbacks``...; ``verbose`` defaults to 0); ``fit(**kwargs)`` overrides them.
        random_state: an int seeds weights, shuffling and dropout for every fit (lamina's global
            generator is left alone); ``None`` draws from lamina's global generator.

    Attributes: ``model_`` (the trained model), ``history_`` (``History.history``),
    ``classes_``, ``n_features_in_``.
    """

    def _validate_fit(self, X, y, reset):
        X, y = _validate_data(self, X, y, reset=reset, dtype=_FLOATS)
        check_classification_targets(y)
        return X, y

    def _encode_targets(self, X, y, reset):
        if reset:
            self.classes_, index = np.unique(y, return_inverse=True)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes to train, but y has only one "
                    f"class ({self.classes_[0]!r})"
                )
        else:
            unseen = ~np.isin(y, self.classes_)
            if unseen.any():
                raise ValueError(
                    f"y has labels {np.unique(y[unseen]).tolist()} that the first fit did not "
                    f"see (classes_ = {self.classes_.tolist()}): with warm_start every fit needs "
                    "the same classes; set warm_start=False to start over"
                )
            index = np.searchsorted(self.classes_, y)
        index = index.reshape(-1)
        one_hot = np.eye(len(self.classes_), dtype=backend.floatx())[index]

        def targets():
            if self._target_kind == "index":
                return index
            if self._target_kind == "binary":
                return index.reshape(-1, 1).astype(backend.floatx())
            return one_hot

        return targets, one_hot

    def _map_class_weight(self, fit_args, y):
        """``class_weight`` keyed by the user's labels (or ``"balanced"``) -> keyed by index."""
        weights = fit_args.get("class_weight")
        if weights is None:
            return
        if isinstance(weights, str):
            from sklearn.utils.class_weight import compute_class_weight

            values = compute_class_weight(weights, classes=self.classes_, y=y)
            fit_args["class_weight"] = dict(enumerate(values.tolist()))
            return
        known = {label: i for i, label in enumerate(self.classes_.tolist())}
        unknown = [k for k in weights if k not in known]
        if unknown:
            raise ValueError(
                f"class_weight names unknown classes {unknown}; classes_ = {list(known)}"
            )
        fit_args["class_weight"] = {known[k]: w for k, w in weights.items()}

    def _inspect_model(self, model, X, y):
        n_classes = len(self.classes_)
        width = _output_width(model, X)
        loss = losses.get(model.loss) if model.loss is not None else None
        config = loss.get_config() if hasattr(loss, "get_config") else {}
        self._from_logits = bool(config.get("from_logits", False))
        sparse = isinstance(loss, losses.SparseCategoricalCrossentropy) or (
            getattr(loss, "fn", None) is losses.sparse_categorical_crossentropy
        )
        if width == n_classes:
            self._target_kind = "index" if sparse else "one_hot"
        elif width == 1 and n_classes == 2 and not sparse:
            self._target_kind = "binary"
        else:
            raise ValueError(
                f"the model outputs {width} values per sample for {n_classes} classes: give the "
                f"last layer {n_classes} units (softmax)"
                + (", or 1 unit (sigmoid) for two classes" if n_classes == 2 else "")
            )

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, n_classes)``, columns in ``classes_`` order."""
        out = self._predict_raw(X)
        if self._target_kind == "binary":
            p = 1.0 / (1.0 + np.exp(-out[:, 0])) if self._from_logits else out[:, 0]
            out = np.stack([1.0 - p, p], axis=1)
        elif self._from_logits:
            out = np.exp(out - out.max(axis=1, keepdims=True))
        out = np.clip(out, 0.0, None)
        total = out.sum(axis=1, keepdims=True)
        return np.divide(out, total, out=np.full_like(out, 1.0 / out.shape[1]), where=total > 0)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sample (labels from ``classes_``)."""
        proba = self.predict_proba(X)  # first: it checks that the estimator is fitted
        return self.classes_[np.argmax(proba, axis=1)]


class SKLearnRegressor(RegressorMixin, _LaminaEstimator):
    """A scikit-learn regressor around a lamina model (Keras's ``SKLearnRegressor``).

    ``y`` of shape ``(n,)`` or ``(n, outputs)``; the model function receives it as 2-D and the
    model needs that many output units; ``predict`` returns the shape ``y`` had. Arguments and
    attributes as ``SKLearnClassifier`` (without ``classes_``); ``score`` is R².
    """

    def _validate_fit(self, X, y, reset):
        X, y = _validate_data(
            self, X, y, reset=reset, dtype=_FLOATS, multi_output=True, y_numeric=True
        )
        if reset:
            self._y_ndim = y.ndim
        return X, y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {**super()._more_tags(), "multioutput": True}

    def predict(self, X) -> np.ndarray:
        """Model outputs, shaped like the ``y`` of ``fit``."""
        out = self._predict_raw(X)
        return out[:, 0] if self._y_ndim == 1 and out.ndim == 2 and out.shape[1] == 1 else out


class SKLearnTransformer(TransformerMixin, _LaminaEstimator):
    """A scikit-learn transformer around a lamina model (Keras's ``SKLearnTransformer``):
    ``fit`` trains the model on ``(X, y)`` (on ``(X, X)``, an autoencoder, when ``y`` is None)
    and ``transform`` returns its outputs, e.g. an embedding. Arguments as
    ``SKLearnClassifier``.
    """

    def _validate_fit(self, X, y, reset):
        if y is None:
            X = _validate_data(self, X, reset=reset, dtype=_FLOATS)
            return X, X
        return _validate_data(self, X, y, reset=reset, dtype=_FLOATS, multi_output=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = [backend.floatx()]
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {**super()._more_tags(), "preserves_dtype": [backend.floatx()]}

    def transform(self, X) -> np.ndarray:
        """The model's outputs for ``X``, shape ``(n_samples, n_outputs)``."""
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False, dtype=_FLOATS)
        batch_size = (self.fit_kwargs or {}).get("batch_size")
        out = self.model_.predict(X, batch_size=batch_size, verbose=0)
        return out.reshape(len(out), -1)


# ----- helpers -----
def _accepted(fn, arguments: dict) -> dict:
    """The entries of ``arguments`` that ``fn`` takes (all of them if it takes ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return arguments
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return arguments
    return {k: v for k, v in arguments.items() if k in params}


def _output_width(model, X) -> int:
    out = model.predict(X[:1], verbose=0)
    if isinstance(out, (list, tuple)) or np.ndim(out) != 2:
        shape = [np.shape(o) for o in out] if isinstance(out, (list, tuple)) else np.shape(out)
        raise ValueError(
            f"the scikit-learn wrappers need a model with one output of shape (batch, units), "
            f"got output shape {shape}"
        )
    return int(out.shape[1])


def _check_sample_weight(sample_weight, n: int) -> np.ndarray:
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.ndim == 0:
        weights = np.full(n, float(weights))
    if weights.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {weights.shape}")
    if not np.all(np.isfinite(weights)) or (weights < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    if not weights.any():
        raise ValueError("sample_weight is zero for every sample: nothing to train on")
    return weights.astype(backend.floatx())


def _detached(callback):
    """A shallow copy of a callback without its reference to a trained model (for pickling)."""
    if isinstance(getattr(callback, "model", None), Model):
        callback = copy.copy(callback)
        callback.model = None
    return callback
