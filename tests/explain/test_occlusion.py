import numpy as np

from lamina.explain import occlusion
from lamina.layers import Dense, Flatten
from lamina.models import Sequential
from tests.explain.mnist_run import trained_cnn


def test_occluding_single_pixels_of_a_linear_model_gives_weight_times_input(rng):
    """score(x) - score(x with pixel i at 0) = w_i x_i for a linear score."""
    model = Sequential([Flatten(input_shape=(5, 5, 1)), Dense(3)])
    kernel = model.layers[-1].kernel.numpy()
    x = rng.normal(size=(2, 5, 5, 1))
    maps = occlusion(model, x, target=1, window=1, stride=1)
    np.testing.assert_allclose(maps, x[..., 0] * kernel[:, 1].reshape(5, 5), rtol=1e-4, atol=1e-5)


def test_windows_average_over_the_pixels_they_cover(rng):
    model = Sequential([Dense(2, input_shape=(6,))])
    kernel = model.layers[0].kernel.numpy()
    x = rng.normal(size=(1, 6))
    maps = occlusion(model, x, target=0, window=2, stride=2)
    drops = (x[0] * kernel[:, 0]).reshape(3, 2).sum(axis=1)  # each window's score drop
    np.testing.assert_allclose(maps[0], np.repeat(drops, 2), rtol=1e-4, atol=1e-5)


def test_occlusion_on_the_mnist_cnn_matters_most_on_the_strokes():
    run = trained_cnn()
    x = run.x_val[:8]
    maps = occlusion(run.model, x)  # window 4, stride 2
    strokes = x[..., 0] > 0.5
    assert maps.shape == (8, 28, 28)
    assert maps[strokes].mean() > 3 * abs(maps[~strokes].mean())
