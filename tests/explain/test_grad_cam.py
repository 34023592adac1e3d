import numpy as np
import pytest

from lamina.explain import grad_cam
from lamina.explain.grad_cam import find_conv_layer, resize_bilinear
from lamina.layers import Conv2D, Dense, Flatten
from lamina.models import Sequential
from tests.explain.mnist_run import trained_cnn


def stroke_ratio(maps, images):
    strokes = images[..., 0] > 0.5
    return maps[strokes].mean() / maps[~strokes].mean()


def test_grad_cam_on_the_mnist_cnn_highlights_the_strokes():
    run = trained_cnn()
    x = run.x_val[:128]
    maps = grad_cam(run.model, x)
    assert maps.shape == (128, 28, 28) and maps.min() >= 0 and maps.max() <= 1
    assert stroke_ratio(maps, x) > 3  # measured: 4.7 (the 14x14 maps of last_conv, resized)


def test_the_default_layer_is_the_last_conv2d():
    run = trained_cnn()
    assert find_conv_layer(run.model).name == "last_conv"
    x = run.x_val[:4]
    np.testing.assert_array_equal(grad_cam(run.model, x), grad_cam(run.model, x, layer="last_conv"))


def test_grad_cam_of_one_map_and_one_channel_is_its_relu_scaled(rng):
    """With one feature map feeding a Dense, alpha is the mean kernel weight of the class: the
    heatmap is relu(alpha * A) / max, i.e. A / max(A) when alpha > 0."""
    model = Sequential(
        [Conv2D(1, 1, activation="relu", input_shape=(4, 4, 1), name="c"), Flatten(), Dense(2)]
    )
    dense = model.layers[-1]
    dense.kernel.assign(np.abs(dense.kernel.numpy()) * [1.0, -1.0])
    x = rng.uniform(0.1, 1.0, size=(3, 4, 4, 1))
    activations = model.layers[0](x).numpy()[..., 0]
    np.testing.assert_allclose(
        grad_cam(model, x, target=0),
        activations / activations.max(axis=(1, 2), keepdims=True),
        rtol=1e-5,
    )
    assert np.all(grad_cam(model, x, target=1) == 0)  # nothing argues for class 1


def test_resize_bilinear_keeps_constant_maps_and_corners():
    maps = np.arange(9, dtype=float).reshape(1, 3, 3)
    out = resize_bilinear(maps, (6, 6))
    assert out[0, 0, 0] == 0 and out[0, -1, -1] == 8
    np.testing.assert_allclose(resize_bilinear(np.ones((2, 3, 5)), (7, 11)), np.ones((2, 7, 11)))


def test_grad_cam_needs_a_convolution():
    model = Sequential([Flatten(input_shape=(4, 4, 1)), Dense(2)])
    with pytest.raises(ValueError, match="needs a 2-D convolution layer"):
        grad_cam(model, np.zeros((1, 4, 4, 1)))
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        grad_cam(model, np.zeros((1, 4, 4, 1)), layer="nope")
    with pytest.raises(ValueError, match=r"needs images of shape \(n, h, w, channels\)"):
        grad_cam(model, np.zeros((1, 16)))
