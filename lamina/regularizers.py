"""Weight regularizers: callables ``reg(weight)`` returning a scalar penalty Tensor (Keras names).

A layer adds each weight's penalty to the training loss. The penalty is built from lamina ops, so
its gradient flows back to the weight.

>>> import lamina
>>> w = lamina.tensor([[1.0, -2.0], [0.5, 0.0]], requires_grad=True)
>>> penalty = get("l2")(w)  # 0.01 * sum(w ** 2)
>>> penalty
Tensor(0.0525, dtype=float32, requires_grad=True)
>>> penalty.backward(); w.grad  # 2 * 0.01 * w
array([[ 0.02, -0.04],
       [ 0.01,  0.  ]], dtype=float32)
"""

from __future__ import annotations

import inspect
import math
import numbers

from lamina import ops
from lamina.autograd import Tensor
from lamina.backend import xp


def _check_factor(value, name: str, who: str) -> float:
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(
            f"{who} argument {name} must be a non-negative finite number, got {value!r}"
        )
    return float(value)


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _scaled(factor: float, x: Tensor, penalty: Tensor) -> Tensor:
    # the factor as a 0-d array of the weight's dtype keeps a float32 weight's penalty float32
    return xp.asarray(factor, dtype=x.dtype) * penalty


class Regularizer:
    """Base class: subclasses implement ``__call__(weight)`` returning a scalar Tensor and, when
    ``__init__`` takes arguments, ``get_config()`` returning them.

    >>> import lamina
    >>> class SumSquares(Regularizer):
    ...     def __call__(self, w):
    ...         return lamina.ops.sum(w * w)
    >>> SumSquares()(lamina.tensor([3.0, 4.0])).item()
    25.0
    """

    def __call__(self, x) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(weight)")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """``penalty = l1 * sum(|w|)``; its gradient is ``l1 * sign(w)`` (0 at 0).

    >>> import lamina
    >>> round(L1(0.1)(lamina.tensor([1.0, -3.0])).item(), 6)
    0.4
    """

    def __init__(self, l1: float = 0.01):
        self.l1 = _check_factor(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x) -> Tensor:
        x = _as_tensor(x)
        return _scaled(self.l1, x, ops.sum(ops.abs(x)))

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    """``penalty = l2 * sum(w ** 2)``; its gradient is ``2 * l2 * w``, i.e. weight decay.

    >>> import lamina
    >>> L2(0.5)(lamina.tensor([1.0, -3.0])).item()
    5.0
    """

    def __init__(self, l2: float = 0.01):
        self.l2 = _check_factor(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x) -> Tensor:
        x = _as_tensor(x)
        return _scaled(self.l2, x, ops.sum(x * x))

    def get_config(self) -> dict:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``penalty = l1 * sum(|w|) + l2 * sum(w ** 2)``. Both factors default to 0 (as in Keras);
    the name ``"l1_l2"`` and the function ``l1_l2()`` default to 0.01 each. With both factors 0
    the penalty is a constant zero Tensor.

    >>> import lamina
    >>> round(L1L2(l1=0.1, l2=0.5)(lamina.tensor([1.0, -3.0])).item(), 6)
    5.4
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _check_factor(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _check_factor(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x) -> Tensor:
        x = _as_tensor(x)
        terms = []
        if self.l1:
            terms.append(_scaled(self.l1, x, ops.sum(ops.abs(x))))
        if self.l2:
            terms.append(_scaled(self.l2, x, ops.sum(x * x)))
        if not terms:
            return Tensor(xp.zeros((), dtype=x.dtype))
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (``mode="rows"``) or columns (``mode="columns"``) of a 2-D weight towards
    being orthogonal: with ``u_i`` the L2-normalized rows (or columns),
    ``penalty = factor * mean over pairs i < j of |u_i . u_j|``.

    >>> import lamina
    >>> w = lamina.tensor([[1.0, 0.0], [1.0, 1.0]])  # rows 45 degrees apart: cos = 0.7071
    >>> round(OrthogonalRegularizer(factor=1.0)(w).item(), 4)
    0.7071
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        self.factor = _check_factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"OrthogonalRegularizer mode must be 'rows' or 'columns', got {mode!r}"
            )
        self.mode = mode

    def __call__(self, x) -> Tensor:
        x = _as_tensor(x)
        if x.ndim != 2:
            raise ValueError(
                f"OrthogonalRegularizer needs a 2-D weight, got shape {x.shape}; reshape "
                "conv kernels to (-1, filters) first"
            )
        if self.mode == "columns":
            x = ops.transpose(x)
        n = x.shape[0]
        if n < 2:  # no pairs
            return Tensor(xp.zeros((), dtype=x.dtype))
        sq_norms = ops.sum(x * x, axis=1, keepdims=True)
        u = x / ops.sqrt(ops.maximum(sq_norms, xp.asarray(1e-12, dtype=x.dtype)))
        off_diagonal = (1 - xp.eye(n, dtype=x.dtype)) * ops.matmul(u, ops.transpose(u))
        # the off-diagonal sum counts each pair twice: n * (n - 1) = 2 * pairs
        return _scaled(self.factor / (n * (n - 1)), x, ops.sum(ops.abs(off_diagonal)))

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


# Keras aliases: l1 and l2 are the classes themselves (defaults 0.01)
l1 = L1
l2 = L2
orthogonal_regularizer = OrthogonalRegularizer


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """``L1L2`` with both factors defaulting to 0.01 (what the name ``"l1_l2"`` gives).

    >>> l1_l2()
    L1L2(l1=0.01, l2=0.01)
    """
    return L1L2(l1=l1, l2=l2)


# ----- lookup by name and config -----

_SNAKE_NAMES = {
    L1: "l1",
    L2: "l2",
    L1L2: "l1_l2",
    OrthogonalRegularizer: "orthogonal_regularizer",
}


def _key(name: str) -> str:
    return name.lower().replace("_", "")


_REGISTRY = {_key(cls.__name__): cls for cls in _SNAKE_NAMES}


def _lookup(name: str, custom_objects: dict | None = None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    cls = _REGISTRY.get(_key(name))
    if cls is None:
        valid = ", ".join(_SNAKE_NAMES.values())
        raise ValueError(
            f"Unknown regularizer {name!r}. Valid names: {valid} (or their Keras class names, "
            "e.g. 'L1L2'); pass a Regularizer instance for anything else"
        )
    return cls


def serialize(regularizer: Regularizer) -> dict:
    """``{"class_name": ..., "config": ...}``, the form ``get`` and ``deserialize`` read back.

    >>> serialize(L2(0.001))
    {'class_name': 'L2', 'config': {'l2': 0.001}}
    """
    if not hasattr(regularizer, "get_config"):
        raise TypeError(
            f"cannot serialize {regularizer!r}: it has no get_config(); subclass "
            "lamina.regularizers.Regularizer to make a custom regularizer saveable"
        )
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def deserialize(config: dict | str, custom_objects: dict | None = None) -> Regularizer:
    """Rebuild a regularizer from ``serialize``'s dict (or a name). ``custom_objects`` maps class
    names to your own Regularizer subclasses.

    >>> deserialize({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.0}})
    L1L2(l1=0.1, l2=0.0)
    """
    if isinstance(config, str):
        if _key(config) == "l1l2" and not (custom_objects and config in custom_objects):
            return l1_l2()
        return _lookup(config, custom_objects)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"a regularizer config is a dict with 'class_name' and 'config', got {config!r}"
        )
    cls = _lookup(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """Turn ``identifier`` into a regularizer: a name (case-insensitive: ``"l1"``, ``"l2"``,
    ``"l1_l2"``, ``"orthogonal_regularizer"`` or a Keras class name), a config dict, a Regularizer
    class or instance, or any callable ``f(weight) -> scalar Tensor``. ``None`` gives ``None``.
    Names use the default factors, 0.01 (``"l1_l2"``: 0.01 each).

    >>> get("L1")
    L1(l1=0.01)
    >>> get({"class_name": "L2", "config": {"l2": 0.1}})
    L2(l2=0.1)
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
        f"Could not interpret regularizer identifier {identifier!r}: pass a name such as 'l2', "
        "a config dict, a Regularizer, or a callable f(weight)"
    )


__all__ = [
    "L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1",
    "l1_l2", "l2", "orthogonal_regularizer", "serialize",
]  # fmt: skip
