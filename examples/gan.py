"""A DCGAN on MNIST: a generator of transposed convolutions against a convolutional discriminator.

The two networks train in turn inside one overridden ``train_step`` (the Keras tutorial's
structure): the discriminator learns to tell real digits (label 1) from generated ones (0), then
the generator learns to make the discriminator answer 1. A grid of 64 digits drawn from fixed
noise is saved as a PNG after every epoch, and after every epoch 1,000 generated digits are
labelled by a separately trained classifier (examples/digit_judge.py): a good generator covers
the ten classes with digits that the classifier is sure about.

LAMINA_DATA_DIR=../shared/datasets python examples/gan.py            # 5 epochs, ~13 min on 2 cores
LAMINA_DATA_DIR=../shared/datasets python examples/gan.py --epochs 20 --real-label 0.9
"""

import argparse
from pathlib import Path

import numpy as np
from digit_judge import judge_digits, load_judge

import lamina
from lamina import callbacks, layers, ops
from lamina.datasets import mnist
from lamina.models import Model, Sequential
from lamina.utils import image_grid, save_img

LATENT_DIM = 64


def build_generator(bn_momentum=0.99):
    """Noise (64) -> 7x7x128 -> 14x14x64 -> 28x28x1 in [-1, 1]."""
    return Sequential([
        layers.Input(shape=(LATENT_DIM,)),
        layers.Dense(7 * 7 * 128, use_bias=False), layers.BatchNormalization(momentum=bn_momentum),
        layers.ReLU(), layers.Reshape((7, 7, 128)),
        layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=bn_momentum), layers.ReLU(),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
    ], name="generator")  # fmt: skip


def build_discriminator():
    """28x28x1 -> 14x14x64 -> 7x7x128 -> one logit: "real" when positive."""
    return Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(64, 4, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2D(128, 4, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Flatten(), layers.Dropout(0.3), layers.Dense(1),
    ], name="discriminator")  # fmt: skip


class GAN(Model):
    def __init__(self, generator, discriminator, latent_dim, real_label=1.0):
        super().__init__(name="gan")
        self.real_label = real_label  # < 1: one-sided label smoothing (Salimans et al., 2016)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.seed_generator = lamina.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = lamina.metrics.Mean(name="d_loss")
        self.g_loss_metric = lamina.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]

        # 1. the discriminator: real images are 1, generated ones 0
        noise = lamina.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with lamina.no_grad():  # the generator is not trained in this half
            fake_images = self.generator(noise, training=True)
        images = ops.concatenate([ops.convert_to_tensor(real_images), fake_images], axis=0)
        real = ops.full((batch_size, 1), self.real_label)
        labels = ops.concatenate([real, ops.zeros((batch_size, 1))], axis=0)
        with lamina.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(images, training=True))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))

        # 2. the generator: make the discriminator say 1 ("real") to new fakes
        noise = lamina.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with lamina.GradientTape() as tape:
            predictions = self.discriminator(self.generator(noise, training=True), training=True)
            g_loss = self.loss_fn(ops.ones((batch_size, 1)), predictions)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


class SaveSamples(callbacks.Callback):
    """After every epoch, a PNG grid of the generator's digits for the same 64 noise vectors."""

    def __init__(self, out_dir, latent_dim):
        super().__init__()
        self.out_dir = Path(out_dir)
        self.noise = np.random.default_rng(0).normal(size=(64, latent_dim)).astype(np.float32)

    def on_epoch_end(self, epoch, logs=None):
        images = self.model.generator.predict(self.noise, verbose=0)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"epoch_{epoch + 1:02d}.png"
        save_img(path, 255 * image_grid((images + 1) / 2, cols=8, pad_value=1.0), scale=False)
        print(f"saved {path}")


class JudgeSamples(callbacks.Callback):
    """After every epoch, the judge labels 1,000 generated digits: classes covered, confidence."""

    def __init__(self, judge, latent_dim, n=1000):
        super().__init__()
        self.judge = judge
        self.noise = np.random.default_rng(1).normal(size=(n, latent_dim)).astype(np.float32)
        self.scores = []

    def measure(self):
        digits = (self.model.generator.predict(self.noise, verbose=0) + 1) / 2  # [0, 1], as MNIST
        return judge_digits(self.judge, digits)

    def on_epoch_end(self, epoch, logs=None):
        labels, confidence, classes = self.measure()
        self.scores.append((classes, confidence))
        counts = np.bincount(labels, minlength=10).tolist()
        print(f"epoch {epoch + 1}: {len(labels):,} generated digits: {classes}/10 classes, "
              f"mean top-class probability {confidence:.3f}; class counts {counts}")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", default="gan_images", help="folder for the PNG grids")
    parser.add_argument(
        "--real-label",
        type=float,
        default=1.0,
        help="the discriminator's target for real images (0.9: label smoothing)",
    )
    parser.add_argument(
        "--bn-momentum",
        type=float,
        default=0.99,
        help="momentum of the generator's BatchNormalization moving statistics",
    )
    args = parser.parse_args()

    lamina.seed(0)
    (x_train, _), _ = mnist.load_data()
    x_train = (x_train.astype(np.float32) / 127.5 - 1.0)[..., None]  # [-1, 1], as tanh makes

    gan = GAN(build_generator(args.bn_momentum), build_discriminator(), LATENT_DIM, args.real_label)
    gan.compile(
        d_optimizer=lamina.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        g_optimizer=lamina.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        loss_fn=lamina.losses.BinaryCrossentropy(from_logits=True),
    )
    judge = JudgeSamples(load_judge(), LATENT_DIM)
    gan.fit(
        x_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        callbacks=[SaveSamples(args.out, LATENT_DIM), judge],
        verbose=2,
    )


if __name__ == "__main__":
    main()
