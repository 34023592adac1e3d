"""The metric base classes: ``Metric`` (the ``update_state``/``result``/``reset_state``
contract), ``Mean`` (a running weighted mean) and ``MeanMetricWrapper`` (the running mean of a
per-sample function).

Metrics work on plain arrays outside the graph (Tensors are read through ``.data``): one update
is a few array operations, and totals are kept in float64.
"""

from __future__ import annotations

from lamina import losses as _losses
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


def _array(x):
    if isinstance(x, Tensor):
        return x.data
    return xp.asarray(x)


def _align(a, b):
    """Keras's shape rule for a pair (``lamina.losses._align``), on arrays."""
    return _losses._align(a, b)


def safe_divide(numerator, denominator):
    """``numerator / denominator`` elementwise, 0 where the denominator is 0 (the metrics'
    rule for undefined ratios such as precision with no positive prediction)."""
    return xp.where(denominator > 0, numerator / xp.where(denominator > 0, denominator, 1.0), 0.0)


class Metric:
    """Base class. Subclasses implement ``update_state``, ``result`` and ``reset_state`` (which
    also creates the state: ``__init__`` calls it).

    ``direction`` is ``"up"`` when larger is better, ``"down"`` when smaller is, or None: what
    callbacks monitoring the metric (early stopping, checkpoints) use in ``mode="auto"``.
    """

    direction: str | None = None

    def __init__(self, name: str | None = None):
        self.name = name or _losses._snake_case(type(self).__name__)
        self.reset_state()

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def reset_state(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state")

    def __call__(self, *args, **kwargs) -> float:
        """Update with one batch and return the running result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """The running (weighted) mean of the values given to ``update_state(values,
    sample_weight=None)``. Values with more than one axis are first averaged per sample (over all
    axes but the first); weights are per sample (or of the values' shape). The training loop
    feeds it each batch's loss with ``sample_weight=batch_size``.

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7]); m.result()
    4.0
    >>> m.reset_state(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); m.result()
    2.0
    """

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None) -> None:
        values = _array(values).astype(xp.float64, copy=False)
        if sample_weight is None:
            if values.ndim > 1:
                values = values.reshape(values.shape[0], -1).mean(axis=1)
            self.total += float(values.sum())
            self.count += values.shape[0] if values.ndim else 1
            return
        weights = _array(sample_weight).astype(xp.float64, copy=False)
        values, weights = _align(values, weights)
        if values.ndim > weights.ndim:  # average each sample's values, then weight them
            values = values.mean(axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = xp.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(
                f"{self.name}: sample_weight of shape {weights.shape} does not match values of "
                f"shape {values.shape}"
            ) from None
        self.total += float((values * weights).sum())
        self.count += float(weights.sum())

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``, a function returning one value per
    sample (or per element): ``update_state(y_true, y_pred, sample_weight=None)``.

    >>> m = MeanMetricWrapper(lambda t, p: abs(t - p), name="abs_error")
    >>> m.update_state([1.0, 2.0], [1.5, 2.0]); m.result()
    0.25
    """

    def __init__(self, fn, name: str | None = None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None))
        self._fn = fn
        self._fn_kwargs = kwargs
        if self.direction is None and any(fn is f for f in _losses._FUNCTIONS):
            self.direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        values = self._fn(_array(y_true), _array(y_pred), **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        if type(self) is not MeanMetricWrapper:  # subclasses: their own arguments
            return {"name": self.name, **self._fn_kwargs}
        return {"name": self.name, "fn": _function_name(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = FUNCTIONS[config["fn"]]
        return cls(**config)


# The built-in per-sample metric functions by name, filled by ``metric_function``: what a saved
# ``MeanMetricWrapper`` config may name.
FUNCTIONS: dict = {}


def metric_function(fn):
    """Register a built-in metric function under its name (decorator)."""
    FUNCTIONS[fn.__name__] = fn
    return fn


def _function_name(fn):
    name = getattr(fn, "__name__", None)
    if FUNCTIONS.get(name) is not fn:
        raise ValueError(f"cannot serialize metric function {fn!r}: only built-in ones")
    return name
