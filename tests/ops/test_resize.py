"""upsample (nearest and linear), and the pad/index calls the padding and cropping layers make:
float64 gradient checks, NumPy and PyTorch references, argument errors."""

import os

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.ops.resize import upsample
from lamina.testing import check_gradients

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "normalization.npz"))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("interpolation", ["nearest", "linear"])
@pytest.mark.parametrize(
    "shape, size, axes",
    [
        ((2, 3, 2), 2, None),
        ((2, 3, 4, 2), (2, 3), None),
        ((2, 3, 4, 2), (3, 1), None),
        ((1, 2, 1, 3, 2), 2, None),
        ((2, 2, 3, 4), (2, 2), (2, 3)),  # channels-first
        ((2, 1, 2), 4, None),
    ],
)
def test_upsample_gradients(shape, size, axes, interpolation, rng):
    x = rng.normal(size=shape)
    assert check_gradients(lambda x: upsample(x, size, axes, interpolation), x)


def test_upsample_nearest_repeats(rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    out = upsample(x, (2, 3)).numpy()
    np.testing.assert_array_equal(out, x.repeat(2, axis=1).repeat(3, axis=2))
    assert out.dtype == np.float32


def test_upsample_linear_1d_is_half_pixel_interpolation(rng):
    x = rng.normal(size=(1, 5, 1))
    out = upsample(x, 3, interpolation="linear").numpy()[0, :, 0]
    src = np.clip((np.arange(15) + 0.5) / 3 - 0.5, 0, 4)
    np.testing.assert_allclose(out, np.interp(src, np.arange(5), x[0, :, 0]), rtol=1e-12)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-5)])
def test_upsample_bilinear_matches_torch(dtype, tol):
    x = lamina.Tensor(FIXTURE["up_bilinear/x"].astype(dtype), requires_grad=True)
    out = upsample(x, (2, 3), interpolation="bilinear")
    out.backward(FIXTURE["up_bilinear/w"].astype(dtype))
    np.testing.assert_allclose(out.numpy(), FIXTURE["up_bilinear/out"], rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad, FIXTURE["up_bilinear/grad_x"], rtol=tol, atol=tol)
    assert out.dtype == dtype and x.grad.dtype == dtype


def test_zero_padding_and_cropping_gradients(rng):
    x = rng.normal(size=(2, 4, 5, 3))
    pad = [(0, 0), (1, 2), (0, 3), (0, 0)]
    assert check_gradients(lambda x: ops.pad(x, pad), x)
    crop = (slice(None), slice(1, 3), slice(2, 4), slice(None))
    assert check_gradients(lambda x: ops.getitem(x, crop), x)


def test_upsample_errors():
    x = np.zeros((1, 2, 2, 1), np.float32)
    with pytest.raises(ValueError, match="interpolation must be one of"):
        upsample(x, 2, interpolation="bicubic")
    with pytest.raises(ValueError, match="positive integers"):
        upsample(x, (2, 0))
    with pytest.raises(ValueError, match="one size per distinct axis"):
        upsample(x, (2, 2), axes=(1,))
    with pytest.raises(ValueError, match="out of range"):
        upsample(x, 2, axes=(4,))
