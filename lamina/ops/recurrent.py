"""Recurrent ops: ``simple_rnn``, ``lstm`` and ``gru`` over a whole sequence, and their one-step
``*_cell`` versions, each a single fused node with a hand-written backpropagation through time.

Inputs are batch-major ``(batch, time, features)`` and weights use Keras's layout and gate order.
The forward pass projects every step's input at once (one GEMM per gate), then loops over time
with one ``h @ recurrent_kernel`` per step and keeps the gate activations; the backward pass
loops back once, collecting every step's gate gradients, and finishes with one batched GEMM
each for ``x``, ``kernel`` and ``recurrent_kernel``. Internally the gates are stored one
contiguous ``(batch, units)`` block per gate and step, so the elementwise work runs on
contiguous memory; the LSTM instead runs feature-major (see its section), which lets one GEMM
per step make all four gates and still keeps each gate contiguous.

>>> import numpy as np, lamina
>>> from lamina.ops.recurrent import lstm
>>> x = lamina.tensor(np.ones((2, 5, 3)))                 # 2 sequences of 5 steps, 3 features
>>> kernel = lamina.tensor(np.full((3, 4 * 4), 0.1), requires_grad=True)     # 4 units
>>> recurrent_kernel = lamina.tensor(np.zeros((4, 4 * 4)), requires_grad=True)
>>> h_seq, c_last = lstm(x, None, None, kernel, recurrent_kernel)
>>> h_seq.shape, c_last.shape
((2, 5, 4), (2, 4))
>>> h_seq.sum().backward(); kernel.grad.shape
(3, 16)
"""

# ruff: noqa: N803, N806 - T, B, U, W, R, H, C, D: the names of the equations

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp

ACTIVATIONS = ("tanh", "sigmoid", "hard_sigmoid", "relu", "linear")


# ----- activations, applied in place and differentiated from their outputs -----
def _activation(name, who, arg):
    """The supported name for ``name`` (a string, None or a function with that ``__name__``)."""
    key = "linear" if name is None else getattr(name, "__name__", name)
    if isinstance(key, str) and key.lower() in ACTIVATIONS:
        return key.lower()
    raise ValueError(f"{who}: unknown {arg} {name!r}; supported: {', '.join(ACTIVATIONS)}")


def _activate(name, x, out):
    """``out = name(x)``; ``out`` may be ``x``."""
    if name == "tanh":
        xp.tanh(x, out=out)
    elif name == "sigmoid":  # 0.5 tanh(x/2) + 0.5: no overflow, unlike 1 / (1 + exp(-x))
        xp.multiply(x, 0.5, out=out)
        xp.tanh(out, out=out)
        out *= 0.5
        out += 0.5
    elif name == "relu":
        xp.maximum(x, 0, out=out)
    elif name == "hard_sigmoid":  # Keras 3: clip(x / 6 + 1/2, 0, 1)
        xp.multiply(x, 1 / 6, out=out)
        out += 0.5
        xp.clip(out, 0, 1, out=out)
    elif out is not x:
        out[...] = x


def _derivative(name, y):
    """name'(x) as a new array, computed from the output ``y = name(x)``."""
    if name == "tanh":
        d = y * y
        return xp.subtract(1, d, out=d)
    if name == "sigmoid":
        d = 1 - y
        d *= y
        return d
    if name == "relu":
        return (y > 0).astype(y.dtype)
    if name == "hard_sigmoid":
        d = ((y > 0) & (y < 1)).astype(y.dtype)
        d *= 1 / 6
        return d
    return xp.ones_like(y)


class _Gates:
    """The activations of consecutive gates, applied in place to arrays whose first axis is the
    gate (``(G, B, U)`` per step, ``(G, T, B, U)`` for a sequence).

    When each is tanh or sigmoid, sigmoid(x) = 0.5 tanh(x/2) + 0.5 makes them one tanh over all
    the gates: the x/2 is folded into the weights once per call (``pre``, exact: a power of
    two), the rest is one affine map of the sigmoid gates.
    """

    def __init__(self, names, dtype):
        self.runs = []  # (first gate, end gate, name), neighbours with one name merged
        for k, name in enumerate(names):
            if self.runs and self.runs[-1][2] == name:
                self.runs[-1] = (self.runs[-1][0], k + 1, name)
            else:
                self.runs.append((k, k + 1, name))
        self.fused = all(n in ("tanh", "sigmoid") for n in names)
        self.pre = None  # (G,): 0.5 for a sigmoid gate, 1 for a tanh gate
        if self.fused and "sigmoid" in names:
            self.pre = xp.asarray([0.5 if n == "sigmoid" else 1.0 for n in names], dtype=dtype)
            self.sigmoids = [(start, end) for start, end, name in self.runs if name == "sigmoid"]
            self.half = xp.asarray(0.5, dtype)  # 0-d: cheaper in a ufunc than a Python float

    def __call__(self, z):
        if self.fused:
            xp.tanh(z, out=z)
            if self.pre is not None:
                for start, end in self.sigmoids:
                    zs = z[start:end]
                    xp.multiply(zs, self.half, out=zs)
                    xp.add(zs, self.half, out=zs)
            return
        for start, end, name in self.runs:
            _activate(name, z[start:end], z[start:end])

    def derivative(self, y, out=None):
        """The derivative of every gate from its output, into ``out`` or a new C-ordered
        array."""
        d = xp.empty(y.shape, y.dtype) if out is None else out
        for start, end, name in self.runs:
            ys, ds = y[start:end], d[start:end]
            if name in ("sigmoid", "tanh"):  # y - y^2 and 1 - y^2, in place
                xp.subtract(ys if name == "sigmoid" else 1, xp.square(ys, out=ds), out=ds)
            else:
                ds[...] = _derivative(name, ys)
        return d


# ----- helpers shared by the three recurrences; gates are kept gate-major: (G, ..., U) -----
def _by_gate(w, gates):
    """Keras's (n, G*U) columns as (G, n, U): one contiguous matrix per gate."""
    return xp.ascontiguousarray(w.reshape(w.shape[0], gates, -1).transpose(1, 0, 2))


def _from_gates(w):
    """(G, n, U) back to Keras's (n, G*U)."""
    return w.transpose(1, 0, 2).reshape(w.shape[1], -1)


def _setup(ctx, xs, h0, kernel, recurrent_kernel, mask, rmask):
    """Save the shapes, inputs and masks; allocate the state sequence H with H[0] = h0."""
    ctx.T, ctx.B, _ = xs.shape
    ctx.U = U = recurrent_kernel.shape[0]
    x_dtype = xs.dtype if xs.dtype.kind == "f" else kernel.dtype
    ctx.dtype = dtype = xp.result_type(x_dtype, kernel.dtype, recurrent_kernel.dtype)
    ctx.x2 = xs.astype(dtype, copy=False).reshape(ctx.T * ctx.B, xs.shape[-1])  # -1: not if empty
    ctx.rmask = None if rmask is None else xp.broadcast_to(xp.asarray(rmask, dtype), (ctx.B, U))
    ctx.mask = mask  # (T, B, 1) bool, time-major, or None
    ctx.keep = None if mask is None else ~mask  # where the previous state is carried
    ctx.H = xp.empty((ctx.T + 1, ctx.B, U), dtype)
    ctx.H[0] = 0 if h0 is None else h0
    return ctx.H


def _gate_inputs(ctx, gates, kernel, recurrent_kernel, bias, pre, out=None):
    """x W + b for every step and sample, (T, G, B, U) so that each step's gates are one
    contiguous block, and the recurrent kernel (G, U, U), both with the gates' ``pre`` folded
    in; the unscaled weights are kept for backward."""
    ctx.W4, ctx.R4 = _by_gate(kernel, gates), _by_gate(recurrent_kernel, gates)
    W4, R4 = ctx.W4, ctx.R4
    b4 = None if bias is None else bias.reshape(gates, 1, -1)
    if pre is not None:
        p = pre.reshape(-1, 1, 1)
        W4, R4, b4 = W4 * p, R4 * p, None if b4 is None else b4 * p
    xw = xp.matmul(ctx.x2, W4).reshape(gates, ctx.T, ctx.B, ctx.U)  # one GEMM per gate
    xw = xw.transpose(1, 0, 2, 3)
    out = xp.empty(xw.shape, xw.dtype) if out is None else out
    if b4 is None:
        out[...] = xw
    else:
        xp.add(xw, b4, out=out)
    return out, R4


def _input_grads(ctx, dxw, order=None):
    """dx (time-major), dkernel and dbias from dxw (G, T, B, U), the gradient of x W + b at
    every step; dxw's gate k is Keras's gate ``order[k]`` (default: Keras's order)."""
    G, T, B, U = dxw.shape
    d2 = dxw.reshape(G, T * B, U)
    W4 = ctx.W4 if order is None else ctx.W4[list(order)]
    W4T = xp.ascontiguousarray(W4.transpose(0, 2, 1))  # contiguous: a faster GEMM
    dx = xp.matmul(d2, W4T).sum(axis=0).reshape(T, B, W4T.shape[-1])
    dW, db = xp.matmul(ctx.x2.T, d2), _sum_rows(d2)
    if order is not None:
        keras = sorted(range(G), key=list(order).__getitem__)
        dW, db = dW[keras], db[keras]
    return dx, _from_gates(dW), db.reshape(-1)


def _recurrent_grads(ctx, dhr, bias=False):
    """drecurrent_kernel (Keras layout) from dhr (G, T, B, U), the gradient of h U at every
    step; with ``bias``, also the gradient of a recurrent bias."""
    G, T, B, U = dhr.shape
    d2 = dhr.reshape(G, T * B, U)
    dR = _from_gates(xp.matmul(_masked_h(ctx).T, d2))
    return (dR, _sum_rows(d2).reshape(-1)) if bias else dR


def _sum_rows(d2):
    """(G, n, U) summed over n, as a GEMM with a row of ones (several times faster than sum)."""
    return xp.matmul(xp.ones((1, d2.shape[1]), d2.dtype), d2)[:, 0]


def _masked_h(ctx):
    """h_{t-1} as the recurrent matmul saw it, for every step: (T*B, U)."""
    h = ctx.H[:-1]
    if ctx.rmask is not None:
        h = h * ctx.rmask
    return h.reshape(ctx.T * ctx.B, h.shape[-1])


def _needs_grad(node, i):
    return isinstance(node.inputs[i], Tensor) and node.inputs[i].requires_grad


def _init_grad(g, shape, dtype):
    return xp.zeros(shape, dtype) if g is None else xp.array(g, dtype=dtype)


# ----- SimpleRNN: h_t = act(x_t W + h_{t-1} U + b) -----
def _rnn_forward(
    ctx, xs, h0, kernel, recurrent_kernel, bias, activation="tanh", mask=None, recurrent_mask=None
):
    H = _setup(ctx, xs, h0, kernel, recurrent_kernel, mask, recurrent_mask)
    ctx.gates = gates = _Gates([activation], ctx.dtype)
    # the states H[1:] start as the input projections and are completed in place step by step
    _, R4 = _gate_inputs(ctx, 1, kernel, recurrent_kernel, bias, gates.pre, out=H[1:, None])
    R, rm, keep = R4[0], ctx.rmask, ctx.keep
    hr, hm = xp.empty_like(H[0]), xp.empty_like(H[0])
    for t in range(ctx.T):
        z = H[t + 1]
        z += xp.matmul(H[t] if rm is None else xp.multiply(H[t], rm, out=hm), R, out=hr)
        gates(z[None])
        if keep is not None:
            xp.copyto(z, H[t], where=keep[t])
    return H


def _rnn_backward(ctx, g_seq, g_h):
    """Gradients (dx time-major, dh0, dkernel, drecurrent_kernel, dbias) from the gradients of
    the state sequence (T, B, U) and of the final state."""
    D = ctx.gates.derivative(ctx.H[1:][None])[0]  # becomes dz, the pre-activation gradient
    if ctx.mask is not None:
        D *= ctx.mask
    Rt, rm, keep = xp.ascontiguousarray(ctx.R4[0].T), ctx.rmask, ctx.keep
    dh_rec = _init_grad(g_h, (ctx.B, ctx.U), ctx.dtype)  # dh_{t-1} from step t
    dh = xp.empty_like(dh_rec)
    for t in range(ctx.T - 1, -1, -1):
        xp.add(dh_rec, g_seq[t], out=dh)
        xp.matmul(xp.multiply(dh, D[t], out=D[t]), Rt, out=dh_rec)
        if rm is not None:
            dh_rec *= rm
        if keep is not None:  # dz is 0 there, so dh passes through unchanged
            xp.copyto(dh_rec, dh, where=keep[t])
    dx, dW, db = _input_grads(ctx, D[None])
    dR = _recurrent_grads(ctx, D[None])
    return dx, dh_rec, dW, dR, db


# ----- LSTM, Keras gate order i, f, g, o -----
# The LSTM runs feature-major: each step's state is (U, B) and its gates one (4U, B) block, so
# one GEMM per step makes every gate and each gate is a contiguous (U, B) slab for the
# elementwise work. Internally the gates are ordered o, i, f, g: the three recurrent ones first.
_LSTM_ORDER = [3, 0, 1, 2]  # internal gate k is Keras's gate _LSTM_ORDER[k]
_LSTM_KERAS = [1, 2, 3, 0]  # and Keras's gate k is internal gate _LSTM_KERAS[k]


def _lstm_matrix(kernel, recurrent_kernel, bias, dtype):
    """M = [U^T | W^T | b] (4U, U + F + 1), gates in the internal order: a step's gates are
    M [h_{t-1}; x_t; 1], one GEMM that also adds the input projection and the bias."""
    U = recurrent_kernel.shape[0]
    b = xp.zeros((1, 4 * U), dtype) if bias is None else bias.reshape(1, -1)
    M = xp.concatenate([recurrent_kernel, kernel, b], axis=0, dtype=dtype)  # (K, 4U)
    return xp.ascontiguousarray(M.reshape(-1, 4, U)[:, _LSTM_ORDER].transpose(1, 2, 0))


def _lstm_forward(
    ctx,
    xs,
    h0,
    c0,
    kernel,
    recurrent_kernel,
    bias,
    activation="tanh",
    recurrent_activation="sigmoid",
    mask=None,
    recurrent_mask=None,
):
    """Run the LSTM over time-major ``xs`` (T, B, F); return the states h and c, feature-major
    (T + 1, U, B) with the initial ones first."""
    T, B, F = xs.shape
    ctx.T, ctx.B, ctx.U = T, B, U = T, B, recurrent_kernel.shape[0]
    x_dtype = xs.dtype if xs.dtype.kind == "f" else kernel.dtype
    ctx.dtype = dtype = xp.result_type(x_dtype, kernel.dtype, recurrent_kernel.dtype)
    ctx.mask = mask  # (T, B, 1) bool, time-major, or None
    keep = ctx.keep = None if mask is None else (~mask).transpose(0, 2, 1)  # (T, 1, B)
    rm = None
    if recurrent_mask is not None:
        rm = xp.ascontiguousarray(xp.broadcast_to(xp.asarray(recurrent_mask, dtype), (B, U)).T)
    ctx.rmask, ctx.act, ctx.rec_act = rm, activation, recurrent_activation
    rec = recurrent_activation
    ctx.gates = gates = _Gates([rec, rec, rec, activation], dtype)
    ctx.M = M = _lstm_matrix(kernel, recurrent_kernel, bias, dtype).reshape(4 * U, -1)
    if gates.pre is not None:  # fold sigmoid's x/2 into the weights
        M = (ctx.M.reshape(4, U, -1) * gates.pre[:, None, None]).reshape(4 * U, -1)
    # [h_{t-1} as the GEMM sees it (times recurrent_mask); x_t; 1] for every step
    ctx.XH = XH = xp.empty((T + 1, U + F + 1, B), dtype)
    XH[:T, U:-1] = xs.transpose(0, 2, 1)
    XH[:, -1] = 1
    ctx.H = H = XH[:, :U] if rm is None else xp.empty((T + 1, U, B), dtype)
    H[0] = 0 if h0 is None else h0.T
    if rm is not None:
        xp.multiply(H[0], rm, out=XH[0, :U])
    ctx.C = C = xp.empty((T + 1, U, B), dtype)
    C[0] = 0 if c0 is None else c0.T
    ctx.Z = Z = xp.empty((T, 4, U, B), dtype)  # the gates o, i, f, g
    ctx.FC, ctx.IG, ctx.AC = FC, IG, AC = xp.empty((3, T, U, B), dtype)  # f c_{t-1}, i g, act(c_t)
    Zt = Z.reshape(T, 4 * U, B)
    matmul, multiply, add, copyto, tanh = xp.matmul, xp.multiply, xp.add, xp.copyto, xp.tanh
    for t in range(T):
        matmul(M, XH[t], out=Zt[t])
        gates(Z[t])
        o, i, f, g = Z[t]
        c = add(multiply(f, C[t], out=FC[t]), multiply(i, g, out=IG[t]), out=C[t + 1])
        if activation == "tanh":
            tanh(c, out=AC[t])
        else:
            _activate(activation, c, AC[t])
        h = multiply(o, AC[t], out=H[t + 1])
        if keep is not None:
            copyto(c, C[t], where=keep[t])
            copyto(h, H[t], where=keep[t])
        if rm is not None:
            multiply(h, rm, out=XH[t + 1, :U])
    return H, C


def _lstm_factors(ctx):
    """Each gate's gradient is dc or dh times a factor known before the backward loop:
    dz_o = dh act(c_t) o',  dz_i = dc g i',  dz_f = dc c_{t-1} f',  dz_g = dc i g';
    and dc_t gets dh_t P with P = o act'(c_t). Returns the factors (T, 4, U, B) and P."""
    o, i, f, g = ctx.Z.transpose(1, 0, 2, 3)
    Fz = xp.empty(ctx.Z.shape, ctx.dtype)
    Fo, Fi, Ff, Fg = Fz.transpose(1, 0, 2, 3)
    P = xp.empty_like(ctx.AC)
    sub, mul = xp.subtract, xp.multiply
    if (ctx.act, ctx.rec_act) == ("tanh", "sigmoid"):
        # sigmoid' = y (1 - y), tanh' = 1 - y^2 and the forward's products: 2 passes a factor,
        # the first into a contiguous buffer (a strided operand costs more than the multiply)
        h, ig, fc, tmp = ctx.H[1:], ctx.IG, ctx.FC, xp.empty_like(P)  # h = o act(c) unmasked
        sub(h, mul(o, h, out=tmp), out=Fo)  # o (1 - o) act(c)
        sub(ig, mul(i, ig, out=tmp), out=Fi)  # i (1 - i) g
        sub(fc, mul(f, fc, out=tmp), out=Ff)  # f (1 - f) c_{t-1}
        sub(i, mul(g, ig, out=tmp), out=Fg)  # i (1 - g^2)
        sub(o, mul(h, ctx.AC, out=P), out=P)  # o (1 - act(c)^2)
    else:
        ctx.gates.derivative(ctx.Z.transpose(1, 0, 2, 3), out=Fz.transpose(1, 0, 2, 3))
        Fo *= ctx.AC
        Fi *= g
        Ff *= ctx.C[:-1]
        Fg *= i
        mul(_derivative(ctx.act, ctx.AC), o, out=P)
    if ctx.mask is not None:
        m = ctx.mask.transpose(0, 2, 1)  # (T, 1, B)
        Fz *= m[:, None]
        P *= m
    return Fz, P


def _lstm_backward(ctx, G, g_h, g_c, need_dx=True):
    """Gradients (dx time-major or None, dh0, dc0, dkernel, drecurrent_kernel, dbias) from the
    gradient of the h sequence G, feature-major (T, U, B) or None (zero), and of the final h
    and c, (B, U) or None."""
    T, U, B, dtype = ctx.T, ctx.U, ctx.B, ctx.dtype
    Fz, P = _lstm_factors(ctx)
    Fo, Fi, Ff, Fg = Fz.transpose(1, 0, 2, 3)  # become dz_o, dz_i, dz_f, dz_g in place
    f = ctx.Z[:, 2]  # dc_{t-1} = dc_t f, or dc_t where the state is carried
    forget = f if ctx.keep is None else xp.where(ctx.keep, 1, f).astype(dtype, copy=False)
    dZ = Fz.reshape(T, 4 * U, B)
    R = xp.ascontiguousarray(ctx.M[:, :U].T)  # contiguous: a faster GEMM
    rm, keep = ctx.rmask, ctx.keep
    # C order: a transposed (F-ordered) operand would take numpy off its fast elementwise path
    dh_rec = xp.zeros((U, B), dtype) if g_h is None else xp.array(g_h.T, dtype, order="C")
    carry = xp.zeros((U, B), dtype) if g_c is None else xp.array(g_c.T, dtype, order="C")
    dh, dc = xp.empty_like(dh_rec), xp.empty_like(dh_rec)
    matmul, multiply, add = xp.matmul, xp.multiply, xp.add
    for t in range(T - 1, -1, -1):
        if G is None:  # dh is dh_rec: swap the buffers, the GEMM overwrites dh_rec
            dh, dh_rec = dh_rec, dh
        else:
            add(dh_rec, G[t], out=dh)
        multiply(Fo[t], dh, out=Fo[t])
        add(carry, multiply(P[t], dh, out=dc), out=dc)
        multiply(Fi[t], dc, out=Fi[t])
        multiply(Ff[t], dc, out=Ff[t])
        multiply(Fg[t], dc, out=Fg[t])
        multiply(forget[t], dc, out=carry)
        matmul(R, dZ[t], out=dh_rec)
        if rm is not None:
            dh_rec *= rm
        if keep is not None:
            xp.copyto(dh_rec, dh, where=keep[t])
    # one GEMM each over every step and sample: dM = dz [h; x; 1]^T and dx = W dz
    K = ctx.XH.shape[1]
    dZ = xp.ascontiguousarray(dZ.transpose(1, 0, 2)).reshape(4 * U, T * B)
    XH = xp.ascontiguousarray(ctx.XH[:T].transpose(1, 0, 2)).reshape(K, T * B)
    dM = (dZ @ XH.T).reshape(4, U, K)[_LSTM_KERAS]  # Keras's gate order
    dx = None
    if need_dx:
        dx = (ctx.M[:, U:-1].T @ dZ).reshape(-1, T, B).transpose(1, 2, 0)
    dR = dM[:, :, :U].transpose(2, 0, 1).reshape(U, 4 * U)
    dW = dM[:, :, U:-1].transpose(2, 0, 1).reshape(-1, 4 * U)
    return dx, dh_rec.T, carry.T, dW, dR, dM[:, :, -1].reshape(-1)


# ----- GRU, Keras gate order z, r, h -----
def _gru_forward(
    ctx,
    xs,
    h0,
    kernel,
    recurrent_kernel,
    bias,
    reset_after=True,
    activation="tanh",
    recurrent_activation="sigmoid",
    mask=None,
    recurrent_mask=None,
):
    H = _setup(ctx, xs, h0, kernel, recurrent_kernel, mask, recurrent_mask)
    act, rec_act = activation, recurrent_activation
    U = ctx.U
    ctx.reset_after = reset_after
    ctx.gates_zr = gates_zr = _Gates([rec_act, rec_act], ctx.dtype)
    ctx.gates_h = gates_h = _Gates([act], ctx.dtype)
    pre = None
    if gates_zr.pre is not None or gates_h.pre is not None:
        ones = xp.ones(3, ctx.dtype)
        zr_pre = ones[:2] if gates_zr.pre is None else gates_zr.pre
        pre = xp.concatenate([zr_pre, ones[:1] if gates_h.pre is None else gates_h.pre])
    ctx.pre_h = gates_h.pre  # None when the candidate's activation is not sigmoid
    b_in, b_rec = bias, None
    if bias is not None and reset_after:
        b_in, b_rec = bias
    if b_rec is not None:  # b_rec's z and r parts add up with b_in's; its h part is gated by r
        b_in = b_in + xp.concatenate([b_rec[: 2 * U], xp.zeros(U, b_rec.dtype)])
        b_rec = b_rec[2 * U :] if pre is None else b_rec[2 * U :] * pre[2]
    A, R4 = _gate_inputs(ctx, 3, kernel, recurrent_kernel, b_in, pre)
    ctx.A = A.transpose(1, 0, 2, 3)
    z_, r_, hh_ = ctx.A
    # reset_after: r multiplies h U_h + b_hh, kept for backward; else r h_m, kept likewise
    ctx.S = S = xp.empty_like(H[1:])
    hr = xp.empty((3 if reset_after else 2, ctx.B, U), ctx.dtype)
    tmp, hm = xp.empty_like(H[0]), xp.empty_like(H[0])
    matmul, multiply, rm, keep = xp.matmul, xp.multiply, ctx.rmask, ctx.keep
    for t in range(ctx.T):
        h, zr, cand = H[t], A[t, :2], A[t, 2:]
        h_in = h if rm is None else multiply(h, rm, out=hm)
        if reset_after:
            matmul(h_in, R4, out=hr)
            zr += hr[:2]
            gates_zr(zr)
            if b_rec is None:
                S[t] = hr[2]
            else:
                xp.add(hr[2], b_rec, out=S[t])
            cand += multiply(r_[t], S[t], out=tmp)
        else:
            zr += matmul(h_in, R4[:2], out=hr)
            gates_zr(zr)
            cand += matmul(multiply(r_[t], h_in, out=S[t]), R4[2], out=tmp)
        gates_h(cand)
        h_new = xp.subtract(h, hh_[t], out=H[t + 1])  # h = z h_{t-1} + (1 - z) hh
        h_new *= z_[t]
        h_new += hh_[t]
        if keep is not None:
            xp.copyto(h_new, h, where=keep[t])
    return H


def _gru_backward(ctx, g_seq, g_h):
    z_, r_, hh_ = ctx.A
    H, rm = ctx.H, ctx.rmask
    dzr = ctx.gates_zr.derivative(ctx.A[:2])
    dhh = 1 - z_  # d pre-activation of the candidate = dh (1 - z) act'(hh)
    dhh *= ctx.gates_h.derivative(ctx.A[2:])[0]
    dzz = dzr[0]  # dz_z = dh (h_{t-1} - hh) sigmoid'(z)
    dzz *= H[:-1] - hh_
    carry = z_ if ctx.mask is None else xp.where(ctx.mask, z_, 1)  # dh_{t-1} gets dh z
    R4T = xp.ascontiguousarray(ctx.R4.transpose(0, 2, 1))
    dh_rec = _init_grad(g_h, (ctx.B, ctx.U), ctx.dtype)
    dh, tmp = xp.empty_like(dh_rec), xp.empty_like(dh_rec)
    matmul, multiply = xp.matmul, xp.multiply
    if ctx.reset_after:
        # gates [x part of dz_h, dz_z, dz_r, recurrent part of dz_h], each dh times a factor:
        # the last three are the gradient of h U + b_hh, the first three of x W + b
        D = xp.empty((4, *dhh.shape), ctx.dtype)
        D[0], D[1] = dhh, dzz
        s = ctx.S if ctx.pre_h is None else ctx.S / ctx.pre_h  # S was computed prescaled
        multiply(dhh, s, out=D[2])
        D[2] *= dzr[1]
        multiply(dhh, r_, out=D[3])
        if ctx.mask is not None:
            D *= ctx.mask
        hr = xp.empty_like(D[1:, 0])
        for t in range(ctx.T - 1, -1, -1):
            xp.add(dh_rec, g_seq[t], out=dh)
            multiply(dh, D[:, t], out=D[:, t])
            xp.add.reduce(matmul(D[1:, t], R4T, out=hr), axis=0, out=dh_rec)
            if rm is not None:
                dh_rec *= rm
            dh_rec += multiply(dh, carry[t], out=tmp)
        dx, dW, db_in = _input_grads(ctx, D[:3], order=(2, 0, 1))
        dR, db_rec = _recurrent_grads(ctx, D[1:], bias=True)
        db = xp.stack([db_in, db_rec])
    else:
        D = xp.empty((3, *dhh.shape), ctx.dtype)  # dz_z, dz_r, dz_h
        D[0], D[2] = dzz, dhh
        dr = dzr[1]  # dz_r = (dz_h U_h^T) h_m sigmoid'(r)
        dr *= H[:-1] if rm is None else H[:-1] * rm
        if ctx.mask is not None:
            D *= ctx.mask
            dr *= ctx.mask
        hr, drh = xp.empty_like(D[:2, 0]), xp.empty_like(dh)
        for t in range(ctx.T - 1, -1, -1):
            xp.add(dh_rec, g_seq[t], out=dh)
            multiply(dh, D[::2, t], out=D[::2, t])
            matmul(D[2, t], R4T[2], out=drh)  # d (r h_m)
            multiply(drh, dr[t], out=D[1, t])
            xp.add.reduce(matmul(D[:2, t], R4T[:2], out=hr), axis=0, out=dh_rec)
            dh_rec += multiply(drh, r_[t], out=tmp)
            if rm is not None:
                dh_rec *= rm
            dh_rec += multiply(dh, carry[t], out=tmp)
        dx, dW, db = _input_grads(ctx, D)
        dR_zr = _recurrent_grads(ctx, D[:2])
        dR_h = ctx.S.reshape(-1, ctx.U).T @ D[2].reshape(-1, ctx.U)
        dR = xp.concatenate([dR_zr, dR_h], axis=1)
    return dx, dh_rec, dW, dR, db


# ----- the Functions: whole sequences (batch-major) and single steps -----
def _time_major(x):
    return xp.ascontiguousarray(x.transpose(1, 0, 2))


def _batch_major(dx):
    return dx.transpose(1, 0, 2)


def _sequence_output(ctx, states, finals, zero_output):
    """(B, T + len(finals), U): the outputs at every step, then the final states (h, and c for
    an LSTM), from ``states`` (B, T, U). Outputs are the states, or 0 at masked steps with
    ``zero_output``."""
    T = ctx.T
    ctx.zero_output = zero_output and ctx.mask is not None
    out = xp.empty((ctx.B, T + len(finals), ctx.U), ctx.dtype)
    if ctx.zero_output:
        xp.multiply(states, _batch_major(ctx.mask), out=out[:, :T])
    else:
        out[:, :T] = states
    for k, final in enumerate(finals):
        out[:, T + k] = final
    return out


def _sequence_grads(ctx, grad):
    """The gradient of the state sequence (time-major) and of each final state."""
    T = ctx.T
    g_seq = grad[:, :T].transpose(1, 0, 2)
    if ctx.zero_output:
        g_seq = g_seq * ctx.mask
    return g_seq, [grad[:, k] for k in range(T, grad.shape[1])]


class SimpleRNNSequence(Function):
    """``simple_rnn`` as one node; output (B, T + 1, U): h_1..h_T, then the final state."""

    def forward(self, x, h0, kernel, recurrent_kernel, bias=None, zero_output=False, **config):
        H = _rnn_forward(self, _time_major(x), h0, kernel, recurrent_kernel, bias, **config)
        return _sequence_output(self, _batch_major(H[1:]), (H[-1],), zero_output)

    def backward(self, grad):
        g_seq, (g_h,) = _sequence_grads(self, grad)
        dx, dh0, dW, dR, db = _rnn_backward(self, g_seq, g_h)
        return _batch_major(dx), dh0, dW, dR, db


class LSTMSequence(Function):
    """``lstm`` as one node; output (B, T + 2, U): h_1..h_T, then the final h and c."""

    def forward(self, x, h0, c0, kernel, recurrent_kernel, bias=None, zero_output=False, **config):
        xs = x.transpose(1, 0, 2)
        H, C = _lstm_forward(self, xs, h0, c0, kernel, recurrent_kernel, bias, **config)
        states = H[1:].transpose(2, 0, 1)
        return _sequence_output(self, states, (H[-1].T, C[-1].T), zero_output)

    def backward(self, grad):
        g_seq, (g_h, g_c) = _sequence_grads(self, grad)
        if g_seq[:-1].any():
            G = xp.ascontiguousarray(g_seq.transpose(0, 2, 1), dtype=self.dtype)
        else:  # only h_T is used (many-to-one): its output is the final h, skip the sequence
            G, g_h = None, g_seq[-1] if g_h is None else g_h + g_seq[-1]
        need_dx = _needs_grad(self, 0)
        dx, dh0, dc0, dW, dR, db = _lstm_backward(self, G, g_h, g_c, need_dx)
        return None if dx is None else _batch_major(dx), dh0, dc0, dW, dR, db


class GRUSequence(Function):
    """``gru`` as one node; output (B, T + 1, U): h_1..h_T, then the final state."""

    def forward(self, x, h0, kernel, recurrent_kernel, bias=None, zero_output=False, **config):
        H = _gru_forward(self, _time_major(x), h0, kernel, recurrent_kernel, bias, **config)
        return _sequence_output(self, _batch_major(H[1:]), (H[-1],), zero_output)

    def backward(self, grad):
        g_seq, (g_h,) = _sequence_grads(self, grad)
        dx, dh0, dW, dR, db = _gru_backward(self, g_seq, g_h)
        return _batch_major(dx), dh0, dW, dR, db


class SimpleRNNStep(Function):
    """``simple_rnn_cell``: the recurrence of ``simple_rnn`` run for one step."""

    def forward(self, x, h, kernel, recurrent_kernel, bias=None, **config):
        return _rnn_forward(self, x[None], h, kernel, recurrent_kernel, bias, **config)[1]

    def backward(self, grad):
        dx, dh, dW, dR, db = _rnn_backward(self, grad[None], None)
        return dx[0], dh, dW, dR, db


class LSTMStep(Function):
    """``lstm_cell``: one step of ``lstm``; output (B, 2U) holding [h | c]."""

    def forward(self, x, h, c, kernel, recurrent_kernel, bias=None, **config):
        H, C = _lstm_forward(self, x[None], h, c, kernel, recurrent_kernel, bias, **config)
        return xp.concatenate([H[1].T, C[1].T], axis=1)

    def backward(self, grad):
        U = self.U
        G = xp.ascontiguousarray(grad[:, :U].T, dtype=self.dtype)[None]
        dx, dh, dc, dW, dR, db = _lstm_backward(self, G, None, grad[:, U:])
        return dx[0], dh, dc, dW, dR, db


class GRUStep(Function):
    """``gru_cell``: one step of ``gru``."""

    def forward(self, x, h, kernel, recurrent_kernel, bias=None, **config):
        return _gru_forward(self, x[None], h, kernel, recurrent_kernel, bias, **config)[1]

    def backward(self, grad):
        dx, dh, dW, dR, db = _gru_backward(self, grad[None], None)
        return dx[0], dh, dW, dR, db


# ----- argument checks, once per call at the boundary -----
def _shape(a):
    return None if a is None else tuple(a.shape)


def _data(a):
    return a.data if isinstance(a, Tensor) else a


def _prepare(
    who,
    x,
    kernel,
    recurrent_kernel,
    bias,
    gates,
    states,
    bias_rows=None,
    mask=None,
    recurrent_mask=None,
    step=False,
    **activations,
):
    """Validate the arguments, naming the shapes; return x as a tensor and the Function's
    keyword arguments (activation names, masks as arrays)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    config = {arg: _activation(name, who, arg) for arg, name in activations.items()}
    xs, ks, rs = x.shape, _shape(kernel), _shape(recurrent_kernel)
    if len(xs) != (2 if step else 3):
        layout = "(batch, features)" if step else "(batch, time, features)"
        raise ValueError(f"{who}: x must have shape {layout}, got {xs}")
    if len(rs) != 2 or rs[1] != gates * rs[0]:
        cols = "units" if gates == 1 else f"{gates} * units"
        raise ValueError(f"{who}: recurrent_kernel of shape {rs} must be (units, {cols})")
    if len(ks) != 2 or ks[1] != rs[1]:
        raise ValueError(
            f"{who}: kernel of shape {ks} must be (features, {rs[1]}) to match the "
            f"recurrent_kernel of shape {rs}"
        )
    if ks[0] != xs[-1]:
        raise ValueError(
            f"{who}: kernel of shape {ks} expects {ks[0]} input features, got x of shape {xs}"
        )
    batch, units = xs[0], rs[0]
    bias_shape = (rs[1],) if bias_rows is None else (bias_rows, rs[1])
    if bias is not None and _shape(bias) != bias_shape:
        raise ValueError(
            f"{who}: bias of shape {_shape(bias)} must be {bias_shape} for {units} units"
        )
    for name, s in states.items():
        if s is not None and _shape(s) != (batch, units):
            raise ValueError(
                f"{who}: {name} of shape {_shape(s)} must be (batch, units) = {(batch, units)}"
            )
    if mask is not None:
        m = xp.asarray(_data(mask)).astype(bool, copy=False)
        if m.shape != xs[:2]:
            raise ValueError(f"{who}: mask of shape {m.shape} must be (batch, time) = {xs[:2]}")
        config["mask"] = None if m.all() else xp.ascontiguousarray(m.T)[:, :, None]
    if recurrent_mask is not None:
        rm = xp.asarray(_data(recurrent_mask))
        if rm.ndim > 2 or any(
            n not in (1, size) for n, size in zip(rm.shape[::-1], (units, batch))
        ):
            raise ValueError(
                f"{who}: recurrent_mask of shape {rm.shape} must broadcast to (batch, units) = "
                f"{(batch, units)}"
            )
        config["recurrent_mask"] = rm
    return x, config


# ----- public ops -----
def simple_rnn(
    x,
    h0,
    kernel,
    recurrent_kernel,
    bias=None,
    *,
    activation="tanh",
    mask=None,
    recurrent_mask=None,
    zero_output_for_mask: bool = False,
    return_state: bool = False,
):
    """A fully-connected RNN over ``x`` (batch, time, features); returns ``h_seq`` (B, T, U).

        h_t = act(x_t W + (h_{t-1} * recurrent_mask) U + b)

    ``kernel`` W (F, U), ``recurrent_kernel`` U (U, U), ``bias`` b (U,) or None; ``h0`` (B, U) or
    None (zeros). PyTorch's ``nn.RNN``: W = weight_ih.T, U = weight_hh.T, b = b_ih + b_hh.

    ``mask`` (B, T) bool: where False the state is carried over (h_t = h_{t-1}) and the output
    is h_{t-1}, or 0 with ``zero_output_for_mask``. ``recurrent_mask`` (B, U), already scaled,
    multiplies h_{t-1} in the recurrent matmul (Keras's recurrent dropout). ``activation``: one
    of ``ACTIVATIONS`` (None is linear). ``return_state=True`` returns ``(h_seq, h_last)``,
    h_last the final state (which differs from h_seq[:, -1] with ``zero_output_for_mask``).

    >>> import numpy as np
    >>> h = simple_rnn(np.ones((1, 3, 1)), None, np.ones((1, 1)), np.zeros((1, 1)),
    ...                activation="relu")
    >>> h.tolist()
    [[[1.0], [1.0], [1.0]]]
    """
    x, config = _prepare(
        "simple_rnn",
        x,
        kernel,
        recurrent_kernel,
        bias,
        1,
        {"h0": h0},
        mask=mask,
        recurrent_mask=recurrent_mask,
        activation=activation,
    )
    out = SimpleRNNSequence.apply(
        x, h0, kernel, recurrent_kernel, bias, zero_output=zero_output_for_mask, **config
    )
    T = x.shape[1]
    return (out[:, :T], out[:, T]) if return_state else out[:, :T]


def lstm(
    x,
    h0,
    c0,
    kernel,
    recurrent_kernel,
    bias=None,
    *,
    activation="tanh",
    recurrent_activation="sigmoid",
    mask=None,
    recurrent_mask=None,
    zero_output_for_mask: bool = False,
    return_state: bool = False,
):
    """An LSTM over ``x`` (batch, time, features); returns ``(h_seq, c_last)``: (B, T, U), (B, U).

    Gates in Keras's order i, f, g (the candidate), o along the 4U columns of ``kernel`` W
    (F, 4U), ``recurrent_kernel`` U (U, 4U) and ``bias`` b (4U,) or None; with
    z = x_t W + (h_{t-1} * recurrent_mask) U + b, sigma = ``recurrent_activation``:

        i = sigma(z_i),  f = sigma(z_f),  g = act(z_g),  o = sigma(z_o)
        c_t = f c_{t-1} + i g,  h_t = o act(c_t)

    PyTorch's ``nn.LSTM`` uses the same gate order: W = weight_ih.T, U = weight_hh.T,
    b = b_ih + b_hh. ``h0``/``c0`` (B, U) or None (zeros). ``mask`` and ``recurrent_mask`` as
    in ``simple_rnn``; at a masked step both h and c are carried. ``return_state=True``
    returns ``(h_seq, h_last, c_last)``.

    >>> import numpy as np
    >>> h, c = lstm(np.zeros((2, 4, 3)), None, np.ones((2, 5)), np.zeros((3, 20)),
    ...             np.zeros((5, 20)))
    >>> round(float(c[0, 0]), 4)                             # f = 0.5 at every step
    0.0625
    """
    x, config = _prepare(
        "lstm",
        x,
        kernel,
        recurrent_kernel,
        bias,
        4,
        {"h0": h0, "c0": c0},
        mask=mask,
        recurrent_mask=recurrent_mask,
        activation=activation,
        recurrent_activation=recurrent_activation,
    )
    out = LSTMSequence.apply(
        x, h0, c0, kernel, recurrent_kernel, bias, zero_output=zero_output_for_mask, **config
    )
    T = x.shape[1]
    h_seq, c_last = out[:, :T], out[:, T + 1]
    return (h_seq, out[:, T], c_last) if return_state else (h_seq, c_last)


def gru(
    x,
    h0,
    kernel,
    recurrent_kernel,
    bias=None,
    *,
    reset_after: bool = True,
    activation="tanh",
    recurrent_activation="sigmoid",
    mask=None,
    recurrent_mask=None,
    zero_output_for_mask: bool = False,
    return_state: bool = False,
):
    """A GRU over ``x`` (batch, time, features); returns ``h_seq`` (B, T, U).

    Gates in Keras's order z (update), r (reset), h (candidate) along the 3U columns of
    ``kernel`` W (F, 3U) and ``recurrent_kernel`` U (U, 3U); h_m = h_{t-1} * recurrent_mask:

        z = sigma(x W_z + h_m U_z + b_z),  r = sigma(x W_r + h_m U_r + b_r)
        reset_after=True:  hh = act(x W_h + b_h + r (h_m U_h + b'_h)),  bias (2, 3U) = [b; b']
        reset_after=False: hh = act(x W_h + (r h_m) U_h + b_h),          bias (3U,) = b
        h_t = z h_{t-1} + (1 - z) hh

    ``reset_after=True`` (Keras's default) is PyTorch's ``nn.GRU``, whose gate order is r, z, n:
    W = weight_ih.T with the first two column blocks swapped (likewise U), and the bias rows are
    b_ih and b_hh swapped the same way. ``mask``, ``recurrent_mask`` and ``return_state`` as in
    ``simple_rnn``.

    >>> import numpy as np
    >>> h = gru(np.zeros((1, 2, 1)), np.ones((1, 1)), np.zeros((1, 3)), np.zeros((1, 3)))
    >>> h.tolist()                                           # z = 0.5, hh = 0
    [[[0.5], [0.25]]]
    """
    x, config = _prepare(
        "gru",
        x,
        kernel,
        recurrent_kernel,
        bias,
        3,
        {"h0": h0},
        bias_rows=2 if reset_after else None,
        mask=mask,
        recurrent_mask=recurrent_mask,
        activation=activation,
        recurrent_activation=recurrent_activation,
    )
    out = GRUSequence.apply(
        x,
        h0,
        kernel,
        recurrent_kernel,
        bias,
        reset_after=bool(reset_after),
        zero_output=zero_output_for_mask,
        **config,
    )
    T = x.shape[1]
    return (out[:, :T], out[:, T]) if return_state else out[:, :T]


def simple_rnn_cell(
    x_t, h, kernel, recurrent_kernel, bias=None, activation="tanh", *, recurrent_mask=None
):
    """One step of ``simple_rnn``: x_t (B, F), h (B, U) -> h_new (B, U)."""
    x_t, config = _prepare(
        "simple_rnn_cell",
        x_t,
        kernel,
        recurrent_kernel,
        bias,
        1,
        {"h": h},
        recurrent_mask=recurrent_mask,
        step=True,
        activation=activation,
    )
    return SimpleRNNStep.apply(x_t, h, kernel, recurrent_kernel, bias, **config)


def lstm_cell(
    x_t,
    h,
    c,
    kernel,
    recurrent_kernel,
    bias=None,
    activation="tanh",
    recurrent_activation="sigmoid",
    *,
    recurrent_mask=None,
):
    """One step of ``lstm``: x_t (B, F), h and c (B, U) -> (h_new, c_new)."""
    x_t, config = _prepare(
        "lstm_cell",
        x_t,
        kernel,
        recurrent_kernel,
        bias,
        4,
        {"h": h, "c": c},
        recurrent_mask=recurrent_mask,
        step=True,
        activation=activation,
        recurrent_activation=recurrent_activation,
    )
    out = LSTMStep.apply(x_t, h, c, kernel, recurrent_kernel, bias, **config)
    units = recurrent_kernel.shape[0]
    return out[:, :units], out[:, units:]


def gru_cell(
    x_t,
    h,
    kernel,
    recurrent_kernel,
    bias=None,
    reset_after=True,
    activation="tanh",
    recurrent_activation="sigmoid",
    *,
    recurrent_mask=None,
):
    """One step of ``gru``: x_t (B, F), h (B, U) -> h_new (B, U)."""
    x_t, config = _prepare(
        "gru_cell",
        x_t,
        kernel,
        recurrent_kernel,
        bias,
        3,
        {"h": h},
        bias_rows=2 if reset_after else None,
        recurrent_mask=recurrent_mask,
        step=True,
        activation=activation,
        recurrent_activation=recurrent_activation,
    )
    return GRUStep.apply(
        x_t, h, kernel, recurrent_kernel, bias, reset_after=bool(reset_after), **config
    )
