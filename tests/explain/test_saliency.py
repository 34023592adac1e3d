import numpy as np
import pytest

from lamina.explain import saliency
from lamina.layers import Conv2D, Dense, Flatten
from lamina.models import Sequential


def linear_model(features=5, classes=3, activation=None):
    return Sequential([Dense(classes, activation=activation, input_shape=(features,))])


@pytest.mark.parametrize("activation", [None, "softmax"])
def test_saliency_of_a_linear_model_is_its_weights(rng, activation):
    """d logit_c / d x = kernel[:, c]; with a softmax the score is still the logit."""
    model = linear_model(activation=activation)
    kernel = model.layers[0].kernel.numpy()
    x = rng.normal(size=(6, 5))
    for c in range(3):
        np.testing.assert_allclose(saliency(model, x, target=c), np.tile(kernel[:, c], (6, 1)))
    targets = np.array([2, 0, 1, 1, 0, 2])
    np.testing.assert_allclose(saliency(model, x, target=targets), kernel[:, targets].T)


def test_default_target_is_the_predicted_class(rng):
    model = linear_model(activation="softmax")
    x = rng.normal(size=(8, 5))
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    np.testing.assert_allclose(saliency(model, x), saliency(model, x, target=predicted))


def test_images_lose_their_channel_axis(rng):
    model = Sequential([Conv2D(2, 3, input_shape=(6, 6, 3)), Flatten(), Dense(4)])
    x = rng.normal(size=(2, 6, 6, 3))
    signed, absolute = saliency(model, x, 1), saliency(model, x, 1, absolute=True)
    assert signed.shape == absolute.shape == (2, 6, 6)
    assert absolute.min() >= 0 and np.all(absolute >= np.abs(signed) / 3 - 1e-6)


def test_saliency_leaves_the_weights_gradients_alone(rng):
    model = linear_model()
    saliency(model, rng.normal(size=(2, 5)))
    assert all(v.grad is None for v in model.trainable_weights)


def test_saliency_checks_its_arguments():
    model = linear_model()
    with pytest.raises(ValueError, match="needs a batch of inputs"):
        saliency(model, np.zeros(5))
    with pytest.raises(ValueError, match=r"target classes must be in \[0, 2\]"):
        saliency(model, np.zeros((1, 5)), target=3)
    with pytest.raises(ValueError, match="target has 2 entries for 1 inputs"):
        saliency(model, np.zeros((1, 5)), target=[0, 1])
