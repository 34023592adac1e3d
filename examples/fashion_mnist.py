"""The same CNN on Fashion-MNIST (clothing, 10 classes): >= 90% test accuracy.

LAMINA_DATA_DIR=../shared/datasets python examples/fashion_mnist.py
"""

import numpy as np

import lamina
from lamina.datasets import fashion_mnist
from lamina.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from lamina.models import Sequential

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # fmt: skip

lamina.seed(0)
(x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
x_train = (x_train / 255.0).astype(np.float32)[..., None]
x_test = (x_test / 255.0).astype(np.float32)[..., None]

model = Sequential([
    Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)), MaxPooling2D((2, 2)),
    Conv2D(64, (3, 3), activation="relu"), MaxPooling2D((2, 2)),
    Conv2D(128, (3, 3), activation="relu"), Flatten(),
    Dense(128, activation="relu"), Dropout(0.5), Dense(10, activation="softmax")])  # fmt: skip
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8, batch_size=128, validation_split=0.1, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Fashion-MNIST test accuracy: {accuracy:.4f}")
predicted = model.predict(x_test[:5], verbose=0).argmax(axis=1)
print("first five test images:", [CLASSES[i] for i in predicted])
