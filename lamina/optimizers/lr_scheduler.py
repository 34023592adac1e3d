"""PyTorch's epoch-wise learning-rate schedulers (``torch.optim.lr_scheduler``), for lamina's
optimizers used the PyTorch way.

A scheduler wraps an optimizer and sets its learning rate each time ``scheduler.step()`` is
called, usually once per epoch after the epoch's ``optimizer.step()`` calls, with PyTorch's
formulas (its recursive forms, so the rates match PyTorch's to the last bit).
``get_last_lr()`` returns ``[rate]``, a list with one rate per parameter group as in PyTorch
(lamina's optimizers have one group). To change the rate at every step, Keras's way, give the
optimizer a schedule from ``lamina.optimizers.schedules`` instead.

>>> import lamina
>>> from lamina.optimizers.lr_scheduler import StepLR
>>> opt = lamina.optimizers.SGD([lamina.tensor([1.0], requires_grad=True)], lr=0.1)
>>> scheduler = StepLR(opt, step_size=2, gamma=0.5)
>>> rates = []
>>> for epoch in range(5):
...     rates.append(scheduler.get_last_lr()[0])  # train one epoch with this rate, then:
...     scheduler.step()
>>> rates
[0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import math
import numbers
import warnings

from lamina.optimizers.optimizer import Optimizer, check_non_negative, check_positive

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "ReduceLROnPlateau", "StepLR"]


def _optimizer(optimizer, who: str) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{who} needs a lamina optimizer, got {type(optimizer).__name__}")
    if callable(optimizer._learning_rate):
        raise TypeError(
            f"{who} sets the learning rate of an optimizer with a fixed rate, but this one has "
            f"the schedule {optimizer._learning_rate!r}: use one or the other"
        )
    return optimizer


def _count(name: str, value, least: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    return int(value)


class LRScheduler:
    """Base class: a subclass computes the next rate in ``get_lr()`` from ``last_epoch`` (the
    number of ``step()`` calls) and the optimizer's current rate.

    The constructor records the optimizer's rate as ``base_lrs`` (and as the parameter
    group's ``"initial_lr"``) and makes the step for epoch 0. To resume, build the scheduler
    again, then ``load_state_dict`` what ``state_dict()`` returned.
    """

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        self.optimizer = _optimizer(optimizer, type(self).__name__)
        group = optimizer.param_groups[0]
        if last_epoch == -1:
            group.setdefault("initial_lr", group["lr"])
        elif "initial_lr" not in group:
            raise KeyError(
                "param_groups[0] has no 'initial_lr' to resume from last_epoch="
                f"{last_epoch}: construct the scheduler with last_epoch=-1, then "
                "load_state_dict(saved_state)"
            )
        self.base_lrs = [group["initial_lr"]]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:
        """The rates for epoch ``last_epoch`` (called by ``step``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def get_last_lr(self) -> list:
        """The rate the last ``step()`` set, as a one-element list (PyTorch's form)."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Move to the next epoch and set the optimizer's learning rate. Passing ``epoch``
        (deprecated in PyTorch too) jumps to it with the closed-form rate."""
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(
                "scheduler.step(epoch) is deprecated, as in PyTorch: call step() once per epoch",
                UserWarning,
                stacklevel=2,
            )
            self.last_epoch = int(epoch)
            values = self._closed_form_lr()
        self.optimizer.learning_rate = values[0]
        self._last_lr = [self.optimizer.learning_rate]

    def _closed_form_lr(self) -> list:
        return self.get_lr()

    def _lr(self) -> float:
        return self.optimizer.learning_rate

    def state_dict(self) -> dict:
        """The scheduler's state (everything but the optimizer), for ``load_state_dict``."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict()`` returned (the optimizer's rate is restored by the
        optimizer's own ``load_state_dict``)."""
        vars(self).update(state_dict)

    def __repr__(self):
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr[0]!r})"


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs:
    ``lr = base_lr * gamma ** (epoch // step_size)``.

    >>> import lamina
    >>> opt = lamina.optimizers.Adadelta([lamina.tensor([1.0], requires_grad=True)], lr=1.0)
    >>> scheduler = StepLR(opt, step_size=1, gamma=0.7)  # PyTorch's MNIST example
    >>> scheduler.step(); scheduler.step(); round(opt.learning_rate, 6)
    0.49
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch=-1):
        self.step_size = _count("step_size", step_size, 1)
        self.gamma = check_non_negative("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [self._lr()]
        return [self._lr() * self.gamma]

    def _closed_form_lr(self) -> list:
        return [self.base_lrs[0] * self.gamma ** (self.last_epoch // self.step_size)]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: ``lr = base_lr * gamma ** epoch``.

    >>> import lamina
    >>> opt = lamina.optimizers.SGD([lamina.tensor([1.0], requires_grad=True)], lr=1.0)
    >>> scheduler = ExponentialLR(opt, gamma=0.5)
    >>> scheduler.step(); scheduler.step(); scheduler.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = check_non_negative("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial:
            return [self._lr()]
        return [self._lr() * self.gamma]

    def _closed_form_lr(self) -> list:
        return [self.base_lrs[0] * self.gamma**self.last_epoch]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the base rate down to ``eta_min`` over ``T_max`` epochs, then back
    up (a period of ``2 T_max``, without restarts), as PyTorch:
    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``, computed with
    PyTorch's recursive form.

    >>> import lamina
    >>> opt = lamina.optimizers.SGD([lamina.tensor([1.0], requires_grad=True)], lr=1.0)
    >>> scheduler = CosineAnnealingLR(opt, T_max=2)
    >>> scheduler.step(); round(opt.learning_rate, 6), (scheduler.step(), opt.learning_rate)[1]
    (0.5, 0.0)
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch=-1):  # noqa: N803 - PyTorch's name
        self.T_max = _count("T_max", T_max, 1)
        self.eta_min = check_non_negative("eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        t, period, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [self._lr()]
        if self._step_count == 1 and t > 0:  # resuming at last_epoch: the closed form
            return self._closed_form_lr()
        if (t - 1 - period) % (2 * period) == 0:
            return [self._lr() + (self.base_lrs[0] - low) * (1 - math.cos(math.pi / period)) / 2]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (self._lr() - low) + low]

    def _closed_form_lr(self) -> list:
        low = self.eta_min
        cos = math.cos(math.pi * self.last_epoch / self.T_max)
        return [low + (self.base_lrs[0] - low) * (1 + cos) / 2]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` when a metric has stopped improving for more than
    ``patience`` epochs: ``scheduler.step(val_loss)`` once per epoch (``mode="max"`` for a
    metric that should grow, such as accuracy). A value improves on the best one when it is
    better by more than ``threshold`` (relative, or absolute with ``threshold_mode="abs"``);
    after a reduction, ``cooldown`` epochs pass before bad epochs count again; the rate never
    goes below ``min_lr``, and a change smaller than ``eps`` is skipped. This is PyTorch's
    scheduler; the callback ``lamina.callbacks.ReduceLROnPlateau`` is Keras's, for ``fit``.

    >>> import lamina
    >>> opt = lamina.optimizers.SGD([lamina.tensor([1.0], requires_grad=True)], lr=1.0)
    >>> scheduler = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> for val_loss in [1.0, 0.9, 0.95, 0.95]:  # two epochs without improvement
    ...     scheduler.step(val_loss)
    >>> scheduler.get_last_lr()
    [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ):
        self.optimizer = _optimizer(optimizer, "ReduceLROnPlateau")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        if not isinstance(factor, numbers.Real) or not 0 <= factor < 1:
            raise ValueError(f"factor must be in [0, 1), got {factor!r}")
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != 1:
                raise ValueError(f"expected 1 min_lr (one parameter group), got {len(min_lr)}")
            min_lr = min_lr[0]
        self.mode, self.threshold_mode = mode, threshold_mode
        self.factor = float(factor)
        self.patience = _count("patience", patience, 0)
        self.threshold = check_non_negative("threshold", threshold)
        self.cooldown = _count("cooldown", cooldown, 0)
        self.min_lrs = [check_non_negative("min_lr", min_lr)]
        self.eps = check_positive("eps", eps) if eps else 0.0
        self.last_epoch = 0
        self._last_lr = [optimizer.learning_rate]
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def step(self, metrics, epoch: int | None = None) -> None:
        """Record this epoch's ``metrics`` (a number or a one-element tensor) and reduce the rate
        once it has not improved for more than ``patience`` epochs."""
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else int(epoch)
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            old = self.optimizer.learning_rate
            new = max(old * self.factor, self.min_lrs[0])
            if old - new > self.eps:
                self.optimizer.learning_rate = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [self.optimizer.learning_rate]

    def _is_better(self, value: float) -> bool:
        best, threshold, relative = self.best, self.threshold, self.threshold_mode == "rel"
        if self.mode == "min":
            return value < (best * (1 - threshold) if relative else best - threshold)
        return value > (best * (1 + threshold) if relative else best + threshold)
