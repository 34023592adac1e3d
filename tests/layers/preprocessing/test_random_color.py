"""RandomContrast and RandomBrightness: the documented ranges, per-image factors, clipping to
value_range, gradients, argument checks."""

import numpy as np
import pytest

from lamina import Tensor
from lamina.layers import RandomBrightness, RandomContrast


def images(n=64, seed=0, low=50.0, high=200.0):
    return np.random.default_rng(seed).uniform(low, high, (n, 5, 5, 3)).astype("float32")


def test_contrast_scales_deviations_from_each_channel_mean():
    x = images()
    out = RandomContrast((0.4, 0.3), value_range=(-1e4, 1e4), seed=0)(x, training=True).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out.mean(axis=(1, 2), keepdims=True), mean, rtol=1e-4)
    factors = ((out - mean) / (x - mean)).reshape(len(x), -1)
    np.testing.assert_allclose(factors, factors[:, :1].repeat(factors.shape[1], 1), rtol=1e-3)
    factor = factors[:, 0]  # one per image, shared by its channels, drawn from [1 - 0.3, 1 + 0.4]
    assert factor.min() >= 0.7 - 1e-4 and factor.max() <= 1.4 + 1e-4
    assert factor.min() < 0.85 and factor.max() > 1.25  # both lower and higher contrast occur


def test_brightness_adds_a_fraction_of_the_value_range_and_clips():
    x = images()
    out = RandomBrightness(0.2, seed=1)(x, training=True).numpy()
    delta = (out - x).reshape(len(x), -1)
    np.testing.assert_allclose(delta, delta[:, :1].repeat(delta.shape[1], 1), atol=1e-3)
    assert delta.min() >= -0.2 * 255 - 1e-3 and delta.max() <= 0.2 * 255 + 1e-3
    assert delta.min() < -25 and delta.max() > 25
    unit = RandomBrightness((1.0, 1.0), value_range=(0, 1))(x / 255, training=True).numpy()
    assert (unit == 1.0).all()  # factor 1: white, clipped to the range
    black = RandomContrast((0.0, 1.0), value_range=(0, 255), seed=2)(
        np.array([[[[0.0], [255.0]]]], "float32"), training=True
    )  # fmt: skip
    assert black.numpy().min() >= 0 and black.numpy().max() <= 255


def test_gradients_reach_the_input_in_training():
    x = Tensor(images(4), requires_grad=True)
    (RandomContrast(0.5, seed=0)(x, training=True) * 2).sum().backward()
    assert x.grad.shape == x.shape and np.abs(x.grad).sum() > 0


def test_argument_checks():
    with pytest.raises(ValueError, match=r"factor values must be in \[0, 1\]"):
        RandomContrast(-0.1)
    with pytest.raises(ValueError, match=r"factor values must be in \[0, 1\]"):
        RandomContrast(1.5)
    with pytest.raises(ValueError, match=r"factor values must be in \[-1, 1\]"):
        RandomBrightness(2.0)
    with pytest.raises(ValueError, match="value_range must be a pair"):
        RandomBrightness(0.1, value_range=(255, 0))
    config = RandomContrast(0.2, value_range=(0, 1), seed=3).get_config()
    assert (config["factor"], config["value_range"], config["seed"]) == (0.2, [0.0, 1.0], 3)
    assert RandomContrast.from_config(config).lower == 0.2
