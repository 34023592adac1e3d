"""Losses with Keras's names, defaults and semantics: functions returning one value per sample,
and ``Loss`` classes reducing them (with optional sample weights) to a scalar.

Every loss is one fused op from ``lamina.ops.losses``. ``y_true`` may be an array or a Tensor
(a constant, cast to ``y_pred``'s dtype); ``y_pred`` is a Tensor (arrays are wrapped). Shapes
follow Keras's rule: when the ranks differ by one and the longer side ends in a size-1 axis, that
axis is squeezed (or the rank-1 side expanded), so labels of shape ``(N,)`` work with
predictions of shape ``(N, 1)``.

>>> import lamina
>>> y_pred = lamina.tensor([[0.6, 0.4], [0.4, 0.6]])
>>> binary_crossentropy([[0, 1], [0, 0]], y_pred).numpy().round(3)
array([0.916, 0.714], dtype=float32)
>>> round(BinaryCrossentropy()([[0, 1], [0, 0]], y_pred).item(), 3)
0.815
"""

from __future__ import annotations

import inspect

from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.ops import losses as _k

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# ----- shape and dtype helpers -----
def _as_tensor(y_pred):
    return y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)


def _as_array(x, dtype=None):
    if isinstance(x, Tensor):
        x = x.data
    return xp.asarray(x, dtype=dtype)


def _align(y_true, y_pred):
    """Keras's ``squeeze_or_expand_to_same_rank``: when the ranks differ by one and the longer
    side ends in a size-1 axis, squeeze it, or expand the other side if that one is rank 1.
    Works on arrays and Tensors alike (through ``reshape``)."""
    t, p = len(y_true.shape), len(y_pred.shape)
    if t == p + 1 and y_true.shape[-1] == 1:
        if p == 1:
            y_pred = y_pred.reshape(tuple(y_pred.shape) + (1,))
        else:
            y_true = y_true.reshape(tuple(y_true.shape[:-1]))
    elif p == t + 1 and y_pred.shape[-1] == 1:
        if t == 1:
            y_true = y_true.reshape(tuple(y_true.shape) + (1,))
        else:
            y_pred = y_pred.reshape(tuple(y_pred.shape[:-1]))
    return y_true, y_pred


def _float_true(y_true, y_pred):
    """``y_true`` cast to ``y_pred``'s dtype: a constant array, or the Tensor itself when it
    requires grad (regression losses differentiate both sides)."""
    if isinstance(y_true, Tensor) and y_true.requires_grad:
        return y_true if y_true.dtype == y_pred.dtype else y_true.astype(y_pred.dtype)
    return _as_array(y_true, y_pred.dtype)


def _logits_first(y_pred, from_logits, find):
    """Swap a recorded sigmoid/softmax output for its logits before any reshape hides the node."""
    if not from_logits:
        logits = find(y_pred)
        if logits is not None:
            return logits, True
    return y_pred, from_logits


# ----- functions: one value per sample -----
def mean_squared_error(y_true, y_pred) -> Tensor:
    """``mean((y_true - y_pred) ** 2, axis=-1)``.

    >>> import lamina
    >>> mean_squared_error([[0.0, 1.0]], lamina.tensor([[1.0, 1.0]])).tolist()
    [0.5]
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred)
    return _k.SquaredError.apply(y_true, y_pred, axis=-1)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """``mean(abs(y_true - y_pred), axis=-1)``.

    >>> import lamina
    >>> mean_absolute_error([[0.0, 1.0]], lamina.tensor([[1.0, 3.0]])).tolist()
    [1.5]
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred)
    return _k.AbsoluteError.apply(y_true, y_pred, axis=-1)


def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """With ``e = y_pred - y_true``: ``mean(0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2,
    axis=-1)``.

    >>> import lamina
    >>> round(huber([[0, 1], [0, 0]], lamina.tensor([[0.6, 0.4], [0.4, 0.6]])).mean().item(), 3)
    0.155
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred)
    return _k.HuberError.apply(y_true, y_pred, delta=float(delta), axis=-1)


def hinge(y_true, y_pred) -> Tensor:
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; labels in {-1, 1}, and labels that are
    all 0 or 1 are first mapped to -1 and 1 (as Keras does).

    >>> import lamina
    >>> hinge([[0.0, 1.0]], lamina.tensor([[-0.5, 0.5]])).tolist()
    [0.5]
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_as_array(y_true, y_pred.dtype), y_pred)
    if bool(xp.all((y_true == 0) | (y_true == 1))):
        y_true = 2 * y_true - 1
    return _k.HingeError.apply(y_true, y_pred, axis=-1)


def kl_divergence(y_true, y_pred) -> Tensor:
    """``sum(t * log(t / p), axis=-1)`` with ``t, p`` clipped to ``[1e-7, 1]``.

    >>> import lamina
    >>> round(kl_divergence([[0.5, 0.5]], lamina.tensor([[0.25, 0.75]])).item(), 4)
    0.1438
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_as_array(y_true, y_pred.dtype), y_pred)
    return _k.KLDiv.apply(y_true, y_pred, axis=-1)


def binary_crossentropy(
    y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> Tensor:
    """Mean over ``axis`` of ``-(t log p + (1 - t) log(1 - p))``.

    ``p`` is clipped to ``[1e-7, 1 - 1e-7]``; with ``from_logits=True`` the stable form
    ``max(z, 0) - z t + log(1 + exp(-|z|))`` is used, and also (as in Keras's TensorFlow
    backend) when ``y_pred`` is the recorded output of ``sigmoid``: the loss then reads the
    sigmoid's logits and its gradient is ``sigmoid(z) - t`` on them. ``label_smoothing`` moves
    targets towards 0.5: ``t (1 - s) + 0.5 s``.

    >>> import lamina
    >>> binary_crossentropy([1.0, 0.0], lamina.tensor([[0.0], [0.0]]), from_logits=True).shape
    (2,)
    """
    y_pred = _as_tensor(y_pred)
    y_pred, from_logits = _logits_first(y_pred, from_logits, _k.sigmoid_logits)
    y_true, y_pred = _align(_as_array(y_true, y_pred.dtype), y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return _k.BinaryCrossEntropy.apply(y_true, y_pred, from_logits=from_logits, axis=axis)


def categorical_crossentropy(
    y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> Tensor:
    """``-sum(t * log(q), axis)`` for one-hot (or probability) targets ``t``.

    From probabilities (Keras's default) ``q = clip(p / sum(p), 1e-7, 1 - 1e-7)``; from logits
    ``log q = log_softmax(z)``, also used when ``y_pred`` is the recorded output of ``softmax``
    over ``axis`` (as in Keras's TensorFlow backend), with gradient ``softmax(z) - t`` on the
    logits. ``label_smoothing`` s gives ``t (1 - s) + s / num_classes``.

    >>> import lamina
    >>> y_pred = lamina.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> categorical_crossentropy([[0, 1, 0], [0, 0, 1]], y_pred).numpy().round(4)
    array([0.0513, 2.3026], dtype=float32)
    """
    y_pred = _as_tensor(y_pred)
    y_pred, from_logits = _logits_first(y_pred, from_logits, lambda p: _k.softmax_logits(p, axis))
    y_true = _as_array(y_true, y_pred.dtype)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"categorical_crossentropy expects y_true of y_pred's shape {y_pred.shape} (one-hot "
            f"labels), got {y_true.shape}; for integer labels use sparse_categorical_crossentropy"
        )
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return _k.CategoricalCrossEntropy.apply(y_true, y_pred, from_logits=from_logits, axis=axis)


def _sparse_labels(y_true, y_pred):
    """Integer labels of shape ``y_pred.shape[:-1]`` (a trailing size-1 axis is squeezed)."""
    labels = _as_array(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_crossentropy expects integer labels of shape "
            f"{y_pred.shape[:-1]} (or with a trailing 1) for y_pred of shape {y_pred.shape}, "
            f"got {labels.shape}"
        )
    if labels.dtype.kind != "i":
        labels = labels.astype(xp.int64)
    return labels


def sparse_categorical_crossentropy(
    y_true, y_pred, from_logits: bool = False, ignore_class: int | None = None
) -> Tensor:
    """``-log(q[y])`` for integer labels ``y`` of shape ``(N,)`` or ``(N, 1)`` and class
    probabilities (or logits) ``y_pred`` of shape ``(N, C)`` (more leading axes allowed).

    ``q`` is computed as in ``categorical_crossentropy``, including the use of a recorded
    ``softmax``'s logits. Entries labelled ``ignore_class`` get loss 0 (and, in
    ``SparseCategoricalCrossentropy``, are left out of the average).

    >>> import lamina
    >>> y_pred = lamina.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> sparse_categorical_crossentropy([1, 2], y_pred).numpy().round(4)
    array([0.0513, 2.3026], dtype=float32)
    """
    y_pred = _as_tensor(y_pred)
    y_pred, from_logits = _logits_first(y_pred, from_logits, _k.softmax_logits)
    labels = _sparse_labels(y_true, y_pred)
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = labels * valid  # any in-range index; its loss is zeroed
    classes = y_pred.shape[-1]
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must lie in [0, {classes}) for y_pred with "
            f"{classes} classes, got values in [{int(labels.min())}, {int(labels.max())}]"
        )
    return _k.SparseCategoricalCrossEntropy.apply(
        labels, y_pred, from_logits=from_logits, valid=valid
    )


# ----- reduction -----
def _broadcast_weights(weights, shape):
    """Per-sample weights of shape ``(N,)`` or ``(N, 1)`` (or any prefix of the values' shape)
    broadcast over the values' remaining axes."""
    if weights.ndim == len(shape) + 1 and weights.shape[-1] == 1:
        weights = weights.reshape(weights.shape[:-1])
    if weights.ndim < len(shape):
        weights = weights.reshape(weights.shape + (1,) * (len(shape) - weights.ndim))
    try:
        return xp.broadcast_to(weights, shape) if len(shape) else weights
    except ValueError:
        raise ValueError(
            f"sample_weight of shape {weights.shape} does not match the per-sample losses of "
            f"shape {shape}: pass one weight per sample"
        ) from None


def reduce_weighted_values(
    values: Tensor, sample_weight=None, mask=None, reduction="sum_over_batch_size"
) -> Tensor:
    """Weight ``values`` (per-sample losses) and reduce them as Keras does: ``"sum"``, the sum
    divided by the number of values (``"sum_over_batch_size"``, also called ``"mean"``), by the
    sum of the weights (``"mean_with_sample_weight"``), or not at all (``None``/``"none"``). A
    boolean ``mask`` leaves entries out, and out of the counts."""
    if sample_weight is None and mask is None:
        if reduction in ("none", None) or values.ndim == 0:
            return values
        if reduction == "sum":
            return values.sum()
        return values.mean() if values.size else values.sum()
    weights = None
    if sample_weight is not None:
        weights = _broadcast_weights(_as_array(sample_weight, values.dtype), values.shape)
    if mask is not None:
        mask = _as_array(mask).astype(values.dtype)
        if reduction in ("sum_over_batch_size", "mean"):
            valid = float(mask.sum())
            mask = mask * (mask.size / valid) if valid else mask  # divide by the valid count
        weights = mask if weights is None else weights * mask
    values = values * weights
    if reduction in ("none", None) or values.ndim == 0:
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight":
        divisor = float(weights.sum())
    else:
        divisor = values.size
    return total / divisor if divisor else total * 0.0


# ----- classes -----
class Loss:
    """Base class: ``call(y_true, y_pred)`` returns per-sample losses; calling the loss reduces
    them, with optional per-sample ``sample_weight``, to a scalar Tensor (see
    ``reduce_weighted_values`` for the ``reduction`` options).

    >>> import lamina
    >>> class Cubic(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ((y_pred - y_true) ** 2 * abs(y_pred - y_true)).mean(axis=-1)
    >>> Cubic()(lamina.tensor([[0.0], [0.0]]), lamina.tensor([[1.0], [2.0]])).item()
    4.5
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str | None = None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction
        self.name = name or _snake_case(type(self).__name__)

    def call(self, y_true, y_pred) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def _mask(self, y_true, y_pred):
        """Entries to leave out of the reduction (boolean, the losses' shape), or None."""
        return None

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        y_pred = _as_tensor(y_pred)
        values = self.call(y_true, y_pred)
        return reduce_weighted_values(
            values, sample_weight, self._mask(y_true, y_pred), self.reduction
        )

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs)`` returning per-sample
    losses (Keras's shape rule is applied to the inputs first)."""

    _fn_aligns = False  # the built-in functions apply the shape rule themselves

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None))
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if not self._fn_aligns:
            y_true = y_true if isinstance(y_true, Tensor) else _as_array(y_true)
            y_true, y_pred = _align(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        if type(self) is not LossFunctionWrapper:  # built-in subclasses: their own arguments
            return {**super().get_config(), **self._fn_kwargs}
        return {**super().get_config(), "fn": serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            fn = _BY_NAME.get(config["fn"])
            if fn is None or inspect.isclass(fn):
                raise ValueError(f"unknown loss function {config['fn']!r} in {cls.__name__} config")
            config["fn"] = fn
        return cls(**config)

    def __repr__(self):
        if type(self) is not LossFunctionWrapper:
            return super().__repr__()
        fn = getattr(self.fn, "__name__", self.fn)
        return f"<LossFunctionWrapper fn={fn} kwargs={self._fn_kwargs} name={self.name!r}>"


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors (see ``mean_squared_error``).

    >>> import lamina
    >>> MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], lamina.tensor([[1.0, 1.0], [1.0, 0.0]])).item()
    0.5
    """

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors (see ``mean_absolute_error``)."""

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for errors up to ``delta``, linear beyond (see ``huber``)."""

    _fn_aligns = True

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        if not delta > 0:
            raise ValueError(f"Huber delta must be positive, got {delta}")
        super().__init__(huber, reduction=reduction, name=name, delta=delta)


class Hinge(LossFunctionWrapper):
    """Hinge loss for labels in {-1, 1} (0/1 labels are converted; see ``hinge``)."""

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="hinge"):
        super().__init__(hinge, reduction=reduction, name=name)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence ``sum(t log(t / p))`` (see ``kl_divergence``)."""

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, reduction=reduction, name=name)


def _check_smoothing(label_smoothing):
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy for 0/1 (or soft) targets (see ``binary_crossentropy``, including
    how a ``sigmoid`` output is handled).

    >>> import lamina
    >>> loss = BinaryCrossentropy(from_logits=True)
    >>> round(loss([0.0, 1.0], lamina.tensor([[-2.0], [3.0]])).item(), 4)
    0.0878
    """

    _fn_aligns = True

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
    ):
        _check_smoothing(label_smoothing)
        super().__init__(
            binary_crossentropy,
            reduction=reduction,
            name=name,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot targets (see ``categorical_crossentropy``, including how a
    ``softmax`` output is handled)."""

    _fn_aligns = True

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
    ):
        _check_smoothing(label_smoothing)
        super().__init__(
            categorical_crossentropy,
            reduction=reduction,
            name=name,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer labels (see ``sparse_categorical_crossentropy``). Entries
    labelled ``ignore_class`` are left out, also of the average's count.

    >>> import lamina
    >>> loss = SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    >>> round(loss([0, -1], lamina.tensor([[2.0, 0.0], [5.0, -5.0]])).item(), 4)
    0.1269
    """

    _fn_aligns = True

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            from_logits=from_logits,
            ignore_class=ignore_class,
        )

    def _mask(self, y_true, y_pred):
        ignore = self._fn_kwargs["ignore_class"]
        return None if ignore is None else _sparse_labels(y_true, y_pred) != ignore


# ----- lookup -----
def _snake_case(name):
    out = [name[0].lower()]
    for prev, ch in zip(name, name[1:], strict=False):
        out.append("_" + ch.lower() if ch.isupper() and not prev.isupper() else ch.lower())
    return "".join(out)


_FUNCTIONS = (
    mean_squared_error,
    mean_absolute_error,
    huber,
    hinge,
    kl_divergence,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
_CLASSES = (
    Loss,
    LossFunctionWrapper,
    MeanSquaredError,
    MeanAbsoluteError,
    Huber,
    Hinge,
    KLDivergence,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
_ALIASES = {
    "mse": mean_squared_error,
    "MSE": mean_squared_error,
    "mae": mean_absolute_error,
    "MAE": mean_absolute_error,
    "bce": binary_crossentropy,
    "BCE": binary_crossentropy,
    "kld": kl_divergence,
    "KLD": kl_divergence,
    "kullback_leibler_divergence": kl_divergence,
}
_CLASS_OF_FUNCTION = {
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    huber: Huber,
    hinge: Hinge,
    kl_divergence: KLDivergence,
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
}
_BY_NAME = {
    **{f.__name__: f for f in _FUNCTIONS},
    **{c.__name__: c for c in _CLASSES},
    **_ALIASES,
}


def serialize(loss) -> str | dict:
    """A built-in loss function's name, or ``{"class_name", "config"}`` for a ``Loss``."""
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    name = getattr(loss, "__name__", None)
    if _BY_NAME.get(name) is loss:
        return name
    raise ValueError(
        f"cannot serialize loss {loss!r}: use a built-in loss or a Loss subclass with get_config"
    )


def get(identifier) -> Loss | None:
    """Resolve a loss to a ``Loss`` instance: a name (``"mse"``, ``"categorical_crossentropy"``,
    ``"Huber"``...: the matching built-in class), a ``{"class_name", "config"}`` dict, a ``Loss``
    class or instance, or a function ``fn(y_true, y_pred)`` returning per-sample losses (wrapped
    in ``LossFunctionWrapper``). Keras's ``get`` returns the bare function for a function name
    and leaves the wrapping to ``compile``; here the result is always callable as
    ``loss(y_true, y_pred, sample_weight=None)`` and returns a scalar.

    >>> get("mse"), get("Huber").name
    (<MeanSquaredError name='mean_squared_error' reduction='sum_over_batch_size'>, 'huber_loss')
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        cls = _BY_NAME.get(identifier.get("class_name"))
        if not (inspect.isclass(cls) and issubclass(cls, Loss)):
            raise ValueError(f"unknown loss class in {identifier!r}")
        return cls.from_config(identifier.get("config", {}))
    obj = identifier
    if isinstance(identifier, str):
        obj = _BY_NAME.get(identifier)
        if obj is None:
            known = ", ".join(sorted(_BY_NAME))
            raise ValueError(f"unknown loss {identifier!r}; known losses: {known}")
    if inspect.isclass(obj) and issubclass(obj, Loss):
        return obj()
    if obj in _CLASS_OF_FUNCTION:
        return _CLASS_OF_FUNCTION[obj]()
    if callable(obj) and not inspect.isclass(obj):
        return LossFunctionWrapper(obj)
    raise ValueError(
        f"could not interpret loss identifier {identifier!r}: pass a name, a Loss, or a function "
        "fn(y_true, y_pred)"
    )


__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "Hinge", "Huber", "KLDivergence", "Loss",
    "LossFunctionWrapper", "MeanAbsoluteError", "MeanSquaredError",
    "SparseCategoricalCrossentropy", "binary_crossentropy", "categorical_crossentropy", "get",
    "hinge", "huber", "kl_divergence", "mean_absolute_error", "mean_squared_error",
    "reduce_weighted_values", "serialize", "sparse_categorical_crossentropy",
]  # fmt: skip
