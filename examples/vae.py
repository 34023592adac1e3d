"""A convolutional variational autoencoder (VAE) on MNIST.

The encoder maps an image x to a Gaussian q(z|x) = N(z_mean, exp(z_log_var)) over a 16-number
code; the reparameterization trick z = z_mean + exp(z_log_var / 2) * eps, eps ~ N(0, 1), keeps
the sample differentiable. The decoder maps z back to pixel probabilities. Training minimizes
the negative ELBO (evidence lower bound) per image:

    -ELBO = sum over pixels of binary cross-entropy(x, decoder(z))     (reconstruction)
            + KL(q(z|x) || N(0, 1))                                     (added with add_loss)
    KL    = -1/2 * sum(1 + z_log_var - z_mean**2 - exp(z_log_var))

At the end the script saves reconstructions of test digits and new digits decoded from the prior
N(0, 1), and has the classifier of examples/digit_judge.py label the reconstructions.

LAMINA_DATA_DIR=../shared/datasets python examples/vae.py        # 5 epochs, ~10 min on 2 cores
"""

import argparse
from pathlib import Path

import numpy as np
from digit_judge import judge_digits, load_judge

import lamina
from lamina import layers, ops
from lamina.datasets import mnist
from lamina.models import Model, Sequential
from lamina.utils import image_grid, save_img

LATENT_DIM = 16


class Sampling(layers.Layer):
    """z = z_mean + exp(z_log_var / 2) * eps, eps ~ N(0, 1): the reparameterization trick."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = lamina.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = lamina.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def build_encoder():
    inputs = layers.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(inputs)
    x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Dense(128, activation="relu")(layers.Flatten()(x))
    z_mean = layers.Dense(LATENT_DIM, name="z_mean")(x)
    z_log_var = layers.Dense(LATENT_DIM, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return Model(inputs, [z_mean, z_log_var, z], name="encoder")


def build_decoder():
    return Sequential([
        layers.Input(shape=(LATENT_DIM,)),
        layers.Dense(7 * 7 * 64, activation="relu"), layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid"),
    ], name="decoder")  # fmt: skip


class VAE(Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def call(self, inputs, training=False):
        z_mean, z_log_var, z = self.encoder(inputs, training=training)
        kl = -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)
        self.add_loss(ops.mean(kl))
        return self.decoder(z, training=training)


def reconstruction_loss(y_true, y_pred):
    """Binary cross-entropy summed over the 28x28 pixels: one number per image."""
    return ops.sum(lamina.losses.binary_crossentropy(y_true, y_pred), axis=(1, 2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", default="vae_images", help="folder for the PNG files")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    lamina.seed(0)
    (x_train, _), (x_test, y_test) = mnist.load_data()
    x_train = (x_train / 255.0).astype(np.float32)[..., None]
    x_test = (x_test / 255.0).astype(np.float32)[..., None]

    vae = VAE(build_encoder(), build_decoder(), name="vae")
    vae.compile(optimizer=lamina.optimizers.Adam(1e-3), loss=reconstruction_loss)
    history = vae.fit(
        x_train, x_train, epochs=args.epochs, batch_size=128,
        validation_data=(x_test, x_test), verbose=2,
    )  # fmt: skip
    elbo = [-v for v in history.history["val_loss"]]
    print("test-set ELBO per epoch (nats per image, higher is better):",
          ", ".join(f"{e:.2f}" for e in elbo))  # fmt: skip

    z_mean, _, _ = vae.encoder.predict(x_test, verbose=0)
    reconstructions = vae.decoder.predict(z_mean, verbose=0)
    labels, confidence, _ = judge_digits(load_judge(), reconstructions)
    accuracy = float(np.mean(labels == y_test))
    print(f"reconstructions of the 10,000 test digits: classifier accuracy {accuracy:.4f} "
          f"(mean top-class probability {confidence:.3f})")  # fmt: skip

    pairs = np.stack([x_test[:32], reconstructions[:32]], axis=1).reshape(64, 28, 28, 1)
    grid = image_grid(pairs, cols=8, pad_value=1.0)
    save_img(out / "reconstructions.png", 255 * grid, scale=False)
    prior = np.random.default_rng(0).normal(size=(64, LATENT_DIM)).astype(np.float32)
    samples = vae.decoder.predict(prior, verbose=0)
    save_img(out / "samples.png", 255 * image_grid(samples, cols=8, pad_value=1.0), scale=False)
    print(f"saved {out / 'reconstructions.png'} (original | reconstruction) and "
          f"{out / 'samples.png'} (decoded from the prior)")  # fmt: skip


if __name__ == "__main__":
    main()
