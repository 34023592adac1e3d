"""``HyperParameters``: the ``hp`` a ``build_model(hp)`` function declares its search space with.

Written in plain Python, KerasTuner style: each call names a hyperparameter, says where it may
range, and returns the value of the current trial. During a search the values come from an
Optuna trial; outside one (``HyperParameters()``) each call returns its default, and
``HyperParameters(values={...})`` replays chosen values (``tuner.get_best_hyperparameters()``).
Both spellings work: ``hp.float``/``hp.int``/``hp.choice``/``hp.boolean``/``hp.fixed`` and
KerasTuner's ``hp.Float``/``hp.Int``/``hp.Choice``/``hp.Boolean``/``hp.Fixed``.

>>> hp = HyperParameters()
>>> hp.float("lr", 1e-4, 1e-1, log=True), hp.Int("units", 16, 128, step=16), hp.boolean("bn")
(0.0001, 16, False)
>>> hp = HyperParameters(values={"units": 64})
>>> hp.int("units", 16, 128, step=16), hp.values
(64, {'units': 64})
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# the values Optuna stores for a categorical parameter
_CHOICE_TYPES = (type(None), bool, int, float, str)
_SAMPLINGS = ("linear", "log", "reverse_log")


@dataclass(frozen=True)
class Param:
    """One declared hyperparameter: ``kind`` is "float", "int", "choice", "boolean" or "fixed"."""

    kind: str
    name: str
    low: Any = None
    high: Any = None
    step: Any = None
    log: bool = False
    choices: tuple = field(default_factory=tuple)
    default: Any = None

    def grid(self) -> list:
        """Every value a grid search tries: ranges need a step (an int's default step is 1)."""
        if self.kind in ("choice", "boolean", "fixed"):
            return list(self.choices)
        if self.kind == "int":
            return list(range(self.low, self.high + 1, self.step or 1))
        if self.step is None:
            raise ValueError(
                f"a grid search needs a step for hp.float({self.name!r}, {self.low}, "
                f"{self.high}): add step=..., or list the values with hp.choice({self.name!r}, "
                "[...])"
            )
        count = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        return [float(f"{self.low + i * self.step:.12g}") for i in range(count)]

    def describe(self) -> str:
        if self.kind in ("choice", "boolean"):
            return f"{self.kind} {list(self.choices)} (default {self.default!r})"
        if self.kind == "fixed":
            return f"fixed {self.default!r}"
        extras = ", log" if self.log else ""
        extras += f", step {self.step}" if self.step is not None else ""
        return f"{self.kind} [{self.low}, {self.high}]{extras} (default {self.default!r})"


class HyperParameters:
    """A search space declared by calls, and the values of one trial.

    Args:
        trial: the Optuna trial that picks the values (the Tuner passes it); None outside a search.
        values: fixed values by name, used instead of the trial's or the defaults.

    Attributes:
        values: the value of every hyperparameter declared so far, by name (as in KerasTuner).
        space: the declared hyperparameters (``Param`` objects), by name.
    """

    def __init__(self, trial: Any = None, values: dict | None = None) -> None:
        self.trial = trial
        self._fixed = dict(values or {})
        self.values: dict[str, Any] = {}
        self.space: dict[str, Param] = {}

    # ----- declarations -----
    def float(
        self,
        name: str,
        min_value: float,
        max_value: float,
        step: float | None = None,
        sampling: str = "linear",
        default: float | None = None,
        *,
        log: bool = False,
    ) -> float:
        """A float in ``[min_value, max_value]``; ``log=True`` (or ``sampling="log"``) samples
        its logarithm uniformly, as learning rates want; ``step`` makes it discrete."""
        log = _log_flag(name, sampling, log)
        low, high = _bounds(name, min_value, max_value, log, float)
        if step is not None and (log or not step > 0):
            raise ValueError(
                f"hp.float({name!r}): step must be positive and cannot be combined with log "
                f"sampling (Optuna's rule), got step={step!r}; list log-spaced values with "
                f"hp.choice({name!r}, [1e-4, 1e-3, 1e-2])"
            )
        default = low if default is None else float(default)
        param = Param("float", name, low, high, None if step is None else float(step), log,
                      default=default)  # fmt: skip

        def suggest(trial):
            value = trial.suggest_float(name, low, high, step=step, log=log)
            return value if step is None else float(f"{value:.12g}")  # 0.30000000000000004

        return self._value(param, suggest)

    def int(
        self,
        name: str,
        min_value: int,
        max_value: int,
        step: int | None = None,
        sampling: str = "linear",
        default: int | None = None,
        *,
        log: bool = False,
    ) -> int:
        """An integer in ``[min_value, max_value]`` (both included), every ``step`` (1)."""
        log = _log_flag(name, sampling, log)
        low, high = _bounds(name, min_value, max_value, log, int)
        if step is not None and (not _is_int(step) or step < 1 or (log and step != 1)):
            raise ValueError(
                f"hp.int({name!r}): step must be a positive integer (and 1 with log sampling, "
                f"Optuna's rule), got {step!r}"
            )
        default = low if default is None else int(default)
        param = Param("int", name, low, high, step, log, default=default)
        return self._value(param, lambda t: t.suggest_int(name, low, high, step=step or 1, log=log))

    def choice(
        self, name: str, values: list | tuple, ordered: bool | None = None, default: Any = None
    ) -> Any:
        """One of ``values`` (None, bool, int, float or str, which a database can store).

        ``ordered`` is accepted for KerasTuner code; Optuna treats every choice as unordered.
        """
        values = tuple(values) if isinstance(values, (list, tuple)) else ()
        if not values:
            raise ValueError(f"hp.choice({name!r}) needs a non-empty list of values")
        bad = [v for v in values if not isinstance(v, _CHOICE_TYPES)]
        if bad:
            raise ValueError(
                f"hp.choice({name!r}) values must be None, bool, int, float or str (what a "
                f"study database stores), got {bad!r}; choose a name and map it in build_model"
            )
        if default is not None and default not in values:
            raise ValueError(f"hp.choice({name!r}) default {default!r} is not one of {values}")
        param = Param("choice", name, choices=values,
                      default=values[0] if default is None else default)  # fmt: skip
        return self._value(param, lambda t: t.suggest_categorical(name, values))

    def boolean(self, name: str, default: bool = False) -> bool:
        """True or False."""
        param = Param("boolean", name, choices=(False, True), default=bool(default))
        return self._value(param, lambda t: t.suggest_categorical(name, (False, True)))

    def fixed(self, name: str, value: Any) -> Any:
        """A value that does not vary, recorded with the others."""
        param = Param("fixed", name, choices=(value,), default=value)
        return self._value(param, None)

    # KerasTuner's spellings
    Float = float  # noqa: A003 - the methods, under KerasTuner's names
    Int = int  # noqa: A003
    Choice = choice
    Boolean = boolean
    Fixed = fixed

    # ----- reading -----
    def get(self, name: str) -> Any:
        """The value of a hyperparameter declared earlier in this build."""
        if name not in self.values:
            raise KeyError(
                f"no hyperparameter named {name!r} has been declared; declared: {list(self.values)}"
            )
        return self.values[name]

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __repr__(self) -> str:
        return f"HyperParameters({self.values})"

    # ----- internals -----
    def _value(self, param: Param, suggest) -> Any:
        previous = self.space.get(param.name)
        if previous is not None and previous != param:
            raise ValueError(
                f"hyperparameter {param.name!r} was declared twice differently: "
                f"{previous.describe()} and {param.describe()}; give each its own name"
            )
        self.space[param.name] = param
        if param.name in self._fixed:
            value = self._fixed[param.name]
        elif param.kind == "fixed":
            value = param.default
        elif self.trial is not None:
            value = suggest(self.trial)
        else:
            value = param.default
        self.values[param.name] = value
        return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _log_flag(name: str, sampling: str, log: bool) -> bool:
    if sampling not in _SAMPLINGS:
        raise ValueError(f"hp {name!r}: sampling must be 'linear' or 'log', got {sampling!r}")
    if sampling == "reverse_log":
        raise ValueError(
            f"hp {name!r}: sampling='reverse_log' has no Optuna equivalent; use 'log' on "
            "1 - value (e.g. for a momentum close to 1)"
        )
    return bool(log) or sampling == "log"


def _bounds(name: str, low, high, log: bool, kind: type):
    if kind is int and not (_is_int(low) and _is_int(high)):
        raise ValueError(f"hp.int({name!r}) bounds must be integers, got {low!r}, {high!r}")
    low, high = kind(low), kind(high)
    if not low <= high:
        raise ValueError(f"hp {name!r}: min_value {low} must be <= max_value {high}")
    if log and low <= 0:
        raise ValueError(f"hp {name!r}: log sampling needs min_value > 0, got {low}")
    return low, high


def search_space(build_model, values: dict | None = None) -> dict[str, Param]:
    """The hyperparameters ``build_model(hp)`` declares when it runs on the defaults (a branch
    taken only for other values is not seen)."""
    hp = HyperParameters(values=values)
    build_model(hp)
    return dict(hp.space)
