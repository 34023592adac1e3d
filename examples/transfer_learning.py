"""Transfer learning on MNIST: features learned on digits 0-4 help to learn 5-9 from 1% of the data.

1. Pretrain a CNN on the digits 0-4 (all ~30,600 training images).
2. Freeze its convolutional base (``base.trainable = False``) and train a new head for the digits
   5-9 on only 1% of their training images (~290, stratified).
3. Fine-tune: unfreeze the base and train everything at a 10x lower learning rate.
The same network trained from scratch on the same 1% is the baseline. Accuracies are on all
test images of the digits 5-9.

LAMINA_DATA_DIR=../shared/datasets python examples/transfer_learning.py    # ~3 min on 2 cores
"""

import numpy as np

import lamina
from lamina import layers
from lamina.datasets import mnist
from lamina.models import Model


def build_base():
    """The convolutional base: image -> 128 features."""
    inputs = layers.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    features = layers.Dense(128, activation="relu")(x)
    return Model(inputs, features, name="base")


def with_head(base, name):
    """``base`` followed by a new 5-way softmax head."""
    inputs = layers.Input(shape=(28, 28, 1))
    x = base(inputs, training=False)  # keeps BatchNorm-like layers in inference mode when frozen
    x = layers.Dropout(0.3)(x)
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

    epochs = 40
    # 2. frozen base + new head on 1% of 5-9
    base.trainable = False
    transfer = with_head(base, "frozen_base")
    transfer.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    transfer.fit(x_few, y_few, epochs=epochs, batch_size=32, verbose=0)
    frozen = accuracy(transfer, x_eval, y_eval)
    trainable = sum(w.size for w in transfer.trainable_weights)
    print(f"frozen base, new head ({trainable:,} trainable weights): {frozen:.4f}")

    # 3. fine-tune everything at a lower learning rate
    base.trainable = True
    transfer.compile(optimizer=lamina.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")
    transfer.fit(x_few, y_few, epochs=10, batch_size=32, verbose=0)
    tuned = accuracy(transfer, x_eval, y_eval)
    print(f"fine-tuned (base unfrozen, learning rate 1e-4): {tuned:.4f}")

    # baseline: the same network from scratch on the same 1%
    scratch = with_head(build_base(), "from_scratch")
    scratch.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    scratch.fit(x_few, y_few, epochs=epochs + 10, batch_size=32, verbose=0)
    baseline = accuracy(scratch, x_eval, y_eval)
    print(f"from scratch (same network, same 1%, {epochs + 10} epochs): {baseline:.4f}")
    print(f"frozen base beats scratch by {100 * (frozen - baseline):.1f} points; "
          f"fine-tuning by {100 * (tuned - baseline):.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
