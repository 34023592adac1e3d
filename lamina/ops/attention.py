"""``scaled_dot_product_attention``: softmax(q k^T * scale) v as one fused node, and
``causal_mask``.

>>> import lamina
>>> from lamina.ops.attention import scaled_dot_product_attention
>>> q = lamina.tensor([[[1.0, 0.0]]])               # (batch 1, Tq 1, d 2)
>>> k = lamina.tensor([[[1.0, 0.0], [0.0, 1.0]]])   # (batch 1, Tk 2, d 2)
>>> v = lamina.tensor([[[10.0], [20.0]]])           # (batch 1, Tk 2, dv 1)
>>> scaled_dot_product_attention(q, k, v, mask=[[[False, True]]]).tolist()
[[[20.0]]]
"""

from __future__ import annotations

import math

from lamina import backend
from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


class ScaledDotProductAttention(Function):
    """Attention over the last two axes, batched over the leading ones (batch, heads).

    Forward, with ``M`` the boolean mask (True = attend) and ``D`` the dropout mask scaled by
    ``1 / (1 - rate)`` (all ones without dropout):
        S = scale q k^T,   P_ij = M_ij e^(S_ij - m_i) / sum_j M_ij e^(S_ij - m_i)
        (m_i the row's largest unmasked score; a row with no unmasked entry gives P_i = 0),
        P' = P * D,   out = P' v.
    Backward, given g = dL/dout:
        dv = P'^T g,   dP = (g v^T) * D,   dS = P * (dP - rowsum(dP * P)),
        dq = scale dS k,   dk = scale dS^T q.
    Masked entries have P = 0, hence dS = 0: no gradient flows through them.
    """

    # The scores are kept transposed, (..., Tk, Tq), so that every softmax reduction runs over
    # axis -2: NumPy vectorizes those across rows, while reducing the short last axis row by
    # row made the max alone cost as much as both matmuls.
    def forward(self, q, k, v, mask=None, scale=1.0, dropout_rate=0.0, weights_out=None):
        st = xp.matmul(k, xp.swapaxes(q, -1, -2))
        st *= st.dtype.type(scale)
        if mask is None:
            st -= st.max(axis=-2, keepdims=True)
            xp.exp(st, out=st)
            st /= st.sum(axis=-2, keepdims=True)
        else:
            xp.copyto(st, -xp.inf, where=~xp.swapaxes(mask, -1, -2))
            top = st.max(axis=-2, keepdims=True)
            top[top == -xp.inf] = 0  # fully masked rows: exp(-inf - 0) = 0, no NaN
            st -= top
            xp.exp(st, out=st)
            total = st.sum(axis=-2, keepdims=True)
            total[total == 0] = 1
            st /= total
        if weights_out is not None:
            weights_out.append(xp.ascontiguousarray(xp.swapaxes(st, -1, -2)))
        self.drop = None
        pt_used = st
        if dropout_rate > 0:
            keep = backend.rng().random(st.shape, dtype=st.dtype) >= dropout_rate
            self.drop = keep * st.dtype.type(1 / (1 - dropout_rate))
            pt_used = st * self.drop
        self.q, self.k, self.v, self.pt, self.pt_used = q, k, v, st, pt_used
        self.scale = scale
        return xp.matmul(xp.swapaxes(pt_used, -1, -2), v)

    def backward(self, grad):
        q, k, v, pt = self.q, self.k, self.v, self.pt
        dv = xp.matmul(self.pt_used, grad)
        dpt = xp.matmul(v, xp.swapaxes(grad, -1, -2))
        if self.drop is not None:
            dpt *= self.drop
        dpt -= (dpt * pt).sum(axis=-2, keepdims=True)
        dpt *= pt  # now dS^T / scale
        dq = xp.matmul(xp.swapaxes(dpt, -1, -2), k)
        dq *= dq.dtype.type(self.scale)
        dk = xp.matmul(dpt, q)
        dk *= dk.dtype.type(self.scale)
        return dq, dk, dv


def _array(x):
    return x.data if isinstance(x, Tensor) else xp.asarray(x)


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def causal_mask(tq: int, tk: int | None = None):
    """A ``(tq, tk)`` boolean mask, True where key ``j <= i`` for query ``i`` (each step sees
    itself and the past; aligned at the first step, as Keras's ``use_causal_mask`` and
    PyTorch's ``is_causal``). ``tk`` defaults to ``tq``.

    >>> causal_mask(3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    tk = tq if tk is None else tk
    for name, n in (("tq", tq), ("tk", tk)):
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"causal_mask {name} must be a positive integer, got {n!r}")
    return xp.arange(tk)[None, :] <= xp.arange(tq)[:, None]


def scaled_dot_product_attention(
    query,
    key,
    value,
    mask=None,
    *,
    scale: float | None = None,
    dropout_rate: float = 0.0,
    training: bool = False,
    return_scores: bool = False,
):
    """``softmax(query key^T * scale + masking) value`` over the last two axes.

    Shapes: ``query (batch, heads, Tq, d)``, ``key (batch, heads, Tk, d)``, ``value (batch,
    heads, Tk, dv)`` -> ``(batch, heads, Tq, dv)``; 3-D inputs without the head axis work the
    same. ``scale`` defaults to ``1 / sqrt(d)``. ``mask`` is boolean, True where a query may
    attend to a key (Keras's convention; PyTorch's ``key_padding_mask`` is the negation),
    broadcastable to ``(batch, heads, Tq, Tk)`` by NumPy's rules: a ``(Tq, Tk)`` mask, or one
    with the inputs' rank (``(batch, 1, Tq, Tk)`` for 4-D inputs). A query row whose keys are
    all masked gets all-zero weights, so its output is zero (Keras 3's masked softmax does the
    same; PyTorch gives NaN). With ``training=True`` and ``dropout_rate > 0`` the attention
    weights are dropped out (inverted dropout, lamina's random generator).

    ``return_scores=True`` also returns the attention weights ``(..., Tq, Tk)`` (before
    dropout) as a tensor outside the graph.

    >>> import numpy as np, lamina
    >>> x = lamina.tensor(np.ones((2, 4, 3, 8)))
    >>> out, w = scaled_dot_product_attention(x, x, x, mask=causal_mask(3), return_scores=True)
    >>> out.shape, w.numpy()[0, 0, 1].tolist()
    ((2, 4, 3, 8), [0.5, 0.5, 0.0])
    """
    q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    if q.ndim not in (3, 4) or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(
            "scaled_dot_product_attention expects query, key and value of shapes (batch, heads, "
            f"T, d) or (batch, T, d), all of one rank; got {q.shape}, {k.shape}, {v.shape}"
        )
    if not q.shape[:-2] == k.shape[:-2] == v.shape[:-2]:
        raise ValueError(
            "scaled_dot_product_attention: query, key and value must agree on the leading "
            f"(batch, heads) axes; got {q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"scaled_dot_product_attention: query {q.shape} and key {k.shape} must have the same "
            "last dimension d"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"scaled_dot_product_attention: key {k.shape} and value {v.shape} must have the same "
            "length Tk (axis -2)"
        )
    if not 0 <= dropout_rate < 1:
        raise ValueError(f"dropout_rate must be in [0, 1), got {dropout_rate}")
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    m = None
    if mask is not None:
        m = _array(mask)
        if m.dtype != bool:
            m = m.astype(bool)
        scores_shape = (*q.shape[:-1], k.shape[-2])
        if not 2 <= m.ndim <= q.ndim or (m.ndim != 2 and m.ndim != q.ndim):
            raise ValueError(
                f"scaled_dot_product_attention: mask of shape {m.shape} must be (Tq, Tk) or have "
                f"the inputs' rank {q.ndim} to broadcast to {scores_shape} (for 4-D inputs give a "
                "(batch, Tq, Tk) mask a head axis: mask[:, None])"
            )
        aligned = scores_shape[len(scores_shape) - m.ndim :]
        if any(a not in (1, b) for a, b in zip(m.shape, aligned)):
            raise ValueError(
                f"scaled_dot_product_attention: mask of shape {m.shape} does not broadcast to "
                f"the scores' shape {scores_shape}"
            )
    rate = float(dropout_rate) if training else 0.0
    weights = [] if return_scores else None
    out = ScaledDotProductAttention.apply(
        q, k, v, mask=m, scale=float(scale), dropout_rate=rate, weights_out=weights
    )
    if not return_scores:
        return out
    return out, Tensor(weights[0])
