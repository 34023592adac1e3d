"""Learning-rate schedules: callables ``step -> learning rate`` with Keras's names and formulas.

An optimizer given a schedule calls it once per step with the 0-based step index
(``optimizer.iterations``). A scalar step gives a float; an array of steps gives an array, as a
Keras schedule gives a tensor (tutorials plot ``schedule(np.linspace(0, 100000))``).

>>> from lamina.optimizers import SGD
>>> from lamina.optimizers.schedules import ExponentialDecay
>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> schedule(0), schedule(10), schedule(20)
(0.1, 0.05, 0.025)
>>> schedule(np.array([0, 10, 20])).tolist()
[0.1, 0.05, 0.025]
>>> opt = SGD(learning_rate=schedule)
"""

from __future__ import annotations

import bisect
import math
import numbers
from types import SimpleNamespace

import numpy as np

_REGISTRY: dict[str, type] = {}


def _check(name: str, value, positive: bool = True):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not (value > 0 if positive else value >= 0):
        raise ValueError(f"{name} must be {'positive' if positive else '>= 0'}, got {value!r}")
    return value


# Each formula is written once against ``m``: Python's math for a scalar step (so a float step
# gives exactly the float it always gave) or NumPy for an array of steps.
_SCALAR = SimpleNamespace(
    floor=math.floor,
    ceil=math.ceil,
    cos=math.cos,
    log=math.log,
    minimum=min,
    maximum=max,
    where=lambda condition, a, b: a if condition else b,
    any=bool,
    searchsorted=bisect.bisect_left,
)
_ARRAY = SimpleNamespace(
    floor=np.floor,
    ceil=np.ceil,
    cos=np.cos,
    log=np.log,
    minimum=np.minimum,
    maximum=np.maximum,
    where=np.where,
    any=np.any,
    searchsorted=lambda a, v: np.searchsorted(a, v, side="left"),
)


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step) -> float`` and ``get_config()``.

    The built-in schedules implement ``_rate(step, m)`` instead, with ``m`` the math of a
    scalar or of an array of steps, so that both give the same values.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    def __call__(self, step):
        if np.ndim(step) == 0:
            step = step.item() if hasattr(step, "item") else step
            return float(self._rate(step, _SCALAR))
        return np.asarray(self._rate(np.asarray(step, dtype=np.float64), _ARRAY), np.float64)

    def _rate(self, step, m):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step)")

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement get_config()")

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``; with ``staircase`` the
    exponent is floored, so the rate drops every ``decay_steps`` steps.

    >>> ExponentialDecay(1.0, 2, 0.5, staircase=True)(3)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ):
        self.initial_learning_rate = _check("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check("decay_steps", decay_steps)
        self.decay_rate = _check("decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def _rate(self, step, m):
        p = step / self.decay_steps
        if self.staircase:
            p = m.floor(p)
        return self.initial_learning_rate * self.decay_rate**p

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored with
    ``staircase``).

    >>> InverseTimeDecay(1.0, 1, 0.5)(2)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ):
        self.initial_learning_rate = _check("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check("decay_steps", decay_steps)
        self.decay_rate = _check("decay_rate", decay_rate, positive=False)
        self.staircase = bool(staircase)
        self.name = name

    def _rate(self, step, m):
        p = step / self.decay_steps
        if self.staircase:
            p = m.floor(p)
        return self.initial_learning_rate / (1 + self.decay_rate * p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class StepDecay(ExponentialDecay):
    """Multiply the rate by ``gamma`` every ``step_size`` steps (PyTorch's ``StepLR``, counted in
    optimizer steps): ``ExponentialDecay(initial, step_size, gamma, staircase=True)``.

    >>> [StepDecay(1.0, step_size=2, gamma=0.1)(s) for s in range(5)]
    [1.0, 1.0, 0.1, 0.1, 0.010000000000000002]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        step_size: int,
        gamma: float = 0.1,
        name: str = "StepDecay",
    ):
        super().__init__(initial_learning_rate, step_size, gamma, staircase=True, name=name)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "step_size": self.decay_steps,
            "gamma": self.decay_rate,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``boundaries[0] < step <= boundaries[1]``, ..., ``values[-1]`` after ``boundaries[-1]``.

    >>> s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> s(10), s(11), s(21)
    (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name: str = "PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                f"PiecewiseConstantDecay needs one more value than boundaries, got "
                f"{len(boundaries)} boundaries {boundaries} and {len(values)} values {values}"
            )
        if any(b >= c for b, c in zip(boundaries, boundaries[1:], strict=False)):
            raise ValueError(f"boundaries must be strictly increasing, got {boundaries}")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def _rate(self, step, m):
        return np.asarray(self.values)[m.searchsorted(self.boundaries, step)]

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``; with
    ``cycle`` the horizon grows to the first multiple of ``decay_steps`` above ``step``.

    >>> PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        self.initial_learning_rate = _check("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check("decay_steps", decay_steps)
        self.end_learning_rate = _check("end_learning_rate", end_learning_rate, positive=False)
        self.power = _check("power", power)
        self.cycle = bool(cycle)
        self.name = name

    def _rate(self, step, m):
        horizon = self.decay_steps
        if self.cycle:
            horizon = horizon * m.maximum(1, m.ceil(step / horizon))
        else:
            step = m.minimum(step, horizon)
        delta = self.initial_learning_rate - self.end_learning_rate
        return delta * (1 - step / horizon) ** self.power + self.end_learning_rate

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Optional linear warm-up, then cosine decay (Keras 3).

    Without ``warmup_target``: ``initial * ((1 - alpha) * c + alpha)`` with
    ``c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))``.
    With ``warmup_target``: for ``step < warmup_steps`` the rate rises linearly from
    ``initial_learning_rate`` to ``warmup_target``; then it decays as above from
    ``warmup_target`` over ``decay_steps`` more steps, to ``alpha * warmup_target``.

    >>> s = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=5)
    >>> s(0), s(1), s(5), s(10), s(15), s(99)
    (0.0, 0.2, 1.0, 0.5, 0.0, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        self.initial_learning_rate = _check(
            "initial_learning_rate", initial_learning_rate, positive=warmup_target is None
        )
        self.decay_steps = _check("decay_steps", decay_steps)
        self.alpha = _check("alpha", alpha, positive=False)
        self.name = name
        if warmup_target is not None:
            _check("warmup_target", warmup_target)
            _check("warmup_steps", warmup_steps)
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, start_lr, m):
        fraction = m.minimum(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + m.cos(math.pi * fraction))
        return start_lr * ((1 - self.alpha) * cosine + self.alpha)

    def _rate(self, step, m):
        if self.warmup_target is None:
            return self._decay(step, self.initial_learning_rate, m)
        delta = self.warmup_target - self.initial_learning_rate
        warming = self.initial_learning_rate + delta * step / self.warmup_steps
        decaying = self._decay(m.maximum(step - self.warmup_steps, 0), self.warmup_target, m)
        return m.where(step < self.warmup_steps, warming, decaying)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts, SGDR (Loshchilov & Hutter, 2017), as in Keras.

    The ``i``-th period (from 0) lasts ``first_decay_steps * t_mul ** i`` steps and starts at
    ``initial_learning_rate * m_mul ** i``; within it, at fraction ``f`` of the period, the rate
    is ``initial * ((1 - alpha) * m_mul ** i * 0.5 * (1 + cos(pi * f)) + alpha)``.

    >>> s = CosineDecayRestarts(1.0, first_decay_steps=2, t_mul=2.0, m_mul=0.5)
    >>> [round(s(k), 4) for k in range(7)]  # periods of 2 and 4 steps
    [1.0, 0.5, 0.5, 0.4268, 0.25, 0.0732, 0.25]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        self.initial_learning_rate = _check("initial_learning_rate", initial_learning_rate)
        self.first_decay_steps = _check("first_decay_steps", first_decay_steps)
        self.t_mul = _check("t_mul", t_mul)
        self.m_mul = _check("m_mul", m_mul, positive=False)
        self.alpha = _check("alpha", alpha, positive=False)
        self.name = name

    def _period(self, fraction, m):
        """The period a step lies in, and the fraction of it done (``fraction`` is the step in
        units of the first period)."""
        if self.t_mul == 1.0:
            i = m.floor(fraction)
            return i, fraction - i
        t = self.t_mul

        def start(k):  # the first period's length times sum(t ** j for j < k)
            return (1.0 - t**k) / (1.0 - t)

        i = m.floor(m.log(1.0 - fraction * (1.0 - t)) / math.log(t))
        while m.any(start(i + 1) <= fraction):  # rounding in the log can land one period off
            i = i + m.where(start(i + 1) <= fraction, 1, 0)
        while m.any((i > 0) & (start(i) > fraction)):
            i = i - m.where((i > 0) & (start(i) > fraction), 1, 0)
        return i, (fraction - start(i)) / t**i

    def _rate(self, step, m):
        i, done = self._period(step / self.first_decay_steps, m)
        cosine = 0.5 * self.m_mul**i * (1.0 + m.cos(math.pi * done))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{"class_name": ..., "config": ...}``, as Keras writes it."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict) -> LearningRateSchedule:
    """The schedule ``serialize`` described.

    >>> deserialize(serialize(StepDecay(0.1, 5)))(5)
    0.010000000000000002
    """
    cls = _REGISTRY.get(config.get("class_name"))
    if cls is None:
        raise ValueError(
            f"unknown learning-rate schedule {config.get('class_name')!r}; known: "
            f"{', '.join(sorted(_REGISTRY))}"
        )
    return cls.from_config(config.get("config", {}))
