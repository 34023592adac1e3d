"""Bidirectional, TimeDistributed and SpectralNormalization."""

import numpy as np
import pytest

import lamina
from lamina.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Conv2D,
    Dense,
    Embedding,
    SimpleRNN,
    SpectralNormalization,
    TimeDistributed,
    get_mask,
)
from lamina.models import Sequential
from tests.helpers import check_layer, check_layer_gradients


def sequences(shape=(3, 5, 4), seed=0, dtype="float32"):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


@pytest.mark.parametrize("merge_mode, width", [("concat", 12), ("sum", 6), ("mul", 6), ("ave", 6)])
def test_bidirectional_merges_both_directions(merge_mode, width):
    x = sequences()
    layer = Bidirectional(LSTM(6, return_sequences=True), merge_mode=merge_mode)
    out = layer(x).numpy()
    assert out.shape == (3, 5, width)
    fw = layer.forward_layer(x).numpy()
    bw = layer.backward_layer(x).numpy()[:, ::-1]  # reversed back to the input's order
    expected = {
        "concat": np.concatenate([fw, bw], axis=-1),
        "sum": fw + bw,
        "mul": fw * bw,
        "ave": (fw + bw) / 2,
    }[merge_mode]
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert layer.compute_output_shape((None, 5, 4)) == (None, 5, width)


def test_bidirectional_backward_direction_reads_the_reversed_sequence():
    x = sequences()
    layer = Bidirectional(GRU(4))
    out = layer(x).numpy()
    reference = GRU(4)
    reference(x)
    reference.set_weights(layer.backward_layer.get_weights())
    np.testing.assert_allclose(out[:, 4:], reference(x[:, ::-1]).numpy(), rtol=1e-5, atol=1e-6)
    assert len(layer.trainable_weights) == 6


def test_bidirectional_with_padding_matches_the_unpadded_sequence():
    ids = np.array([[4, 2, 7, 0, 0]])
    model = Sequential(
        [Embedding(9, 3, mask_zero=True), Bidirectional(LSTM(4, return_sequences=True))]
    )
    padded = model.predict(ids, verbose=0)
    short = model.predict(ids[:, :3], verbose=0)
    np.testing.assert_allclose(padded[:, :3], short, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(padded[:, 3:], 0)  # padded steps give zeros both ways
    out = model(ids)
    np.testing.assert_array_equal(get_mask(out), ids != 0)


def test_bidirectional_return_state_and_no_merge():
    x = sequences()
    out, *states = Bidirectional(LSTM(3, return_state=True))(x)
    assert out.shape == (3, 6) and len(states) == 4
    assert all(s.shape == (3, 3) for s in states)
    fw, bw = Bidirectional(SimpleRNN(3), merge_mode=None)(x)
    assert fw.shape == bw.shape == (3, 3)


def test_bidirectional_gradients_float64():
    layer = Bidirectional(SimpleRNN(2, return_sequences=True, dtype="float64"), dtype="float64")
    assert check_layer_gradients(layer, sequences((2, 3, 2), dtype="float64"))


def test_bidirectional_config_save_and_errors():
    assert check_layer(lambda: Bidirectional(GRU(3)), (2, 4, 3))
    layer = Bidirectional(LSTM(3), merge_mode="sum")
    clone = Bidirectional.from_config(layer.get_config())
    assert clone.forward_layer.name.startswith("forward_")
    assert not clone.forward_layer.name.startswith("forward_forward_")
    assert clone.backward_layer.go_backwards and not clone.forward_layer.go_backwards
    with pytest.raises(ValueError, match="wraps a recurrent layer"):
        Bidirectional(Dense(3))
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(LSTM(3), merge_mode="max")


def test_time_distributed_applies_the_layer_to_every_step():
    x = sequences()
    layer = TimeDistributed(Dense(2))
    out = layer(x).numpy()
    dense = layer.layer
    for t in range(5):
        np.testing.assert_allclose(out[:, t], dense(x[:, t]).numpy(), rtol=1e-6)
    assert check_layer(lambda: TimeDistributed(Dense(3)), (2, 4, 5))
    assert check_layer_gradients(
        TimeDistributed(Dense(2, dtype="float64"), dtype="float64"),
        sequences((2, 3, 2), dtype="float64"),
    )


def test_time_distributed_conv_and_mask_passthrough():
    frames = sequences((2, 3, 6, 6, 1))
    out = TimeDistributed(Conv2D(4, 3))(frames)
    assert out.shape == (2, 3, 4, 4, 4)
    x = lamina.tensor(sequences())
    lamina.layers.set_mask(x, np.array([[True] * 5] * 3))
    assert get_mask(TimeDistributed(Dense(2))(x)) is not None
    with pytest.raises(ValueError, match=r"\(batch, time, \.\.\.\)"):
        TimeDistributed(Dense(2))(np.zeros((2, 3)))


def test_spectral_normalization_follows_keras_power_iteration(rng):
    """One training call: v = normalize(u W^T), u = normalize(v W) (twice), kernel / (v W u^T),
    computed here independently; inference leaves the kernel alone."""
    x = rng.normal(size=(2, 6, 6, 3)).astype(np.float32)
    layer = SpectralNormalization(Conv2D(4, 3), power_iterations=2)
    layer(x)
    kernel, u = layer.layer.kernel.numpy().copy(), layer.vector_u.numpy().copy()
    layer(x)  # inference: nothing changes
    np.testing.assert_array_equal(layer.layer.kernel.numpy(), kernel)
    w = kernel.reshape(-1, 4).astype(np.float64)
    for _ in range(2):
        v = u @ w.T / np.linalg.norm(u @ w.T)
        u = v @ w / np.linalg.norm(v @ w)
    expected = kernel / (v @ w @ u.T).item()
    out = layer(x, training=True)
    np.testing.assert_allclose(layer.layer.kernel.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(layer.vector_u.numpy(), u, rtol=1e-5)
    np.testing.assert_allclose(out.numpy(), layer.layer(x).numpy(), rtol=1e-6)


def test_spectral_normalization_brings_the_kernel_to_norm_one():
    dense = Dense(5, kernel_initializer="ones")
    layer = SpectralNormalization(dense, power_iterations=3)
    for _ in range(3):
        layer(np.ones((2, 7), np.float32), training=True)
    assert abs(np.linalg.norm(dense.kernel.numpy(), 2) - 1.0) < 1e-5
    # creation order, the wrapper's own weight first (Keras: kernel, vector_u, bias)
    assert [w.name.split("/")[-1] for w in layer.weights] == ["vector_u", "kernel", "bias"]
    assert layer.count_params() == 7 * 5 + 5 + 5


def test_spectral_normalization_layer_round_trips_and_trains():
    assert check_layer(lambda: SpectralNormalization(Conv2D(3, 2)), (2, 5, 5, 2))
    layer = SpectralNormalization(Embedding(6, 3), power_iterations=30)
    layer(np.array([[1, 2], [3, 5]]), training=True)
    assert abs(np.linalg.norm(layer.layer.embeddings.numpy(), 2) - 1.0) < 1e-4


def test_spectral_normalization_errors():
    with pytest.raises(ValueError, match="power_iterations must be a positive integer"):
        SpectralNormalization(Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="neither a kernel nor embeddings"):
        SpectralNormalization(lamina.layers.Flatten())(np.ones((2, 3), np.float32))
