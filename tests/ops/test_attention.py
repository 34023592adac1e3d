"""scaled_dot_product_attention and causal_mask: float64 gradient checks (3-D, 4-D, masks,
causal, dropout), a NumPy reference, masking semantics (fully masked rows), scores and errors."""

import numpy as np
import pytest

import lamina
from lamina.ops.attention import causal_mask, scaled_dot_product_attention
from lamina.testing import check_gradients


def _reference(q, k, v, mask=None, scale=None):
    """Plain NumPy attention; fully masked rows give zeros."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = np.einsum("...qd,...kd->...qk", q, k) * scale
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    top = np.max(s, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    e = np.exp(s - top)
    total = e.sum(-1, keepdims=True)
    p = e / np.where(total == 0, 1, total)
    return p @ v, p


def _qkv(rng, lead, tq, tk, d=5, dv=3):
    return (
        rng.normal(size=(*lead, tq, d)),
        rng.normal(size=(*lead, tk, d)),
        rng.normal(size=(*lead, tk, dv)),
    )


# ----- gradients (float64 central differences) -----
@pytest.mark.parametrize("lead", [(2,), (2, 3)], ids=["3d", "4d"])
def test_gradients_without_mask(lead, rng):
    q, k, v = _qkv(rng, lead, 4, 6)
    assert check_gradients(lambda q, k, v: scaled_dot_product_attention(q, k, v), q, k, v)


def test_gradients_with_padding_mask_and_a_fully_masked_row(rng):
    q, k, v = _qkv(rng, (2, 3), 4, 6)
    mask = rng.random((2, 1, 4, 6)) > 0.4
    mask[0, 0, 2] = False  # one row attends to nothing
    mask[1, 0, :, 0] = True  # every other row of batch 1 attends somewhere

    def fn(q, k, v):
        return scaled_dot_product_attention(q, k, v, mask=mask)

    assert check_gradients(fn, q, k, v)


@pytest.mark.parametrize("lead", [(2,), (2, 2)], ids=["3d", "4d"])
def test_gradients_causal_and_custom_scale(lead, rng):
    q, k, v = _qkv(rng, lead, 5, 5)

    def fn(q, k, v):
        return scaled_dot_product_attention(q, k, v, causal_mask(5), scale=0.7)

    assert check_gradients(fn, q, k, v)


def test_gradients_with_dropout(rng):
    q, k, v = _qkv(rng, (2, 2), 3, 4)

    def fn(q, k, v):
        lamina.seed(7)  # the same dropout mask at every evaluation
        return scaled_dot_product_attention(q, k, v, dropout_rate=0.4, training=True)

    assert check_gradients(fn, q, k, v)


# ----- values -----
@pytest.mark.parametrize("lead", [(2,), (2, 3)], ids=["3d", "4d"])
def test_matches_numpy_reference_with_and_without_mask(lead, rng):
    q, k, v = _qkv(rng, lead, 4, 7)
    out = scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(out.numpy(), _reference(q, k, v)[0], rtol=1e-12, atol=1e-12)
    mask = rng.random((lead[0],) + (1,) * (len(lead) - 1) + (4, 7)) > 0.3
    out, w = scaled_dot_product_attention(q, k, v, mask, scale=0.3, return_scores=True)
    ref_out, ref_w = _reference(q, k, v, mask, scale=0.3)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), np.broadcast_to(ref_w, w.shape), rtol=1e-12, atol=1e-14)


def test_float32_stays_float32_and_large_scores_are_stable(rng):
    q, k, v = (a.astype(np.float32) * 300 for a in _qkv(rng, (2, 2), 3, 4))
    out, w = scaled_dot_product_attention(q, k, v, return_scores=True)
    assert out.dtype == np.float32 and w.dtype == np.float32
    assert np.all(np.isfinite(out.numpy()))
    np.testing.assert_allclose(w.numpy().sum(-1), 1.0, rtol=1e-6)


def test_fully_masked_row_gives_zeros_and_no_nan(rng):
    q, k, v = _qkv(rng, (1, 2), 3, 4)
    mask = np.ones((1, 1, 3, 4), bool)
    mask[0, 0, 1] = False
    tq = lamina.Tensor(q, requires_grad=True)
    out, w = scaled_dot_product_attention(tq, k, v, mask, return_scores=True)
    assert not np.any(np.isnan(out.numpy()))
    np.testing.assert_array_equal(out.numpy()[:, :, 1], 0.0)
    np.testing.assert_array_equal(w.numpy()[:, :, 1], 0.0)
    np.testing.assert_allclose(w.numpy()[:, :, [0, 2]].sum(-1), 1.0)
    out.sum().backward()
    assert np.all(np.isfinite(tq.grad))
    np.testing.assert_array_equal(tq.grad[:, :, 1], 0.0)


def test_masked_keys_do_not_change_the_output(rng):
    q, k, v = _qkv(rng, (2,), 3, 5)
    mask = np.array([True, True, False, True, False])[None, None, :]
    out = scaled_dot_product_attention(q, k, v, mask).numpy()
    k2, v2 = k.copy(), v.copy()
    k2[:, [2, 4]] += 100.0
    v2[:, [2, 4]] -= 50.0
    np.testing.assert_allclose(scaled_dot_product_attention(q, k2, v2, mask).numpy(), out)
    kept = scaled_dot_product_attention(q, k[:, [0, 1, 3]], v[:, [0, 1, 3]]).numpy()
    np.testing.assert_allclose(out, kept, rtol=1e-12)


def test_causal_output_ignores_the_future(rng):
    q, k, v = _qkv(rng, (2, 2), 6, 6)
    out = scaled_dot_product_attention(q, k, v, causal_mask(6)).numpy()
    k2, v2 = k.copy(), v.copy()
    k2[..., 4:, :] = rng.normal(size=k2[..., 4:, :].shape)
    v2[..., 4:, :] = rng.normal(size=v2[..., 4:, :].shape)
    out2 = scaled_dot_product_attention(q, k2, v2, causal_mask(6)).numpy()
    np.testing.assert_allclose(out2[..., :4, :], out[..., :4, :])
    assert not np.allclose(out2[..., 4:, :], out[..., 4:, :])


def test_scores_are_outside_the_graph_and_before_dropout(rng):
    q, k, v = _qkv(rng, (2, 2), 3, 4)
    tq = lamina.Tensor(q, requires_grad=True)
    lamina.seed(3)
    out, w = scaled_dot_product_attention(
        tq, k, v, dropout_rate=0.5, training=True, return_scores=True
    )
    assert out.requires_grad and not w.requires_grad
    np.testing.assert_allclose(w.numpy(), _reference(q, k, v)[1], rtol=1e-12)
    assert not np.allclose(out.numpy(), _reference(q, k, v)[0])


def test_dropout_only_in_training_and_reproducible(rng):
    q, k, v = _qkv(rng, (2, 2), 3, 4)
    plain = scaled_dot_product_attention(q, k, v).numpy()
    inference = scaled_dot_product_attention(q, k, v, dropout_rate=0.5).numpy()
    np.testing.assert_array_equal(inference, plain)
    lamina.seed(5)
    a = scaled_dot_product_attention(q, k, v, dropout_rate=0.5, training=True).numpy()
    lamina.seed(5)
    b = scaled_dot_product_attention(q, k, v, dropout_rate=0.5, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, plain)


def test_causal_mask():
    np.testing.assert_array_equal(causal_mask(2, 3), [[True, False, False], [True, True, False]])
    np.testing.assert_array_equal(causal_mask(3), np.tril(np.ones((3, 3), bool)))
    with pytest.raises(ValueError, match="tq must be a positive integer"):
        causal_mask(0)


# ----- errors -----
@pytest.mark.parametrize(
    "shapes, kwargs, match",
    [
        (((2, 3, 4), (2, 3, 4), (2, 3, 4, 1)), {}, "all of one rank"),
        (((2, 3), (2, 3), (2, 3)), {}, "all of one rank"),
        (((2, 3, 4), (3, 3, 4), (3, 3, 4)), {}, "leading"),
        (((2, 3, 4), (2, 3, 5), (2, 3, 4)), {}, "same last dimension"),
        (((2, 3, 4), (2, 5, 4), (2, 6, 4)), {}, "same length Tk"),
        (((2, 3, 4), (2, 5, 4), (2, 5, 4)), {"dropout_rate": 1.0}, r"\[0, 1\)"),
        (
            ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)),
            {"mask": np.ones((2, 3, 5), bool)},
            r"mask\[:, None\]",
        ),
        (((2, 3, 4), (2, 5, 4), (2, 5, 4)), {"mask": np.ones((2, 3, 4), bool)}, "broadcast"),
    ],
)
def test_errors(shapes, kwargs, match):
    arrays = [np.zeros(s) for s in shapes]
    with pytest.raises(ValueError, match=match):
        scaled_dot_product_attention(*arrays, **kwargs)
