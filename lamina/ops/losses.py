"""Fused loss kernels: each loss is one ``Function`` with a hand-written backward.

These are the raw kernels under ``lamina.losses`` (which adds Keras's shape rules, label
smoothing, sample weights and reductions). Every function takes ``(y_true, y_pred)`` of matching
(broadcastable) shapes and reduces over ``axis`` (default the last) to one value per sample; for
the elementwise losses (all but the categorical ones) ``axis=None`` keeps the elementwise values.
``y_true`` is a constant except in
``squared_error``, ``absolute_error`` and ``huber_error``, where both sides are differentiable.

Probabilities are clipped to ``[EPSILON, 1 - EPSILON]`` like Keras (the gradient is zero where
clipping bites), so every value and gradient is finite, even for probabilities of exactly 0 and 1.
With ``from_logits=False``, when ``y_pred`` is the recorded output of ``sigmoid`` (or of
``softmax`` over the loss axis) the kernels read the logits saved by that op and compute the
from-logits formula on the activation's input instead, as Keras's TensorFlow backend does: the
loss stays exact for saturated outputs and the backward pass is one subtraction,
``sigmoid(z) - y`` or ``softmax(z) - y``, skipping the activation's own backward.

>>> import lamina
>>> z = lamina.tensor([[-100.0, 0.0, 100.0]], requires_grad=True)
>>> loss = binary_cross_entropy([[1.0, 1.0, 0.0]], lamina.ops.sigmoid(z))
>>> round(loss.item(), 3)  # (100 + log 2 + 100) / 3: no clipping at 16.1
66.898
>>> loss.backward(); (3 * z.grad).tolist()  # (sigmoid(z) - y) / 3
[[-1.0, -0.5, 1.0]]
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import epsilon, xp
from lamina.ops.activations import Sigmoid, Softmax

EPSILON = 1e-7  # Keras's backend.epsilon(): the clipping margin for probabilities


def _reduce(elem, axis, mean):
    if axis is None:
        return elem
    return xp.mean(elem, axis=axis) if mean else xp.sum(elem, axis=axis)


def _expand(grad, axis, elem_shape, mean):
    """The upstream per-sample gradient, re-expanded to broadcast against the elementwise values
    (and divided by the count for a mean)."""
    if axis is None:
        return grad
    grad = xp.expand_dims(grad, axis)
    return grad * (1.0 / elem_shape[axis]) if mean else grad


def _needs_grad(node, i):
    return isinstance(node.inputs[i], Tensor) and node.inputs[i].requires_grad


def _clip_probs(p):
    """Keras's clip to ``[EPSILON, 1 - EPSILON]``, and where it passes gradients (bounds included,
    as in TensorFlow and PyTorch)."""
    eps = epsilon()  # EPSILON unless changed by lamina.config.set_epsilon
    clipped = xp.clip(p, eps, 1 - eps)
    inside = (p >= eps) & (p <= 1 - eps)  # the bounds as rounded to p's dtype
    return clipped, inside


def _label_index(labels):
    """A fancy index picking ``x[..., labels]`` from an array of shape ``labels.shape + (C,)``:
    one broadcast ``arange`` per leading axis, then the labels."""
    ndim = labels.ndim
    leading = tuple(
        xp.arange(n).reshape((1,) * i + (n,) + (1,) * (ndim - i - 1))
        for i, n in enumerate(labels.shape)
    )
    return (*leading, labels)


def _sigmoid(z):
    return 0.5 * (1 + xp.tanh(0.5 * z))  # no overflow for any z


# ----- regression -----
class SquaredError(Function):
    """loss = mean((p - t)^2);  dloss/dp = 2 (p - t) / K = -dloss/dt (K: size of ``axis``)."""

    def forward(self, y_true, y_pred, axis=-1):
        self.diff, self.axis = y_pred - y_true, axis
        return _reduce(self.diff * self.diff, axis, mean=True)

    def backward(self, grad):
        gp = 2 * self.diff * _expand(grad, self.axis, self.diff.shape, mean=True)
        return (-gp if _needs_grad(self, 0) else None), gp

    def backward_graph(self, grad):
        from lamina.ops.shaping import unsqueeze

        y_true, y_pred = self.inputs
        g = grad
        if self.axis is not None:
            g = unsqueeze(grad, self.axis) * (1.0 / self.diff.shape[self.axis])
        gp = 2 * (y_pred - y_true) * g
        return (-gp if _needs_grad(self, 0) else None), gp


class AbsoluteError(Function):
    """loss = mean(|p - t|);  dloss/dp = sign(p - t) / K = -dloss/dt (0 where p = t)."""

    def forward(self, y_true, y_pred, axis=-1):
        diff = y_pred - y_true
        self.sign, self.axis = xp.sign(diff), axis
        return _reduce(xp.abs(diff), axis, mean=True)

    def backward(self, grad):
        gp = self.sign * _expand(grad, self.axis, self.sign.shape, mean=True)
        return (-gp if _needs_grad(self, 0) else None), gp


class HuberError(Function):
    """e = p - t;  loss = mean(0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2);
    dloss/dp = clip(e, -delta, delta) / K = -dloss/dt."""

    def forward(self, y_true, y_pred, delta=1.0, axis=-1):
        diff = y_pred - y_true
        abs_diff = xp.abs(diff)
        elem = xp.where(abs_diff <= delta, 0.5 * diff * diff, delta * abs_diff - 0.5 * delta**2)
        self.slope, self.axis = xp.clip(diff, -delta, delta), axis
        return _reduce(elem, axis, mean=True)

    def backward(self, grad):
        gp = self.slope * _expand(grad, self.axis, self.slope.shape, mean=True)
        return (-gp if _needs_grad(self, 0) else None), gp


class HingeError(Function):
    """loss = mean(max(1 - t p, 0)) for labels t in {-1, 1};  dloss/dp = -t [t p < 1] / K."""

    def forward(self, y_true, y_pred, axis=-1):
        margin = 1 - y_true * y_pred
        self.slope = -y_true * (margin > 0)
        self.axis = axis
        return _reduce(xp.maximum(margin, 0), axis, mean=True)

    def backward(self, grad):
        return None, self.slope * _expand(grad, self.axis, self.slope.shape, mean=True)


class KLDiv(Function):
    """t, p clipped to [EPSILON, 1];  loss = sum(t log(t / p));  dloss/dp = -t / p (0 where
    p < EPSILON or p > 1)."""

    def forward(self, y_true, y_pred, axis=-1):
        eps = epsilon()
        t = xp.clip(y_true, eps, 1)
        p = xp.clip(y_pred, eps, 1)
        self.slope = -(t / p) * ((y_pred >= eps) & (y_pred <= 1))
        self.axis = axis
        return _reduce(t * (xp.log(t) - xp.log(p)), axis, mean=False)

    def backward(self, grad):
        return None, self.slope * _expand(grad, self.axis, self.slope.shape, mean=False)


# ----- cross-entropies -----
class BinaryCrossEntropy(Function):
    """Mean over ``axis`` of the elementwise binary cross-entropy.

    from logits z:  loss = max(z, 0) - z t + log(1 + e^-|z|);  dloss/dz = sigmoid(z) - t.
    from probabilities (p clipped to [eps, 1 - eps]):  loss = -(t log p + (1 - t) log(1 - p));
    dloss/dp = (p - t) / (p (1 - p)), 0 where clipping bites.
    """

    def forward(self, y_true, y_pred, from_logits=False, axis=-1):
        t = y_true
        self.t, self.y, self.from_logits, self.axis = t, y_pred, from_logits, axis
        if from_logits:
            z = y_pred
            elem = xp.maximum(z, 0) - z * t + xp.log1p(xp.exp(-xp.abs(z)))
        else:
            p, self.inside = _clip_probs(y_pred)
            self.p = p
            elem = -(t * xp.log(p) + (1 - t) * xp.log1p(-p))
        self.shape = elem.shape
        return _reduce(elem, axis, mean=True)

    def backward(self, grad):
        if self.from_logits:
            slope = _sigmoid(self.y) - self.t
        else:
            p = self.p
            slope = (p - self.t) / (p * (1 - p)) * self.inside
        return None, slope * _expand(grad, self.axis, self.shape, mean=True)


class CategoricalCrossEntropy(Function):
    """Cross-entropy of probability targets ``t`` along ``axis``: loss = -sum(t log q).

    from logits z:  log q = log_softmax(z);  dloss/dz = softmax(z) sum(t) - t.
    from probabilities p (Keras renormalizes them):  q = clip(p / sum(p), eps, 1 - eps);
    with g = -t / q (0 where clipping bites), dloss/dp = (g - sum(g p / S)) / S, S = sum(p).
    """

    def forward(self, y_true, y_pred, from_logits=False, axis=-1):
        t = y_true
        self.t, self.from_logits, self.axis = t, from_logits, axis
        if from_logits:
            shifted = y_pred - xp.max(y_pred, axis=axis, keepdims=True)
            self.log_q = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
            return -xp.sum(t * self.log_q, axis=axis)
        self.total = xp.sum(y_pred, axis=axis, keepdims=True)
        self.q = y_pred / self.total
        q, self.inside = _clip_probs(self.q)
        self.q_clipped = q
        return -xp.sum(t * xp.log(q), axis=axis)

    def backward(self, grad):
        g = xp.expand_dims(grad, self.axis)
        t, axis = self.t, self.axis
        if self.from_logits:
            total_t = xp.sum(t, axis=axis, keepdims=True)
            return None, g * (xp.exp(self.log_q) * total_t - t)
        gq = -(t / self.q_clipped) * self.inside
        gp = (gq - xp.sum(gq * self.q, axis=axis, keepdims=True)) / self.total
        return None, g * gp


class SparseCategoricalCrossEntropy(Function):
    """Cross-entropy of integer labels ``y`` against the last axis: loss = -log q[y].

    from logits z:  log q = log_softmax(z);  dloss/dz = softmax(z) - onehot(y).
    from probabilities p:  q = clip(p[y] / S, eps, 1 - eps), S = sum(p);  with g = -1 / q (0 where
    clipping bites), dloss/dp_j = g ([j = y] - p[y] / S) / S.
    ``valid`` (a boolean array of the labels' shape, or None) zeroes the loss and gradient of
    ignored entries.
    """

    def forward(self, labels, y_pred, from_logits=False, valid=None):
        self.shape, self.from_logits, self.valid = y_pred.shape, from_logits, valid
        self.index = _label_index(labels)
        if from_logits:
            shifted = y_pred - xp.max(y_pred, axis=-1, keepdims=True)
            self.log_q = shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))
            out = -self.log_q[self.index]
        else:
            self.total = xp.sum(y_pred, axis=-1)
            self.picked = y_pred[self.index] / self.total
            q, self.inside = _clip_probs(self.picked)
            self.q_clipped = q
            out = -xp.log(q)
        return out if valid is None else out * valid

    def backward(self, grad):
        if self.valid is not None:
            grad = grad * self.valid
        if self.from_logits:
            gz = xp.exp(self.log_q) * xp.expand_dims(grad, -1)
            gz[self.index] -= grad
            return None, gz
        g = -(grad / self.q_clipped) * self.inside / self.total  # dloss/d(p[y] / S) / S
        gp = xp.broadcast_to(xp.expand_dims(-g * self.picked, -1), self.shape).copy()
        gp[self.index] += g
        return None, gp


# ----- functions -----
def _target(y_true, dtype):
    """``y_true`` as a constant array of ``dtype``."""
    if isinstance(y_true, Tensor):
        y_true = y_true.data
    return xp.asarray(y_true, dtype=dtype)


def _as_tensor(y_pred):
    return y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)


def _float_pair(y_true, y_pred):
    """Both sides of a regression loss, ``y_true`` cast to ``y_pred``'s dtype; a Tensor
    ``y_true`` that requires grad stays in the graph."""
    y_pred = _as_tensor(y_pred)
    if isinstance(y_true, Tensor) and y_true.requires_grad:
        return (y_true if y_true.dtype == y_pred.dtype else y_true.astype(y_pred.dtype)), y_pred
    return _target(y_true, y_pred.dtype), y_pred


def sigmoid_logits(y_pred):
    """The input of ``sigmoid`` when ``y_pred`` is its recorded output, else None."""
    node = getattr(y_pred, "_node", None)
    return node.inputs[0] if isinstance(node, Sigmoid) else None


def softmax_logits(y_pred, axis=-1):
    """The input of ``softmax`` when ``y_pred`` is its recorded output over ``axis``, else None."""
    node = getattr(y_pred, "_node", None)
    if (
        isinstance(node, Softmax)
        and isinstance(node.axis, int)
        and node.axis % y_pred.ndim == axis % y_pred.ndim
    ):
        return node.inputs[0]
    return None


def squared_error(y_true, y_pred, axis=-1):
    """Mean over ``axis`` of ``(y_pred - y_true) ** 2``; both sides differentiable."""
    y_true, y_pred = _float_pair(y_true, y_pred)
    return SquaredError.apply(y_true, y_pred, axis=axis)


def absolute_error(y_true, y_pred, axis=-1):
    """Mean over ``axis`` of ``|y_pred - y_true|``; both sides differentiable."""
    y_true, y_pred = _float_pair(y_true, y_pred)
    return AbsoluteError.apply(y_true, y_pred, axis=axis)


def huber_error(y_true, y_pred, delta=1.0, axis=-1):
    """Mean over ``axis`` of the Huber loss of ``y_pred - y_true``; both sides differentiable."""
    y_true, y_pred = _float_pair(y_true, y_pred)
    return HuberError.apply(y_true, y_pred, delta=float(delta), axis=axis)


def hinge_error(y_true, y_pred, axis=-1):
    """Mean over ``axis`` of ``max(1 - y_true * y_pred, 0)``, labels in {-1, 1}."""
    y_pred = _as_tensor(y_pred)
    return HingeError.apply(_target(y_true, y_pred.dtype), y_pred, axis=axis)


def kl_div(y_true, y_pred, axis=-1):
    """Sum over ``axis`` of ``t log(t / p)``, both clipped to ``[EPSILON, 1]``."""
    y_pred = _as_tensor(y_pred)
    return KLDiv.apply(_target(y_true, y_pred.dtype), y_pred, axis=axis)


def binary_cross_entropy(y_true, y_pred, from_logits=False, axis=-1):
    """Mean over ``axis`` of the elementwise binary cross-entropy (see ``BinaryCrossEntropy``);
    reads the logits of a recorded ``sigmoid`` output (module docstring)."""
    y_pred = _as_tensor(y_pred)
    if not from_logits:
        logits = sigmoid_logits(y_pred)
        if logits is not None:
            y_pred, from_logits = logits, True
    t = _target(y_true, y_pred.dtype)
    return BinaryCrossEntropy.apply(t, y_pred, from_logits=from_logits, axis=axis)


def categorical_cross_entropy(y_true, y_pred, from_logits=False, axis=-1):
    """Cross-entropy of probability targets along ``axis``; reads the logits of a recorded
    ``softmax`` output over the same axis (module docstring)."""
    y_pred = _as_tensor(y_pred)
    if not from_logits:
        logits = softmax_logits(y_pred, axis)
        if logits is not None:
            y_pred, from_logits = logits, True
    t = _target(y_true, y_pred.dtype)
    if t.shape != y_pred.shape:
        t = xp.broadcast_to(t, y_pred.shape)
    return CategoricalCrossEntropy.apply(t, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_cross_entropy(labels, y_pred, from_logits=False, valid=None):
    """Cross-entropy of integer ``labels`` (shape ``y_pred.shape[:-1]``) against the class
    (last) axis; reads the logits of a recorded ``softmax`` output (module docstring). Entries
    where the boolean ``valid`` is False get loss and gradient 0 (their label must still index
    a class: use 0)."""
    y_pred = _as_tensor(y_pred)
    if not from_logits:
        logits = softmax_logits(y_pred, -1)
        if logits is not None:
            y_pred, from_logits = logits, True
    if isinstance(labels, Tensor):
        labels = labels.data
    labels = xp.asarray(labels)
    if labels.dtype.kind != "i":
        labels = labels.astype(xp.int64)
    return SparseCategoricalCrossEntropy.apply(labels, y_pred, from_logits=from_logits, valid=valid)


__all__ = [
    "AbsoluteError", "BinaryCrossEntropy", "CategoricalCrossEntropy", "EPSILON", "HingeError",
    "HuberError", "KLDiv", "SparseCategoricalCrossEntropy", "SquaredError", "absolute_error",
    "binary_cross_entropy", "categorical_cross_entropy", "hinge_error", "huber_error", "kl_div",
    "sigmoid_logits", "softmax_logits", "sparse_categorical_cross_entropy", "squared_error",
]  # fmt: skip
