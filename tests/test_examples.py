"""The generative and transfer-learning examples' building blocks, on tiny data (the full runs
and their figures are in the scripts' docstrings and the changelog notes)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import lamina

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
gan = pytest.importorskip("gan")
vae = pytest.importorskip("vae")
transfer_learning = pytest.importorskip("transfer_learning")


def compiled_gan():
    """The example's GAN, compiled as its main() does."""
    model = gan.GAN(gan.build_generator(), gan.build_discriminator(), gan.LATENT_DIM)
    model.compile(
        lamina.optimizers.Adam(2e-4, beta_1=0.5), lamina.optimizers.Adam(2e-4, beta_1=0.5),
        lamina.losses.BinaryCrossentropy(from_logits=True),
    )  # fmt: skip
    return model


def test_generator_draws_28x28_digits_in_the_tanh_range():
    lamina.seed(0)
    generator = gan.build_generator()
    noise = np.random.default_rng(0).normal(size=(3, gan.LATENT_DIM)).astype("float32")
    images = generator.predict(noise, verbose=0)
    assert images.shape == (3, 28, 28, 1)
    assert np.all(np.abs(images) <= 1) and np.std(images) > 0
    assert generator.layers[-1].kernel.shape == (3, 3, 32, 1)  # the full-resolution convolution


def test_gan_step_trains_each_network_on_its_own_loss(tmp_path):
    lamina.seed(0)
    model = compiled_gan()
    real = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    g_before = [w.copy() for w in model.generator.get_weights()]
    history = model.fit(
        real, epochs=1, batch_size=8, verbose=0,
        callbacks=[gan.SaveSamples(tmp_path, gan.LATENT_DIM)],
    )  # fmt: skip
    assert set(history.history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert model.d_optimizer.iterations == model.g_optimizer.iterations == 2
    assert not np.array_equal(g_before[0], model.generator.get_weights()[0])
    assert (tmp_path / "epoch_01.png").read_bytes()[:4] == b"\x89PNG"


def test_generator_average_follows_the_weights():
    def train(decay):
        lamina.seed(0)
        model = compiled_gan()
        average = gan.AverageGenerator(decay)
        real = np.random.default_rng(0).uniform(-1, 1, (24, 28, 28, 1)).astype("float32")
        before = model.generator.get_weights()
        model.fit(real, epochs=1, batch_size=8, verbose=0, callbacks=[average])
        return before, model.generator.get_weights(), model.averaged.get_weights()

    _, live, averaged = train(decay=0.0)  # no memory: the average is the last weights
    for a, w in zip(averaged, live):
        np.testing.assert_array_equal(a, w)
    before, live, averaged = train(decay=0.999)  # three steps: between the start and the end
    kernel = 0  # the first Dense kernel
    assert not np.array_equal(averaged[kernel], before[kernel])
    assert not np.array_equal(averaged[kernel], live[kernel])
    moved, left = averaged[kernel] - before[kernel], live[kernel] - before[kernel]
    assert 0 < np.sum(moved * left) / np.sum(left * left) < 1


def test_gan_resumed_from_a_backup_equals_an_uninterrupted_run(tmp_path):
    """``gan.py --backup-dir``: both optimizers, the noise's SeedGenerator and the weight
    average come back, so a run split in two ends exactly as one run."""

    class Crash(lamina.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt("simulated crash")

    real = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")

    def run(extra_callbacks):
        lamina.seed(0)
        model = compiled_gan()
        callbacks = [*extra_callbacks, gan.AverageGenerator(0.9)]
        model.fit(real, epochs=2, batch_size=8, verbose=0, callbacks=callbacks)
        return model

    whole = run([])
    with pytest.raises(KeyboardInterrupt):
        run([lamina.callbacks.BackupAndRestore(tmp_path), Crash()])
    resumed = run([lamina.callbacks.BackupAndRestore(tmp_path)])
    for part in ("generator", "discriminator", "averaged"):
        got, expected = getattr(resumed, part).get_weights(), getattr(whole, part).get_weights()
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)


def test_gan_r1_penalty_is_the_squared_input_gradient_and_trains_the_discriminator():
    lamina.seed(0)
    model = compiled_gan()
    real = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    lamina.seed(1)  # the same dropout mask for both computations
    penalty = model.r1_penalty(real)
    lamina.seed(1)
    x = lamina.tensor(real, requires_grad=True)
    lamina.ops.sum(model.discriminator(x, training=True)).backward()
    assert penalty.item() == pytest.approx(np.sum(x.grad**2) / 4, rel=1e-5)

    def trained(gamma):
        lamina.seed(0)
        gan_model = compiled_gan()
        gan_model.r1_gamma = gamma
        gan_model.fit(real, epochs=1, batch_size=4, verbose=0)
        return gan_model.discriminator.get_weights()[0]

    assert not np.array_equal(trained(0.0), trained(10.0))  # the penalty's gradient is applied


def test_vae_loss_is_reconstruction_plus_kl_and_decreases():
    lamina.seed(0)
    model = vae.VAE(vae.build_encoder(), vae.build_decoder())
    model.compile(optimizer=lamina.optimizers.Adam(1e-3), loss=vae.reconstruction_loss)
    x = (np.random.default_rng(0).uniform(size=(64, 28, 28, 1)) > 0.7).astype("float32")
    history = model.fit(x, x, epochs=3, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    z_mean, z_log_var, z = model.encoder.predict(x[:4], verbose=0)
    assert z_mean.shape == z_log_var.shape == z.shape == (4, vae.LATENT_DIM)
    model(x[:4])
    kl = -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1).mean()
    assert model.losses[0].item() == pytest.approx(kl, rel=1e-4)


def test_transfer_learning_freezes_the_shared_base():
    base = transfer_learning.build_base()
    base.trainable = False
    model = transfer_learning.with_head(base, "head_only")
    assert len(model.trainable_weights) == 4  # the new head: two Dense layers
    x, y = transfer_learning.one_percent(
        np.zeros((1000, 1)), np.repeat(np.arange(5), 200), np.random.default_rng(0)
    )
    assert len(x) == 10 and np.bincount(y).tolist() == [2] * 5
