"""The rules every augmentation layer follows: the identity at inference (predict, evaluate),
random in training, one transform per image, the batch order kept (labels stay aligned),
reproducible with a seed, saved and loaded with a model; and a CNN with augmentation trains."""

import numpy as np
import pytest

import lamina
from lamina import layers as L
from lamina.models import Sequential, load_model
from tests.data import shared_folder

FACTORIES = {
    "RandomFlip": lambda seed=None: L.RandomFlip(seed=seed),
    "RandomRotation": lambda seed=None: L.RandomRotation(0.2, seed=seed),
    "RandomTranslation": lambda seed=None: L.RandomTranslation(0.3, 0.3, seed=seed),
    "RandomZoom": lambda seed=None: L.RandomZoom(0.4, seed=seed),
    "RandomContrast": lambda seed=None: L.RandomContrast(0.5, seed=seed),
    "RandomBrightness": lambda seed=None: L.RandomBrightness(0.3, seed=seed),
}
ALL = pytest.mark.parametrize("name", sorted(FACTORIES))


def images(n=8, size=9, channels=2, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, size, size, channels)).astype("float32")


def changed_images(out, x) -> int:
    return sum(not np.allclose(o, i) for o, i in zip(np.asarray(out), x))


@ALL
def test_identity_at_inference_and_random_in_training(name):
    layer, x = FACTORIES[name](seed=1), images()
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    model = Sequential([L.Input(shape=x.shape[1:]), layer])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    np.testing.assert_array_equal(model(x, training=False).numpy(), x)
    out = layer(x, training=True).numpy()
    assert out.shape == x.shape and out.dtype == np.float32
    assert changed_images(out, x) >= 3  # a flip may leave an image alone; most change


@ALL
def test_a_direct_call_augments_as_in_keras(name):
    # Keras's augmentation layers default to training=True: layer(images) and a Sequential of
    # them called by hand augment (the keras.io and TF data-augmentation tutorials plot these)
    x = images()
    assert changed_images(FACTORIES[name](seed=1)(x), x) >= 3
    assert changed_images(Sequential([FACTORIES[name](seed=2)])(x), x) >= 3
    declared = Sequential([L.Input(shape=x.shape[1:]), FACTORIES[name](seed=3)])
    assert changed_images(declared(x), x) >= 3


def test_inference_passes_training_false_to_the_layers_of_a_model():
    # predict, evaluate and fit's validation run at inference: the nested augmentation layers
    # inherit training=False; fit's steps inherit True; a plain model(x) augments, as in Keras
    seen, augmented = [], []

    class Spy(L.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    x, y = images(8), np.zeros((8, 1), "float32")
    rotation = L.RandomRotation(0.2, seed=1)
    original = rotation._augment
    rotation._augment = lambda batch, rng: augmented.append(len(batch)) or original(batch, rng)
    model = Sequential([L.Input(shape=x.shape[1:]), L.RandomFlip(seed=0),
                        Sequential([rotation, Spy()]), L.GlobalAveragePooling2D(),
                        L.Dense(1)])  # fmt: skip
    model.compile(optimizer="sgd", loss="mse")
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    seen.clear()
    model.evaluate(x, y, verbose=0)
    assert seen == [False] and augmented == []
    model.fit(x, y, epochs=1, batch_size=8, validation_data=(x, y), verbose=0)
    assert True in seen and seen[-1] is False  # trained with True, validated with False
    assert augmented == [8]  # the one training batch, not the validation
    features = Sequential(model.layers[:2])  # the augmentation block alone, called by hand
    assert changed_images(features(x), x) >= 3


def labelled_images(labels, size=8):
    """Image k: a one-pixel-wide bar at column k across the top half (so flips and rotations move
    it) and the value 200 + k everywhere else: the label can be read back from any transform."""
    x = np.zeros((len(labels), size, size, 1), "float32")
    for i, k in enumerate(labels):
        x[i] = 200.0 + k
        x[i, : size // 2, k] = 10.0 * k
    return x


def test_labels_stay_aligned_through_flips():
    labels = np.random.default_rng(0).integers(0, 8, 64)
    x = labelled_images(labels)
    out = L.RandomFlip(seed=4)(x, training=True).numpy()
    seen = set()
    for o, image, k in zip(out, x, labels):
        options = {
            "none": image, "h": image[:, ::-1], "v": image[::-1], "hv": image[::-1, ::-1]
        }  # fmt: skip
        matches = [key for key, candidate in options.items() if np.array_equal(o, candidate)]
        assert matches, "an output is no flip of its own input"
        seen.update(matches)
        assert o.max() == 200.0 + k  # the label survives in the pixels
    assert {"none", "h", "v", "hv"} <= seen  # independent flips: all four outcomes occur


def test_labels_stay_aligned_through_a_whole_augmentation_stack():
    labels = np.arange(32) % 8
    x = np.ones((32, 8, 8, 1), "float32") * (200.0 + labels)[:, None, None, None]  # value = label
    stack = Sequential([L.Input(shape=(8, 8, 1)), L.RandomFlip(seed=1),
                        L.RandomRotation(0.5, seed=2), L.RandomTranslation(0.4, 0.4, seed=3),
                        L.RandomZoom(0.5, seed=4)])  # fmt: skip
    out = stack(x, training=True).numpy()
    np.testing.assert_allclose(out, x, rtol=1e-5)  # reflect fill: each image keeps its value


def test_a_model_with_augmentation_saves_loads_and_predicts_identically(tmp_path):
    augmentation = [make(seed=i) for i, make in enumerate(FACTORIES.values())]
    model = Sequential([L.Input(shape=(9, 9, 2)), *augmentation, L.Conv2D(2, 3),
                        L.GlobalAveragePooling2D()])  # fmt: skip
    x = images()
    model.save(tmp_path / "a.lamina")
    loaded = load_model(tmp_path / "a.lamina")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer).__name__ for layer in loaded.layers[:6]] == list(FACTORIES)
    assert loaded.layers[1].get_config()["factor"] == 0.2
    np.testing.assert_array_equal(  # the same seed restarts the same transforms
        loaded.layers[1](x, training=True).numpy(), FACTORIES["RandomRotation"](seed=1)(
            x, training=True).numpy()
    )  # fmt: skip


def test_cnn_with_augmentation_trains_on_mnist():
    from lamina.data.idx import read_images_and_labels

    folder = shared_folder("mnist")
    x, y = read_images_and_labels(folder / "t10k-images-idx3-ubyte.gz",
                                  folder / "t10k-labels-idx1-ubyte.gz")  # fmt: skip
    x, y = x[:512, :, :, None].astype("float32"), y[:512]
    lamina.seed(0)
    model = Sequential([
        L.Input((28, 28, 1)), L.RandomFlip("horizontal", seed=1), L.RandomRotation(0.1, seed=2),
        L.Rescaling(1 / 255), L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(),
        L.Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=64, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] - 0.1
    assert model.evaluate(x, y, verbose=0)[1] > 0.4  # chance is 0.1
