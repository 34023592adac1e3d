"""TransformerEncoder (PyTorch reference, both norm orders, gradients, masks) and the positional
embeddings: PositionEmbedding, SinePositionEncoding, TokenAndPositionEmbedding."""

import json
import os

import numpy as np
import pytest

import lamina
from lamina.layers import Embedding, Layer, get_mask
from lamina.layers.transformer import (
    PositionEmbedding,
    SinePositionEncoding,
    TokenAndPositionEmbedding,
    TransformerEncoder,
)
from tests.helpers import check_layer, check_layer_gradients

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "attention.npz"))


def _fixture(name):
    return {k.split("/", 1)[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith(name + "/")}


# ----- TransformerEncoder -----
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 5e-5)])
@pytest.mark.parametrize("name", ["enc_post", "enc_pre"])
def test_encoder_matches_torch_transformer_encoder_layer(name, dtype, tol):
    f = _fixture(name)
    layer = TransformerEncoder(16, 2, layer_norm_epsilon=1e-5, dtype=dtype)
    layer.normalize_first = name == "enc_pre"
    x = lamina.Tensor(f["x"].astype(dtype), requires_grad=True)
    layer(x)
    layer.set_weights([f[f"weight_{i}"] for i in range(16)])
    out = layer(x, padding_mask=f["valid"])
    assert out.dtype == dtype
    out.backward(f["w"].astype(dtype))
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad, f["grad_x"], rtol=tol, atol=tol)
    assert len(layer.trainable_weights) == 16
    for i, w in enumerate(layer.weights):
        np.testing.assert_allclose(
            w.grad, f[f"grad_weight_{i}"], rtol=tol, atol=tol, err_msg=w.name
        )


def test_encoder_norm_first_is_an_alias_and_changes_the_output(rng):
    x = rng.normal(size=(2, 4, 8)).astype(np.float32)
    post, pre = TransformerEncoder(8, 2), TransformerEncoder(8, 2, norm_first=True)
    assert pre.normalize_first and not post.normalize_first
    post(x)
    pre(x)
    pre.set_weights(post.get_weights())
    assert not np.allclose(pre(x).numpy(), post(x).numpy())


def test_encoder_check_layer():
    assert check_layer(lambda: TransformerEncoder(12, 2), (3, 5, 8))
    assert check_layer(lambda: TransformerEncoder(6, 4, normalize_first=True), (2, 3, 4))


class _Padded(Layer):
    def __init__(self, encoder, padding_mask):
        super().__init__(dtype="float64")
        self.encoder, self.padding_mask = encoder, padding_mask

    def call(self, x, training=False):
        return self.encoder(x, padding_mask=self.padding_mask)


@pytest.mark.parametrize("normalize_first", [False, True])
def test_encoder_layer_gradients(normalize_first, rng):
    valid = np.array([[True, True, False], [True, True, True]])
    encoder = TransformerEncoder(5, 2, normalize_first=normalize_first, dtype="float64")
    assert check_layer_gradients(_Padded(encoder, valid), rng.normal(size=(2, 3, 4)))


def test_encoder_padding_from_embedding_mask_and_argument():
    emb = Embedding(20, 8, mask_zero=True)
    encoder = TransformerEncoder(16, 2)
    padded = emb(np.array([[3, 7, 1, 0, 0], [4, 0, 0, 0, 0]]))
    out = encoder(padded)
    np.testing.assert_array_equal(get_mask(out), get_mask(padded))
    short = encoder(emb(np.array([[3, 7, 1]]))).numpy()
    np.testing.assert_allclose(out.numpy()[0, :3], short[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        out.numpy()[1, :1], encoder(emb(np.array([[4]]))).numpy()[0], rtol=1e-5, atol=1e-5
    )
    assert np.all(np.isfinite(out.numpy()))
    # an explicit padding_mask does the same on an unmasked input
    plain = lamina.Tensor(padded.numpy())
    explicit = encoder(plain, padding_mask=get_mask(padded))
    np.testing.assert_allclose(explicit.numpy(), out.numpy(), rtol=1e-6)
    assert get_mask(explicit) is None
    assert not np.allclose(encoder(plain).numpy()[0, :3], out.numpy()[0, :3])


def test_encoder_attention_mask_causal_and_scores(rng):
    x = rng.normal(size=(2, 6, 8)).astype(np.float32)
    causal = np.tril(np.ones((6, 6), bool))[None]
    encoder = TransformerEncoder(16, 2)
    out, scores = encoder(x, attention_mask=causal, return_attention_scores=True)
    assert scores.shape == (2, 2, 6, 6)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(np.triu(scores.numpy()[1, 1], 1), 0.0)
    x2 = x.copy()
    x2[:, 3:] = rng.normal(size=x2[:, 3:].shape)
    out2 = encoder(x2, attention_mask=causal)
    np.testing.assert_allclose(out2.numpy()[:, :3], out.numpy()[:, :3], rtol=1e-5, atol=1e-6)
    assert not np.allclose(out2.numpy()[:, 3:], out.numpy()[:, 3:])


def test_encoder_scores_with_an_input_mask():
    emb = Embedding(20, 8, mask_zero=True)
    x = emb(np.array([[3, 7, 0], [4, 5, 6]]))
    out, scores = TransformerEncoder(16, 2)(x, return_attention_scores=True)
    np.testing.assert_array_equal(get_mask(out), get_mask(x))
    assert get_mask(scores) is None
    np.testing.assert_array_equal(scores.numpy()[0, :, :, 2], 0.0)  # the padded key
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-6)  # every query attends


def test_encoder_dropout_only_in_training(rng):
    x = rng.normal(size=(2, 5, 8)).astype(np.float32)
    encoder = TransformerEncoder(16, 2, dropout=0.3)
    a, b = encoder(x).numpy(), encoder(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(encoder(x, training=True).numpy(), a)


def test_encoder_frozen_before_build_freezes_sublayers(rng):
    encoder = TransformerEncoder(8, 2)
    encoder.trainable = False
    encoder(rng.normal(size=(1, 3, 4)))
    assert encoder.trainable_weights == [] and len(encoder.non_trainable_weights) == 16


def test_encoder_config_round_trip(rng):
    encoder = TransformerEncoder(
        10, 2, dropout=0.2, activation="gelu", layer_norm_epsilon=1e-6, normalize_first=True
    )
    x = rng.normal(size=(2, 3, 6))
    out = encoder(x).numpy()
    config = json.loads(json.dumps(encoder.get_config()))
    clone = TransformerEncoder.from_config(config)
    assert (clone.intermediate_dim, clone.num_heads, clone.dropout) == (10, 2, 0.2)
    assert clone.normalize_first and clone.layer_norm_epsilon == 1e-6
    clone(x)
    clone.set_weights(encoder.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), out, rtol=1e-6)


def test_encoder_errors(rng):
    with pytest.raises(ValueError, match="intermediate_dim must be a positive integer"):
        TransformerEncoder(0, 2)
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        TransformerEncoder(8, 0)
    with pytest.raises(ValueError, match="dropout"):
        TransformerEncoder(8, 2, dropout=-0.1)
    with pytest.raises(ValueError, match="layer_norm_epsilon"):
        TransformerEncoder(8, 2, layer_norm_epsilon=0)
    with pytest.raises(ValueError, match="divisible by num_heads=3"):
        TransformerEncoder(8, 3)(np.zeros((1, 2, 8)))
    with pytest.raises(ValueError, match=r"\(batch, time, features\)"):
        TransformerEncoder(8, 2)(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="padding_mask must have shape"):
        TransformerEncoder(8, 2)(np.zeros((2, 3, 8)), padding_mask=np.ones((2, 4), bool))


# ----- positional embeddings -----
def test_position_embedding_returns_the_table_broadcast(rng):
    layer = PositionEmbedding(sequence_length=6)
    x = lamina.Tensor(rng.normal(size=(3, 4, 5)).astype(np.float32), requires_grad=True)
    out = layer(x)
    table = layer.position_embeddings.numpy()
    assert layer.position_embeddings.shape == (6, 5)
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(table[:4], (3, 4, 5)))
    np.testing.assert_array_equal(layer(x, start_index=2).numpy()[1], table[2:6])
    (out * 2.0).sum().backward()
    expected = np.zeros((6, 5))
    expected[:4] = 6.0  # 3 samples, times 2
    np.testing.assert_allclose(layer.position_embeddings.grad, expected)
    with pytest.raises(ValueError, match="raise sequence_length"):
        layer(np.zeros((1, 7, 5)))
    with pytest.raises(ValueError, match="sequence_length must be positive"):
        PositionEmbedding(0)
    assert check_layer(lambda: PositionEmbedding(5), (2, 5, 3))


def test_sine_position_encoding_formula():
    steps, dim = 7, 6
    out = SinePositionEncoding(max_wavelength=100)(np.zeros((2, steps, dim)))
    t = np.arange(steps)[:, None]
    i = np.arange(dim)[None, :]
    angles = t * 100.0 ** (-2 * (i // 2) / dim)
    expected = np.where(i % 2 == 0, np.sin(angles), np.cos(angles))
    assert out.shape == (2, steps, dim) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[1], expected, rtol=1e-6, atol=1e-7)
    shifted = SinePositionEncoding(max_wavelength=100)(np.zeros((1, 3, dim)), start_index=4)
    np.testing.assert_allclose(shifted.numpy()[0], expected[4:], rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="max_wavelength must be positive"):
        SinePositionEncoding(0)
    assert check_layer(lambda: SinePositionEncoding(), (2, 4, 6))


def test_token_and_position_embedding(rng):
    ids = np.array([[3, 1, 4, 0], [5, 9, 0, 0]])
    layer = TokenAndPositionEmbedding(10, 6, 8, mask_zero=True)
    out = layer(ids)
    tokens = layer.token_embedding.embeddings.numpy()[ids]
    positions = layer.position_embedding.position_embeddings.numpy()[:4]
    np.testing.assert_allclose(out.numpy(), tokens + positions, rtol=1e-6)
    np.testing.assert_array_equal(get_mask(out), ids != 0)
    assert get_mask(TokenAndPositionEmbedding(10, 6, 8)(ids)) is None
    assert len(layer.trainable_weights) == 2

    config = json.loads(json.dumps(layer.get_config()))
    clone = TokenAndPositionEmbedding.from_config(config)
    clone(ids)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(ids).numpy(), out.numpy())
    np.testing.assert_array_equal(get_mask(clone(ids)), ids != 0)
    with pytest.raises(ValueError, match="raise sequence_length"):
        layer(np.ones((1, 7), int))


def test_embedding_encoder_stack_trains():
    from lamina.layers import Dense, GlobalAveragePooling1D
    from lamina.models import Sequential

    rng = np.random.default_rng(1)
    ids = rng.integers(1, 12, size=(16, 6))
    ids[:, 4:] = 0
    y = (ids[:, 0] > 6).astype(np.float32)[:, None]
    model = Sequential(
        [
            TokenAndPositionEmbedding(12, 6, 8, mask_zero=True),
            TransformerEncoder(16, 2),
            GlobalAveragePooling1D(),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(ids, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
