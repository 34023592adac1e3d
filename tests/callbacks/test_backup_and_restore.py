import os

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import BackupAndRestore, Callback
from lamina.saving import FormatError

EPOCHS = 6


class Interrupt(Callback):
    """Raises in the middle of epoch ``epoch``, after ``batch`` batches: a crash mid-run."""

    def __init__(self, epoch, batch=1):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise KeyboardInterrupt("simulated crash")


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype(np.float32)
    return x, (x @ rng.normal(size=(5, 1)) > 0).astype(np.float32)


def _model():
    lamina.seed(7)
    model = lamina.Sequential(
        [
            layers.Input((5,)),
            layers.Dense(8, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _fit(model, callbacks, save_freq="epoch"):
    x, y = _data()
    return model.fit(x, y, batch_size=8, epochs=EPOCHS, callbacks=callbacks, verbose=0)


@pytest.fixture(scope="module")
def uninterrupted():
    model = _model()
    _fit(model, [])
    return model.get_weights(), model.optimizer.iterations


def test_resumed_training_ends_with_the_uninterrupted_weights(tmp_path, uninterrupted):
    model = _model()
    backup = BackupAndRestore(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        _fit(model, [backup, Interrupt(epoch=3, batch=2)])
    assert os.path.exists(tmp_path / "backup" / "latest.lamina")
    history = _fit(model, [backup])  # the same model object, disturbed mid-epoch 3
    assert history.epoch == [3, 4, 5] and len(history.history["loss"]) == 3
    weights, iterations = uninterrupted
    for got, expected in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(got, expected)
    assert model.optimizer.iterations == iterations
    assert not os.path.exists(tmp_path / "backup")  # deleted after a successful end


def test_a_new_process_resumes_from_the_file(tmp_path, uninterrupted):
    crashed = _model()
    with pytest.raises(KeyboardInterrupt):
        _fit(crashed, [BackupAndRestore(tmp_path), Interrupt(epoch=2, batch=0)])
    model = _model()  # built again from scratch (new layer names), as a restarted script does
    lamina.seed(99)  # a different random state: the backup brings the right one back
    _fit(model, [BackupAndRestore(tmp_path)])
    for got, expected in zip(model.get_weights(), uninterrupted[0]):
        np.testing.assert_array_equal(got, expected)


def test_without_a_backup_training_starts_at_epoch_zero_and_keeps_it_on_request(tmp_path):
    model = _model()
    history = _fit(model, [BackupAndRestore(tmp_path / "b", delete_checkpoint=False)])
    assert history.epoch == list(range(EPOCHS))
    assert os.path.exists(tmp_path / "b" / "latest.lamina")
    again = _fit(model, [BackupAndRestore(tmp_path / "b")])  # the kept backup says: all done
    assert again.epoch == []


def test_batch_backups_resume_at_the_start_of_their_epoch(tmp_path):
    model = _model()
    backup = BackupAndRestore(tmp_path, save_freq=3)
    with pytest.raises(KeyboardInterrupt):
        _fit(model, [backup, Interrupt(epoch=2, batch=5)])  # last backup after batch 3 of 2
    history = _fit(model, [backup])
    assert history.epoch == [2, 3, 4, 5]


def test_double_checkpoint_falls_back_on_the_previous_backup(tmp_path):
    model = _model()
    backup = BackupAndRestore(tmp_path, double_checkpoint=True)
    with pytest.raises(KeyboardInterrupt):
        _fit(model, [backup, Interrupt(epoch=3)])
    assert os.path.exists(tmp_path / "previous.lamina")
    with open(tmp_path / "latest.lamina", "r+b") as f:  # damage the latest backup
        f.seek(-4, os.SEEK_END)
        f.write(b"\0\1\2\3")
    assert _fit(model, [backup]).epoch == [2, 3, 4, 5]  # from the backup of epoch 1's end


def test_a_damaged_backup_without_fallback_is_an_error(tmp_path):
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        _fit(model, [BackupAndRestore(tmp_path), Interrupt(epoch=1)])
    with open(tmp_path / "latest.lamina", "r+b") as f:
        f.seek(-4, os.SEEK_END)
        f.write(b"\0\1\2\3")
    with pytest.raises(FormatError, match="checksum mismatch.*Delete the folder"):
        _fit(model, [BackupAndRestore(tmp_path)])


def test_a_backup_of_another_model_is_refused(tmp_path):
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        _fit(model, [BackupAndRestore(tmp_path), Interrupt(epoch=1)])
    other = lamina.Sequential([layers.Input((5,)), layers.Dense(1)])
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="does not fit"):
        _fit(other, [BackupAndRestore(tmp_path)])


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="needs a backup_dir"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a number of batches"):
        BackupAndRestore("b", save_freq=0)
    assert lamina.callbacks.BackupAndRestore is BackupAndRestore


class TinyGAN(lamina.Model):
    """A GAN's training state: two networks, an optimizer for each kept as attributes, and a
    SeedGenerator for the noise (the structure of examples/gan.py)."""

    def __init__(self):
        super().__init__()
        self.generator = lamina.Sequential([layers.Input((2,)), layers.Dense(5)])
        self.discriminator = lamina.Sequential(
            [layers.Input((5,)), layers.Dense(4, activation="relu"), layers.Dropout(0.2),
             layers.Dense(1)]
        )  # fmt: skip
        self.seed_generator = lamina.random.SeedGenerator(3)

    def compile(self):
        super().compile()
        self.d_optimizer = lamina.optimizers.Adam(1e-2)
        self.g_optimizer = lamina.optimizers.Adam(1e-2)
        self.loss_fn = lamina.losses.BinaryCrossentropy(from_logits=True)

    def train_step(self, real):
        n = real.shape[0]
        noise = lamina.random.normal((n, 2), seed=self.seed_generator)
        with lamina.GradientTape() as tape:
            fake = self.generator(noise)
            logits = self.discriminator(lamina.ops.concatenate([real, fake.detach()]), True)
            labels = np.concatenate([np.ones((n, 1)), np.zeros((n, 1))]).astype(np.float32)
            d_loss = self.loss_fn(labels, logits)
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        noise = lamina.random.normal((n, 2), seed=self.seed_generator)
        with lamina.GradientTape() as tape:
            g_loss = self.loss_fn(np.ones((n, 1), np.float32),
                                  self.discriminator(self.generator(noise), True))  # fmt: skip
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


def _gan():
    lamina.seed(5)
    gan = TinyGAN()
    gan.compile()
    return gan


def test_a_gan_resumes_with_its_own_optimizers_and_seed_generator(tmp_path):
    x, _ = _data()
    whole = _gan()
    whole.fit(x, batch_size=16, epochs=4, verbose=0)
    crashed = _gan()
    with pytest.raises(KeyboardInterrupt):
        callbacks = [BackupAndRestore(tmp_path), Interrupt(epoch=2, batch=1)]
        crashed.fit(x, batch_size=16, epochs=4, verbose=0, callbacks=callbacks)
    resumed = _gan()  # a fresh process: both optimizers unbuilt until their first step
    lamina.seed(123)
    resumed.fit(x, batch_size=16, epochs=4, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    for got, expected in zip(resumed.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    for name in ("d_optimizer", "g_optimizer"):
        assert getattr(resumed, name).iterations == getattr(whole, name).iterations == 16


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("optimizers_state", "[1, 2]", "optimizers_state is not a mapping"),
        ("optimizers_state", '{"d_optimizer": 3}', "'d_optimizer' is not a mapping"),
        ("optimizers_state", '{"e_optimizer": {}}', "does not have"),
        ("seed_generators", '{"0.seed_generator": {"state": 1}}', "SeedGenerator .* not valid"),
        ("seed_generators", '{"7.noise": {}}', "SeedGenerator '7.noise'.* does not have"),
    ],
)
def test_a_tampered_gan_backup_is_refused_by_name(tmp_path, key, value, message):
    from lamina.saving.safetensors import encode_header, load_file_with_data, pack

    x, _ = _data()
    with pytest.raises(KeyboardInterrupt):
        _gan().fit(x, batch_size=16, epochs=3, verbose=0,
                   callbacks=[BackupAndRestore(tmp_path), Interrupt(epoch=1)])  # fmt: skip
    path = tmp_path / "latest.lamina"
    tensors, metadata, data = load_file_with_data(path, str(path))
    metadata[key] = value
    entries, packed = pack(tensors)
    assert packed == data
    path.write_bytes(encode_header(entries, metadata) + data)
    with pytest.raises((FormatError, ValueError), match=message):
        _gan().fit(x, batch_size=16, epochs=3, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
