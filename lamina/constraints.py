"""Weight constraints: callables ``c(weight)`` returning the weight projected back into an allowed
set (Keras names). The optimizer applies a weight's constraint right after each update, so
``Dense(4, kernel_constraint=max_norm(2.0))`` keeps every kernel column's norm at most 2.

>>> import numpy as np
>>> w = np.array([[3.0, 0.6], [4.0, 0.8]])  # column norms 5 and 1
>>> MaxNorm(max_value=2.0)(w).round(4)  # the first column is scaled down to norm 2
array([[1.2, 0.6],
       [1.6, 0.8]])
>>> NonNeg()(np.array([-1.0, 2.0]))
array([0., 2.])
"""

from __future__ import annotations

import inspect
import numbers

from lamina import backend
from lamina.autograd import Tensor
from lamina.backend import xp


def _check_number(value, name: str, who: str, minimum: float = 0.0) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= minimum:
        raise ValueError(f"{who} {name} must be a number >= {minimum:g}, got {value!r}")
    return value


def _check_axis(axis, who: str):
    ok = isinstance(axis, numbers.Integral) and not isinstance(axis, bool)
    if isinstance(axis, (list, tuple)):
        ok = all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis)
        axis = [int(a) for a in axis]
    if not ok:
        raise ValueError(f"{who} axis must be an integer or a list of integers, got {axis!r}")
    return axis


def _as_array(w):
    return w.data if isinstance(w, Tensor) else xp.asarray(w)


def _like(w, value):
    """The result in the kind of the input: a Tensor for a Tensor, else an array."""
    return Tensor(value) if isinstance(w, Tensor) else value


def _norms(w, axis):
    axis = axis if isinstance(axis, int) else tuple(axis)
    return xp.sqrt(xp.sum(xp.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: subclasses implement ``__call__(w)`` returning the projected weight and, when
    ``__init__`` takes arguments, ``get_config()`` returning them. The base leaves ``w`` as is.

    >>> import numpy as np
    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return np.clip(w, -1.0, 1.0)
    >>> Clip()(np.array([-3.0, 0.5]))
    array([-1. ,  0.5])
    """

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Scale the weights incident to each unit down to a norm of at most ``max_value``:
    ``w * clip(norm, 0, max_value) / (epsilon + norm)``, the norm taken over ``axis`` (``0``
    for a Dense kernel's columns, ``[0, 1, 2]`` for a Conv2D filter).

    >>> MaxNorm(2.0)
    MaxNorm(max_value=2.0, axis=0)
    """

    def __init__(self, max_value: float = 2, axis: int | list = 0):
        self.max_value = _check_number(max_value, "max_value", "MaxNorm")
        self.axis = _check_axis(axis, "MaxNorm")

    def __call__(self, w):
        a = _as_array(w)
        norms = _norms(a, self.axis)
        desired = xp.clip(norms, 0, self.max_value)
        return _like(w, a * (desired / (backend.epsilon() + norms)))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Clip negative weights to zero: ``maximum(w, 0)``."""

    def __call__(self, w):
        a = _as_array(w)
        return _like(w, xp.maximum(a, 0).astype(a.dtype, copy=False))


class UnitNorm(Constraint):
    """Scale the weights incident to each unit to norm 1: ``w / (epsilon + norm)`` over
    ``axis``.

    >>> import numpy as np
    >>> UnitNorm()(np.array([[3.0], [4.0]])).round(4)
    array([[0.6],
           [0.8]])
    """

    def __init__(self, axis: int | list = 0):
        self.axis = _check_axis(axis, "UnitNorm")

    def __call__(self, w):
        a = _as_array(w)
        return _like(w, a / (backend.epsilon() + _norms(a, self.axis)))

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keep each unit's weight norm in ``[min_value, max_value]``: the norm is moved to
    ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm`` (``rate=1``: strictly;
    below 1: a step of that size towards the interval at every update).

    >>> import numpy as np
    >>> w = MinMaxNorm(min_value=1.0, max_value=2.0)(np.array([[0.3], [0.4]]))
    >>> float(np.linalg.norm(w)).__round__(4)
    1.0
    """

    def __init__(
        self,
        min_value: float = 0.0,
        max_value: float = 1.0,
        rate: float = 1.0,
        axis: int | list = 0,
    ):
        self.min_value = _check_number(min_value, "min_value", "MinMaxNorm")
        self.max_value = _check_number(max_value, "max_value", "MinMaxNorm")
        if max_value < min_value:
            raise ValueError(
                f"MinMaxNorm max_value must be >= min_value, got min_value={min_value!r}, "
                f"max_value={max_value!r}"
            )
        self.rate = _check_number(rate, "rate", "MinMaxNorm")
        self.axis = _check_axis(axis, "MinMaxNorm")

    def __call__(self, w):
        a = _as_array(w)
        norms = _norms(a, self.axis)
        desired = (
            self.rate * xp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        )
        return _like(w, a * (desired / (backend.epsilon() + norms)))

    def get_config(self) -> dict:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


# Keras aliases: the snake_case names are the classes themselves
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

# ----- lookup by name and config -----

_CLASSES = {cls.__name__: cls for cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_CLASSES.update(
    {"max_norm": MaxNorm, "min_max_norm": MinMaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm}
)


def _lookup(name: str, custom_objects: dict | None = None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    cls = _CLASSES.get(name)
    if cls is None:  # a Constraint subclass registered with register_keras_serializable
        from lamina.layers.layer import _LAYER_CLASSES  # (load_model's custom_objects too)

        cls = _LAYER_CLASSES.get(name)
    if not (isinstance(cls, type) and issubclass(cls, Constraint)):
        raise ValueError(
            f"Unknown constraint {name!r}. Valid names: max_norm, min_max_norm, non_neg, "
            "unit_norm (or their class names, e.g. 'MaxNorm'). A custom constraint is saved by "
            "its class name: subclass lamina.constraints.Constraint (with get_config) and "
            "register it with @lamina.saving.register_keras_serializable() or pass it in "
            "custom_objects"
        )
    return cls


def serialize(constraint) -> dict | None:
    """``{"class_name": ..., "config": ...}``, the form ``get`` and ``deserialize`` read back.

    >>> serialize(MaxNorm(3.0))
    {'class_name': 'MaxNorm', 'config': {'max_value': 3.0, 'axis': 0}}
    """
    if constraint is None:
        return None
    if isinstance(constraint, str):
        return serialize(get(constraint))
    if not hasattr(constraint, "get_config"):
        raise TypeError(
            f"cannot serialize the constraint {constraint!r}: it has no get_config(); subclass "
            "lamina.constraints.Constraint to make a custom constraint saveable"
        )
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config: dict | str, custom_objects: dict | None = None) -> Constraint:
    """Rebuild a constraint from ``serialize``'s dict (or a name). ``custom_objects`` maps class
    names to your own Constraint subclasses; nothing else is ever looked up or run.

    >>> deserialize({"class_name": "UnitNorm", "config": {"axis": 1}})
    UnitNorm(axis=1)
    """
    if isinstance(config, str):
        return _lookup(config, custom_objects)()
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(
            f"a constraint config is a dict with 'class_name' and 'config', got {config!r}"
        )
    cls = _lookup(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def to_layer_config(constraint, layer_name: str, arg: str):
    """How a layer's config holds its ``arg`` (``kernel_constraint``...): ``serialize``'s dict
    for a Constraint, or, for a plain function, a reference by name (``{"module", "name"}``,
    the way ``Lambda`` saves functions) that keeps the function itself for ``clone_model``."""
    from lamina.layers.lambda_layer import _FunctionRef, _Unsavable

    if isinstance(constraint, str) or hasattr(constraint, "get_config"):
        return serialize(constraint)
    name = getattr(constraint, "__qualname__", None)
    if isinstance(name, str) and "<lambda>" not in name:
        return _FunctionRef(constraint)
    return _Unsavable(
        constraint,
        f"cannot save layer {layer_name!r}: its {arg} is {constraint!r}, and lamina saves "
        "functions by name, never as code. Define it with `def` (and pass it to load_model in "
        "custom_objects) or subclass lamina.constraints.Constraint",
    )


def from_layer_config(value, layer_name: str | None, arg: str):
    """The constraint a layer config holds (see ``to_layer_config``); a function named in a
    file is looked up among the registered functions and ``load_model``'s ``custom_objects``,
    never imported."""
    from lamina.layers.lambda_layer import _FunctionRef, _Unsavable, find_function

    if isinstance(value, (_FunctionRef, _Unsavable)):
        return value.function
    if isinstance(value, dict) and "class_name" not in value and isinstance(value.get("name"), str):
        found = find_function(value["name"], value.get("module"))
        if found is None:
            short = value["name"].rsplit(".", 1)[-1]
            raise ValueError(
                f"layer {layer_name!r}: its {arg} is the function {value['name']!r}, which is "
                f"unknown here: pass it to load_model as custom_objects={{{short!r}: {short}}}, "
                "or register it with @lamina.saving.register_keras_serializable()"
            )
        return found
    return get(value)


def get(identifier):
    """Turn ``identifier`` into a constraint: a name (``"max_norm"``, ``"non_neg"``,
    ``"unit_norm"``, ``"min_max_norm"`` or a class name), a config dict, a Constraint class or
    instance, or any callable ``f(weight) -> weight``. ``None`` gives ``None``.

    >>> get("non_neg")
    NonNeg()
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret constraint identifier {identifier!r}: pass a name such as "
        "'max_norm', a config dict, a Constraint, or a callable f(weight)"
    )


__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get", "max_norm",
    "min_max_norm", "non_neg", "serialize", "unit_norm",
]  # fmt: skip
