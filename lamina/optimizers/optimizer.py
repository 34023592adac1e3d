"""``Optimizer``: the base class that owns everything but the update formula.

The base keeps the step count, the learning rate (a number or a schedule evaluated once per step),
gradient clipping, decoupled weight decay, Keras's weight averaging (``use_ema``), gradient
accumulation and loss scaling, the per-variable state slots, argument checks, config and state
round trips. A subclass only says which state a weight needs (``build_state``) and how one weight
moves (``update``).

>>> import lamina
>>> from lamina.optimizers import SGD
>>> w = lamina.tensor([1.0, 2.0], requires_grad=True)
>>> opt = SGD(learning_rate=0.1)
>>> (w * w).sum().backward()
>>> opt.apply([w.grad], [w]); w.data
array([0.8, 1.6], dtype=float32)
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
import warnings
from collections.abc import Iterable, Mapping, MutableMapping

from lamina import backend
from lamina.autograd.grad_mode import enable_grad, no_grad
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.optimizers import schedules
from lamina.optimizers.scalars import Iterations, LearningRate

_REGISTRY: dict[str, type] = {}


# ----- argument checks, shared by every optimizer -----
def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_positive(name: str, value, allow_none: bool = False):
    """``value`` if it is a number > 0, else ``ValueError("name must be positive, got value")``."""
    if value is None and allow_none:
        return None
    if not _is_number(value) or not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return float(value)


def check_non_negative(name: str, value):
    if not _is_number(value) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


def check_fraction(name: str, value, include_one: bool = False):
    """A number in [0, 1) (or [0, 1] with ``include_one``): betas, rho, momentum."""
    ok = _is_number(value) and (0 <= value <= 1 if include_one else 0 <= value < 1)
    if not ok:
        interval = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


def _check_int_or_none(name: str, value, least: int):
    """Keras's rule for the integer options: a falsy value (None, 0) means off."""
    if not value:
        return None
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < least:
        raise ValueError(f"{name} must be an integer >= {least} or None, got {value!r}")
    return int(value)


def _check_learning_rate(value):
    if isinstance(value, schedules.LearningRateSchedule) or callable(value):
        return value
    return check_non_negative("learning_rate", value)  # 0 freezes the weights, as in Keras


class Optimizer:
    """Base class of lamina's optimizers (Keras 3 contract, plus PyTorch's ``step``/``zero_grad``).

    Arguments common to every optimizer:

    - ``learning_rate``: a float, or a ``LearningRateSchedule`` (any callable ``step -> lr``),
      evaluated once per step with the 0-based step index. ``lr=`` is an alias.
    - ``params``: the variables to train, for PyTorch-style ``step()``; may also come later via
      ``build(variables)``. ``SGD(model.parameters(), lr=0.1)`` works as in PyTorch.
    - ``weight_decay``: decoupled decay applied before the update, ``w <- w - lr * wd * w``.
    - ``clipvalue`` (elementwise), ``clipnorm`` (each gradient's L2 norm), ``global_clipnorm``
      (the L2 norm of all gradients together): at most one of the three.
    - ``use_ema``: keep an exponential moving average of each weight (slot ``"average"``), after
      every step ``a <- m a + (1 - m) w`` with ``m = ema_momentum`` (0 on the first step, so
      ``a`` starts at ``w``). Every ``ema_overwrite_frequency`` steps (if set) the weights are
      replaced by their averages; ``finalize_variable_values`` does it at the end of ``fit``.
    - ``gradient_accumulation_steps`` n: sum the gradients of n ``apply`` calls (slot
      ``"gradient_accumulator"``) and update only on the n-th, with their mean (then clipped);
      ``iterations`` counts updates, a schedule sees the ``apply`` count.
    - ``loss_scale_factor`` s: ``scale_loss(loss)`` multiplies the loss (``fit`` calls it before
      ``backward``) and ``apply`` divides every gradient by s, as Keras does. Mathematically a
      no-op (bit for bit when s is a power of two); it exists for float16 training, which lamina
      does not do, so it only keeps Keras's arithmetic.
    - ``name``: defaults to the lowercase class name.

    Subclasses list their hyperparameters in ``_hyperparameters`` (for ``get_config``) and
    implement ``build_state(param)`` and ``update(param, grad, state, lr, t)``, where ``param``
    and ``grad`` are arrays, ``state`` is the dict from ``build_state``, ``lr`` a float and
    ``t`` the 1-based step. ``update`` changes ``param`` and ``state`` in place and must never
    write into ``grad`` (it may be shared).
    """

    _hyperparameters: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__.lower()] = cls

    def __init__(
        self,
        learning_rate=0.001,
        *,
        params=None,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs,
    ):
        lr_alias = kwargs.pop("lr", None)
        if kwargs.pop("decay", None):  # Keras 2 configs; Keras 3 ignores it too
            warnings.warn(
                "the decay argument is no longer supported and is ignored: use a "
                "LearningRateSchedule such as InverseTimeDecay",
                stacklevel=3,
            )
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s) {sorted(kwargs)}"
            )
        if _looks_like_params(learning_rate):  # PyTorch style: SGD(model.parameters(), lr=0.1)
            if params is not None:
                raise TypeError("params given twice: as the first argument and as params=")
            params, learning_rate = learning_rate, _default_learning_rate(type(self))
        if lr_alias is not None:
            learning_rate = lr_alias
        self._learning_rate = _check_learning_rate(learning_rate)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_none=True)
        self.clipnorm = check_positive("clipnorm", clipnorm, allow_none=True)
        self.clipvalue = check_positive("clipvalue", clipvalue, allow_none=True)
        self.global_clipnorm = check_positive("global_clipnorm", global_clipnorm, allow_none=True)
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "only one of clipnorm, clipvalue and global_clipnorm can be set, got "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if self.use_ema:
            self.ema_momentum = check_fraction("ema_momentum", ema_momentum, include_one=True)
            self.ema_overwrite_frequency = _check_int_or_none(
                "ema_overwrite_frequency", ema_overwrite_frequency, 1
            )
        self.loss_scale_factor = check_positive(
            "loss_scale_factor", loss_scale_factor, allow_none=True
        )
        self.gradient_accumulation_steps = _check_int_or_none(
            "gradient_accumulation_steps", gradient_accumulation_steps, 2
        )
        self.name = name if name is not None else type(self).__name__.lower()
        self._iterations = 0  # apply() calls; iterations (below) counts weight updates
        self._variables: list[Tensor] = []  # in order of first sight: the order of get_state
        self._slots: dict[int, dict] = {}  # id(variable) -> state arrays
        self._base_slots: dict[int, dict] = {}  # id(variable) -> "average", "gradient_accumulator"
        self._scratch: dict[tuple, object] = {}  # (shape, dtype, k) -> reusable work array
        self._no_decay: set[int] = set()
        self._no_decay_pattern = None
        self._pending_state = None  # set_state before the variables are known: loaded at apply
        # built on first use, once the subclass has set its hyperparameters
        self._params: list[Tensor] | None = None if params is None else list(params)
        # model.parameters() is a live view: re-read while empty, as a model that builds its
        # layers at its first call has no weights when the optimizer is made
        self._param_source = params if getattr(params, "live_parameters", False) else None
        if params is not None and not self._params and self._param_source is None:
            raise ValueError(
                f"{type(self).__name__} got an empty parameter list: the model has no weights "
                "yet. Call the model on data or build() it first, or pass model.parameters(), "
                "which picks up the weights the model creates at its first call"
            )
        self._unbuilt_params = params is not None
        self._param_group = None

    # ----- the two methods a subclass writes -----
    def build_state(self, param) -> dict:
        """The state arrays one weight array needs, e.g. ``{"momentum": zeros_like(param)}``."""
        return {}

    def update(self, param, grad, state: dict, lr: float, t: int) -> None:
        """Move ``param`` (an array) in place, given its gradient; ``t`` is the 1-based step."""
        raise NotImplementedError(f"{type(self).__name__} must implement update()")

    # ----- learning rate -----
    @property
    def learning_rate(self) -> float:
        """The learning rate the next step will use (a schedule is evaluated at the number of
        ``apply`` calls so far). Assign a float or a schedule to change it. The float also has
        Keras's ``numpy()`` and ``assign(value)`` (see ``scalars.py``)."""
        return LearningRate(self._lr_at(self._iterations), self._set_learning_rate)

    def _set_learning_rate(self, value) -> None:
        self.learning_rate = value

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._learning_rate = _check_learning_rate(value)

    lr = learning_rate  # Keras 2 / PyTorch spelling

    def _lr_at(self, step: int) -> float:
        lr = self._learning_rate
        return float(lr(step)) if callable(lr) else lr

    @property
    def iterations(self) -> int:
        """Steps taken: with ``gradient_accumulation_steps`` n, the weight updates (one per n
        ``apply`` calls), as in Keras."""
        n = self.gradient_accumulation_steps
        return Iterations(self._iterations // n if n else self._iterations, self._set_iterations)

    def _set_iterations(self, value) -> None:
        self.iterations = value

    @iterations.setter
    def iterations(self, value: int) -> None:
        self._iterations = int(value) * (self.gradient_accumulation_steps or 1)

    # ----- variables and state -----
    @property
    def built(self) -> bool:
        """Whether the optimizer has state: variables, or a state set before its first step."""
        self._refresh_params()
        if self._pending_state is not None:
            return True
        return bool(self._variables) or (self._unbuilt_params and bool(self._params))

    def build(self, variables: Iterable[Tensor]) -> None:
        """Create the state of each variable now (in this order) and bind them for ``step()``."""
        variables = list(variables)
        self._refresh_params()
        if self._unbuilt_params and self._params:
            self._unbuilt_params = False
            self.build(self._params)
        for v in variables:
            if id(v) not in self._slots:
                self._add_variable(v)
        if not self._params:
            self._params = variables

    def _refresh_params(self) -> None:
        """Read a live ``model.parameters()`` again while it is empty: the weights a model
        creates at its first call are picked up by the first ``step()``."""
        if not self._params and self._param_source is not None:
            self._params = list(self._param_source)

    def _build_params(self) -> None:
        self._refresh_params()
        if self._unbuilt_params and self._params:
            self.build(self._params)

    def _add_variable(self, variable) -> dict:
        if not isinstance(variable, Tensor):
            raise TypeError(
                f"{type(self).__name__} updates lamina.Tensor variables, got "
                f"{type(variable).__name__}; wrap arrays with lamina.tensor(a, requires_grad=True)"
            )
        if variable.data.dtype.kind != "f":
            raise TypeError(f"cannot optimize a variable of dtype {variable.dtype}")
        state = self.build_state(variable.data)
        self._slots[id(variable)] = state  # the list below keeps the id valid
        base = {}
        if self.use_ema:  # a copy rather than Keras's zeros: equal after the first step
            base["average"] = variable.data.copy()
        if self.gradient_accumulation_steps:
            base["gradient_accumulator"] = xp.zeros_like(variable.data)
        if base:
            self._base_slots[id(variable)] = base
        self._variables.append(variable)
        if self._no_decay_pattern is not None and variable.name:
            if self._no_decay_pattern.search(variable.name):
                self._no_decay.add(id(variable))
        return state

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exempt variables from ``weight_decay``: those in ``var_list``, and those whose name
        contains any of the strings (regular expressions) in ``var_names``, e.g. ``["bias"]``."""
        self._no_decay.update(id(v) for v in var_list or ())
        if var_names:
            self._no_decay_pattern = re.compile("|".join(f"(?:{n})" for n in var_names))
            for v in self._variables:
                if v.name and self._no_decay_pattern.search(v.name):
                    self._no_decay.add(id(v))

    def _scratch_like(self, array, k: int = 0):
        """A work array shaped like ``array``, reused across steps and variables (not state)."""
        key = (array.shape, array.dtype, k)
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = xp.empty_like(array)
        return buf

    def _state_of(self, variable) -> dict:
        """All state arrays of one variable: the subclass's slots, then the base's."""
        base = self._base_slots.get(id(variable))
        slots = self._slots[id(variable)]
        return {**slots, **base} if base else slots

    def variables(self) -> list:
        """The live state arrays, variable by variable (in build order), slot by slot."""
        self._build_params()
        return [a for v in self._variables for a in self._state_of(v).values()]

    def get_state(self) -> dict:
        """Everything needed to resume training exactly: ``iterations`` (the ``apply`` calls),
        the learning rate (when it is a number) and a copy of every state array as NumPy, under
        keys ``"{i}/{slot}"`` where ``i`` is the variable's position in build order (the
        ``"average"`` and ``"gradient_accumulator"`` slots included). ``numpy.savez(f, **state)``.
        """
        self._build_params()
        state = {"iterations": self._iterations}
        if not callable(self._learning_rate):
            state["learning_rate"] = self._learning_rate
        if self._pending_state is not None:  # not stepped since set_state: still that state
            return {**state, **{k: v.copy() for k, v in self._pending_state.items()}}
        for i, v in enumerate(self._variables):
            for slot, array in self._state_of(v).items():
                copy = backend.to_numpy(array)
                state[f"{i}/{slot}"] = copy.copy() if copy is array else copy
        return state

    def set_state(self, state: Mapping) -> None:
        """Load what ``get_state`` returned (a dict or an ``.npz`` file). The optimizer must know
        the same variables in the same order: construct it with ``params=`` or call
        ``build(model.trainable_weights)`` first. An optimizer that knows no variables yet (one
        a custom ``train_step`` builds at its first ``apply_gradients``) keeps the state and
        loads it at that first step, checked against the variables it is given then."""
        self._build_params()
        if not self._variables and self._params is None and "iterations" in state:
            # the step count and rate now; the arrays when the variables are known
            self._set_scalars(state)
            self._pending_state = {k: state[k] for k in state if "/" in k}
            return
        expected = {f"{i}/{s}" for i, v in enumerate(self._variables) for s in self._state_of(v)}
        given = {k for k in state if "/" in k}
        if given != expected:
            hint = "" if self._variables else " (call optimizer.build(variables) first)"
            raise ValueError(
                f"optimizer state does not match this {type(self).__name__}{hint}: missing "
                f"{sorted(expected - given)}, unexpected {sorted(given - expected)}"
            )
        for i, v in enumerate(self._variables):
            for slot, array in self._state_of(v).items():
                value = state[f"{i}/{slot}"]
                if tuple(value.shape) != array.shape:
                    raise ValueError(
                        f"state {i}/{slot} has shape {tuple(value.shape)}, but variable {i} "
                        f"({v.name or 'unnamed'}) needs {array.shape}"
                    )
        for i, v in enumerate(self._variables):
            for slot, array in self._state_of(v).items():
                array[...] = xp.asarray(state[f"{i}/{slot}"], dtype=array.dtype)
        self._set_scalars(state)

    def _set_scalars(self, state: Mapping) -> None:
        if "iterations" in state:
            self._iterations = int(state["iterations"])
        if "learning_rate" in state and not callable(self._learning_rate):
            self.learning_rate = float(state["learning_rate"])

    def _load_pending_state(self) -> None:
        """The state arrays that ``set_state`` kept for the first step, now that it has seen
        the variables (the step count and rate were set at once)."""
        arrays, self._pending_state = self._pending_state, None
        try:
            self.set_state({**arrays, "iterations": self._iterations})
        except ValueError as exc:
            raise ValueError(
                f"the state given to this {type(self).__name__} before its first step does "
                f"not fit the {len(self._variables)} variables of that step: {exc}"
            ) from None

    # PyTorch's names for the same round trip
    def state_dict(self) -> dict:
        """PyTorch's name for ``get_state()``: a flat dict of NumPy arrays and numbers
        (``numpy.savez(f, **optimizer.state_dict())``), restored by ``load_state_dict``."""
        return self.get_state()

    def load_state_dict(self, state_dict: Mapping) -> None:
        """PyTorch's name for ``set_state(state)``: the optimizer must hold the same weights in
        the same order (give it ``model.parameters()`` of the same architecture)."""
        self.set_state(state_dict)

    @property
    def param_groups(self) -> list:
        """PyTorch's ``param_groups``: one group, a dict with ``"params"`` (the bound weights),
        ``"lr"`` and the optimizer's hyperparameters. Setting ``param_groups[0]["lr"]`` sets
        ``learning_rate``, as PyTorch's learning-rate schedulers do.

        >>> import lamina
        >>> opt = lamina.optimizers.SGD([lamina.tensor([1.0], requires_grad=True)], lr=0.1)
        >>> opt.param_groups[0]["lr"] = 0.05
        >>> opt.learning_rate, sorted(opt.param_groups[0])
        (0.05, ['lr', 'momentum', 'nesterov', 'params', 'weight_decay'])
        """
        if self._param_group is None:
            self._param_group = ParamGroup(self)
        return [self._param_group]

    # ----- applying gradients -----
    def apply(self, grads, variables=None) -> None:
        """One step: ``grads[i]`` (an array, a Tensor, or None to skip) updates
        ``variables[i]`` in place. Without ``variables``, the bound ``params`` are used. A
        variable with a ``constraint`` attribute (a callable) is projected after its update,
        ``w <- constraint(w)``, as in Keras. With ``gradient_accumulation_steps`` n, only every
        n-th call updates the weights; the others accumulate."""
        self._build_params()
        if variables is None:
            if self._params is None:
                raise ValueError(
                    "apply(grads) without variables needs bound params: construct the optimizer "
                    "with params=... or call optimizer.build(variables) first"
                )
            if not self._params:
                raise ValueError(_NO_WEIGHTS_YET)
            variables = self._params
        if not isinstance(grads, (list, tuple)):
            grads = list(grads)
        if not isinstance(variables, (list, tuple)):
            variables = list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"got {len(grads)} gradients for {len(variables)} variables")
        grads, variables = self._present(grads, variables)
        if self._pending_state is not None:
            self._load_pending_state()
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]  # new arrays: g may be shared
        n = self.gradient_accumulation_steps
        if n and (self._iterations + 1) % n:
            for g, p in zip(grads, variables, strict=True):
                self._base_slots[id(p)]["gradient_accumulator"] += g
        else:
            if n:  # the mean of the n gradients, then a fresh start
                grads = [
                    (g + self._base_slots[id(p)]["gradient_accumulator"]) / n
                    for g, p in zip(grads, variables, strict=True)
                ]
                for base in self._base_slots.values():
                    base["gradient_accumulator"][...] = 0
            self._update_variables(grads, variables)
        for p in variables:
            constraint = getattr(p, "constraint", None)
            if constraint is not None:
                _constrain(p, constraint)
        if self.use_ema:
            self._update_averages()
        self._iterations += 1

    def _present(self, grads, variables) -> tuple[list, list]:
        """The gradients given (as arrays) and their variables, checked, each variable with
        its state."""
        kept_grads, kept = [], []
        for g, p in zip(grads, variables, strict=True):
            if g is None:
                continue
            if isinstance(g, Tensor):
                g = g.data
            if id(p) not in self._slots:
                self._add_variable(p)
            if g.shape != p.data.shape:
                raise ValueError(
                    f"gradient of shape {g.shape} for variable {p.name or ''} of shape "
                    f"{p.data.shape}"
                )
            kept_grads.append(g)
            kept.append(p)
        if not kept and variables:
            raise ValueError(
                "no gradients: every gradient is None. Call loss.backward() before step(), and "
                "check that the loss depends on the variables"
            )
        return kept_grads, kept

    def _update_variables(self, grads: list, variables: list) -> None:
        """Clip, decay and ``update`` each variable: one weight update."""
        if self.clipvalue is not None or self.clipnorm is not None or self.global_clipnorm:
            grads = self._clip(grads)
        lr = self._lr_at(self._iterations)
        t = self.iterations + 1
        slots, update = self._slots, self.update
        decay = lr * self.weight_decay if self.weight_decay else 0.0
        for g, p in zip(grads, variables, strict=True):
            data = p.data
            if decay and id(p) not in self._no_decay:
                data *= 1.0 - decay
            update(data, g, slots[id(p)], lr, t)

    def _update_averages(self) -> None:
        """Keras's weight EMA, after each ``apply``; the first step copies the weights."""
        first, every = self.iterations == 0, self.ema_overwrite_frequency
        overwrite = bool(every) and (self.iterations + 1) % every == 0
        for v in self._variables:
            average, data = self._base_slots[id(v)]["average"], v.data
            m = xp.asarray(0.0 if first else self.ema_momentum, dtype=average.dtype)
            average *= m
            average += (1 - m) * data
            if overwrite:
                data[...] = average

    def finalize_variable_values(self, var_list) -> None:
        """With ``use_ema``, overwrite each variable of ``var_list`` with its moving average
        (``fit`` calls this after the last epoch, as Keras's does); otherwise do nothing.
        Variables the optimizer never updated keep their values."""
        if not self.use_ema:
            return
        for v in var_list:
            base = self._base_slots.get(id(v))
            if base is not None:
                v.data[...] = base["average"]

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` (the loss itself without one): what to call
        ``backward`` on, since ``apply`` divides the gradients by the factor."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def apply_gradients(self, grads_and_vars) -> int:
        """Keras 2 style: ``apply_gradients(zip(grads, variables))``. Returns ``iterations``."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])
        return self.iterations

    def step(self, closure=None):
        """PyTorch style: apply each bound param's ``.grad``. ``closure`` (optional) recomputes
        the loss with ``backward`` and its value is returned."""
        if self._params is None:
            raise ValueError(
                "step() needs parameters: construct the optimizer with params=model.parameters() "
                "or call optimizer.build(variables) first"
            )
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._refresh_params()
        if not self._params:
            raise ValueError(_NO_WEIGHTS_YET)
        self.apply([p.grad for p in self._params], self._params)
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the bound params' gradients (to None, or to zeros in place)."""
        self._refresh_params()
        for p in self._params or ():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad[...] = 0

    def _clip(self, grads: list) -> list:
        """Clipped copies (never in place: gradient arrays may be shared)."""
        grads = [g.data if isinstance(g, Tensor) else g for g in grads]
        if self.clipvalue is not None:
            c = self.clipvalue
            return [None if g is None else xp.clip(g, -c, c) for g in grads]
        if self.clipnorm is not None:
            c = self.clipnorm
            return [None if g is None else _scale_to_norm(g, _norm(g), c) for g in grads]
        total = math.sqrt(sum(_norm(g) ** 2 for g in grads if g is not None))
        c = self.global_clipnorm
        return [None if g is None else _scale_to_norm(g, total, c) for g in grads]

    # ----- config -----
    def get_config(self) -> dict:
        """The constructor arguments, JSON-friendly (a schedule is stored serialized), with
        the keys Keras 3 writes."""
        lr = self._learning_rate
        if callable(lr):
            if not isinstance(lr, schedules.LearningRateSchedule):
                raise ValueError(
                    f"cannot serialize learning_rate {lr!r}: use a LearningRateSchedule subclass "
                    "(with get_config) instead of a plain function"
                )
            lr = schedules.serialize(lr)
        config = {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        config.update({k: getattr(self, k) for k in self._hyperparameters})
        return config

    @classmethod
    def from_config(cls, config: dict) -> Optimizer:
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        hyper = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._hyperparameters)
        lr = self._learning_rate
        return f"{type(self).__name__}(learning_rate={lr!r}{', ' if hyper else ''}{hyper})"


_NO_WEIGHTS_YET = (
    "step() found no parameters to update: model.parameters() is still empty because the model "
    "has no weights yet. Call the model on data or build() it before training, and check that "
    "it has trainable weights"
)


class ParamGroup(MutableMapping):
    """The optimizer's single parameter group, PyTorch style: ``"params"``, ``"lr"`` (read and
    written through ``optimizer.learning_rate``), the hyperparameters and ``weight_decay``
    (attributes of the optimizer), and any other key a caller stores (``"initial_lr"``)."""

    def __init__(self, optimizer: Optimizer):
        self._optimizer = optimizer
        self._extra: dict = {}

    def _attributes(self) -> tuple:
        return ("weight_decay", *self._optimizer._hyperparameters)

    def __getitem__(self, key):
        opt = self._optimizer
        if key == "lr":
            return opt.learning_rate
        if key == "params":
            opt._refresh_params()
            return list(opt._params or ())
        if key in self._attributes():
            return getattr(opt, key)
        return self._extra[key]

    def __setitem__(self, key, value) -> None:
        if key == "lr":
            self._optimizer.learning_rate = value
        elif key == "params":
            raise TypeError("param_groups[0]['params'] is read-only: make a new optimizer")
        elif key in self._attributes():
            setattr(self._optimizer, key, value)
        else:
            self._extra[key] = value

    def __delitem__(self, key) -> None:
        if key not in self._extra:
            raise KeyError(f"cannot delete {key!r} from a parameter group")
        del self._extra[key]

    def __iter__(self):
        return iter(("params", "lr", *self._attributes(), *self._extra))

    def __len__(self) -> int:
        return 2 + len(self._attributes()) + len(self._extra)

    def __repr__(self):
        return repr({k: self[k] for k in self if k != "params"})


def _looks_like_params(value) -> bool:
    """True for a list / generator of tensors passed where the learning rate goes."""
    return not (value is None or _is_number(value) or callable(value) or isinstance(value, str))


def _default_learning_rate(cls) -> float:
    return inspect.signature(cls.__init__).parameters["learning_rate"].default


def _constrain(variable: Tensor, constraint) -> None:
    """Keras applies a weight's constraint (e.g. max-norm) right after each update."""
    with no_grad():
        value = constraint(variable)
    variable.data[...] = value.data if isinstance(value, Tensor) else value


def _norm(g) -> float:
    flat = g.reshape(-1)
    return math.sqrt(float(xp.dot(flat, flat)))


def _scale_to_norm(g, norm: float, clip: float):
    return g * (clip / norm) if norm > clip else g


# ----- lookup by name or config -----
def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name": ..., "config": ...}``, as Keras writes it."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict) -> Optimizer:
    """An optimizer from ``serialize``'s dict (or from a bare ``get_config`` dict whose ``name``
    is an optimizer's class name, as the default names are)."""
    if "class_name" in config:
        cls = _lookup(config["class_name"])
        return cls.from_config(config.get("config", {}))
    return _lookup(config.get("name", "")).from_config(config)


def get(identifier) -> Optimizer:
    """An optimizer from a name (``"adam"``, case-insensitive), a config dict, or an instance.

    >>> get("Adam").learning_rate
    0.001
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, Mapping):
        return deserialize(dict(identifier))
    raise ValueError(
        f"cannot interpret {identifier!r} as an optimizer: give a name such as 'adam', a config "
        "dict or an Optimizer instance"
    )


def _lookup(name: str) -> type:
    cls = _REGISTRY.get(str(name).lower())
    if cls is None:
        known = ", ".join(sorted(_REGISTRY))
        raise ValueError(f"unknown optimizer {name!r}; known optimizers: {known}")
    return cls
