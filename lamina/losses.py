"""Losses with Keras's names, defaults and semantics: functions returning one value per sample,
and ``Loss`` classes reducing them (with optional sample weights) to a scalar.

The classic losses are fused ops from ``lamina.ops.losses``; the others (focal, hinge variants,
log-cosh, Dice...) are composed of ops, autograd supplying their gradients. ``y_true`` may be an
array or a Tensor (a constant, cast to ``y_pred``'s dtype); ``y_pred`` is a Tensor (arrays are
wrapped). Shapes follow Keras's rule: when the ranks differ by one and the longer side ends in a
size-1 axis, that axis is squeezed (or the rank-1 side expanded), so labels of shape ``(N,)``
work with predictions of shape ``(N, 1)``.

>>> import lamina
>>> y_pred = lamina.tensor([[0.6, 0.4], [0.4, 0.6]])
>>> binary_crossentropy([[0, 1], [0, 0]], y_pred).numpy().round(3)
array([0.916, 0.714], dtype=float32)
>>> round(BinaryCrossentropy()([[0, 1], [0, 0]], y_pred).item(), 3)
0.815
"""

from __future__ import annotations

import inspect
import math

from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.ops import losses as _k
from lamina.ops.activations import softmax, softplus
from lamina.ops.math import clip, log, maximum
from lamina.ops.normalization import l2_normalize

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# ----- shape and dtype helpers -----
def _as_tensor(y_pred):
    return y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)


def _as_array(x, dtype=None):
    if isinstance(x, Tensor):
        x = x.data
    return xp.asarray(x, dtype=dtype)


def _align(y_true, y_pred, loss: str | None = None, same_shape: bool = False):
    """Keras's ``squeeze_or_expand_to_same_rank``: when the ranks differ by one and the longer
    side ends in a size-1 axis, squeeze it, or expand the other side if that one is rank 1.
    Works on arrays and Tensors alike (through ``reshape``).

    A built-in loss passes its name to raise, in words, where Keras raises: when the shapes do
    not broadcast together after the rule, or (``same_shape``, the binary cross-entropies) when
    they differ at all. Keras then broadcasts what remains, e.g. ``(N, 1)`` against ``(N, C)``."""
    given = tuple(y_true.shape), tuple(y_pred.shape)
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
    if loss is not None:
        _check_shapes(loss, given, tuple(y_true.shape), tuple(y_pred.shape), same_shape)
    return y_true, y_pred


def _check_shapes(loss: str, given: tuple, t: tuple, p: tuple, same_shape: bool) -> None:
    """Keras's shape errors, naming the loss, the shapes given and (for labels that look like
    class indices) the fix."""
    if t == p or (not same_shape and all(a == b or 1 in (a, b) for a, b in zip(t[::-1], p[::-1]))):
        return
    true_shape, pred_shape = given
    hint = ""
    if pred_shape[:-1] == true_shape and pred_shape[-1] > 1:
        hint = (
            "; for integer class labels use sparse_categorical_crossentropy, or one-hot encode "
            f"them with lamina.utils.to_categorical(y, {pred_shape[-1]})"
        )
    rule = "the same shape" if same_shape else "shapes that broadcast together"
    raise ValueError(
        f"{loss} expects y_true and y_pred of {rule} (up to a trailing axis of size 1), got "
        f"y_true of shape {true_shape} and y_pred of shape {pred_shape}{hint}"
    )


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
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred, "mean_squared_error")
    return _k.SquaredError.apply(y_true, y_pred, axis=-1)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """``mean(abs(y_true - y_pred), axis=-1)``.

    >>> import lamina
    >>> mean_absolute_error([[0.0, 1.0]], lamina.tensor([[1.0, 3.0]])).tolist()
    [1.5]
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred, "mean_absolute_error")
    return _k.AbsoluteError.apply(y_true, y_pred, axis=-1)


def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """With ``e = y_pred - y_true``: ``mean(0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2,
    axis=-1)``.

    >>> import lamina
    >>> round(huber([[0, 1], [0, 0]], lamina.tensor([[0.6, 0.4], [0.4, 0.6]])).mean().item(), 3)
    0.155
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred, "huber")
    return _k.HuberError.apply(y_true, y_pred, delta=float(delta), axis=-1)


def hinge(y_true, y_pred) -> Tensor:
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; labels in {-1, 1}, and labels that are
    all 0 or 1 are first mapped to -1 and 1 (as Keras does).

    >>> import lamina
    >>> hinge([[0.0, 1.0]], lamina.tensor([[-0.5, 0.5]])).tolist()
    [0.5]
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_as_array(y_true, y_pred.dtype), y_pred, "hinge")
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
    y_true, y_pred = _align(_as_array(y_true, y_pred.dtype), y_pred, "kl_divergence")
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
    y_true, y_pred = _align(
        _as_array(y_true, y_pred.dtype), y_pred, "binary_crossentropy", same_shape=True
    )
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
    given = _as_array(y_true, y_pred.dtype)
    y_true, y_pred = _align(given, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"categorical_crossentropy expects y_true of y_pred's shape {y_pred.shape} (one-hot "
            f"labels), got {given.shape}; for integer labels use sparse_categorical_crossentropy"
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


# ----- functions composed of ops -----
def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7), axis=-1)``.

    >>> import lamina
    >>> y_pred = lamina.tensor([[90.0, 210.0, 310.0]])
    >>> mean_absolute_percentage_error([[100.0, 200.0, 300.0]], y_pred).numpy().round(4)
    array([6.1111], dtype=float32)
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred, "mean_absolute_percentage_error")
    ratio = (y_true - y_pred) / maximum(abs(y_true), _k.EPSILON)
    return abs(ratio).mean(axis=-1) * 100.0


def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """``mean((log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1)) ** 2, axis=-1)``.

    >>> import lamina
    >>> y_pred = lamina.tensor([[math.e - 1, 0.0]])
    >>> mean_squared_logarithmic_error([[0.0, math.e - 1]], y_pred).numpy().round(4)  # log e = 1
    array([1.], dtype=float32)
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred, "mean_squared_logarithmic_error")
    first = log(maximum(y_pred, _k.EPSILON) + 1.0)
    second = log(maximum(y_true, _k.EPSILON) + 1.0)
    return ((first - second) ** 2).mean(axis=-1)


def cosine_similarity(y_true, y_pred, axis: int = -1) -> Tensor:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``, with Keras's sign: -1 for
    vectors pointing the same way (so minimizing it aligns them), 0 when either is zero.

    >>> import lamina
    >>> y_pred = lamina.tensor([[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]])
    >>> cosine_similarity([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], y_pred).numpy().round(4)
    array([-0., -1.,  1.], dtype=float32)
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred, "cosine_similarity")
    t = l2_normalize(y_true, axis=axis, epsilon=_k.EPSILON)
    p = l2_normalize(y_pred, axis=axis, epsilon=_k.EPSILON)
    return -(t * p).sum(axis=axis)


def log_cosh(y_true, y_pred) -> Tensor:
    """``mean(log(cosh(e)), axis=-1)`` with ``e = y_pred - y_true``, computed as
    ``e + softplus(-2 e) - log 2`` (no overflow): about ``e^2 / 2`` for small errors and
    ``|e| - log 2`` for large ones.

    >>> import lamina
    >>> log_cosh([[0.0, 1.0], [0.0, 0.0]], lamina.tensor([[1.0, 1.0], [0.0, 0.0]])).numpy().round(4)
    array([0.2169, 0.    ], dtype=float32)
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred, "log_cosh")
    error = y_pred - y_true
    return (error + softplus(error * -2.0) - math.log(2.0)).mean(axis=-1)


def poisson(y_true, y_pred) -> Tensor:
    """``mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``: the negative Poisson
    log-likelihood of counts ``y_true`` at rates ``y_pred`` (up to a constant).

    >>> import lamina
    >>> poisson([[1.0, 0.0]], lamina.tensor([[1.0, 2.0]])).tolist()  # (1 - log 1 + 2) / 2
    [1.5]
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred, "poisson")
    return (y_pred - y_true * log(y_pred + _k.EPSILON)).mean(axis=-1)


def squared_hinge(y_true, y_pred) -> Tensor:
    """``mean(maximum(1 - y_true * y_pred, 0) ** 2, axis=-1)``; labels in {-1, 1}, and labels
    that are all 0 or 1 are first mapped to -1 and 1 (as Keras does).

    >>> import lamina
    >>> squared_hinge([[0.0, 1.0]], lamina.tensor([[-0.5, 0.5]])).tolist()
    [0.25]
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_as_array(y_true, y_pred.dtype), y_pred, "squared_hinge")
    if bool(xp.all((y_true == 0) | (y_true == 1))):
        y_true = 2 * y_true - 1
    return ((1.0 - y_true * y_pred).relu() ** 2).mean(axis=-1)


def categorical_hinge(y_true, y_pred) -> Tensor:
    """``maximum(neg - pos + 1, 0)`` with ``pos = sum(t * p, -1)`` (the true class's score
    for one-hot ``t``) and ``neg = max((1 - t) * p, -1)`` (the best other score).

    >>> import lamina
    >>> categorical_hinge([[0, 1, 0]], lamina.tensor([[0.5, 0.8, -0.2]])).numpy().round(4)
    array([0.7], dtype=float32)
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_as_array(y_true, y_pred.dtype), y_pred, "categorical_hinge")
    pos = (y_true * y_pred).sum(axis=-1)
    neg = ((1.0 - y_true) * y_pred).max(axis=-1)
    return (neg - pos + 1.0).relu()


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Focal loss (Lin et al., 2018): mean over ``axis`` of ``(1 - p_t) ** gamma * bce``, where
    ``bce`` is the elementwise binary cross-entropy (as in ``binary_crossentropy``) and
    ``p_t = t p + (1 - t) (1 - p)``; with ``apply_class_balancing`` also times
    ``alpha t + (1 - alpha) (1 - t)``. ``gamma=0`` gives the binary cross-entropy.

    ``label_smoothing`` moves ``t`` towards 0.5 first. From logits (or from a recorded
    ``sigmoid`` output) ``p = sigmoid(z)`` and the cross-entropy uses the stable logits form;
    Keras clips ``p`` to ``[1e-7, 1 - 1e-7]`` there, which agrees while ``|z| < 16``.

    >>> import lamina
    >>> y_pred = lamina.tensor([[0.6, 0.4], [0.4, 0.6]])
    >>> binary_focal_crossentropy([[0, 1], [0, 0]], y_pred, gamma=2).numpy().round(3)
    array([0.33 , 0.206], dtype=float32)
    """
    y_pred = _as_tensor(y_pred)
    y_pred, from_logits = _logits_first(y_pred, from_logits, _k.sigmoid_logits)
    y_true, y_pred = _align(
        _as_array(y_true, y_pred.dtype), y_pred, "binary_focal_crossentropy", same_shape=True
    )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    bce = _k.BinaryCrossEntropy.apply(y_true, y_pred, from_logits=from_logits, axis=None)
    p = y_pred.sigmoid() if from_logits else y_pred
    if gamma:  # (1 - p_t) ** 0 would still put 0 * inf into the gradient where p_t = 1
        p_t = y_true * p + (1.0 - y_true) * (1.0 - p)
        bce = (1.0 - p_t) ** float(gamma) * bce
    if apply_class_balancing:
        bce = bce * (y_true * alpha + (1.0 - y_true) * (1.0 - alpha))
    return bce.mean(axis=axis)


def categorical_focal_crossentropy(
    y_true,
    y_pred,
    alpha=0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Focal loss for one-hot targets: ``sum(alpha * (1 - q) ** gamma * -t log q, axis)``.

    ``q = clip(p / sum(p), 1e-7, 1 - 1e-7)`` with ``p = softmax(z)`` from logits, as in Keras.
    ``alpha`` is a number or one weight per class (a list); ``label_smoothing`` s gives
    ``t (1 - s) + s / num_classes``. ``gamma=0, alpha=1`` gives the categorical cross-entropy.

    >>> import lamina
    >>> y_pred = lamina.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> categorical_focal_crossentropy([[0, 1, 0], [0, 0, 1]], y_pred).numpy()
    array([3.2058331e-05, 4.6627346e-01], dtype=float32)
    """
    y_pred = _as_tensor(y_pred)
    given = _as_array(y_true, y_pred.dtype)
    y_true, y_pred = _align(given, y_pred)
    if y_true.shape != y_pred.shape:  # Keras would broadcast, e.g. (N, 1) labels over C classes
        raise ValueError(
            f"categorical_focal_crossentropy expects y_true of y_pred's shape {y_pred.shape} "
            f"(one-hot labels), got {given.shape}"
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if from_logits:
        y_pred = softmax(y_pred, axis=axis)
    q = clip(y_pred / y_pred.sum(axis=axis, keepdims=True), _k.EPSILON, 1.0 - _k.EPSILON)
    alpha = _as_array(alpha, y_pred.dtype)
    return ((1.0 - q) ** float(gamma) * alpha * (-y_true * log(q))).sum(axis=axis)


def _axes(axis):
    """An axis argument as ``sum`` takes it (configs written as JSON hold lists)."""
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def dice(y_true, y_pred, axis=None) -> Tensor:
    """``1 - 2 sum(t p) / (sum(t) + sum(p) + 1e-7)``, the sums over ``axis`` (default: every
    axis, one value for the batch; ``axis=(1, 2, 3)`` gives one per image).

    >>> import lamina
    >>> y_true = [[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]]
    >>> y_pred = [[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]]
    >>> dice(y_true, lamina.tensor(y_pred), axis=(1, 2, 3)).numpy().round(4)
    array([0.5   , 0.7576], dtype=float32)
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred, "dice")
    axis = _axes(axis)
    overlap = (y_true * y_pred).sum(axis=axis)
    total = y_true.sum(axis=axis) + y_pred.sum(axis=axis)
    return 1.0 - 2.0 * overlap / (total + _k.EPSILON)


def tversky(y_true, y_pred, alpha: float = 0.5, beta: float = 0.5, axis=None) -> Tensor:
    """Tversky loss (Salehi et al., 2017) as Keras computes it, the sums over ``axis``:
    ``1 - I / (I + alpha * sum(t (1 - p)) + beta * sum((1 - t) p) + 1e-7)``, ``I = sum(t p)``.

    ``alpha`` weighs the missed positives ``t (1 - p)`` and ``beta`` the false alarms
    ``(1 - t) p`` (Keras's docstring says the reverse; this is its code). ``alpha = beta = 0.5``
    gives ``dice``.

    >>> import lamina
    >>> tversky([[1.0, 1.0, 0.0]], lamina.tensor([[1.0, 0.0, 1.0]]), 0.5, 0.5, axis=1).tolist()
    [0.5]
    """
    y_pred = _as_tensor(y_pred)
    y_true, y_pred = _align(_float_true(y_true, y_pred), y_pred, "tversky")
    axis = _axes(axis)
    overlap = (y_true * y_pred).sum(axis=axis)
    missed = (y_true * (1.0 - y_pred)).sum(axis=axis)
    false_alarms = ((1.0 - y_true) * y_pred).sum(axis=axis)
    denominator = overlap + missed * alpha + false_alarms * beta + _k.EPSILON
    return 1.0 - overlap / denominator


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


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error (see ``mean_absolute_percentage_error``).

    >>> import lamina
    >>> loss = MeanAbsolutePercentageError()
    >>> round(loss([100.0, 200.0, 300.0], lamina.tensor([90.0, 210.0, 310.0])).item(), 4)
    6.1111
    """

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared error of ``log(1 + x)`` (see ``mean_squared_logarithmic_error``)."""

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along ``axis`` (see ``cosine_similarity``): -1 is best.

    >>> import lamina
    >>> y_pred = lamina.tensor([[1.0, 1.0], [1.0, 0.0]])
    >>> round(CosineSimilarity()([[0.0, 1.0], [1.0, 1.0]], y_pred).item(), 4)  # both 45 degrees
    -0.7071
    """

    _fn_aligns = True

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(cosine_similarity, reduction=reduction, name=name, axis=axis)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error (see ``log_cosh``)."""

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh"):
        super().__init__(log_cosh, reduction=reduction, name=name)


class Poisson(LossFunctionWrapper):
    """Poisson loss ``y_pred - y_true * log(y_pred)`` (see ``poisson``)."""

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="poisson"):
        super().__init__(poisson, reduction=reduction, name=name)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss for labels in {-1, 1} (0/1 labels are converted; see
    ``squared_hinge``)."""

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge"):
        super().__init__(squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(LossFunctionWrapper):
    """Hinge loss between the true class's score and the best other one (see
    ``categorical_hinge``)."""

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge"):
        super().__init__(categorical_hinge, reduction=reduction, name=name)


def _check_gamma(gamma):
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not gamma >= 0:
        raise ValueError(f"focal loss gamma must be a number >= 0, got {gamma!r}")


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy down-weighting easy examples by ``(1 - p_t) ** gamma`` (see
    ``binary_focal_crossentropy``).

    >>> import lamina
    >>> y_pred = lamina.tensor([-18.6, 0.51, 2.94, -12.8])
    >>> round(BinaryFocalCrossentropy(gamma=2, from_logits=True)([0, 1, 0, 0], y_pred).item(), 3)
    0.691
    >>> loss = BinaryFocalCrossentropy(apply_class_balancing=True, gamma=2, from_logits=True)
    >>> round(loss([0, 1, 0, 0], y_pred).item(), 2)
    0.51
    """

    _fn_aligns = True

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
    ):
        _check_smoothing(label_smoothing)
        _check_gamma(gamma)
        super().__init__(
            binary_focal_crossentropy,
            reduction=reduction,
            name=name,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy weighted by ``alpha * (1 - q) ** gamma`` (see
    ``categorical_focal_crossentropy``).

    >>> import lamina
    >>> y_pred = lamina.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> round(CategoricalFocalCrossentropy()([[0, 1, 0], [0, 0, 1]], y_pred).item(), 4)
    0.2332
    """

    _fn_aligns = True

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
    ):
        _check_smoothing(label_smoothing)
        _check_gamma(gamma)
        super().__init__(
            categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class Dice(LossFunctionWrapper):
    """Dice loss, the sums over ``axis`` (see ``dice``; the default ``None`` gives one value
    for the whole batch).

    >>> import lamina
    >>> y_true = [[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]]
    >>> y_pred = [[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]]
    >>> round(Dice()(y_true, lamina.tensor(y_pred)).item(), 4)
    0.6164
    """

    _fn_aligns = True

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None):
        super().__init__(dice, reduction=reduction, name=name, axis=axis)


class Tversky(LossFunctionWrapper):
    """Tversky loss, a Dice loss weighing missed positives by ``alpha`` and false alarms by
    ``beta`` (see ``tversky``)."""

    _fn_aligns = True

    def __init__(
        self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None
    ):
        super().__init__(tversky, reduction=reduction, name=name, alpha=alpha, beta=beta, axis=axis)


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
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    poisson,
    squared_hinge,
    categorical_hinge,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    dice,
    tversky,
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
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Poisson,
    SquaredHinge,
    CategoricalHinge,
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    Dice,
    Tversky,
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
    "mape": mean_absolute_percentage_error,
    "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error,
    "MSLE": mean_squared_logarithmic_error,
    "logcosh": log_cosh,  # tf.keras 2's name
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
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    cosine_similarity: CosineSimilarity,
    log_cosh: LogCosh,
    poisson: Poisson,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    dice: Dice,
    tversky: Tversky,
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
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalHinge", "CosineSimilarity", "Dice", "Hinge",
    "Huber", "KLDivergence", "LogCosh", "Loss", "LossFunctionWrapper",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge",
    "Tversky", "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_hinge", "cosine_similarity", "dice", "get",
    "hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "poisson", "reduce_weighted_values", "serialize", "sparse_categorical_crossentropy",
    "squared_hinge", "tversky",
]  # fmt: skip
