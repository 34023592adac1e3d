import numpy as np
import pytest

from lamina.explain import integrated_gradients
from lamina.explain.integrated_gradients import path_points
from lamina.layers import Dense
from lamina.models import Sequential
from tests.explain.mnist_run import trained_cnn


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid", "riemann_middle"])
def test_path_weights_integrate_polynomials_on_0_1(method):
    alphas, weights = path_points(20, method)
    assert weights.sum() == pytest.approx(1.0)
    assert weights @ alphas**2 == pytest.approx(1 / 3, rel=1e-2)


def test_linear_model_attributions_are_input_times_weight(rng):
    model = Sequential([Dense(3, input_shape=(5,))])
    kernel = model.layers[0].kernel.numpy()
    x, baseline = rng.normal(size=(4, 5)), rng.normal(size=(5,))
    attributions = integrated_gradients(model, x, target=2, baseline=baseline, steps=4)
    np.testing.assert_allclose(attributions, (x - baseline) * kernel[:, 2], rtol=1e-5, atol=1e-6)


def test_completeness_on_a_smooth_mlp_with_a_nonzero_baseline(rng):
    """Gauss-Legendre integrates a smooth path integrand almost exactly."""
    model = Sequential(
        [
            Dense(16, activation="tanh", input_shape=(6,)),
            Dense(16, activation="sigmoid"),
            Dense(4, activation="softmax"),
        ]
    )
    x, baseline = rng.normal(size=(8, 6)), rng.normal(size=(1, 6))
    attributions, delta = integrated_gradients(model, x, baseline=baseline, return_delta=True)
    total = attributions.sum(axis=1)
    assert np.all(np.abs(delta) <= 1e-4 * np.abs(total - delta))


def test_completeness_on_the_mnist_cnn_within_one_percent():
    """sum(attributions) = score(x) - score(black image), the logit of the predicted class."""
    run = trained_cnn()
    x = run.x_val[:8]
    attributions, delta = integrated_gradients(run.model, x, return_delta=True)
    assert attributions.shape == (8, 28, 28)
    change = attributions.reshape(8, -1).sum(axis=1) - delta  # score(x) - score(baseline)
    relative = np.abs(delta) / np.abs(change)
    assert relative.max() < 0.01  # measured: at most 0.3% with 50 Gauss-Legendre points
