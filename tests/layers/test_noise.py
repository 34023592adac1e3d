import math
import os

import numpy as np
import pytest

import lamina
from lamina.layers import AlphaDropout, Embedding, GaussianDropout, GaussianNoise, get_mask
from lamina.layers.noise import ALPHA, SCALE
from tests.helpers import check_layer

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "core_layers.npz"))
LAYERS = [
    lambda: GaussianNoise(0.3),
    lambda: GaussianNoise(0.3, seed=4),
    lambda: GaussianDropout(0.2),
    lambda: AlphaDropout(0.1),
    lambda: AlphaDropout(0.1, noise_shape=(None, 1, 4), seed=2),
]


@pytest.mark.parametrize("factory", LAYERS)
def test_check_layer(factory):
    assert check_layer(factory, (4, 3, 4))


@pytest.mark.parametrize("factory", LAYERS)
def test_identity_at_inference_and_noisy_in_training(factory):
    x = np.random.default_rng(0).normal(size=(8, 3, 4)).astype(np.float32)
    layer = factory()
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert not np.allclose(layer(x, training=True).numpy(), x)


def _alpha_constants(rate):
    alpha_p = -ALPHA * SCALE
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    return alpha_p, a, -a * alpha_p * rate


def test_gaussian_noise_statistics_match_keras():
    zeros = np.zeros((1_000_000,), np.float32)
    for stddev in (0.1, 0.7):
        noise = GaussianNoise(stddev)(zeros, training=True).numpy()
        keras_mean, keras_std = FIXTURE[f"gaussian_noise_{stddev}"]
        assert abs(noise.mean()) < 5 * stddev / 1000 and abs(keras_mean) < 5 * stddev / 1000
        assert noise.std() == pytest.approx(stddev, rel=5e-3)
        assert noise.std() == pytest.approx(keras_std, rel=5e-3)


def test_gaussian_dropout_statistics_match_keras():
    x = np.random.default_rng(0).uniform(0.5, 2, size=(1_000_000,)).astype(np.float32)
    for rate in (0.2, 0.5):
        multiplier = GaussianDropout(rate)(x, training=True).numpy() / x
        std = math.sqrt(rate / (1 - rate))
        keras_mean, keras_std = FIXTURE[f"gaussian_dropout_{rate}"]
        assert multiplier.mean() == pytest.approx(1.0, abs=5 * std / 1000)
        assert multiplier.mean() == pytest.approx(keras_mean, abs=10 * std / 1000)
        assert multiplier.std() == pytest.approx(std, rel=5e-3)
        assert multiplier.std() == pytest.approx(keras_std, rel=5e-3)


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_alpha_dropout_formula_matches_keras_value_by_value(rate, monkeypatch):
    x, keras_y = FIXTURE["alpha_x"], FIXTURE[f"alpha_y_{rate}"]
    alpha_p, a, b = _alpha_constants(rate)
    dropped = np.isclose(keras_y, a * alpha_p + b, rtol=0, atol=1e-6)
    assert 0 < dropped.mean() < 2 * rate
    np.testing.assert_allclose(keras_y[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)

    def keras_draws(shape, dtype=None, seed=None, **kwargs):  # lamina keeps draws >= rate
        return lamina.tensor(np.where(dropped, 0.0, 1.0).astype(dtype))

    monkeypatch.setattr(lamina.random, "uniform", keras_draws)
    y = AlphaDropout(rate)(x, training=True).numpy()
    np.testing.assert_allclose(y, keras_y, rtol=1e-5, atol=1e-6)


def test_alpha_dropout_keeps_mean_and_variance_of_normalized_inputs():
    x = np.random.default_rng(0).normal(size=(1000, 1000)).astype(np.float32)
    for rate in (0.05, 0.2, 0.5):
        y = AlphaDropout(rate)(x, training=True).numpy()
        alpha_p, a, b = _alpha_constants(rate)
        assert np.isclose(y, a * alpha_p + b, atol=1e-6).mean() == pytest.approx(rate, abs=3e-3)
        assert y.mean() == pytest.approx(0.0, abs=5e-3)
        assert y.var() == pytest.approx(1.0, abs=1e-2)


def test_alpha_dropout_noise_shape_shares_draws():
    x = np.random.default_rng(0).normal(size=(200, 5, 4)).astype(np.float32)
    y = AlphaDropout(0.5, noise_shape=(None, 1, 4))(x, training=True).numpy()
    alpha_p, a, b = _alpha_constants(0.5)
    dropped = np.isclose(y, a * alpha_p + b, atol=1e-6)
    assert (dropped == dropped[:, :1]).all() and 0.4 < dropped.mean() < 0.6


@pytest.mark.parametrize(
    "make, expected_grad",
    [
        (lambda: GaussianNoise(0.5, dtype="float64"), lambda x, y, keep: np.ones_like(x)),
        (lambda: GaussianDropout(0.3, dtype="float64"), lambda x, y, keep: y / x),
        (
            lambda: AlphaDropout(0.3, dtype="float64"),
            lambda x, y, keep: _alpha_constants(0.3)[1] * keep,
        ),
    ],
)
def test_gradients_in_training(make, expected_grad):
    data = np.random.default_rng(0).uniform(0.5, 2, size=(50, 6))
    x = lamina.tensor(data, requires_grad=True)
    y = make()(x, training=True)
    y.sum().backward()
    alpha_p, a, b = _alpha_constants(0.3)
    keep = ~np.isclose(y.numpy(), a * alpha_p + b, atol=1e-9)
    np.testing.assert_allclose(x.grad, expected_grad(data, y.numpy(), keep), rtol=1e-10)
    assert y.dtype == np.float64  # the noise takes the input's dtype


@pytest.mark.parametrize("cls", [GaussianNoise, GaussianDropout, AlphaDropout])
def test_reproducible_with_lamina_seed_and_with_a_layer_seed(cls):
    x = np.ones((20, 5), np.float32)
    lamina.seed(11)
    a = cls(0.3)(x, training=True).numpy()
    lamina.seed(11)
    np.testing.assert_array_equal(cls(0.3)(x, training=True).numpy(), a)
    first = cls(0.3, seed=5)(x, training=True).numpy()
    layer = cls(0.3, seed=5)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), first)
    assert not np.array_equal(layer(x, training=True).numpy(), first)  # new noise every call


@pytest.mark.parametrize("layer", [GaussianNoise(0.1), GaussianDropout(0.1), AlphaDropout(0.1)])
def test_masks_pass_through(layer):
    embedded = Embedding(4, 2, mask_zero=True)(np.array([[1, 0]]))
    assert get_mask(layer(embedded, training=True)).tolist() == [[True, False]]


def test_config_and_bad_arguments():
    config = AlphaDropout(0.2, noise_shape=(None, 1), seed=3).get_config()
    assert (config["rate"], config["noise_shape"], config["seed"]) == (0.2, [None, 1], 3)
    assert AlphaDropout.from_config(config).noise_shape == (None, 1)
    assert GaussianNoise.from_config(GaussianNoise(0.4).get_config()).stddev == 0.4
    assert GaussianDropout.from_config(GaussianDropout(0.4).get_config()).rate == 0.4
    with pytest.raises(ValueError, match="stddev"):
        GaussianNoise(-0.1)
    for cls in (GaussianDropout, AlphaDropout):
        with pytest.raises(ValueError, match=r"rate must be in \[0, 1\), got 1"):
            cls(1)
    with pytest.raises(ValueError, match="seed"):
        GaussianNoise(0.1, seed=-1)
    with pytest.raises(ValueError, match=r"noise_shape \(None, 1\) needs one entry per input axis"):
        AlphaDropout(0.1, noise_shape=(None, 1))(np.zeros((2, 3, 4)))
