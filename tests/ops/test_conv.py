import json
import os

import numpy as np
import pytest

import lamina
from lamina.ops import conv as conv_ops
from lamina.ops.conv import (
    conv1d,
    conv1d_transpose,
    conv2d,
    conv2d_transpose,
    conv_output_length,
    conv_transpose_output_length,
    depthwise_conv1d,
    depthwise_conv2d,
    separable_conv1d,
    separable_conv2d,
)
from tests.helpers import check_op

FIXTURES = np.load(
    os.path.join(os.path.dirname(__file__), "..", "fixtures", "conv.npz"), allow_pickle=False
)
CASES = sorted({k.split("/")[0] for k in FIXTURES.files})
CONV_OPS = {
    "conv1d": conv1d,
    "conv2d": conv2d,
    "conv2d_transpose": conv2d_transpose,
    "depthwise_conv2d": depthwise_conv2d,
}
SEPARABLE_OPS = {"separable_conv1d": separable_conv1d, "separable_conv2d": separable_conv2d}


# ----- naive references: loops over output positions, TensorFlow's padding rule -----
def _tf_pads(size, k, s, d, padding):
    span = (k - 1) * d + 1
    if padding == "valid":
        return (size - span) // s + 1, 0, 0
    if padding == "causal":
        return -(-size // s), span - 1, 0
    out = -(-size // s)
    total = max((out - 1) * s + span - size, 0)
    return out, total // 2, total - total // 2


def ref_conv2d(x, k, b=None, strides=(1, 1), padding="valid", dilation=(1, 1), depthwise=False):
    n, h, w, c = x.shape
    kh, kw = k.shape[:2]
    ho, t, bt = _tf_pads(h, kh, strides[0], dilation[0], padding)
    wo, le, r = _tf_pads(w, kw, strides[1], dilation[1], padding)
    xp_ = np.pad(x, ((0, 0), (t, bt), (le, r), (0, 0)))
    f = c * k.shape[3] if depthwise else k.shape[3]
    out = np.zeros((n, ho, wo, f))
    for i in range(ho):
        for j in range(wo):
            hs, ws = i * strides[0], j * strides[1]
            patch = xp_[:, hs : hs + (kh - 1) * dilation[0] + 1 : dilation[0],
                        ws : ws + (kw - 1) * dilation[1] + 1 : dilation[1]]  # fmt: skip
            if depthwise:  # (n, kh, kw, c) x (kh, kw, c, m) -> (n, c, m)
                out[:, i, j] = np.einsum("nabc,abcm->ncm", patch, k).reshape(n, -1)
            else:
                out[:, i, j] = np.tensordot(patch, k, axes=3)
    return out if b is None else out + b


def ref_conv2d_transpose(x, k, strides, padding, output_padding, dilation):
    """Scatter every input pixel's ``x @ k[a, b]^T`` onto the full output, then crop."""
    n, h, w, _ = x.shape
    kh, kw, f, _ = k.shape
    sizes, starts = [], []
    for size, kk, s, d, op in zip((h, w), (kh, kw), strides, dilation, output_padding):
        span = (kk - 1) * d + 1
        if op is None:
            length = (size - 1) * s + max(span, s) if padding == "valid" else size * s
        else:
            length = (size - 1) * s + (span if padding == "valid" else span % 2) + op
        full = (size - 1) * s + span
        sizes.append(length)
        starts.append(max(full - length, 0) // 2 if padding == "same" else 0)
    tall = starts[0] + sizes[0] + (kh - 1) * dilation[0] + h * strides[0]
    wide = starts[1] + sizes[1] + (kw - 1) * dilation[1] + w * strides[1]
    canvas = np.zeros((n, tall, wide, f))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    y, z = i * strides[0] + a * dilation[0], j * strides[1] + b * dilation[1]
                    canvas[:, y, z] += x[:, i, j] @ k[a, b].T
    return canvas[:, starts[0] : starts[0] + sizes[0], starts[1] : starts[1] + sizes[1]]


GEOMETRIES = [
    # kernel (kh, kw), strides, padding, dilation
    ((3, 3), (1, 1), "valid", (1, 1)),
    ((3, 3), (2, 2), "same", (1, 1)),
    ((2, 2), (1, 1), "same", (1, 1)),  # even kernel: the odd pad goes at the end
    ((4, 3), (2, 1), "same", (1, 1)),
    ((3, 2), (1, 2), "valid", (2, 1)),
    ((3, 3), (1, 1), "same", (2, 2)),
]


@pytest.mark.parametrize("channels", [2, 9])  # both im2col paths (per-offset and one copy)
@pytest.mark.parametrize("kernel, strides, padding, dilation", GEOMETRIES)
def test_conv2d_matches_loop_reference(kernel, strides, padding, dilation, channels):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 6, channels))
    k = rng.normal(size=(*kernel, channels, 3))
    b = rng.normal(size=3)
    out = conv2d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation)
    ref = ref_conv2d(x, k, b, strides, padding, dilation)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel, strides, padding, dilation", GEOMETRIES)
def test_conv2d_gradients(kernel, strides, padding, dilation):
    def fn(x, k, b):
        return conv2d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation)

    assert check_op(fn, (2, 5, 5, 2), (*kernel, 2, 3), (3,))


@pytest.mark.parametrize(
    "strides, padding, dilation", [(1, "valid", 1), (2, "same", 1), (1, "causal", 2)]
)
def test_conv1d_matches_reference_and_gradients(strides, padding, dilation):
    rng = np.random.default_rng(1)
    x, k = rng.normal(size=(2, 9, 3)), rng.normal(size=(3, 3, 4))
    out = conv1d(x, k, strides=strides, padding=padding, dilation_rate=dilation)
    ref = ref_conv2d(x[:, None], k[None], None, (1, strides), padding, (1, dilation))[:, 0]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-10)

    def fn(x, k, b):
        return conv1d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation)

    assert check_op(fn, (2, 6, 2), (3, 2, 3), (3,))


def test_causal_conv1d_sees_only_the_past():
    x = np.zeros((1, 6, 1))
    x[0, 3] = 1.0
    out = conv1d(x, np.ones((3, 1, 1)), padding="causal").numpy()[0, :, 0]
    assert out.tolist() == [0, 0, 0, 1, 1, 1]


TRANSPOSE_GEOMETRIES = [
    # kernel, strides, padding, output_padding, dilation
    ((3, 3), (2, 2), "valid", (None, None), (1, 1)),
    ((3, 3), (2, 2), "same", (None, None), (1, 1)),
    ((4, 2), (2, 2), "same", (None, None), (1, 1)),
    ((2, 2), (3, 3), "valid", (None, None), (1, 1)),
    ((3, 3), (2, 2), "same", (1, 0), (1, 1)),
    ((3, 3), (2, 3), "valid", (1, 2), (1, 1)),
    ((3, 2), (1, 1), "same", (None, None), (2, 1)),
]


@pytest.mark.parametrize("kernel, strides, padding, output_padding, dilation", TRANSPOSE_GEOMETRIES)
def test_conv2d_transpose_matches_scatter_reference(
    kernel, strides, padding, output_padding, dilation
):
    rng = np.random.default_rng(2)
    x, k = rng.normal(size=(2, 3, 4, 3)), rng.normal(size=(*kernel, 2, 3))
    op = None if output_padding[0] is None else output_padding
    out = conv2d_transpose(
        x, k, strides=strides, padding=padding, output_padding=op, dilation_rate=dilation
    )
    ref = ref_conv2d_transpose(x, k, strides, padding, output_padding, dilation)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel, strides, padding, output_padding, dilation", TRANSPOSE_GEOMETRIES)
def test_conv2d_transpose_gradients(kernel, strides, padding, output_padding, dilation):
    op = None if output_padding[0] is None else output_padding

    def fn(x, k, b):
        return conv2d_transpose(
            x, k, b, strides=strides, padding=padding, output_padding=op, dilation_rate=dilation
        )

    assert check_op(fn, (2, 3, 2, 2), (*kernel, 2, 2), (2,))


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    """<conv(y), x> == <y, conv_transpose(x)> for the same kernel, strides and padding."""
    rng = np.random.default_rng(3)
    k = rng.normal(size=(3, 3, 2, 4))  # conv: 2 -> 4 channels; transpose: 4 -> 2
    y = rng.normal(size=(2, 8, 7, 2))
    cy = conv2d(y, k, strides=2, padding="same").numpy()
    x = rng.normal(size=cy.shape)
    # the same kernel: (kh, kw, 2, 4) is (kh, kw, out, in) for the transpose
    tx = conv2d_transpose(x, k, strides=2, padding="same", output_padding=(1, 0)).numpy()
    assert tx.shape == y.shape
    np.testing.assert_allclose(np.sum(cy * x), np.sum(y * tx), rtol=1e-10)


def test_conv1d_transpose_shape_and_gradients():
    out = conv1d_transpose(np.ones((2, 5, 3)), np.ones((3, 4, 3)), strides=2, padding="same")
    assert out.shape == (2, 10, 4)
    assert check_op(
        lambda x, k, b: conv1d_transpose(x, k, b, strides=2), (2, 4, 2), (3, 3, 2), (3,)
    )


@pytest.mark.parametrize(
    "kernel, strides, padding, dilation, multiplier",
    [((3, 3), (1, 1), "valid", (1, 1), 1), ((3, 2), (2, 2), "same", (1, 1), 2),
     ((2, 2), (1, 1), "same", (2, 1), 3)],
)  # fmt: skip
def test_depthwise_conv2d_reference_and_gradients(kernel, strides, padding, dilation, multiplier):
    rng = np.random.default_rng(4)
    x, k = rng.normal(size=(2, 6, 5, 3)), rng.normal(size=(*kernel, 3, multiplier))
    b = rng.normal(size=3 * multiplier)
    out = depthwise_conv2d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation)
    ref = ref_conv2d(x, k, b, strides, padding, dilation, depthwise=True)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-10)

    def fn(x, k, b):
        return depthwise_conv2d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation)

    assert check_op(fn, (2, 5, 4, 2), (*kernel, 2, multiplier), (2 * multiplier,))


def test_depthwise_conv1d():
    x = np.arange(10.0).reshape(1, 5, 2)
    out = depthwise_conv1d(x, np.ones((2, 2, 1)), padding="same").numpy()
    assert out.shape == (1, 5, 2)
    assert out[0, :, 0].tolist() == [2.0, 6.0, 10.0, 14.0, 8.0]
    assert check_op(lambda x, k: depthwise_conv1d(x, k, strides=2), (2, 5, 2), (3, 2, 2))


@pytest.mark.parametrize(
    "kernel, strides, padding, dilation, multiplier",
    [((3, 3), (1, 1), "valid", (1, 1), 1), ((3, 2), (2, 2), "same", (1, 1), 2),
     ((2, 2), (1, 1), "same", (2, 1), 3)],
)  # fmt: skip
def test_separable_conv2d_is_depthwise_then_pointwise(
    kernel, strides, padding, dilation, multiplier
):
    rng = np.random.default_rng(6)
    x, dk = rng.normal(size=(2, 6, 5, 3)), rng.normal(size=(*kernel, 3, multiplier))
    pk, b = rng.normal(size=(1, 1, 3 * multiplier, 4)), rng.normal(size=4)
    out = separable_conv2d(x, dk, pk, b, strides=strides, padding=padding, dilation_rate=dilation)
    depthwise = ref_conv2d(x, dk, None, strides, padding, dilation, depthwise=True)
    np.testing.assert_allclose(out.numpy(), ref_conv2d(depthwise, pk, b), rtol=1e-10, atol=1e-10)

    def fn(x, dk, pk, b):
        return separable_conv2d(x, dk, pk, b, strides=strides, padding=padding,
                                dilation_rate=dilation)  # fmt: skip

    assert check_op(fn, (2, 5, 4, 2), (*kernel, 2, multiplier), (1, 1, 2 * multiplier, 3), (3,))


def test_separable_conv1d_causal_and_gradients():
    x = np.zeros((1, 6, 1))
    x[0, 3] = 1.0
    out = separable_conv1d(x, np.ones((3, 1, 2)), np.ones((1, 2, 1)), padding="causal").numpy()
    assert out[0, :, 0].tolist() == [0.0, 0.0, 0.0, 2.0, 2.0, 2.0]  # nothing before step 3

    def fn(x, dk, pk, b):
        return separable_conv1d(x, dk, pk, b, strides=2, padding="same", dilation_rate=1)

    assert check_op(fn, (2, 7, 2), (3, 2, 2), (1, 4, 3), (3,))
    assert check_op(
        lambda x, dk, pk: separable_conv1d(x, dk, pk, padding="causal", dilation_rate=2),
        (2, 6, 2), (2, 2, 1), (1, 2, 2),
    )  # fmt: skip


def test_separable_conv_fused_relu_gradients():
    def fn(x, dk, pk, b):
        return conv_ops.separable_conv(x, dk, pk, b, strides=(1, 2), padding="same",
                                       dilation=(1, 1), activation="relu")  # fmt: skip

    assert check_op(fn, (2, 4, 5, 2), (3, 3, 2, 2), (1, 1, 4, 3), (3,))


@pytest.mark.parametrize("case", [c for c in CASES if FIXTURES[f"{c}/op"].item() in SEPARABLE_OPS])
def test_separable_matches_pytorch(case):
    f = {k.split("/", 1)[1]: FIXTURES[k] for k in FIXTURES.files if k.startswith(case + "/")}
    params = json.loads(f["params"].item())
    names = ("x", "depthwise_kernel", "pointwise_kernel", "bias")
    tensors = [lamina.Tensor(f[name], requires_grad=True) for name in names]
    out = SEPARABLE_OPS[f["op"].item()](*tensors, **params)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=1e-4, atol=1e-5)
    out.backward(f["w"])
    for name, t in zip(names, tensors, strict=True):
        np.testing.assert_allclose(t.grad, f[f"grad_{name}"], rtol=1e-4, atol=1e-4, err_msg=name)


def check_against_fixture(fixtures, case, ops):
    """Output and gradients of the op that ``case`` names, against PyTorch's stored ones."""
    f = {k.split("/", 1)[1]: fixtures[k] for k in fixtures.files if k.startswith(case + "/")}
    params = json.loads(f["params"].item())
    x = lamina.Tensor(f["x"], requires_grad=True)
    k = lamina.Tensor(f["kernel"], requires_grad=True)
    b = lamina.Tensor(f["bias"], requires_grad=True)
    out = ops[f["op"].item()](x, k, b, **params)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=1e-4, atol=1e-5)
    out.backward(f["w"])
    np.testing.assert_allclose(x.grad, f["grad_x"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(k.grad, f["grad_kernel"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(b.grad, f["grad_bias"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", [c for c in CASES if FIXTURES[f"{c}/op"].item() in CONV_OPS])
def test_matches_pytorch(case):
    check_against_fixture(FIXTURES, case, CONV_OPS)


def test_input_gradient_skipped_when_input_needs_none(monkeypatch):
    """A first layer's images need no gradient: its col2im is never run."""
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 3)).astype(np.float32)
    k = lamina.Tensor(np.ones((3, 3, 3, 2), np.float32), requires_grad=True)
    calls = []
    real = conv_ops._col2im_gemm
    monkeypatch.setattr(conv_ops, "_col2im_gemm", lambda *a: calls.append(1) or real(*a))
    conv2d(x, k).sum().backward()
    assert calls == [] and k.grad.shape == (3, 3, 3, 2)
    xt = lamina.Tensor(x, requires_grad=True)
    conv2d(xt, k).sum().backward()
    assert calls == [1] and xt.grad.shape == x.shape


def test_float32_stays_float32():
    x = np.ones((1, 4, 4, 2), np.float32)
    k = lamina.Tensor(np.ones((3, 3, 2, 2), np.float32), requires_grad=True)
    out = conv2d(x, k, np.zeros(2, np.float32), padding="same")
    out.backward(np.ones(out.shape, np.float32))
    assert out.dtype == np.float32 and k.grad.dtype == np.float32


def test_output_length_helpers():
    assert conv_output_length(28, 3, 1, "valid") == 26
    assert conv_output_length(7, 3, 2, "valid") == 3
    assert conv_output_length(7, 3, 2, "same") == 4
    assert conv_output_length(9, 3, 1, "valid", dilation=2) == 5
    assert conv_output_length(None, 3, 1, "valid") is None
    assert conv_transpose_output_length(4, 3, 2, "valid") == 9
    assert conv_transpose_output_length(4, 2, 3, "valid") == 12
    assert conv_transpose_output_length(4, 3, 2, "same", output_padding=1) == 8


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="3 channels.*expects 2"):
        conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 2, 4)))
    with pytest.raises(ValueError, match="smaller than the window"):
        conv2d(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="padding must be one of"):
        conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), padding="full")
    with pytest.raises(ValueError, match="causal"):
        conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), padding="causal")
    with pytest.raises(ValueError, match="rank 4"):
        conv2d(np.ones((5, 5, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="strides"):
        conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), strides=0)
    with pytest.raises(ValueError, match="bias must have shape"):
        conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 2)), np.ones(3))
    with pytest.raises(ValueError, match="output_padding"):
        conv2d_transpose(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)), strides=2,
                         output_padding=2)  # fmt: skip


def test_fused_relu_forward_and_gradients():
    rng = np.random.default_rng(5)
    x, k, b = rng.normal(size=(2, 5, 5, 2)), rng.normal(size=(3, 3, 2, 3)), rng.normal(size=3)
    fused = conv_ops.Conv.apply(x, k, b, strides=(1, 1), padding="same", dilation=(1, 1),
                                activation="relu")  # fmt: skip
    np.testing.assert_allclose(fused.numpy(), np.maximum(ref_conv2d(x, k, b, (1, 1), "same",
                                                                    (1, 1)), 0))  # fmt: skip

    def fn(x, k, b):
        return conv_ops.Conv.apply(x, k, b, strides=(2, 1), padding="valid", dilation=(1, 1),
                                   activation="relu")  # fmt: skip

    assert check_op(fn, (2, 5, 5, 2), (3, 3, 2, 3), (3,))


def test_frozen_kernel_still_gives_the_bias_its_gradient():
    x = np.ones((1, 4, 4, 1), np.float32)
    k = lamina.Tensor(np.ones((3, 3, 1, 2), np.float32))
    b = lamina.Tensor(np.zeros(2, np.float32), requires_grad=True)
    conv2d(x, k, b).sum().backward()
    assert b.grad.tolist() == [4.0, 4.0] and k.grad is None


# ----- volumes (3-D): conv3d, conv3d_transpose and ConvNd, the rank-generic path -----
FIXTURES_3D = np.load(
    os.path.join(os.path.dirname(__file__), "..", "fixtures", "conv3d.npz"), allow_pickle=False
)
CONV3D_OPS = {"conv3d": conv_ops.conv3d, "conv3d_transpose": conv_ops.conv3d_transpose}
CONV3D_CASES = sorted(
    {k.split("/")[0] for k in FIXTURES_3D.files if k.endswith("/op")}
    & {k.split("/")[0] for k in FIXTURES_3D.files if k.endswith("/kernel")}
)
GEOMETRIES_3D = [
    # kernel, strides, padding, dilation
    ((3, 3, 3), (1, 1, 1), "valid", (1, 1, 1)),
    ((2, 3, 2), (2, 1, 2), "same", (1, 1, 1)),  # even kernel and strides: odd pads at the end
    ((3, 2, 2), (1, 2, 1), "same", (2, 1, 1)),
]
TRANSPOSE_GEOMETRIES_3D = [
    # kernel, strides, padding, output_padding, dilation
    ((3, 3, 3), (2, 2, 2), "valid", None, (1, 1, 1)),
    ((2, 3, 2), (2, 1, 3), "same", None, (1, 1, 1)),  # stride 3 above the kernel: zero rows
    ((3, 2, 3), (2, 2, 1), "same", (1, 0, 0), (1, 1, 1)),
    ((3, 2, 2), (1, 1, 1), "same", None, (2, 1, 1)),
]


@pytest.mark.parametrize("case", CONV3D_CASES)
def test_conv3d_matches_pytorch(case):
    check_against_fixture(FIXTURES_3D, case, CONV3D_OPS)


@pytest.mark.parametrize("channels", [2, 9])  # both im2col paths (per-offset and one copy)
@pytest.mark.parametrize("kernel, strides, padding, dilation", GEOMETRIES_3D)
def test_conv3d_gradients(kernel, strides, padding, dilation, channels):
    def fn(x, k, b):
        return conv_ops.conv3d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation)

    assert check_op(fn, (2, 5, 4, 5, channels), (*kernel, channels, 3), (3,))


@pytest.mark.parametrize("kernel, strides, padding, output_padding, dilation",
                         TRANSPOSE_GEOMETRIES_3D)  # fmt: skip
def test_conv3d_transpose_gradients(kernel, strides, padding, output_padding, dilation):
    def fn(x, k, b):
        return conv_ops.conv3d_transpose(
            x, k, b, strides, padding, output_padding=output_padding, dilation_rate=dilation
        )

    assert check_op(fn, (2, 3, 2, 3, 2), (*kernel, 3, 2), (3,))


def test_conv3d_transpose_is_the_adjoint_of_conv3d():
    """<conv3d(x, K), y> == <x, conv3d_transpose(y, K)> when the shapes line up."""
    rng = np.random.default_rng(3)
    x, k = rng.normal(size=(2, 6, 4, 8, 3)), rng.normal(size=(3, 2, 3, 3, 5))
    y = rng.normal(size=(2, 3, 2, 4, 5))
    forward = conv_ops.conv3d(x, k, strides=2, padding="same").numpy()
    back = conv_ops.conv3d_transpose(y, k, strides=2, padding="same").numpy()
    assert forward.shape == y.shape and back.shape == x.shape
    np.testing.assert_allclose(np.sum(forward * y), np.sum(x * back), rtol=1e-10)


@pytest.mark.parametrize("channels", [2, 9])
@pytest.mark.parametrize("kernel, strides, padding, dilation", GEOMETRIES)
def test_conv_nd_in_two_dimensions_matches_the_loop_reference(
    kernel, strides, padding, dilation, channels
):
    """ConvNd (the rank-generic path volumes run on) against the 2-D loop reference, fused relu
    included."""
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(2, 7, 6, channels)), rng.normal(size=(*kernel, channels, 3))
    b = np.array([0.5, -0.5, 0.0])
    out = conv_ops.ConvNd.apply(x, k, b, strides=strides, padding=padding, dilation=dilation,
                                activation="relu")  # fmt: skip
    ref = np.maximum(ref_conv2d(x, k, b, strides, padding, dilation), 0)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-10)


def test_conv_apply_sends_volumes_to_conv_nd():
    x, k = np.ones((1, 3, 3, 3, 2)), np.ones((2, 2, 2, 2, 1))
    out = conv_ops.Conv.apply(lamina.Tensor(x, requires_grad=True), k, strides=(1, 1, 1),
                              padding="valid", dilation=(1, 1, 1))  # fmt: skip
    assert isinstance(out._node, conv_ops.ConvNd) and out.shape == (1, 2, 2, 2, 1)
    assert out.numpy().ravel().tolist() == [16.0] * 8


def test_conv3d_fused_relu_gradients():
    def fn(x, k, b):
        return conv_ops.ConvNd.apply(x, k, b, strides=(2, 1, 1), padding="same",
                                     dilation=(1, 1, 1), activation="relu")  # fmt: skip

    assert check_op(fn, (2, 4, 3, 3, 2), (2, 2, 3, 2, 3), (3,))


def test_grouped_conv3d_is_one_conv_per_channel_group():
    rng = np.random.default_rng(4)
    x, k, b = rng.normal(size=(2, 4, 3, 4, 4)), rng.normal(size=(2, 2, 2, 2, 6)), rng.normal(size=6)
    out = conv_ops.conv3d(x, k, b, padding="same").numpy()  # 4 channels / 2 per group: 2 groups
    first = conv_ops.conv3d(x[..., :2], k[..., :3], b[:3], padding="same").numpy()
    second = conv_ops.conv3d(x[..., 2:], k[..., 3:], b[3:], padding="same").numpy()
    np.testing.assert_allclose(out, np.concatenate([first, second], axis=-1), rtol=1e-10)

    def fn(x, k, b):
        return conv_ops.conv3d(x, k, b, strides=(1, 2, 1))

    assert check_op(fn, (2, 3, 4, 3, 4), (2, 2, 2, 2, 6), (6,))


def test_conv3d_input_gradient_skipped_when_input_needs_none(monkeypatch):
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 4, 3)).astype(np.float32)
    k = lamina.Tensor(np.ones((3, 3, 3, 3, 2), np.float32), requires_grad=True)
    calls = []
    real = conv_ops._col2im_nd
    monkeypatch.setattr(conv_ops, "_col2im_nd", lambda *a: calls.append(1) or real(*a))
    conv_ops.conv3d(x, k).sum().backward()
    assert calls == [] and k.grad.shape == (3, 3, 3, 3, 2)
    xt = lamina.Tensor(x, requires_grad=True)
    out = conv_ops.conv3d(xt, k, np.zeros(2, np.float32), padding="same")
    out.backward(np.ones(out.shape, np.float32))
    assert calls == [1] and xt.grad.shape == x.shape and xt.grad.dtype == np.float32


def test_conv3d_errors_name_the_problem():
    with pytest.raises(ValueError, match="rank 5"):
        conv_ops.conv3d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 3, 1, 1)))
    with pytest.raises(ValueError, match="3 channels.*expects 2"):
        conv_ops.conv3d(np.ones((1, 4, 4, 4, 3)), np.ones((3, 3, 3, 2, 4)))
    with pytest.raises(ValueError, match="smaller than the window"):
        conv_ops.conv3d(np.ones((1, 2, 4, 4, 1)), np.ones((3, 3, 3, 1, 1)))
    with pytest.raises(ValueError, match="strides"):
        conv_ops.conv3d(np.ones((1, 4, 4, 4, 1)), np.ones((3, 3, 3, 1, 1)), strides=(1, 2))
    with pytest.raises(ValueError, match="output_padding"):
        conv_ops.conv3d_transpose(np.ones((1, 2, 2, 2, 1)), np.ones((3, 3, 3, 1, 1)), strides=2,
                                  output_padding=(1, 2, 0))  # fmt: skip
    with pytest.raises(ValueError, match=r"\(\*kernel_size, out, in\) expects 2"):
        conv_ops.conv3d_transpose(np.ones((1, 2, 2, 2, 3)), np.ones((3, 3, 3, 1, 2)))


# ----- grouped convolutions: kernel (k..., C / G, F), groups inferred as keras.ops.conv -----
def ref_grouped_conv2d(x, k, b, strides, padding, dilation):
    """Each group's channel block convolved with its filter block, concatenated."""
    kc, f = k.shape[2:]
    groups = x.shape[-1] // kc
    fg = f // groups
    blocks = [
        ref_conv2d(x[..., g * kc : (g + 1) * kc], k[..., g * fg : (g + 1) * fg], None,
                   strides, padding, dilation)
        for g in range(groups)
    ]  # fmt: skip
    return np.concatenate(blocks, axis=-1) + b


@pytest.mark.parametrize("channels, groups", [(6, 3), (4, 4), (18, 2)])  # both im2col paths
@pytest.mark.parametrize("kernel, strides, padding, dilation", GEOMETRIES)
def test_grouped_conv2d_matches_loop_reference(kernel, strides, padding, dilation, channels,
                                               groups):  # fmt: skip
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 7, 6, channels))
    k = rng.normal(size=(*kernel, channels // groups, 2 * groups))
    b = rng.normal(size=2 * groups)
    out = conv2d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation)
    ref = ref_grouped_conv2d(x, k, b, strides, padding, dilation)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "kernel, strides, padding, dilation",
    [((3, 3), (2, 2), "same", (1, 1)), ((3, 2), (1, 2), "valid", (2, 1)),
     ((2, 3), (1, 1), "same", (2, 2))],
)  # fmt: skip
@pytest.mark.parametrize("activation", [None, "relu"])
def test_grouped_conv2d_gradients(kernel, strides, padding, dilation, activation):
    def fn(x, k, b):
        return conv_ops.Conv.apply(x, k, b, strides=strides, padding=padding, dilation=dilation,
                                   activation=activation)  # fmt: skip

    assert check_op(fn, (2, 5, 5, 4), (*kernel, 2, 6), (6,))  # 2 groups of 2 -> 3 channels


@pytest.mark.parametrize(
    "strides, padding, dilation", [(2, "same", 1), (1, "causal", 2), (1, "valid", 1)]
)
def test_grouped_conv1d_gradients(strides, padding, dilation):
    def fn(x, k, b):
        return conv1d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation)

    assert check_op(fn, (2, 7, 6), (3, 2, 6), (6,))  # 3 groups of 2 channels -> 2 filters


def test_grouped_conv_gradients_without_bias_or_input_gradient():
    rng = np.random.default_rng(3)
    x, k = rng.normal(size=(2, 5, 5, 4)), rng.normal(size=(3, 3, 2, 4))
    assert check_op(lambda x, k: conv2d(x, k, padding="same"), (2, 5, 5, 4), (3, 3, 2, 4))
    kt = lamina.Tensor(k, requires_grad=True)
    conv2d(x, kt).backward(np.ones((2, 3, 3, 4)))  # images that need no gradient
    expected = lamina.Tensor(k, requires_grad=True)
    conv2d(lamina.Tensor(x, requires_grad=True), expected).backward(np.ones((2, 3, 3, 4)))
    np.testing.assert_allclose(kt.grad, expected.grad)


def test_grouped_conv_with_all_groups_of_one_channel_is_depthwise():
    rng = np.random.default_rng(4)
    x, k, b = rng.normal(size=(2, 6, 5, 3)), rng.normal(size=(3, 3, 1, 3)), rng.normal(size=3)
    depthwise = depthwise_conv2d(x, k.reshape(3, 3, 3, 1), b, strides=2, padding="same")
    np.testing.assert_allclose(conv2d(x, k, b, strides=2, padding="same").numpy(),
                               depthwise.numpy(), rtol=1e-12, atol=1e-12)  # fmt: skip


def test_grouped_errors_name_the_problem():
    with pytest.raises(ValueError, match="6 channels.*expects 4"):
        conv2d(np.ones((1, 5, 5, 6)), np.ones((3, 3, 4, 3)))  # 6 is no multiple of 4
    with pytest.raises(ValueError, match="filters divisible by the number of groups"):
        conv2d(np.ones((1, 5, 5, 6)), np.ones((3, 3, 2, 4)))  # 3 groups, 4 filters
    with pytest.raises(ValueError, match="filters divisible"):
        conv1d(np.ones((1, 5, 4)), np.ones((3, 2, 3)))


def test_grouped_relu_conv_under_a_max_pool_gradients():
    """The pool applies the grouped conv's ReLU mask (``premasked``); the conv skips its own."""
    from lamina.ops.pooling import max_pool2d

    def fn(x, k, b):
        y = conv_ops.Conv.apply(x, k, b, strides=(1, 1), padding="same", dilation=(1, 1),
                                activation="relu")  # fmt: skip
        return max_pool2d(y, 2)

    assert check_op(fn, (2, 6, 6, 4), (3, 3, 2, 6), (6,))
