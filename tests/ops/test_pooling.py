import json
import os

import numpy as np
import pytest

import lamina
from lamina.ops.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from tests.helpers import check_op

FIXTURES = np.load(
    os.path.join(os.path.dirname(__file__), "..", "fixtures", "conv.npz"), allow_pickle=False
)
POOL_OPS = {
    "max_pool1d": max_pool1d,
    "max_pool2d": max_pool2d,
    "avg_pool1d": avg_pool1d,
    "avg_pool2d": avg_pool2d,
}
CASES = sorted(
    {
        k.split("/")[0]
        for k in FIXTURES.files
        if FIXTURES[k.split("/")[0] + "/op"].item() in POOL_OPS
    }
)


def ref_pool2d(x, pool, strides, padding, kind):
    """Loops over windows; TensorFlow's "same" pads, excluded from max and from the mean."""
    n, h, w, c = x.shape
    outs, befores = [], []
    for size, p, s in zip((h, w), pool, strides):
        if padding == "valid":
            outs.append((size - p) // s + 1)
            befores.append(0)
        else:
            out = -(-size // s)
            outs.append(out)
            befores.append(max((out - 1) * s + p - size, 0) // 2)
    result = np.zeros((n, *outs, c))
    for i in range(outs[0]):
        for j in range(outs[1]):
            y0, x0 = i * strides[0] - befores[0], j * strides[1] - befores[1]
            window = x[:, max(y0, 0) : y0 + pool[0], max(x0, 0) : x0 + pool[1]]
            reduce = np.max if kind == "max" else np.mean
            result[:, i, j] = reduce(window, axis=(1, 2))
    return result


GEOMETRIES = [
    # pool, strides, padding
    ((2, 2), (2, 2), "valid"),
    ((3, 3), (2, 2), "valid"),  # overlapping windows
    ((2, 2), (2, 2), "same"),  # odd sizes: a padded last row / column
    ((3, 2), (1, 2), "same"),
    ((2, 3), (3, 1), "valid"),  # gaps between windows
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool, strides, padding", GEOMETRIES)
def test_pool2d_matches_loop_reference_and_gradients(pool, strides, padding, kind):
    fn = max_pool2d if kind == "max" else avg_pool2d
    x = np.random.default_rng(0).normal(size=(2, 7, 6, 3))
    out = fn(x, pool, strides, padding)
    np.testing.assert_allclose(out.numpy(), ref_pool2d(x, pool, strides, padding, kind))
    assert check_op(lambda t: fn(t, pool, strides, padding), (2, 5, 5, 2))


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool1d(kind, padding):
    fn = max_pool1d if kind == "max" else avg_pool1d
    x = np.random.default_rng(1).normal(size=(2, 7, 3))
    out = fn(x, 3, 2, padding)
    ref = ref_pool2d(x[:, None], (1, 3), (1, 2), padding, kind)[:, 0]
    np.testing.assert_allclose(out.numpy(), ref)
    assert check_op(lambda t: fn(t, 2, padding=padding), (2, 5, 2))


def test_strides_default_to_pool_size():
    assert max_pool2d(np.ones((1, 6, 6, 1)), 3).shape == (1, 2, 2, 1)
    assert avg_pool1d(np.ones((1, 6, 1)), 3).shape == (1, 2, 1)


@pytest.mark.parametrize("strides", [2, 1])  # the tiled fast path and the overlapping one
def test_max_pool_ties_give_the_gradient_to_the_first_max(strides):
    x = lamina.Tensor(np.zeros((1, 4, 4, 1)), requires_grad=True)
    max_pool2d(x, 2, strides).sum().backward()
    if strides == 2:
        expected = [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    else:  # window (a, b) credits its top-left element (a, b): every one except the edges
        expected = [[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]]
    assert x.grad[0, :, :, 0].tolist() == expected


def test_max_pool_gradient_goes_to_the_max_only():
    x = np.array([[1.0, 5.0], [7.0, 2.0]]).reshape(1, 2, 2, 1)
    t = lamina.Tensor(x, requires_grad=True)
    max_pool2d(t, 2).backward(np.full((1, 1, 1, 1), 3.0))
    assert t.grad[0, :, :, 0].tolist() == [[0.0, 0.0], [3.0, 0.0]]


def test_avg_pool_same_excludes_padding_from_the_count():
    x = np.ones((1, 3, 3, 1))
    out = avg_pool2d(x, 2, padding="same").numpy()
    np.testing.assert_array_equal(out, np.ones((1, 2, 2, 1)))  # not 0.5 / 0.25 at the border


def check_against_fixture(fixtures, case, ops):
    """Output and input gradient of the pool that ``case`` names, against PyTorch's."""
    f = {k.split("/", 1)[1]: fixtures[k] for k in fixtures.files if k.startswith(case + "/")}
    x = lamina.Tensor(f["x"], requires_grad=True)
    out = ops[f["op"].item()](x, **json.loads(f["params"].item()))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=1e-5, atol=1e-6)
    out.backward(f["w"])
    np.testing.assert_allclose(x.grad, f["grad_x"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_matches_pytorch(case):
    check_against_fixture(FIXTURES, case, POOL_OPS)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="rank 4"):
        max_pool2d(np.ones((2, 4, 4)), 2)
    with pytest.raises(ValueError, match="smaller than the window"):
        avg_pool2d(np.ones((1, 2, 2, 1)), 3)
    with pytest.raises(ValueError, match="pool_size"):
        max_pool2d(np.ones((1, 4, 4, 1)), (2, 2, 2))
    with pytest.raises(ValueError, match="padding"):
        max_pool1d(np.ones((1, 4, 1)), 2, padding="causal")


def _relu_conv(x, k, b):
    from lamina.ops.conv import Conv

    return Conv.apply(x, k, b, strides=(1, 1), padding="valid", dilation=(1, 1), activation="relu")


@pytest.mark.parametrize("pool, strides", [(2, 2), (3, 2)])
def test_max_pool_of_relu_conv_gradients(pool, strides):
    """The pool applies the conv's ReLU mask in pooled space; the conv then skips its own."""

    def fn(x, k, b):
        return max_pool2d(_relu_conv(x, k, b), pool, strides)

    assert check_op(fn, (2, 7, 7, 2), (3, 3, 2, 3), (3,))


def test_relu_conv_output_with_a_second_consumer_still_masked():
    rng = np.random.default_rng(2)
    weights = rng.normal(size=(2, 5, 5, 3))

    def fn(x, k, b):
        y = _relu_conv(x, k, b)
        return max_pool2d(y, 2).sum() + (y * weights).sum()

    assert check_op(fn, (2, 7, 7, 2), (3, 3, 2, 3), (3,))


def test_retained_conv_output_gradient_is_the_pool_gradient():
    rng = np.random.default_rng(3)
    x, k, b = rng.normal(size=(1, 6, 6, 1)), rng.normal(size=(3, 3, 1, 2)), np.full(2, -5.0)
    k_t = lamina.Tensor(k, requires_grad=True)
    y = _relu_conv(x, k_t, b)  # a bias of -5: most windows are all zeros
    y.retain_grad()
    max_pool2d(y, 2).sum().backward()
    expected = lamina.Tensor(y.numpy(), requires_grad=True)
    max_pool2d(expected, 2).sum().backward()
    np.testing.assert_array_equal(y.grad, expected.grad)  # one per window, zeros included
    assert y.grad.sum() == 2 * 2 * 2 and y._node.premasked is None


# ----- volumes (3-D) -----
FIXTURES_3D = np.load(
    os.path.join(os.path.dirname(__file__), "..", "fixtures", "conv3d.npz"), allow_pickle=False
)
POOL3D_OPS = {"max_pool3d": lamina.ops.max_pool3d, "avg_pool3d": lamina.ops.avg_pool3d}
POOL3D_CASES = sorted(
    {k.split("/")[0] for k in FIXTURES_3D.files if k.endswith("/op") and "pool" in k}
)
GEOMETRIES_3D = [
    # pool, strides, padding
    ((2, 2, 2), (2, 2, 2), "valid"),
    ((3, 2, 2), (2, 1, 2), "valid"),  # overlapping windows on one axis
    ((2, 2, 3), (2, 2, 2), "same"),  # odd sizes: a padded last slab
    ((2, 1, 3), (3, 1, 1), "same"),  # gaps between windows on the first axis
]


@pytest.mark.parametrize("case", POOL3D_CASES)
def test_pool3d_matches_pytorch(case):
    check_against_fixture(FIXTURES_3D, case, POOL3D_OPS)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool, strides, padding", GEOMETRIES_3D)
def test_pool3d_gradients(pool, strides, padding, kind):
    op = lamina.ops.max_pool3d if kind == "max" else lamina.ops.avg_pool3d
    assert check_op(lambda x: op(x, pool, strides, padding), (2, 5, 4, 5, 2))


def test_pool3d_tiled_windows_match_numpy():
    x = np.random.default_rng(0).normal(size=(2, 4, 6, 2, 3))
    windows = x.reshape(2, 2, 2, 3, 2, 1, 2, 3)  # pool (2, 2, 2) on axes 1, 3, 5
    np.testing.assert_array_equal(lamina.ops.max_pool3d(x, 2).numpy(), windows.max(axis=(2, 4, 6)))
    np.testing.assert_allclose(lamina.ops.avg_pool3d(x, 2).numpy(), windows.mean(axis=(2, 4, 6)))


def test_max_pool3d_ties_give_the_gradient_to_the_first_max():
    x = lamina.Tensor(np.zeros((1, 2, 2, 2, 1)), requires_grad=True)
    lamina.ops.max_pool3d(x, 2).sum().backward()
    assert x.grad.ravel().tolist() == [1, 0, 0, 0, 0, 0, 0, 0]


def test_avg_pool3d_same_excludes_padding_from_the_count():
    out = lamina.ops.avg_pool3d(np.ones((1, 3, 3, 3, 1)), 2, padding="same").numpy()
    np.testing.assert_array_equal(out, np.ones((1, 2, 2, 2, 1)))


def test_max_pool3d_of_relu_conv_masks_in_pooled_space():
    """The pool finds the volumetric conv's fused ReLU (ConvNd) as it does Conv's, and the
    gradients stay right."""
    from lamina.ops.conv import ConvNd

    def relu_conv(x, k, b):
        return ConvNd.apply(x, k, b, strides=(1, 1, 1), padding="valid", dilation=(1, 1, 1),
                            activation="relu")  # fmt: skip

    rng = np.random.default_rng(0)
    y = relu_conv(lamina.Tensor(rng.normal(size=(1, 4, 4, 4, 1)), requires_grad=True),
                  rng.normal(size=(2, 2, 2, 1, 2)), None)  # fmt: skip
    assert lamina.ops.max_pool3d(y, 2)._node._relu_conv() is y._node
    assert check_op(lambda x, k, b: lamina.ops.max_pool3d(relu_conv(x, k, b), 2, 1),
                    (2, 4, 4, 5, 2), (2, 2, 2, 2, 3), (3,))  # fmt: skip


def test_pool3d_errors_name_the_problem():
    with pytest.raises(ValueError, match="rank 5"):
        lamina.ops.max_pool3d(np.ones((2, 4, 4, 1)), 2)
    with pytest.raises(ValueError, match="smaller than the window"):
        lamina.ops.avg_pool3d(np.ones((1, 4, 2, 4, 1)), 3)
    with pytest.raises(ValueError, match="pool_size"):
        lamina.ops.max_pool3d(np.ones((1, 4, 4, 4, 1)), (2, 2))
