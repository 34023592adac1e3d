"""MultiHeadAttention: PyTorch reference outputs and gradients (inputs and every weight), float64
gradient checks, Keras masking semantics, scores, config round trip and errors."""

import json
import os

import numpy as np
import pytest

import lamina
from lamina.layers import Embedding, Layer, get_mask, set_mask
from lamina.layers.attention import MultiHeadAttention
from tests.helpers import check_layer_gradients

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "attention.npz"))


def _fixture(name):
    return {k.split("/", 1)[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith(name + "/")}


# ----- PyTorch references (torch.nn.MultiheadAttention with the same weights) -----
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-5)])
@pytest.mark.parametrize("name", ["mha_self", "mha_cross", "mha_causal"])
def test_matches_torch_multihead_attention(name, dtype, tol):
    f = _fixture(name)
    layer = MultiHeadAttention(num_heads=2, key_dim=4, dtype=dtype)
    query = lamina.Tensor(f["query"].astype(dtype), requires_grad=True)
    key = value = query
    if "key" in f:
        key = lamina.Tensor(f["key"].astype(dtype), requires_grad=True)
        value = lamina.Tensor(f["value"].astype(dtype), requires_grad=True)
    kwargs = {"use_causal_mask": name == "mha_causal"}
    if "valid" in f:
        kwargs["value_mask"] = f["valid"]
    layer(query, value, key=key)  # build
    layer.set_weights([f[f"weight_{i}"] for i in range(8)])
    out, scores = layer(query, value, key=key, return_attention_scores=True, **kwargs)
    assert out.dtype == dtype
    out.backward(f["w"].astype(dtype))
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=tol, atol=tol)
    np.testing.assert_allclose(scores.numpy(), f["scores"], rtol=tol, atol=tol)
    tensors = {"query": query} if key is query else {"query": query, "key": key, "value": value}
    for k, t in tensors.items():
        np.testing.assert_allclose(t.grad, f[f"grad_{k}"], rtol=tol, atol=tol, err_msg=k)
    assert len(layer.weights) == 8
    for i, w in enumerate(layer.weights):
        np.testing.assert_allclose(
            w.grad, f[f"grad_weight_{i}"], rtol=tol, atol=tol, err_msg=w.name
        )


# ----- float64 gradient checks through the layer -----
class _SelfAttention(Layer):
    """mha(x, x) as a one-input layer, so check_layer_gradients can drive it."""

    def __init__(self, mha, key_mask=None, **kwargs):
        super().__init__(dtype="float64", **kwargs)
        self.mha, self.key_mask = mha, key_mask

    def call(self, x, training=False):
        if self.key_mask is not None:
            x = x * 1.0  # a new tensor for the mask
            set_mask(x, self.key_mask)
        return self.mha(x, x, training=training)


class _CrossAttention(Layer):
    """x = concat(query, key, value) along time -> mha(query, value, key)."""

    def __init__(self, mha, tq, tk, value_mask=None, **kwargs):
        super().__init__(dtype="float64", **kwargs)
        self.mha, self.tq, self.tk, self.value_mask = mha, tq, tk, value_mask

    def call(self, x, training=False):
        q = x[:, : self.tq]
        k = x[:, self.tq : self.tq + self.tk]
        v = x[:, self.tq + self.tk :]
        return self.mha(q, v, key=k, value_mask=self.value_mask, training=training)


def test_layer_gradients_self_attention(rng):
    layer = _SelfAttention(MultiHeadAttention(2, 3, value_dim=2, dtype="float64"))
    assert check_layer_gradients(layer, rng.normal(size=(2, 4, 5)))


def test_layer_gradients_self_attention_with_input_mask(rng):
    mask = np.array([[True, True, True, False], [True, False, True, True]])
    layer = _SelfAttention(MultiHeadAttention(2, 3, dtype="float64"), key_mask=mask)
    assert check_layer_gradients(layer, rng.normal(size=(2, 4, 5)))


def test_layer_gradients_cross_attention_with_value_mask_and_causal(rng):
    mask = np.array([[True, True, False, True, True], [True, True, True, False, False]])
    mha = MultiHeadAttention(2, 3, output_shape=4, dtype="float64")
    assert check_layer_gradients(_CrossAttention(mha, 3, 5, mask), rng.normal(size=(2, 13, 5)))

    class Causal(Layer):
        def __init__(self):
            super().__init__(dtype="float64")
            self.mha = MultiHeadAttention(2, 2, use_bias=False, dtype="float64")

        def call(self, x, training=False):
            return self.mha(x, x, use_causal_mask=True)

    assert check_layer_gradients(Causal(), rng.normal(size=(2, 4, 3)))


# ----- masks -----
def test_input_masks_combine_and_the_output_carries_the_query_mask():
    emb = Embedding(10, 8, mask_zero=True)
    q = emb(np.array([[1, 2, 3, 0], [4, 5, 0, 0]]))
    v = emb(np.array([[3, 4, 0, 0, 0], [6, 7, 8, 9, 1]]))
    mha = MultiHeadAttention(2, 4)
    out, scores = mha(q, v, return_attention_scores=True)
    np.testing.assert_array_equal(get_mask(out), get_mask(q))
    assert get_mask(scores) is None and not scores.requires_grad
    s = scores.numpy()
    # padded keys get no weight; rows of real queries sum to 1; padded queries attend nowhere
    np.testing.assert_array_equal(s[0, :, :, 2:], 0.0)
    np.testing.assert_allclose(s[0, :, :3].sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(s[1, :, :2].sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(s[0, :, 3], 0.0)
    np.testing.assert_array_equal(s[1, :, 2:], 0.0)
    assert not np.any(np.isnan(out.numpy()))


def test_padding_does_not_change_unpadded_outputs(rng):
    emb = Embedding(10, 8, mask_zero=True)
    mha = MultiHeadAttention(2, 4)
    padded = emb(np.array([[1, 2, 3, 0, 0]]))
    out = mha(padded, padded).numpy()
    short = emb(np.array([[1, 2, 3]]))
    np.testing.assert_allclose(out[:, :3], mha(short, short).numpy(), rtol=1e-5, atol=1e-6)

    # cross-attention: a padded value, query unmasked
    q = rng.normal(size=(1, 4, 8)).astype(np.float32)
    full = mha(q, padded).numpy()
    np.testing.assert_allclose(full, mha(q, short).numpy(), rtol=1e-5, atol=1e-6)


def test_explicit_masks_equal_attention_mask(rng):
    q, v = rng.normal(size=(2, 3, 6)), rng.normal(size=(2, 5, 6))
    valid = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    mha = MultiHeadAttention(3, 2)
    a = mha(q, v, value_mask=valid).numpy()
    b = mha(q, v, attention_mask=np.broadcast_to(valid[:, None, :], (2, 3, 5))).numpy()
    c = mha(q, v, key_mask=valid).numpy()
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(a, c)
    assert not np.allclose(a, mha(q, v).numpy())


def test_causal_output_at_t_ignores_later_inputs(rng):
    x = rng.normal(size=(2, 6, 8)).astype(np.float32)
    mha = MultiHeadAttention(2, 4)
    out = mha(x, x, use_causal_mask=True).numpy()
    x2 = x.copy()
    x2[:, 4:] = rng.normal(size=x2[:, 4:].shape)
    out2 = mha(x2, x2, use_causal_mask=True).numpy()
    np.testing.assert_allclose(out2[:, :4], out[:, :4], rtol=1e-6, atol=1e-6)
    assert not np.allclose(out2[:, 4:], out[:, 4:])
    _, scores = mha(x, x, use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_array_equal(np.triu(scores.numpy()[0, 0], 1), 0.0)


def test_fully_masked_query_row_gives_no_nan(rng):
    x = rng.normal(size=(1, 3, 4))
    mask = np.array([[[True, True, False], [False, False, False], [True, False, True]]])
    mha = MultiHeadAttention(2, 2, dtype="float64")
    xt = lamina.Tensor(x, requires_grad=True)
    out, scores = mha(xt, xt, attention_mask=mask, return_attention_scores=True)
    out.sum().backward()
    assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(xt.grad))
    np.testing.assert_array_equal(scores.numpy()[0, :, 1], 0.0)
    # with zero attention the row's output is the output bias alone
    np.testing.assert_allclose(out.numpy()[0, 1], mha.output_bias.numpy())


# ----- shapes, options, dropout -----
def test_weights_have_keras_layout_and_order():
    mha = MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5)
    mha(np.zeros((2, 7, 6)), np.zeros((2, 9, 6)), key=np.zeros((2, 9, 10)))
    shapes = [tuple(w.shape) for w in mha.get_weights()]
    assert shapes == [(6, 3, 4), (3, 4), (10, 3, 4), (3, 4), (6, 3, 5), (3, 5), (3, 5, 6), (6,)]
    no_bias = MultiHeadAttention(2, 4, use_bias=False)
    no_bias(np.zeros((1, 3, 8)), np.zeros((1, 3, 8)))
    assert len(no_bias.weights) == 4


def test_output_shape_and_compute_output_shape(rng):
    q, v = rng.normal(size=(2, 3, 6)), rng.normal(size=(2, 5, 4))
    mha = MultiHeadAttention(2, 4, output_shape=7)
    assert mha(q, v).shape == (2, 3, 7)
    assert mha.compute_output_shape((None, 3, 6), (None, 5, 4)) == (None, 3, 7)
    mha2 = MultiHeadAttention(2, 4, output_shape=(2, 3))
    assert mha2(q, v).shape == (2, 3, 2, 3) and mha2.output_kernel.shape == (2, 4, 2, 3)
    assert MultiHeadAttention(1, 2).compute_output_shape((None, 3, 6)) == (None, 3, 6)


def test_dropout_only_in_training(rng):
    x = rng.normal(size=(2, 5, 8)).astype(np.float32)
    mha = MultiHeadAttention(2, 4, dropout=0.5)
    plain = MultiHeadAttention(2, 4)
    plain(x, x)
    out = mha(x, x).numpy()
    plain.set_weights(mha.get_weights())
    np.testing.assert_array_equal(out, plain(x, x).numpy())
    assert not np.allclose(mha(x, x, training=True).numpy(), out)


def test_regularizers_add_losses():
    mha = MultiHeadAttention(2, 2, kernel_regularizer="l2", bias_regularizer="l1")
    mha(np.ones((1, 2, 4)), np.ones((1, 2, 4)))
    assert len(mha.losses) == 8


def test_config_round_trip(rng):
    q, v = rng.normal(size=(2, 3, 6)), rng.normal(size=(2, 4, 6))
    mha = MultiHeadAttention(
        3, 2, value_dim=3, dropout=0.1, output_shape=5, kernel_initializer="he_normal"
    )
    out = mha(q, v).numpy()
    config = json.loads(json.dumps(mha.get_config()))
    clone = MultiHeadAttention.from_config(config)
    assert (clone.num_heads, clone.key_dim, clone.value_dim, clone.dropout) == (3, 2, 3, 0.1)
    clone(q, v)
    clone.set_weights(mha.get_weights())
    np.testing.assert_allclose(clone(q, v).numpy(), out, rtol=1e-6)


# ----- errors -----
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"num_heads": 2, "key_dim": 0}, ValueError, "key_dim must be a positive integer"),
        ({"num_heads": 0, "key_dim": 2}, ValueError, "num_heads must be a positive integer"),
        ({"num_heads": 2, "key_dim": 2, "value_dim": -1}, ValueError, "value_dim"),
        ({"num_heads": 2, "key_dim": 2, "dropout": 1.0}, ValueError, "dropout"),
        ({"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2)}, NotImplementedError, "axes"),
    ],
)
def test_constructor_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        MultiHeadAttention(**kwargs)


def test_call_errors(rng):
    mha = MultiHeadAttention(2, 2)
    x = rng.normal(size=(2, 3, 4))
    with pytest.raises(TypeError, match=r"mha\(query, value\)"):
        mha(x)
    with pytest.raises(ValueError, match="pass output_shape"):
        mha(x, rng.normal(size=(2, 3, 5)))
    with pytest.raises(ValueError, match="3-D"):
        MultiHeadAttention(2, 2)(np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="every axis but the last"):
        MultiHeadAttention(2, 2)(x, x, key=np.zeros((2, 5, 4)))
    mha(x, x)
    with pytest.raises(ValueError, match="built for query with last dimension 4"):
        mha(np.zeros((2, 3, 6)), np.zeros((2, 3, 6)))
    with pytest.raises(ValueError, match="value_mask must have shape"):
        mha(x, x, value_mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="attention_mask must have shape"):
        mha(x, x, attention_mask=np.ones((2, 3, 4), bool))
    wide = MultiHeadAttention(2, 2, output_shape=4)  # the fix the message names
    assert wide(x, rng.normal(size=(2, 3, 5))).shape == (2, 3, 4)
