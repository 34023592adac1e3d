"""RandomCrop: Keras 3.15's crops in training (the literal values below are Keras 3.15's outputs
on the same input), one random window per batch, the centered aspect-ratio crop at inference,
models whose fit and predict agree on shapes, config and errors."""

import json

import numpy as np
import pytest

from lamina.layers import Dense, Flatten, Input, RandomCrop, Resizing
from lamina.models import Sequential, load_model

IMAGES = np.arange(2 * 6 * 8, dtype="float32").reshape(2, 6, 8, 1)


def test_training_paths_without_randomness_match_keras():
    # larger on one axis only: center crop, no randomness (Keras 3.15 crops at random only when
    # the image is larger on both axes)
    out = RandomCrop(6, 4)(IMAGES).numpy()
    np.testing.assert_array_equal(out[0, :, :, 0], IMAGES[0, :, 2:6, 0])
    out = RandomCrop(3, 8)(IMAGES).numpy()
    assert out[0, :, 0, 0].tolist() == [8.0, 16.0, 24.0]
    # smaller: Keras slices from the corner of the centered aspect-ratio window, then resizes
    out = RandomCrop(8, 8)(IMAGES).numpy()
    assert out.shape == (2, 8, 8, 1)
    assert out[0, 0, :, 0].tolist() == [1.0, 1.8125, 2.6875, 3.5625, 4.4375, 5.3125, 6.1875, 7.0]
    assert out[0, :, 0, 0].tolist() == [1.0, 6.0, 12.0, 18.0, 24.0, 30.0, 36.0, 41.0]
    out = RandomCrop(7, 3)(IMAGES).numpy()
    expected = [3.0, 9.2857, 16.1429, 23.0, 29.8571, 36.7143, 43.0]
    np.testing.assert_allclose(out[0, :, 0, 0], expected, atol=1e-4)
    np.testing.assert_allclose(out[0, 0, :, 0], [3.0, 4.0, 5.0])
    out = RandomCrop(6, 10)(IMAGES).numpy()
    np.testing.assert_allclose(out[0, 0, :4, 0], [8.0, 8.7, 9.5, 10.3], atol=1e-5)
    np.testing.assert_array_equal(RandomCrop(6, 8)(IMAGES).numpy(), IMAGES)


def test_random_crop_is_one_window_per_batch_covering_every_position():
    layer = RandomCrop(3, 5, seed=2)
    seen = set()
    for _ in range(200):
        out = layer(IMAGES).numpy()
        top, left = int(out[0, 0, 0, 0]) // 8, int(out[0, 0, 0, 0]) % 8
        np.testing.assert_array_equal(out, IMAGES[:, top : top + 3, left : left + 5])
        seen.add((top, left))
    assert seen == {(t, c) for t in range(4) for c in range(4)}
    a = [RandomCrop(3, 5, seed=9)(IMAGES).numpy() for _ in range(2)]
    np.testing.assert_array_equal(a[0], a[1])  # the same seed, the same crop


def test_inference_crops_the_centered_aspect_ratio_window_and_resizes():
    out = RandomCrop(3, 3)(IMAGES, training=False).numpy()
    expected = Resizing(3, 3, crop_to_aspect_ratio=True)(IMAGES).numpy()
    np.testing.assert_allclose(out, expected)
    assert out.shape == (2, 3, 3, 1)
    out = RandomCrop(6, 4)(IMAGES, training=False).numpy()  # the window is the target: a crop
    np.testing.assert_array_equal(out, IMAGES[:, :, 2:6])
    np.testing.assert_array_equal(RandomCrop(6, 8)(IMAGES, training=False).numpy(), IMAGES)


def test_one_image_integers_and_float_output():
    image = np.arange(6 * 8 * 3, dtype="uint8").reshape(6, 8, 3)
    out = RandomCrop(4, 4, seed=1)(image)
    assert out.shape == (4, 4, 3) and out.dtype == np.float32
    assert RandomCrop(2, 2)(image, training=False).shape == (2, 2, 3)


def test_model_fit_and_predict_agree_on_shapes(rng):
    model = Sequential([Input((6, 8, 1)), RandomCrop(4, 4, seed=0), Flatten(), Dense(2)])
    assert model.layers[0].compute_output_shape((None, 6, 8, 1)) == (None, 4, 4, 1)
    model.compile(optimizer="sgd", loss="mse")
    y = rng.normal(size=(2, 2)).astype("float32")
    model.fit(IMAGES / 47.0, y, epochs=1, verbose=0, validation_data=(IMAGES / 47.0, y))
    assert model.predict(IMAGES, verbose=0).shape == (2, 2)


def test_save_load_and_config(tmp_path):
    model = Sequential([Input((6, 8, 1)), RandomCrop(3, 4, seed=1)])
    before = model.predict(IMAGES, verbose=0)
    path = str(tmp_path / "crop.lamina")
    model.save(path)
    np.testing.assert_array_equal(load_model(path).predict(IMAGES, verbose=0), before)
    config = json.loads(json.dumps(RandomCrop(3, 4, seed=5, name="crop").get_config()))
    clone = RandomCrop.from_config(config)
    assert (clone.height, clone.width, clone.seed, clone.name) == (3, 4, 5, "crop")


def test_errors():
    with pytest.raises(ValueError, match="height must be a positive integer"):
        RandomCrop(0, 3)
    with pytest.raises(ValueError, match="channels-last"):
        RandomCrop(2, 2, data_format="channels_first")
    with pytest.raises(ValueError, match="expects images"):
        RandomCrop(2, 2)(np.zeros((4, 4)))
