"""Reading a trained classifier: learning curves, a classification report, the confusion matrix,
ROC curves and a grid of predictions, on Fashion-MNIST with a small MLP.

The network trains on only 3,000 images for 25 epochs, so the learning curves show overfitting
plainly: training loss keeps falling while validation loss turns up after a few epochs.

LAMINA_DATA_DIR=../shared/datasets python examples/evaluation.py --out evaluation_plots
"""

import argparse
from pathlib import Path

import numpy as np

import lamina
from lamina import evaluation, metrics
from lamina.datasets import fashion_mnist
from lamina.layers import Dense, Flatten, Input
from lamina.models import Sequential

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="evaluation_plots", help="folder for the PNGs")
    parser.add_argument("--epochs", type=int, default=25)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    lamina.seed(0)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train, y_train = (x_train[:3000] / 255.0).astype(np.float32), y_train[:3000]
    x_test = (x_test / 255.0).astype(np.float32)

    model = Sequential([Input((28, 28)), Flatten(), Dense(256, activation="relu"),
                        Dense(10, activation="softmax")])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", metrics.F1Score(average="macro")])  # fmt: skip
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=64,
                        validation_split=0.2, verbose=2)  # fmt: skip

    probabilities = model.predict(x_test, verbose=0)
    print(evaluation.classification_report(y_test, probabilities, target_names=CLASSES, digits=3))
    evaluation.plot_history(history, out / "history.png", title="Fashion-MNIST, 2,400 images")
    evaluation.plot_confusion_matrix(y_test, probabilities, out / "confusion_matrix.png",
                                     display_labels=CLASSES, normalize="true")  # fmt: skip
    evaluation.plot_roc_curve(y_test, probabilities, out / "roc.png", class_names=CLASSES)
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != y_test)[:16]
    right = np.flatnonzero(probabilities.argmax(axis=1) == y_test)[:16]
    picked = np.sort(np.concatenate([wrong, right]))
    evaluation.plot_predictions(x_test[picked], y_test[picked], probabilities[picked],
                                out / "predictions.png", class_names=CLASSES)  # fmt: skip
    print(f"saved history.png, confusion_matrix.png, roc.png, predictions.png in {out}/")


if __name__ == "__main__":
    main()
