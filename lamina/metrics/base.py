"""The metric base classes: ``Metric`` (the ``update_state``/``result``/``reset_state``
contract), ``Mean`` (a running weighted mean) and ``MeanMetricWrapper`` (the running mean of a
per-sample function).

Metrics work on plain arrays outside the graph (Tensors are read through ``.data``): one update
is a few array operations, and totals are kept in float64.

A custom metric is written as in Keras: state made with ``add_variable`` in ``__init__``,
updated in place with ``assign_add``, read in ``result``; the default ``reset_state`` resets
each such variable to its initializer.

>>> from lamina import ops
>>> class CountPositives(Metric):
...     def __init__(self, name="count_positives", **kwargs):
...         super().__init__(name=name, **kwargs)
...         self.count = self.add_variable(shape=(), initializer="zeros", name="count")
...     def update_state(self, y_true, y_pred, sample_weight=None):
...         self.count.assign_add(ops.sum(ops.cast(ops.greater(y_pred, 0.5), "float32")))
...     def result(self):
...         return self.count.value
>>> m = CountPositives()
>>> m.update_state(None, [0.2, 0.7, 0.9]); float(m.result())
2.0
>>> m.reset_state(); float(m.result())
0.0
"""

from __future__ import annotations

from lamina import backend
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
    """Base class. Subclasses implement ``update_state`` and ``result``, and keep their state
    either in variables made by ``add_variable`` (reset by the default ``reset_state``) or in
    attributes that their own ``reset_state`` sets.

    ``__init__`` creates the state of lamina's built-in metrics by running the built-in
    ``reset_state`` (never a user subclass's override, which may use attributes its
    ``__init__`` has not set yet: Keras does not call it there either). ``dtype`` (default
    ``lamina.floatx()``) is the dtype of the variables ``add_variable`` makes.

    ``direction`` is ``"up"`` when larger is better, ``"down"`` when smaller is, or None: what
    callbacks monitoring the metric (early stopping, checkpoints) use in ``mode="auto"``.
    """

    direction: str | None = None

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or _losses._snake_case(type(self).__name__)
        self._dtype_arg = dtype
        self.dtype = xp.dtype(dtype or backend.floatx()).name
        self._metric_variables = []  # (variable, initializer) pairs made by add_variable
        for cls in type(self).__mro__:  # the nearest built-in reset_state
            if "reset_state" in cls.__dict__ and cls.__module__.startswith("lamina."):
                cls.reset_state(self)
                break

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def reset_state(self) -> None:
        """Reset every variable made by ``add_variable`` to its initializer (called between
        epochs, and before each ``evaluate``)."""
        for variable, initializer in self.__dict__.get("_metric_variables", ()):
            variable.assign(initializer(variable.shape, dtype=variable.dtype))

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A non-trainable state variable of ``shape`` set by ``initializer`` (a name such as
        ``"zeros"``, or any initializer ``lamina.initializers.get`` accepts), of the metric's
        dtype unless ``dtype`` is given. Update it with ``assign``/``assign_add``; the default
        ``reset_state`` resets it. ``aggregation`` is accepted for Keras compatibility (lamina
        runs on one device, so there is nothing to aggregate)."""
        from lamina import initializers
        from lamina.layers.variable import Variable

        del aggregation
        init = initializers.get("zeros" if initializer is None else initializer)
        shape = (shape,) if isinstance(shape, int) else tuple(int(n) for n in shape)
        dtype = xp.dtype(dtype or self.dtype)
        variables = self.__dict__.setdefault("_metric_variables", [])
        label = name or f"variable_{len(variables)}"
        variable = Variable(
            xp.asarray(init(shape, dtype=dtype)), trainable=False, name=f"{self.name}/{label}",
            dtype=dtype,
        )  # fmt: skip
        variables.append((variable, init))
        return variable

    def add_weight(self, shape=(), initializer="zeros", dtype=None, name=None):
        """Keras's other name for ``add_variable``."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list:
        """The state variables made by ``add_variable``, in creation order."""
        return [variable for variable, _ in self.__dict__.get("_metric_variables", ())]

    def __call__(self, *args, **kwargs) -> float:
        """Update with one batch and return the running result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, **self._dtype_config()}

    def _dtype_config(self) -> dict:
        """``{"dtype": ...}`` when one was passed to the constructor, else ``{}``."""
        dtype = self.__dict__.get("_dtype_arg")
        return {} if dtype is None else {"dtype": xp.dtype(dtype).name}

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

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if self.direction is None and any(fn is f for f in _losses._FUNCTIONS):
            self.direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        values = self._fn(_array(y_true), _array(y_pred), **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        if type(self) is not MeanMetricWrapper:  # subclasses: their own arguments
            return {"name": self.name, **self._dtype_config(), **self._fn_kwargs}
        return {
            "name": self.name,
            "fn": _function_name(self._fn),
            **self._dtype_config(),
            **self._fn_kwargs,
        }

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
