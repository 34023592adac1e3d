"""Convolutions, channels-last as in Keras: ``conv1d``, ``conv2d``, ``conv3d``,
``conv1d_transpose``, ``conv2d_transpose``, ``conv3d_transpose``,
``depthwise_conv1d``/``depthwise_conv2d`` and ``separable_conv1d``/``separable_conv2d``.

Inputs are ``(batch, width, channels)``, ``(batch, height, width, channels)`` or
``(batch, depth, height, width, channels)``; kernels have the Keras layout ``(kw, in, out)`` /
``(kh, kw, in, out)`` / ``(kd, kh, kw, in, out)`` (transposed convolutions: ``(..., out, in)``).
``padding`` is ``"valid"`` (none) or ``"same"`` (TensorFlow's rule: the output has
``ceil(size / stride)`` positions and any odd padding goes to the end), and ``"causal"`` for
``conv1d``. Every op is one fused node: the bias is added inside it, and its
backward skips the gradients of inputs that do not need one (a first layer's images).

The forward pass of ``conv`` is im2col + one GEMM: a strided view of the padded input holding
every ``(kh, kw, in)`` window, copied once into a ``(N * Ho * Wo, kh * kw * in)`` matrix and
multiplied by the kernel reshaped to ``(kh * kw * in, out)``. See docs/conv.md for the backward
passes, and ``lamina.backend.keep_freed_heap`` for the allocator setting that keeps them fast.
Volumes run on ``ConvNd``, the same algorithm written for any number of spatial axes.

>>> import lamina
>>> x = lamina.tensor([[[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]]]])  # (1, 2, 3, 1)
>>> k = lamina.tensor([[[[1.0]], [[1.0]]]])  # (1, 2, 1, 1): sums horizontal pairs
>>> conv2d(x, k).shape, conv2d(x, k)[0, :, :, 0].tolist()
((1, 2, 2, 1), [[3.0, 5.0], [9.0, 11.0]])
"""

from __future__ import annotations

import itertools
import math
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


def _group_major(x, groups):
    """(N, H, W, G * Cg) -> (G * N, H, W, Cg), a copy in which each group's channels are
    contiguous: a grouped convolution is then G ordinary ones stacked along the batch."""
    n, h, w, c = x.shape
    blocks = x.reshape(n, h, w, groups, c // groups).transpose(3, 0, 1, 2, 4)
    return xp.ascontiguousarray(blocks).reshape(groups * n, h, w, c // groups)


def _col_blocks(a, groups):
    """The ``groups`` column blocks of a (rows, groups * k) matrix, as a (groups, rows, k) view."""
    return a.reshape(a.shape[0], groups, -1).transpose(1, 0, 2)


def _grouped_matmul(a, b):
    """(G, M, K) @ (G, K, F) -> (M, G * F) whose column block g is ``a[g] @ b[g]``: one batched
    GEMM writing into the blocks of the result. One group is a plain GEMM."""
    groups = a.shape[0]
    if groups == 1:
        return a[0] @ b[0]
    out = xp.empty((a.shape[1], groups * b.shape[2]), dtype=xp.result_type(a, b))
    xp.matmul(a, b, out=_col_blocks(out, groups))
    return out


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


def _correlate(inp, grad, window, strides, dilation):
    """The kernel gradient of a convolution of ``inp`` (N, *P, C), already padded, whose output
    gradient is ``grad`` (N, *O, F), with recorded ops: dK[*i, c, f] = sum over n and o of
    inp[n, *(o s + i d), c] grad[n, *o, f]. That is itself a convolution, of ``inp`` seen as C
    images of N channels by ``grad`` seen as an (*O, N, F) kernel, with the strides and the
    dilation swapped; its output, cropped to ``window``, is dK as (C, *k, F)."""
    from lamina.ops.shaping import transpose

    rank = len(window)
    spatial = tuple(range(1, rank + 1))
    images = transpose(inp, (rank + 1, *spatial, 0))  # (C, *P, N)
    kernel = transpose(grad, (*spatial, 0, rank + 1))  # (*O, N, F)
    corr = Conv.apply(images, kernel, None, strides=dilation, padding="valid", dilation=strides)
    corr = corr[(slice(None), *(slice(0, k) for k in window), slice(None))]
    return transpose(corr, (*spatial, 0, rank + 1))  # (*k, C, F)


def _conv_backward_graph(node, grad, x_shape, k_shape, pads, out_shape, strides, dilation):
    """``Conv``'s and ``ConvNd``'s gradients with recorded ops, so that they can be
    differentiated again: dx = the transposed convolution of g (placed on the padded input,
    cropped to x), dK = the padded input correlated with g, db = sum of g. ``x_shape`` and
    ``k_shape`` are those of rank ``len(strides)``. Grouped convolutions have none."""
    from lamina.ops.shaping import pad, reshape

    if node.groups > 1:
        return NotImplemented
    x, kernel, bias = node.inputs
    rank, f = len(strides), k_shape[-1]
    g = reshape(grad, (x_shape[0], *out_shape, f))
    if node.out is not None:  # the fused relu's derivative
        g = g * (node.out > 0).reshape(g.shape).astype(g.dtype)
    gx = gk = gb = None
    if isinstance(x, Tensor) and x.requires_grad:
        k = reshape(kernel, k_shape)
        full = ConvTranspose.apply(g, k, None, strides=strides, padding="valid", dilation=dilation)
        widths, index = [(0, 0)], [slice(None)]
        for axis, (top, _) in enumerate(pads):
            end = top + x_shape[1 + axis]
            widths.append((0, max(end - full.shape[1 + axis], 0)))
            index.append(slice(top, end))
        if any(after for _, after in widths):
            full = pad(full, (*widths, (0, 0)))
        gx = reshape(full[(*index, slice(None))], node.x_shape)
    if isinstance(kernel, Tensor) and kernel.requires_grad:
        xpad = pad(reshape(x, x_shape), ((0, 0), *pads, (0, 0)))
        gk = reshape(_correlate(xpad, g, k_shape[:rank], strides, dilation), node.k_shape)
    if bias is not None:
        gb = g.sum(axis=tuple(range(rank + 1)))
    return gx, gk, gb


# ----- ops -----
class Conv(Function):
    """y = act(im2col(pad(x)) @ [K; b]), for rank 1 or 2 (rank 1 runs as rank 2 with height 1).

    The bias is a last row of the GEMM's kernel matched by a column of ones in the im2col
    matrix, and ``activation="relu"`` is applied in place: one GEMM and no other pass over the
    output. Backward: g <- g * (y > 0) for relu; [dK; db] = cols^T g (one GEMM on the saved
    im2col matrix); dx = col2im(g K^T) cropped to x (skipped when x needs no gradient).

    A kernel ``(kh, kw, C / G, F)`` on an input of C channels is a grouped convolution of G
    groups (inferred as ``keras.ops.conv`` does; ``F`` divisible by G): output channel block g
    sees only input channel block g. The padded input is copied group-major, (G * N, H, W, C / G),
    so that the im2col matrix holds G ordinary ones stacked, and each GEMM above becomes one
    batched GEMM over the groups (the bias row split among them); col2im runs group by group.

    The relu mask is skipped when the gradient received is exactly the array that a max pool
    of this output returned after masking it itself (``premasked``): had any other gradient
    been added to it, the engine would pass a new array, and the mask is applied as usual.
    """

    @classmethod
    def apply(cls, *inputs, **params):
        """Volumes (three spatial axes) run on ``ConvNd``, the same algorithm for any rank."""
        if cls is Conv and len(params.get("strides", ())) == 3:
            return ConvNd.apply(*inputs, **params)
        return super().apply(*inputs, **params)

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
        groups = _conv_groups(x.shape, kernel.shape)
        _check_bias(bias, f, "conv")
        out_shape, pads = geometry((h, w), (kh, kw), strides, dilation, padding)
        xpad = pad2d(x4, pads)
        if groups > 1:
            xpad = _group_major(xpad, groups)
        cols = _im2col(xpad, (kh, kw), out_shape, strides, dilation, ones=bias is not None)
        cols = cols.reshape(groups, -1, cols.shape[1])  # a view, (G, M, kh * kw * C / G [+ 1])
        weights = k4.reshape(kh * kw * kc, f)
        if bias is not None:
            weights = xp.concatenate(
                [weights, bias.reshape(1, f).astype(weights.dtype, copy=False)]
            )
        out = _grouped_matmul(cols, _col_blocks(weights, groups))
        if activation == "relu":
            # against a row of zeros, not the scalar 0: NumPy vectorizes the array-array loop
            # (3x faster in cache), not the stride-0 one
            xp.maximum(out, xp.zeros(f, dtype=out.dtype), out=out)
        elif activation is not None:
            raise ValueError(f"conv: activation must be None or 'relu', got {activation!r}")
        self.cols, self.kernel, self.has_bias, self.groups = cols, k4, bias is not None, groups
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
        groups = self.groups
        g_blocks = _col_blocks(g2, groups)  # (G, M, F / G)
        if _needs_grad(self, 1) or (self.has_bias and _needs_grad(self, 2)):
            both = _grouped_matmul(self.cols.transpose(0, 2, 1), g_blocks)  # (K [+ 1], F)
            if self.has_bias:
                gb = both[-1]
                both = both[:-1]
            gk = both.reshape(self.k_shape)
        if _needs_grad(self, 0):
            padded, pads, out_shape, strides, dilation = self.geo
            kh, kw, kc, f = self.kernel.shape
            kernel_t = self.kernel.reshape(kh, kw, kc, groups, f // groups)
            kernel_t = kernel_t.transpose(0, 1, 3, 4, 2)  # (kh, kw, G, F / G, C / G)
            canvas_shape = (padded[0] // groups, *padded[1:])
            (top, _), (left, _) = pads
            h, w = self.x_shape[1:-1] if len(self.x_shape) == 4 else (1, self.x_shape[1])
            crop = (slice(None), slice(top, top + h), slice(left, left + w))
            # group by group (its canvas stays in cache through the kh * kw offsets), each with
            # its gradient copied contiguous (20% faster GEMMs for 2 groups)
            blocks = [
                _col2im_gemm(xp.ascontiguousarray(g_blocks[g]), kernel_t[:, :, g], canvas_shape,
                             out_shape, strides, dilation)[crop]
                for g in range(groups)
            ]  # fmt: skip
            gx = blocks[0] if groups == 1 else xp.concatenate(blocks, axis=-1)
            gx = gx.reshape(self.x_shape)
        return gx, gk, gb

    def backward_graph(self, grad):
        _, pads, out_shape, strides, dilation = self.geo
        x_shape, k_shape = self.x_shape, self.k_shape
        if len(x_shape) == 3:  # rank 1 runs as rank 2 with height 1
            x_shape = (x_shape[0], 1, *x_shape[1:])
            k_shape = (1, *k_shape)
        return _conv_backward_graph(self, grad, x_shape, k_shape, pads, out_shape, strides,
                                    dilation)  # fmt: skip


class ConvTranspose(Function):
    """The adjoint of ``Conv`` w.r.t. its input, for a kernel ``(*k, out, in)`` and any number of
    spatial axes: y = crop(col2im(x K^T)) + b;  dx = im2col(pad(g)) @ K (one GEMM);
    dK = im2col(pad(g))^T x.

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
        _check_ranks(x, kernel, "conv_transpose", len(strides))
        self.x_shape, self.k_shape = x.shape, kernel.shape
        n, *spatial, c = x.shape
        *window, f, kc = kernel.shape
        if kc != c:
            raise ValueError(
                f"conv_transpose: input of shape {tuple(x.shape)} has {c} channels, but the "
                f"kernel of shape {tuple(kernel.shape)} (*kernel_size, out, in) expects {kc}"
            )
        _check_bias(bias, f, "conv_transpose")
        out_shape, starts, canvas = [], [], []
        for i, (size, k, s, d) in enumerate(zip(spatial, window, strides, dilation)):
            op = None if output_padding is None else output_padding[i]
            length = conv_transpose_output_length(size, k, s, padding, op, d)
            full = (size - 1) * s + (k - 1) * d + 1
            start = max(full - length, 0) // 2 if padding == "same" else 0
            out_shape.append(length)
            starts.append(start)
            canvas.append(max(full, start + length))
        x2 = x.reshape(-1, c)
        kernel_t = xp.swapaxes(kernel, -1, -2)  # (*k, in, out)
        ypad = _col2im_nd(x2, kernel_t, (n, *canvas, f), spatial, strides, dilation)
        y = crop_spatial(ypad, starts, out_shape)
        y = y + bias if bias is not None else xp.ascontiguousarray(y)
        self.x2, self.kernel, self.has_bias = x2, kernel, bias is not None
        self.geo = (canvas, starts, out_shape, strides, dilation)
        return y

    def backward(self, grad):
        canvas, starts, out_shape, strides, dilation = self.geo
        *window, f, c = self.k_shape
        pads = [(a, full - a - o) for full, a, o in zip(canvas, starts, out_shape)]
        cols = _im2col_nd(pad_spatial(grad, pads), window, self.x_shape[1:-1], strides, dilation)
        gx = None  # cols: (N * prod(input's spatial), prod(k) * F)
        if _needs_grad(self, 0):
            gx = (cols @ self.kernel.reshape(-1, c)).reshape(self.x_shape)
        gk = (cols.T @ self.x2).reshape(self.k_shape) if _needs_grad(self, 1) else None
        gb = _sum_rows(grad.reshape(-1, f)) if self.has_bias else None
        return gx, gk, gb

    def backward_graph(self, grad):
        """dx = conv(pad(g), K) (K read as a convolution kernel (*k, F, C)); dK = the padded
        gradient correlated with x; db = sum of g. Recorded ops only."""
        from lamina.ops.shaping import pad

        x, kernel = self.inputs[0], self.inputs[1]
        canvas, starts, out_shape, strides, dilation = self.geo
        rank = len(strides)
        widths = ((0, 0), *((a, c - a - o) for c, a, o in zip(canvas, starts, out_shape)), (0, 0))
        gpad = pad(grad, widths)
        size = self.x_shape[1:-1]
        gx = Conv.apply(gpad, kernel, None, strides=strides, padding="valid", dilation=dilation)
        gx = gx[(slice(None), *(slice(0, n) for n in size), slice(None))]
        gk = _correlate(gpad, x, self.k_shape[:rank], strides, dilation)
        gb = grad.sum(axis=tuple(range(rank + 1))) if self.has_bias else None
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
    A kernel (kw, C_in / G, C_out) is a grouped convolution, as in ``conv2d``.

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
    ``bias`` (C_out,). Output (N, Ho, Wo, C_out).

    A kernel (kh, kw, C_in / G, C_out) is a grouped convolution of G groups, inferred from the
    shapes as ``keras.ops.conv`` does (PyTorch's ``groups=G``): output channels
    ``[g * C_out / G, (g + 1) * C_out / G)`` see only input channels
    ``[g * C_in / G, (g + 1) * C_in / G)``.

    >>> import numpy as np
    >>> x = np.ones((1, 1, 1, 4)) * [1.0, 2.0, 3.0, 4.0]
    >>> conv2d(x, np.ones((1, 1, 2, 2))).tolist()  # 2 groups: channels (1, 2) and (3, 4)
    [[[[3.0, 7.0]]]]
    """
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


# ----- any number of spatial axes: volumes (3-D) -----
# ``Conv`` keeps its tuned 2-D path (rank 1 runs as rank 2); ``ConvNd`` is the same algorithm
# written for any rank, and ``Conv.apply`` sends rank 3 to it. ``ConvTranspose`` and pooling use
# these helpers for every rank.
def pad_spatial(x, pads, value=0.0):
    """``x`` (N, *spatial, C) padded by ``pads`` (one ``(before, after)`` per spatial axis);
    ``x`` itself when there is nothing to pad."""
    if not any(before or after for before, after in pads):
        return x
    shape = [x.shape[0], *(s + a + b for s, (a, b) in zip(x.shape[1:-1], pads)), x.shape[-1]]
    out = xp.full(shape, value, dtype=x.dtype)
    out[(slice(None), *(slice(a, a + s) for s, (a, _) in zip(x.shape[1:-1], pads)))] = x
    return out


def crop_spatial(x, starts, sizes):
    """``x[:, starts[0] : starts[0] + sizes[0], ...]``: the inverse of ``pad_spatial``."""
    return x[(slice(None), *(slice(a, a + s) for a, s in zip(starts, sizes)))]


def window_view(x, start, out_shape, strides):
    """What the window offset ``start`` (in padded positions, one per spatial axis) meets at
    every output position: ``x[:, start[0] + a * strides[0], ...]`` for all ``a``, a view."""
    return x[window_index(start, out_shape, strides)]


def window_index(start, out_shape, strides) -> tuple:
    """The basic index of ``window_view``."""
    index = (slice(s, s + (o - 1) * st + 1, st) for s, o, st in zip(start, out_shape, strides))
    return (slice(None), *index)


def kernel_offsets(kernel, dilation):
    """``(index, start)`` of every kernel offset, row-major: ``index`` into the kernel's spatial
    axes and ``start``, its position in the input (index times dilation)."""
    for index in itertools.product(*(range(k) for k in kernel)):
        yield index, tuple(i * d for i, d in zip(index, dilation))


def _im2col_nd(x, kernel, out_shape, strides, dilation, ones=False):
    """``_im2col`` for any rank: every window of ``x`` (N, *spatial, C) as a
    ``(N * prod(out_shape), prod(kernel) * C)`` matrix, columns ordered like the kernel's
    ``(*kernel, C)`` axes (plus a column of ones with ``ones``). Below 8 channels one kernel
    offset is copied at a time into the transposed matrix; otherwise one strided view holding
    every window is copied at once."""
    n, c = x.shape[0], x.shape[-1]
    k, m = math.prod(kernel) * c, n * math.prod(out_shape)
    width = k + 1 if ones else k
    if c < _LOOP_IM2COL_CHANNELS:
        cols_t = xp.empty((width, m), dtype=x.dtype)
        target = cols_t[:k].reshape(*kernel, c, n, *out_shape)
        for index, start in kernel_offsets(kernel, dilation):
            target[index] = xp.moveaxis(window_view(x, start, out_shape, strides), -1, 0)
        cols = cols_t.T
    else:
        cols = xp.empty((m, width), dtype=x.dtype)
        sn, *spatial, sc = x.strides
        steps = [s * st for s, st in zip(spatial, strides)]
        hops = [s * d for s, d in zip(spatial, dilation)]
        windows = xp.lib.stride_tricks.as_strided(
            x, (n, *out_shape, *kernel, c), (sn, *steps, *hops, sc)
        )
        cols.reshape(n, *out_shape, width)[..., :k].reshape(windows.shape)[...] = windows
    if ones:
        cols[:, k] = 1
    return cols


def _col2im_nd(g2, kernel_t, canvas_shape, out_shape, strides, dilation):
    """``_col2im_gemm`` for any rank: ``g2 @ kernel_t[offset]`` (``kernel_t`` is
    ``(*kernel, F, C)``) added onto a strided slice of a zero canvas (N, *padded, C), one GEMM
    per kernel offset. With unit strides offset 0 covers the block ``[:out_shape]``: it is
    assigned, and only the rest of the canvas is zeroed."""
    rank = len(out_shape)
    n, c = canvas_shape[0], canvas_shape[-1]
    unit = all(s == 1 for s in strides)
    if unit:
        canvas = xp.empty(canvas_shape, dtype=g2.dtype)
        for axis in range(rank):  # the part beyond the block along this axis, within it before
            before = tuple(slice(o) for o in out_shape[:axis])
            canvas[(slice(None), *before, slice(out_shape[axis], None))] = 0
    else:
        canvas = xp.zeros(canvas_shape, dtype=g2.dtype)
    for index, start in kernel_offsets(kernel_t.shape[:rank], dilation):
        view = window_view(canvas, start, out_shape, strides)
        product = (g2 @ kernel_t[index]).reshape(n, *out_shape, c)
        if unit and not any(index):
            view[...] = product
        else:
            view += product
    return canvas


def _check_ranks(x, kernel, what, rank):
    if x.ndim != rank + 2 or kernel.ndim != rank + 2:
        raise ValueError(
            f"{what} expects an input of rank {rank + 2} and a kernel of rank {rank + 2}, got "
            f"shapes {tuple(x.shape)} and {tuple(kernel.shape)}"
        )


def _conv_groups(x_shape, k_shape):
    """The groups of a convolution: input channels / the kernel's (as ``keras.ops.conv``)."""
    c, kc, f = x_shape[-1], k_shape[-2], k_shape[-1]
    if c % kc or f % (c // kc):
        raise ValueError(
            f"conv: input of shape {tuple(x_shape)} has {c} channels, but the kernel of shape "
            f"{tuple(k_shape)} expects {kc} (or groups of {kc} channels, with filters "
            "divisible by the number of groups)"
        )
    return c // kc


def _ungroup(kernel, groups):
    """A grouped kernel (*k, C / G, F) as the dense (*k, C, F) kernel that is zero between
    groups (output block g sees input block g only)."""
    if groups == 1:
        return kernel
    *window, kc, f = kernel.shape
    dense = xp.zeros((*window, kc * groups, f), dtype=kernel.dtype)
    fg = f // groups
    for g in range(groups):
        block = kernel[..., g * fg : (g + 1) * fg]
        dense[..., g * kc : (g + 1) * kc, g * fg : (g + 1) * fg] = block
    return dense


def _regroup(dense, groups):
    """The inverse of ``_ungroup``: each group's diagonal block, as (*k, C / G, F)."""
    if groups == 1:
        return dense
    kc, fg = dense.shape[-2] // groups, dense.shape[-1] // groups
    blocks = [dense[..., g * kc : (g + 1) * kc, g * fg : (g + 1) * fg] for g in range(groups)]
    return xp.concatenate(blocks, axis=-1)


class ConvNd(Function):
    """``Conv`` for any number of spatial axes (lamina runs volumes, rank 3, on it):
    y = act(im2col(pad(x)) @ [K; b]) with the bias row, the fused relu and its pre-masked
    gradient exactly as in ``Conv``. Backward: [dK; db] = cols^T g; dx = col2im(g K^T), one GEMM
    per kernel offset. A kernel (*k, C / G, F) is a grouped convolution, run as the dense
    kernel that is zero between groups (G times the arithmetic of a grouped GEMM: simple, and
    grouped volumes are rare).
    """

    def forward(
        self,
        x,
        kernel,
        bias=None,
        strides=(1, 1, 1),
        padding="valid",
        dilation=(1, 1, 1),
        activation=None,
    ):
        _check_ranks(x, kernel, "conv", len(strides))
        self.x_shape, self.k_shape = x.shape, kernel.shape
        self.groups = _conv_groups(x.shape, kernel.shape)
        n, *spatial, c = x.shape
        *window, _, f = kernel.shape
        _check_bias(bias, f, "conv")
        out_shape, pads = geometry(spatial, window, strides, dilation, padding)
        xpad = pad_spatial(x, pads)
        cols = _im2col_nd(xpad, window, out_shape, strides, dilation, ones=bias is not None)
        dense = _ungroup(kernel, self.groups)
        weights = dense.reshape(-1, f)
        if bias is not None:
            weights = xp.concatenate(
                [weights, bias.reshape(1, f).astype(weights.dtype, copy=False)]
            )
        out = cols @ weights
        if activation == "relu":
            xp.maximum(out, xp.zeros(f, dtype=out.dtype), out=out)
        elif activation is not None:
            raise ValueError(f"conv: activation must be None or 'relu', got {activation!r}")
        self.cols, self.dense, self.has_bias = cols, dense, bias is not None
        self.out = out if activation == "relu" else None
        self.premasked = None  # set by a max pool that already applied the ReLU mask
        self.geo = (xpad.shape, pads, out_shape, strides, dilation)
        return out.reshape(n, *out_shape, f)

    def backward(self, grad):
        f = self.k_shape[-1]
        g2 = grad.reshape(-1, f)
        if self.out is not None and grad is not self.premasked:
            g2 = g2 * (self.out > 0).astype(g2.dtype)
        self.premasked = None
        gk = gb = gx = None
        if _needs_grad(self, 1) or (self.has_bias and _needs_grad(self, 2)):
            both = self.cols.T @ g2  # (prod(k) * C [+ 1], F)
            if self.has_bias:
                gb = both[-1]
                both = both[:-1]
            gk = _regroup(both.reshape(self.dense.shape), self.groups)
        if _needs_grad(self, 0):
            padded, pads, out_shape, strides, dilation = self.geo
            kernel_t = xp.swapaxes(self.dense, -1, -2)  # (*k, F, C)
            canvas = _col2im_nd(g2, kernel_t, padded, out_shape, strides, dilation)
            gx = crop_spatial(canvas, [a for a, _ in pads], self.x_shape[1:-1])
        return gx, gk, gb

    def backward_graph(self, grad):
        _, pads, out_shape, strides, dilation = self.geo
        return _conv_backward_graph(self, grad, self.x_shape, self.k_shape, pads, out_shape,
                                    strides, dilation)  # fmt: skip


def conv3d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """3-D convolution of ``x`` (N, D, H, W, C_in) with ``kernel`` (kd, kh, kw, C_in, C_out),
    plus ``bias`` (C_out,). Output (N, Do, Ho, Wo, C_out).

    >>> import numpy as np
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2, 1)  # one 2x2x2 volume
    >>> conv3d(x, np.ones((2, 2, 2, 1, 1))).tolist(), conv3d(x, np.ones((1, 1, 1, 1, 2))).shape
    ([[[[[28.0]]]]], (1, 2, 2, 2, 2))
    """
    strides = normalize_tuple(strides, 3, "strides")
    dilation = normalize_tuple(dilation_rate, 3, "dilation_rate")
    padding = normalize_padding(padding)
    return ConvNd.apply(x, kernel, bias, strides=strides, padding=padding, dilation=dilation)


def conv3d_transpose(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1
):
    """Transposed 3-D convolution of ``x`` (N, D, H, W, C_in) with ``kernel``
    (kd, kh, kw, C_out, C_in), as Keras's ``Conv3DTranspose`` (output sizes as
    ``conv2d_transpose``).

    >>> import numpy as np
    >>> conv3d_transpose(np.ones((1, 2, 3, 4, 1)), np.ones((3, 3, 3, 5, 1)), strides=2).shape
    (1, 5, 7, 9, 5)
    """
    return _conv_transpose(x, kernel, bias, strides, padding, output_padding, dilation_rate, 3)
