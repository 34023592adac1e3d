"""Hyperparameter search, KerasTuner style: an MLP for Fashion-MNIST, on a 10,000-image subset.

``build_model(hp)`` declares the search space (layers, units, dropout, learning rate) in plain
Python; the Tuner runs 12 trials of TPE (Bayesian optimization) with median pruning, keeping
the study in ``tuning/fashion_mlp.db`` so that running the script again resumes or, once done,
only reports. Then: the results table, the best model's test accuracy, and two plots.

LAMINA_DATA_DIR=../shared/datasets python examples/tuning.py     # ~2 minutes on 2 idle cores
"""

import numpy as np

import lamina
from lamina.datasets import fashion_mnist
from lamina.layers import Dense, Dropout, Flatten, Input
from lamina.models import Sequential
from lamina.optimizers import Adam
from lamina.selection import Tuner


def build_model(hp):
    model = Sequential([Input(shape=(28, 28)), Flatten()])
    for i in range(hp.int("layers", 1, 3)):
        model.add(Dense(hp.int(f"units_{i}", 32, 256, step=32), activation="relu"))
        model.add(Dropout(hp.float("dropout", 0.0, 0.5, step=0.1)))
    model.add(Dense(10, activation="softmax"))
    learning_rate = hp.float("learning_rate", 1e-4, 1e-1, log=True)
    model.compile(optimizer=Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


lamina.seed(0)
(x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
x_train, y_train = (x_train[:10000] / 255.0).astype(np.float32), y_train[:10000]
x_test = (x_test / 255.0).astype(np.float32)

tuner = Tuner(build_model, objective="val_accuracy", sampler="tpe", pruner="median",
              max_trials=12, directory="tuning", study_name="fashion_mlp", seed=0)  # fmt: skip
tuner.search_space_summary()
tuner.search(x_train, y_train, epochs=3, batch_size=128, validation_split=0.2)
tuner.results_summary(num_trials=5)

model = tuner.best_model()  # the best trial's model, with its best epoch's weights
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"best hyperparameters: {tuner.best_params}")
print(f"validation accuracy {tuner.best_score:.4f}, test accuracy {accuracy:.4f}")
tuner.plot_history("tuning/fashion_mlp_history.png")
tuner.plot_importances("tuning/fashion_mlp_importances.png")
print("plots: tuning/fashion_mlp_history.png, tuning/fashion_mlp_importances.png")
