import numpy as np
import pytest

from lamina import backend
from lamina.explain import saliency, smoothgrad
from lamina.layers import Dense
from lamina.models import Sequential


def tanh_model():
    return Sequential([Dense(8, activation="tanh", input_shape=(4,)), Dense(3)])


def test_without_noise_smoothgrad_is_saliency(rng):
    model, x = tanh_model(), rng.normal(size=(5, 4))
    np.testing.assert_allclose(
        smoothgrad(model, x, target=1, samples=3, noise_level=0.0),
        saliency(model, x, target=1),
        rtol=1e-5,
        atol=1e-7,
    )


def test_smoothgrad_averages_gradients_at_noisy_inputs(rng):
    """The mean over many noisy copies tends to the expected gradient, which differs from the
    gradient at the clean input for a non-linear model; a seed makes it repeatable."""
    model, x = tanh_model(), rng.normal(size=(2, 4))
    a = smoothgrad(model, x, target=0, samples=200, noise_level=0.5, seed=3)
    b = smoothgrad(model, x, target=0, samples=200, noise_level=0.5, seed=3)
    np.testing.assert_array_equal(a, b)
    noisy = (
        x[None]
        + np.random.default_rng(4).normal(size=(400, 2, 4)) * 0.5 * np.ptp(x, axis=1)[None, :, None]
    )
    expected = saliency(model, noisy.reshape(-1, 4), target=0).reshape(400, 2, 4).mean(axis=0)
    np.testing.assert_allclose(a, expected, atol=0.05 * np.abs(expected).max())
    assert not np.allclose(a, saliency(model, x, target=0), atol=1e-3)


def test_smoothgrad_does_not_touch_lamina_random_state(rng):
    model = tanh_model()  # initializing weights draws from lamina's generator; explaining not
    state = backend.rng().bit_generator.state
    smoothgrad(model, rng.normal(size=(2, 4)), samples=4, seed=None)
    assert backend.rng().bit_generator.state == state


def test_smoothgrad_checks_its_arguments():
    with pytest.raises(ValueError, match="samples must be a positive integer"):
        smoothgrad(tanh_model(), np.zeros((1, 4)), samples=0)
