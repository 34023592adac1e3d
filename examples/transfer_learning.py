"""Transfer learning on MNIST: features learned on digits 0-4 help to learn 5-9 from 1% of the data.

1. Pretrain a CNN on the digits 0-4 (all ~30,600 training images).
2. Freeze its convolutional base (``base.trainable = False``) and train a new head for the digits
   5-9 on only 1% of their training images (~290, stratified), for 5 epochs.
3. Fine-tune: unfreeze the base and train everything at a 10x lower learning rate.
The baseline is the same network trained from scratch on the same 1% for the same 5 epochs.
Transfer pays most on such a short budget; the script also trains both for 30 epochs, where, on
a task as easy as MNIST, the network from scratch catches up. Accuracies are on all test images
of the digits 5-9.

LAMINA_DATA_DIR=../shared/datasets python examples/transfer_learning.py    # ~4 min on 2 cores
"""

import numpy as np

import lamina
from lamina import layers
from lamina.datasets import mnist
from lamina.models import Model

SHORT, LONG = 5, 30  # epochs of each training stage


def build_base():
    """The convolutional base: image -> 1,600 features (5x5x64)."""
    inputs = layers.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    features = layers.Flatten()(x)
    return Model(inputs, features, name="base")


def with_head(base, name):
    """``base`` followed by a new head: dropout, 64 ReLU units and a 5-way softmax."""
    inputs = layers.Input(shape=(28, 28, 1))
    x = base(inputs, training=False)  # keeps BatchNorm-like layers in inference mode when frozen
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(5, activation="softmax")(x)
    return Model(inputs, outputs, name=name)


def one_percent(x, y, rng):
    """1% of each class, chosen at random."""
    picked = [rng.choice(np.flatnonzero(y == c), size=len(np.flatnonzero(y == c)) // 100,
                         replace=False) for c in np.unique(y)]  # fmt: skip
    index = rng.permutation(np.concatenate(picked))
    return x[index], y[index]


def accuracy(model, x, y):
    return float(np.mean(model.predict(x, batch_size=500, verbose=0).argmax(axis=1) == y))


def main():
    lamina.seed(0)
    rng = np.random.default_rng(0)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = (x_train / 255.0).astype(np.float32)[..., None]
    x_test = (x_test / 255.0).astype(np.float32)[..., None]
    low, high = y_train < 5, y_train >= 5
    x_few, y_few = one_percent(x_train[high], y_train[high] - 5, rng)
    x_eval, y_eval = x_test[y_test >= 5], y_test[y_test >= 5] - 5
    print(f"pretraining on {low.sum():,} images of 0-4; new task: {len(x_few)} images of 5-9, "
          f"tested on {len(x_eval):,}")  # fmt: skip

    # 1. pretrain on 0-4
    base = build_base()
    pretrain = with_head(base, "digits_0_to_4")
    pretrain.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    pretrain.fit(x_train[low], y_train[low], epochs=2, batch_size=128, verbose=2)
    source = accuracy(pretrain, x_test[y_test < 5], y_test[y_test < 5])
    print(f"pretrained on 0-4: test accuracy {source:.4f}")
    pretrained_weights = base.get_weights()  # kept for the long-budget comparison below

    def train(model, epochs, learning_rate=1e-3):
        model.compile(optimizer=lamina.optimizers.Adam(learning_rate),
                      loss="sparse_categorical_crossentropy")  # fmt: skip
        model.fit(x_few, y_few, epochs=epochs, batch_size=32, verbose=0)
        return accuracy(model, x_eval, y_eval)

    # 2. frozen base + new head on 1% of 5-9, against the same network from scratch, with the
    #    same short training budget (where transfer pays most) ...
    base.trainable = False
    transfer = with_head(base, "frozen_base")
    frozen = train(transfer, SHORT)
    trainable = sum(w.size for w in transfer.trainable_weights)
    baseline = train(with_head(build_base(), "from_scratch"), SHORT)
    print(f"{SHORT} epochs on 1% of 5-9: frozen base + new head ({trainable:,} trainable weights) "
          f"{frozen:.4f}, same network from scratch {baseline:.4f}: "
          f"{100 * (frozen - baseline):+.1f} points")  # fmt: skip

    # 3. ... then fine-tune everything at a 10x lower learning rate
    base.trainable = True
    tuned = train(transfer, SHORT, learning_rate=1e-4)
    print(f"fine-tuned {SHORT} more epochs (base unfrozen, learning rate 1e-4): {tuned:.4f}")

    # ... and, for the full picture, a long budget: MNIST is easy, and scratch catches up
    base_long = build_base()
    base_long.set_weights(pretrained_weights)
    base_long.trainable = False
    long_frozen = train(with_head(base_long, "frozen_long"), LONG)
    long_scratch = train(with_head(build_base(), "scratch_long"), LONG)
    print(f"{LONG} epochs: frozen base {long_frozen:.4f}, from scratch {long_scratch:.4f}: "
          f"{100 * (long_frozen - long_scratch):+.1f} points")  # fmt: skip


if __name__ == "__main__":
    main()
