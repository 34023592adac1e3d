"""Convolutions, channels-last as in Keras: ``conv1d``, ``conv2d``, ``conv2d_transpose``,
``conv1d_transpose``, ``depthwise_conv1d``/``depthwise_conv2d`` and
``separable_conv1d``/``separable_conv2d``.

Inputs are ``(batch, width, channels)`` or ``(batch, height, width, channels)``; kernels have the
Keras layout ``(kw, in, out)`` / ``(kh, kw, in, out)`` (transposed convolutions:
``(kh, kw, out, in)``). ``padding`` is ``"valid"`` (none) or ``"same"`` (TensorFlow's rule: the
output has ``ceil(size / stride)`` positions and any odd padding goes to the end), and
``"causal"`` for ``conv1d``. Every op is one fused node: the bias is added inside it, and its
backward skips the gradients of inputs that do not need one (a first layer's images).

The forward pass of ``conv`` is im2col + one GEMM: a strided view of the padded input holding
every ``(kh, kw, in)`` window, copied once into a ``(N * Ho * Wo, kh * kw * in)`` matrix and
multiplied by the kernel reshaped to ``(kh * kw * in, out)``. See docs/conv.md for the backward
passes, and ``lamina.backend.keep_freed_heap`` for the allocator setting that keeps them fast.

>>> import lamina
>>> x = lamina.tensor([[[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]]]])  # (1, 2, 3, 1)
>>> k = lamina.tensor([[[[1.0]], [[1.0]]]])  # (1, 2, 1, 1): sums horizontal pairs
>>> conv2d(x, k).shape, conv2d(x, k)[0, :, :, 0].tolist()
((1, 2, 2, 1), [[3.0, 5.0], [9.0, 11.0]])
"""

from __future__ import annotations

import numbers

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp

PADDINGS = ("valid", "same")
# below this many channels, im2col copies one kernel offset at a time (a contiguous run of
# kw * C values is too short for one big strided copy to be efficient)
_LOOP_IM2COL_CHANNELS = 8


# ----- geometry (shared with pooling) -----
def normalize_tuple(value, rank: int, name: str, allow_zero: bool = False) -> tuple:
    """``3`` -> ``(3, 3)``; a sequence of ``rank`` positive integers is returned as a tuple."""
    try:
        values = (value,) * rank if isinstance(value, numbers.Integral) else tuple(value)
    except TypeError:  # neither an int nor a sequence
        values = ()
    low = 0 if allow_zero else 1
    if len(values) != rank or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= low for v in values
    ):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"{name} must be a {kind} integer or a tuple of {rank} of them, got {value!r}"
        )
    return tuple(int(v) for v in values)  # NumPy integers as Python ints: JSON configs


def normalize_padding(padding, allow_causal: bool = False) -> str:
    """Lower-case ``padding`` and check it names a supported mode."""
    options = PADDINGS + (("causal",) if allow_causal else ())
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in options:
        raise ValueError(f"padding must be one of {options}, got {padding!r}")
    return mode


def conv_output_length(length, kernel_size, stride, padding, dilation=1):
    """Output positions of a convolution (or pooling) window along one axis; None stays None.

    >>> conv_output_length(28, 3, 1, "valid"), conv_output_length(28, 3, 2, "same")
    (26, 14)
    """
    if length is None:
        return None
    span = (kernel_size - 1) * dilation + 1
    if padding in ("same", "causal"):
        return -(-length // stride)
    return (length - span) // stride + 1 if length >= span else 0


def conv_transpose_output_length(
    length, kernel_size, stride, padding, output_padding=None, dilation=1
):
    """Output positions of a transposed convolution along one axis (Keras's rule).

    >>> [conv_transpose_output_length(7, 3, 2, padding) for padding in ("same", "valid")]
    [14, 15]
    """
    if length is None:
        return None
    span = (kernel_size - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return (length - 1) * stride + max(span, stride)
        return length * stride
    if padding == "valid":
        return (length - 1) * stride + span + output_padding
    return (length - 1) * stride + span % 2 + output_padding


def _pads(length, kernel_size, stride, dilation, padding):
    """``(output length, pad before, pad after)`` along one axis."""
    span = (kernel_size - 1) * dilation + 1
    out = conv_output_length(length, kernel_size, stride, padding, dilation)
    if padding == "valid":
        return out, 0, 0
    if padding == "causal":  # Keras: the whole span before, so position t sees only <= t
        return out, span - 1, 0
    total = max((out - 1) * stride + span - length, 0)
    return out, total // 2, total - total // 2


def geometry(spatial, kernel, strides, dilation, padding, what="conv"):
    """Output sizes and ``((top, bottom), (left, right))`` pads for a 2-D window op."""
    outs, pads = [], []
    for size, k, s, d in zip(spatial, kernel, strides, dilation, strict=True):
        out, before, after = _pads(size, k, s, d, padding)
        if out < 1:
            raise ValueError(
                f"{what}: input of spatial shape {tuple(spatial)} is smaller than the window "
                f"{tuple(kernel)} (dilation {tuple(dilation)}) with padding {padding!r}: use "
                "padding='same' or a larger input"
            )
        outs.append(out)
        pads.append((before, after))
    return tuple(outs), tuple(pads)


def pad2d(x, pads, value=0.0):
    """``x`` (N, H, W, C) padded on its spatial axes; ``x`` itself when there is nothing to pad."""
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    out = xp.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    out[:, top : top + h, left : left + w] = x
    return out


def offset_view(x, i, j, out_shape, strides):
    """The values that kernel offset ``(i, j)`` (in padded pixels) meets at every output position:
    ``x[:, i + a * sh, j + b * sw]`` for all ``(a, b)``, a strided view."""
    (ho, wo), (sh, sw) = out_shape, strides
    return x[:, i : i + (ho - 1) * sh + 1 : sh, j : j + (wo - 1) * sw + 1 : sw]


def _im2col(x, kernel, out_shape, strides, dilation, ones=False):
    """Every window of ``x`` (N, H, W, C), as a ``(N * Ho * Wo, kh * kw * C)`` matrix whose
    columns are ordered like the kernel's ``(kh, kw, C)`` axes; with ``ones``, a last column of
    ones (so that a bias row appended to the kernel is added by the GEMM).

    Few channels (a first layer's images): the matrix is built transposed, one kernel offset
    per contiguous row (3.5x faster for C = 1 than scattering single values across rows), and
    returned as a Fortran-ordered view, which BLAS reads without a copy.
    """
    n, _, _, c = x.shape
    (kh, kw), (ho, wo), (sh, sw), (dh, dw) = kernel, out_shape, strides, dilation
    k, m = kh * kw * c, n * ho * wo
    width = k + 1 if ones else k
    if c < _LOOP_IM2COL_CHANNELS:
        cols_t = xp.empty((width, m), dtype=x.dtype)
        target = cols_t[:k].reshape(kh, kw, c, n, ho, wo)
        for i in range(kh):
            for j in range(kw):
                view = offset_view(x, i * dh, j * dw, out_shape, strides)
                target[i, j] = view.transpose(3, 0, 1, 2)
        cols = cols_t.T
    else:  # one strided view holding every window, copied at once
        cols = xp.empty((m, width), dtype=x.dtype)
        sn, sy, sx, sc = x.strides
        cols.reshape(n, ho, wo, width)[..., :k].reshape(n, ho, wo, kh, kw, c)[...] = (
            xp.lib.stride_tricks.as_strided(
                x, (n, ho, wo, kh, kw, c), (sn, sy * sh, sx * sw, sy * dh, sx * dw, sc)
            )
        )
    if ones:
        cols[:, k] = 1
    return cols


def _col2im_gemm(g2, kernel_t, canvas_shape, out_shape, strides, dilation):
    """The adjoint of ``im2col @ kernel``: ``sum over offsets (i, j) of g2 @ kernel_t[i, j]``
    scattered onto a zero canvas (N, Hp, Wp, C). One GEMM per kernel offset, each product then
    added into a strided slice of the canvas: cheaper than one GEMM to a (M, kh * kw * C)
    matrix followed by nine strided adds, because each product is contiguous."""
    kh, kw = kernel_t.shape[:2]
    n, _, _, c = canvas_shape
    ho, wo = out_shape
    if tuple(strides) == (1, 1):  # offset (0, 0) covers the block [:ho, :wo]: assign it first
        canvas = xp.empty(canvas_shape, dtype=g2.dtype)
        canvas[:, ho:] = 0
        canvas[:, :ho, wo:] = 0
    else:
        canvas = xp.zeros(canvas_shape, dtype=g2.dtype)
    for i in range(kh):
        for j in range(kw):
            view = offset_view(canvas, i * dilation[0], j * dilation[1], out_shape, strides)
            product = (g2 @ kernel_t[i, j]).reshape(n, ho, wo, c)
            if i == j == 0 and tuple(strides) == (1, 1):
                view[...] = product
            else:
                view += product
    return canvas


def _sum_rows(g2):
    """Column sums of a (M, F) matrix as one GEMV (several times faster than ``sum(axis=0)``)."""
    return xp.ones(g2.shape[0], dtype=g2.dtype) @ g2


def _needs_grad(node, i):
    return isinstance(node.inputs[i], Tensor) and node.inputs[i].requires_grad


def _check_bias(bias, channels, what):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ValueError(f"{what}: bias must have shape ({channels},), got {tuple(bias.shape)}")


def _as_2d(x, kernel, what, rank):
    """Views of a rank-1 input (N, W, C) and kernel (kw, ...) as rank 2: (N, 1, W, C) and
    (1, kw, ...)."""
    if x.ndim != rank + 2 or kernel.ndim != rank + 2:
        raise ValueError(
            f"{what} expects an input of rank {rank + 2} and a kernel of rank {rank + 2}, got "
            f"shapes {tuple(x.shape)} and {tuple(kernel.shape)}"
        )
    if rank == 1:
        return x[:, None], kernel[None]
    return x, kernel


# ----- ops -----
class Conv(Function):
    """y = act(im2col(pad(x)) @ [K; b]), for rank 1 or 2 (rank 1 runs as rank 2 with height 1).

    The bias is a last row of the GEMM's kernel matched by a column of ones in the im2col
    matrix, and ``activation="relu"`` is applied in place: one GEMM and no other pass over the
    output. Backward: g <- g * (y > 0) for relu; [dK; db] = cols^T g (one GEMM on the saved
    im2col matrix); dx = col2im(g K^T) cropped to x (skipped when x needs no gradient).

    The relu mask is skipped when the gradient received is exactly the array that a max pool
    of this output returned after masking it itself (``premasked``): had any other gradient
    been added to it, the engine would pass a new array, and the mask is applied as usual.
    """

    def forward(
        self,
        x,
        kernel,
        bias=None,
        strides=(1, 1),
        padding="valid",
        dilation=(1, 1),
        activation=None,
    ):
        self.x_shape, self.k_shape = x.shape, kernel.shape
        x4, k4 = _as_2d(x, kernel, "conv", len(strides))
        strides, dilation = (1, *strides)[-2:], (1, *dilation)[-2:]
        n, h, w, c = x4.shape
        kh, kw, kc, f = k4.shape
        if kc != c:
            raise ValueError(
                f"conv: input of shape {tuple(x.shape)} has {c} channels, but the kernel of "
                f"shape {tuple(kernel.shape)} expects {kc}"
            )
        _check_bias(bias, f, "conv")
        out_shape, pads = geometry((h, w), (kh, kw), strides, dilation, padding)
        xpad = pad2d(x4, pads)
        cols = _im2col(xpad, (kh, kw), out_shape, strides, dilation, ones=bias is not None)
        weights = k4.reshape(kh * kw * c, f)
        if bias is not None:
            weights = xp.concatenate(
                [weights, bias.reshape(1, f).astype(weights.dtype, copy=False)]
            )
        out = cols @ weights
        if activation == "relu":
            # against a row of zeros, not the scalar 0: NumPy vectorizes the array-array loop
            # (3x faster in cache), not the stride-0 one
            xp.maximum(out, xp.zeros(f, dtype=out.dtype), out=out)
        elif activation is not None:
            raise ValueError(f"conv: activation must be None or 'relu', got {activation!r}")
        self.cols, self.kernel, self.has_bias = cols, k4, bias is not None
        self.out = out if activation == "relu" else None
        self.premasked = None  # set by a max pool that already applied the ReLU mask
        self.geo = (xpad.shape, pads, out_shape, strides, dilation)
        return out.reshape(n, out_shape[1], f) if x.ndim == 3 else out.reshape(n, *out_shape, f)

    def backward(self, grad):
        f = self.kernel.shape[-1]
        g2 = grad.reshape(-1, f)
        if self.out is not None and grad is not self.premasked:
            g2 = g2 * (self.out > 0).astype(g2.dtype)  # the fused relu's derivative
        self.premasked = None
        gk = gb = gx = None
        if _needs_grad(self, 1) or (self.has_bias and _needs_grad(self, 2)):
            both = self.cols.T @ g2  # (kh * kw * C [+ 1], F)
            if self.has_bias:
                gb = both[-1]
                both = both[:-1]
            gk = both.reshape(self.k_shape)
        if _needs_grad(self, 0):
            padded, pads, out_shape, strides, dilation = self.geo
            kernel_t = self.kernel.transpose(0, 1, 3, 2)  # (kh, kw, F, C)
            canvas = _col2im_gemm(g2, kernel_t, padded, out_shape, strides, dilation)
            (top, _), (left, _) = pads
            h, w = self.x_shape[1:-1] if len(self.x_shape) == 4 else (1, self.x_shape[1])
            gx = canvas[:, top : top + h, left : left + w].reshape(self.x_shape)
        return gx, gk, gb


class ConvTranspose(Function):
    """The adjoint of ``Conv`` w.r.t. its input, for a kernel ``(kh, kw, out, in)``:
    y = crop(col2im(x K^T)) + b;  dx = im2col(pad(g)) @ K (one GEMM);  dK = im2col(pad(g))^T x.

    ``output_shape`` (spatial) and ``pads`` (the crop from the full transposed output) follow
    TensorFlow: "same" crops ``max(full - out, 0) // 2`` at the start.
    """

    def forward(
        self,
        x,
        kernel,
        bias=None,
        strides=(1, 1),
        padding="valid",
        output_padding=None,
        dilation=(1, 1),
    ):
        rank = len(strides)
        self.x_shape, self.k_shape = x.shape, kernel.shape
        x4, k4 = _as_2d(x, kernel, "conv_transpose", rank)
        strides, dilation = (1, *strides)[-2:], (1, *dilation)[-2:]
        if output_padding is not None:
            output_padding = (0, *output_padding)[-2:]
        n, h, w, c = x4.shape
        kh, kw, f, kc = k4.shape
        if kc != c:
            raise ValueError(
                f"conv_transpose: input of shape {tuple(x.shape)} has {c} channels, but the "
                f"kernel of shape {tuple(kernel.shape)} (kh, kw, out, in) expects {kc}"
            )
        _check_bias(bias, f, "conv_transpose")
        out_shape, starts, canvas = [], [], []
        for i, (size, k, s, d) in enumerate(zip((h, w), (kh, kw), strides, dilation)):
            op = None if output_padding is None else output_padding[i]
            length = conv_transpose_output_length(size, k, s, padding, op, d)
            full = (size - 1) * s + (k - 1) * d + 1
            start = max(full - length, 0) // 2 if padding == "same" else 0
            out_shape.append(length)
            starts.append(start)
            canvas.append(max(full, start + length))
        x2 = x4.reshape(n * h * w, c)
        kernel_t = k4.transpose(0, 1, 3, 2)  # (kh, kw, in, out)
        ypad = _col2im_gemm(x2, kernel_t, (n, *canvas, f), (h, w), strides, dilation)
        (t, le), (ho, wo) = starts, out_shape
        y = ypad[:, t : t + ho, le : le + wo]
        y = y + bias if bias is not None else xp.ascontiguousarray(y)
        self.x2, self.kernel, self.has_bias = x2, k4, bias is not None
        self.geo = (canvas, starts, out_shape, strides, dilation)
        return y.reshape(n, wo, f) if rank == 1 else y

    def backward(self, grad):
        canvas, (t, le), (ho, wo), strides, dilation = self.geo
        kh, kw, f, c = self.kernel.shape
        n = self.x_shape[0]
        h, w = self.x_shape[1:-1] if len(self.x_shape) == 4 else (1, self.x_shape[1])
        g4 = grad.reshape(n, ho, wo, f)
        gpad = pad2d(g4, ((t, canvas[0] - t - ho), (le, canvas[1] - le - wo)))
        cols = _im2col(gpad, (kh, kw), (h, w), strides, dilation)  # (N*H*W, kh*kw*F)
        gx = None
        if _needs_grad(self, 0):
            gx = (cols @ self.kernel.reshape(kh * kw * f, c)).reshape(self.x_shape)
        gk = (cols.T @ self.x2).reshape(self.k_shape) if _needs_grad(self, 1) else None
        gb = _sum_rows(g4.reshape(-1, f)) if self.has_bias else None
        return gx, gk, gb


class DepthwiseConv(Function):
    """Each input channel c convolved with its own ``depth_multiplier`` filters:
    y[..., c * M + m] = sum_{i, j} x_offset(i, j)[..., c] K[i, j, c, m] + b[c * M + m].
    A loop over the kh * kw kernel offsets of whole-array products (no GEMM fits this op);
    the backward reverses each step.
    """

    def forward(self, x, kernel, bias=None, strides=(1, 1), padding="valid", dilation=(1, 1)):
        self.x_shape, self.k_shape = x.shape, kernel.shape
        x4, k4 = _as_2d(x, kernel, "depthwise_conv", len(strides))
        strides, dilation = (1, *strides)[-2:], (1, *dilation)[-2:]
        n, h, w, c = x4.shape
        kh, kw, kc, m = k4.shape
        if kc != c:
            raise ValueError(
                f"depthwise_conv: input of shape {tuple(x.shape)} has {c} channels, but the "
                f"kernel of shape {tuple(kernel.shape)} expects {kc}"
            )
        _check_bias(bias, c * m, "depthwise_conv")
        out_shape, pads = geometry((h, w), (kh, kw), strides, dilation, padding)
        xpad = pad2d(x4, pads)
        out = xp.zeros((n, *out_shape, c, m), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                view = offset_view(xpad, i * dilation[0], j * dilation[1], out_shape, strides)
                out += view[..., None] * k4[i, j]
        out = out.reshape(n, *out_shape, c * m)
        if bias is not None:
            out += bias
        self.xpad, self.kernel, self.has_bias = xpad, k4, bias is not None
        self.geo = (pads, out_shape, strides, dilation)
        return out[:, 0] if x.ndim == 3 else out

    def backward(self, grad):
        pads, out_shape, strides, dilation = self.geo
        kh, kw, c, m = self.kernel.shape
        n = self.x_shape[0]
        g5 = grad.reshape(n, *out_shape, c, m)
        need_x, need_k = _needs_grad(self, 0), _needs_grad(self, 1)
        gxpad = xp.zeros(self.xpad.shape, dtype=grad.dtype) if need_x else None
        gk = xp.empty(self.kernel.shape, dtype=grad.dtype) if need_k else None
        for i in range(kh):
            for j in range(kw):
                oi, oj = i * dilation[0], j * dilation[1]
                if need_k:
                    view = offset_view(self.xpad, oi, oj, out_shape, strides)
                    gk[i, j] = xp.einsum("nhwc,nhwcm->cm", view, g5)
                if need_x:
                    gview = offset_view(gxpad, oi, oj, out_shape, strides)
                    gview += xp.einsum("nhwcm,cm->nhwc", g5, self.kernel[i, j])
        gx = None
        if need_x:
            (top, _), (left, _) = pads
            h, w = self.x_shape[1:-1] if len(self.x_shape) == 4 else (1, self.x_shape[1])
            gx = gxpad[:, top : top + h, left : left + w].reshape(self.x_shape)
        gb = _sum_rows(grad.reshape(-1, c * m)) if self.has_bias else None
        return gx, (None if gk is None else gk.reshape(self.k_shape)), gb


# ----- public functions -----
def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """1-D convolution of ``x`` (N, W, C_in) with ``kernel`` (kw, C_in, C_out), plus ``bias``
    (C_out,); ``padding`` "valid", "same" or "causal" (left padding only, for sequences).

    >>> import lamina
    >>> conv1d(lamina.tensor([[[1.0], [2.0], [4.0]]]), lamina.tensor([[[1.0]], [[-1.0]]])).tolist()
    [[[-1.0], [-2.0]]]
    """
    strides = normalize_tuple(strides, 1, "strides")
    dilation = normalize_tuple(dilation_rate, 1, "dilation_rate")
    padding = normalize_padding(padding, allow_causal=True)
    return Conv.apply(x, kernel, bias, strides=strides, padding=padding, dilation=dilation)


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """2-D convolution of ``x`` (N, H, W, C_in) with ``kernel`` (kh, kw, C_in, C_out), plus
    ``bias`` (C_out,). Output (N, Ho, Wo, C_out)."""
    strides = normalize_tuple(strides, 2, "strides")
    dilation = normalize_tuple(dilation_rate, 2, "dilation_rate")
    padding = normalize_padding(padding)
    return Conv.apply(x, kernel, bias, strides=strides, padding=padding, dilation=dilation)


def _conv_transpose(x, kernel, bias, strides, padding, output_padding, dilation_rate, rank):
    strides = normalize_tuple(strides, rank, "strides")
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate")
    padding = normalize_padding(padding)
    if output_padding is not None:
        output_padding = normalize_tuple(output_padding, rank, "output_padding", allow_zero=True)
        if any(p >= s for p, s in zip(output_padding, strides)):
            raise ValueError(
                f"output_padding {output_padding} must be smaller than strides {strides}"
            )
    return ConvTranspose.apply(
        x,
        kernel,
        bias,
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )


def conv1d_transpose(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1
):
    """Transposed 1-D convolution of ``x`` (N, W, C_in) with ``kernel`` (kw, C_out, C_in)."""
    return _conv_transpose(x, kernel, bias, strides, padding, output_padding, dilation_rate, 1)


def conv2d_transpose(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1
):
    """Transposed 2-D convolution (the gradient of ``conv2d`` w.r.t. its input) of ``x``
    (N, H, W, C_in) with ``kernel`` (kh, kw, C_out, C_in), as Keras's ``Conv2DTranspose``:
    the output is ``H * stride`` tall for "same" and ``(H - 1) * stride + max(kh, stride)`` for
    "valid" (with ``output_padding``: ``(H - 1) * stride + kh + output_padding`` for "valid",
    ``(H - 1) * stride + kh % 2 + output_padding`` for "same").

    >>> import lamina
    >>> x = lamina.tensor([[[[1.0]], [[2.0]]]])  # (1, 2, 1, 1)
    >>> k = lamina.tensor([[[[1.0]]], [[[1.0]]]])  # (2, 1, 1, 1): each pixel to 2 rows
    >>> conv2d_transpose(x, k, strides=2)[0, :, 0, 0].tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    return _conv_transpose(x, kernel, bias, strides, padding, output_padding, dilation_rate, 2)


def depthwise_conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """Depthwise 2-D convolution of ``x`` (N, H, W, C) with ``kernel`` (kh, kw, C, M): each
    channel gets its own M filters; output channel ``c * M + m``; ``bias`` of shape (C * M,)."""
    strides = normalize_tuple(strides, 2, "strides")
    dilation = normalize_tuple(dilation_rate, 2, "dilation_rate")
    padding = normalize_padding(padding)
    return DepthwiseConv.apply(x, kernel, bias, strides=strides, padding=padding, dilation=dilation)


def depthwise_conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """Depthwise 1-D convolution of ``x`` (N, W, C) with ``kernel`` (kw, C, M)."""
    strides = normalize_tuple(strides, 1, "strides")
    dilation = normalize_tuple(dilation_rate, 1, "dilation_rate")
    padding = normalize_padding(padding, allow_causal=True)
    return DepthwiseConv.apply(x, kernel, bias, strides=strides, padding=padding, dilation=dilation)


def separable_conv(
    x,
    depthwise_kernel,
    pointwise_kernel,
    bias=None,
    strides=(1, 1),
    padding="valid",
    dilation=(1, 1),
    activation=None,
):
    """The depthwise convolution (no bias), then the pointwise one (a 1x1 ``Conv`` with the bias
    and the optional fused relu): two nodes, no code of their own. Geometry already normalized
    (tuples of the rank's length), as the layers hold it."""
    depthwise = DepthwiseConv.apply(
        x, depthwise_kernel, None, strides=strides, padding=padding, dilation=dilation
    )
    ones = (1,) * len(strides)
    return Conv.apply(
        depthwise, pointwise_kernel, bias, strides=ones, padding="valid", dilation=ones,
        activation=activation,
    )  # fmt: skip


def separable_conv2d(
    x, depthwise_kernel, pointwise_kernel, bias=None, strides=1, padding="valid", dilation_rate=1
):
    """Depthwise separable 2-D convolution of ``x`` (N, H, W, C): ``depthwise_conv2d`` with
    ``depthwise_kernel`` (kh, kw, C, M) and the given geometry, then a 1x1 convolution with
    ``pointwise_kernel`` (1, 1, C * M, F) plus ``bias`` (F,), as Keras's ``SeparableConv2D``.

    >>> import numpy as np
    >>> x, dk, pk = np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 1)), np.ones((1, 1, 2, 3))
    >>> y = separable_conv2d(x, dk, pk, padding="same")
    >>> y.shape, y[0, 0, 0].tolist(), y[0, 1, 1].tolist()
    ((1, 4, 4, 3), [8.0, 8.0, 8.0], [18.0, 18.0, 18.0])
    """
    strides = normalize_tuple(strides, 2, "strides")
    dilation = normalize_tuple(dilation_rate, 2, "dilation_rate")
    padding = normalize_padding(padding)
    return separable_conv(x, depthwise_kernel, pointwise_kernel, bias, strides, padding, dilation)


def separable_conv1d(
    x, depthwise_kernel, pointwise_kernel, bias=None, strides=1, padding="valid", dilation_rate=1
):
    """Depthwise separable 1-D convolution of ``x`` (N, W, C): ``depthwise_kernel`` (kw, C, M),
    ``pointwise_kernel`` (1, C * M, F), ``bias`` (F,); ``padding`` may be "causal"."""
    strides = normalize_tuple(strides, 1, "strides")
    dilation = normalize_tuple(dilation_rate, 1, "dilation_rate")
    padding = normalize_padding(padding, allow_causal=True)
    return separable_conv(x, depthwise_kernel, pointwise_kernel, bias, strides, padding, dilation)
