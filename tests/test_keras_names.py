"""Keras tutorial code runs with only the import changed: ``import lamina as keras``."""

import numpy as np

import lamina as keras
from lamina import layers


def test_simple_convnet_tutorial_runs_with_the_import_changed():
    # keras.io "Simple MNIST convnet", on 256 synthetic 28x28 images and one epoch
    keras.utils.set_random_seed(42)
    num_classes, input_shape = 10, (28, 28, 1)
    x_train = np.random.default_rng(0).integers(0, 256, (256, 28, 28)).astype("float32") / 255
    x_train = np.expand_dims(x_train, -1)
    y_train = keras.utils.to_categorical(np.arange(256) % num_classes, num_classes)
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ])  # fmt: skip
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=1, validation_split=0.1, verbose=0)
    score = model.evaluate(x_train, y_train, verbose=0)
    assert len(score) == 2 and set(history.history) >= {"loss", "val_accuracy"}


def test_functional_tutorial_names_and_backend_helpers():
    inputs = keras.Input(shape=(4,))
    outputs = layers.Dense(2)(layers.Dense(8, activation="relu")(inputs))
    model = keras.Model(inputs=inputs, outputs=outputs)
    assert model.predict(np.ones((3, 4), "float32"), verbose=0).shape == (3, 2)
    assert keras.backend.epsilon() == 1e-7
    assert np.allclose(keras.utils.normalize(np.array([[3.0, 4.0]])), [[0.6, 0.8]])
    keras.backend.clear_session()
    assert layers.Dense(1).name == "dense"  # names count from the start again
    assert layers.Dense(1).name == "dense_1"


def test_top_level_names_of_keras_3():
    assert keras.Layer is layers.Layer and keras.Variable is layers.Variable
    assert isinstance(keras.Input((3,)), keras.KerasTensor)
    assert keras.config.floatx() == "float32" and keras.config.backend() == "numpy"
    assert keras.constraints.max_norm(2.0).max_value == 2.0
    assert keras.preprocessing.sequence.pad_sequences([[1]], maxlen=2).tolist() == [[0, 1]]
    assert keras.models.model_from_json and keras.models.save_model
    for name in ("BackupAndRestore", "TensorBoard"):
        assert name in keras.callbacks.__all__
