"""Embedding and Masking layers, and how masks flow between layers."""

import numpy as np
import pytest

import lamina
from lamina.layers import (
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    Input,
    Masking,
    get_mask,
)
from lamina.models import Sequential


def test_embedding_shapes_weights_and_defaults():
    layer = Embedding(10, 4)
    out = layer(np.array([[1, 2, 3]]))
    assert out.shape == (1, 3, 4)
    assert layer.embeddings.shape == (10, 4)
    # Keras's default initializer is uniform(-0.05, 0.05)
    assert np.abs(layer.embeddings.numpy()).max() <= 0.05
    assert get_mask(out) is None


def test_embedding_mask_zero_attaches_mask():
    layer = Embedding(10, 4, mask_zero=True)
    out = layer(np.array([[5, 0, 2, 0]]))
    np.testing.assert_array_equal(get_mask(out), [[True, False, True, False]])


def test_embedding_trains_in_sequential_and_round_trips():
    x = np.random.default_rng(0).integers(0, 7, size=(16, 5))
    y = (x.sum(axis=1) > 15).astype("float32")
    model = Sequential([Input(shape=(5,), dtype="int64"), Embedding(7, 3), Flatten(), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()[0].copy()
    model.fit(x, y, epochs=2, verbose=0)
    assert not np.allclose(before, model.get_weights()[0])
    clone = Embedding.from_config(model.layers[0].get_config())
    assert clone.get_config()["input_dim"] == 7


def test_embedding_input_length_and_weights_arguments():
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    layer = Embedding(3, 2, weights=[table], input_length=4)
    assert layer._batch_input_shape == (None, 4)
    np.testing.assert_array_equal(layer(np.array([[2, 1, 0, 0]])).numpy()[0], table[[2, 1, 0, 0]])


@pytest.mark.parametrize("arg", [0, -3, 2.5, True, np.float64(3.0), np.int64(0)])
def test_embedding_rejects_bad_sizes(arg):
    with pytest.raises(ValueError, match="positive integer"):
        Embedding(arg, 4)


def test_embedding_takes_numpy_integer_sizes_as_ints():
    layer = Embedding(np.int64(10), np.int32(3))
    assert (type(layer.input_dim), type(layer.output_dim)) == (int, int)
    assert layer(np.array([[1, 9]])).shape == (1, 2, 3)
    assert layer.get_config()["input_dim"] == 10


def test_masking_zeroes_and_masks_padded_steps():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]], [[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]])
    out = Masking()(x)
    np.testing.assert_array_equal(get_mask(out), [[True, False, True], [False, True, False]])
    np.testing.assert_array_equal(out.numpy(), x)
    out = Masking(mask_value=1.0)(x)
    np.testing.assert_array_equal(get_mask(out)[1], [True, False, True])
    np.testing.assert_array_equal(out.numpy()[1, 1], [0.0, 0.0])


def test_masking_requires_sequences():
    with pytest.raises(ValueError, match=r"\(batch, time, features\)"):
        Masking()(np.zeros((2, 3)))


def test_mask_passes_through_supporting_layers_and_stops_at_others():
    x = np.array([[3, 1, 0]])
    emb = Embedding(5, 4, mask_zero=True)
    h = Dropout(0.5)(Dense(4)(emb(x)))
    np.testing.assert_array_equal(get_mask(h), [[True, True, False]])
    assert get_mask(Flatten()(h)) is None


def test_global_average_pooling_1d_honours_the_mask():
    emb = Embedding(5, 2, mask_zero=True)
    x = np.array([[1, 2, 0, 0], [3, 0, 0, 0], [0, 0, 0, 0]])
    e = emb(x)
    out = GlobalAveragePooling1D()(e).numpy()
    table = emb.embeddings.numpy()
    np.testing.assert_allclose(out[0], table[[1, 2]].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(out[1], table[3], rtol=1e-6)
    np.testing.assert_array_equal(out[2], [0.0, 0.0])  # nothing to average: 0, not NaN
    assert get_mask(GlobalAveragePooling1D()(e)) is None


def test_masked_pooling_gradient_ignores_padding():
    x = lamina.tensor(np.ones((1, 3, 2)), requires_grad=True)
    lamina.layers.set_mask(x, np.array([[True, False, True]]))
    GlobalAveragePooling1D()(x).sum().backward()
    np.testing.assert_allclose(x.grad[0, :, 0], [0.5, 0.0, 0.5])


def test_mask_flows_through_a_sequential_model():
    model = Sequential([Embedding(6, 3, mask_zero=True), GlobalAveragePooling1D()])
    a = model.predict(np.array([[1, 2, 0, 0]]), verbose=0)
    b = model.predict(np.array([[1, 2, 0, 0]])[:, :2], verbose=0)
    np.testing.assert_allclose(a, b, rtol=1e-6)
