"""BackupAndRestore: resume an interrupted ``fit`` where it stopped (fault tolerance).

At the end of every epoch (or every ``save_freq`` batches) the training state goes to one file
in ``backup_dir``, written atomically: the weights, the optimizer's state (iterations, learning
rate, slots), that of any other optimizer the model holds as an attribute (a GAN's two), the
model's ``SeedGenerator``s, lamina's random generator and the epoch reached. When ``fit`` starts
and a backup exists, it is loaded and training goes on from the next epoch; a run that ends
normally deletes the backup. With epoch backups and a seeded run, the resumed run ends with
exactly the weights of an uninterrupted one.

The file is lamina's safetensors container, as ``.lamina`` model files are (``weights/<name>``,
``optimizer/<i>/<slot>`` and ``optimizers/<attribute>/<i>/<slot>`` tensors, a SHA-256
checksum), with format ``"lamina.backup"`` and no architecture: the model being trained is the
one restored into.

>>> import lamina, numpy as np, tempfile
>>> from lamina import layers
>>> class Interrupt(lamina.callbacks.Callback):
...     def on_epoch_begin(self, epoch, logs=None):
...         if epoch == 4:
...             raise RuntimeError("interrupted")
>>> backup = lamina.callbacks.BackupAndRestore(backup_dir=tempfile.mkdtemp())
>>> model = lamina.Sequential([layers.Input((20,)), layers.Dense(10)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> x, y = np.arange(100.0).reshape(5, 20) / 100, np.zeros((5, 10))
>>> try:
...     model.fit(x, y, epochs=10, batch_size=1, callbacks=[backup, Interrupt()], verbose=0)
... except RuntimeError:
...     pass
>>> history = model.fit(x, y, epochs=10, batch_size=1, callbacks=[backup], verbose=0)
>>> len(history.history["loss"])  # epochs 4 to 9: the first run backed up epochs 0 to 3
6
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings

import numpy as np

from lamina import backend
from lamina.callbacks.callback import Callback
from lamina.files import write_atomic
from lamina.saving.model_file import _json
from lamina.saving.safetensors import FormatError, encode_header, load_file_with_data, pack

FORMAT = "lamina.backup"
FORMAT_VERSION = 1
LATEST = "latest.lamina"
PREVIOUS = "previous.lamina"


class BackupAndRestore(Callback):
    """Backs up the training state to ``backup_dir`` and restores it when ``fit`` restarts.

    Args:
        backup_dir: a folder for this training run only (created if missing).
        save_freq: ``"epoch"`` to back up at each epoch's end, or an integer N to back up every
            N training batches as well. As in Keras, a backup made in the middle of an epoch
            resumes at the start of that epoch, with the weights of the backup.
        double_checkpoint: keep the previous backup too, and fall back on it when the latest
            cannot be read (a corrupted or truncated file).
        delete_checkpoint: delete the backup when ``fit`` ends normally (also after an early
            stop); ``False`` keeps it.

    The model must be compiled with the same optimizer when it resumes, and built (a
    ``Sequential`` with an input shape, a functional model, or a model called once on data).
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike,
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore needs a backup_dir, got an empty one")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f"BackupAndRestore save_freq must be 'epoch' or a number of batches >= 1, "
                f"got {save_freq!r}"
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._latest = os.path.join(self.backup_dir, LATEST)
        self._previous = os.path.join(self.backup_dir, PREVIOUS)
        self._epoch = 0
        self._batches_since_save = 0

    def _uses_hook(self, name):
        if name == "on_train_batch_end":
            return self.save_freq != "epoch"
        return super()._uses_hook(name)

    # ----- hooks -----
    def on_train_begin(self, logs=None):
        self._batches_since_save = 0
        state = self._read()
        if state is not None:
            self._restore(state)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(epoch=self._epoch, batch=batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch=epoch + 1, batch=0)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        for path in (self._latest, self._previous):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)  # only when nothing else is in it
        except OSError:
            pass

    # ----- writing -----
    def _save(self, epoch: int, batch: int) -> None:
        from lamina import __version__

        model = self.model
        tensors = {f"weights/{name}": value for name, value in model.state_dict().items()}
        metadata = {
            "format": FORMAT,
            "format_version": str(FORMAT_VERSION),
            "lamina_version": __version__,
            "epoch": str(epoch),
            "batch": str(batch),
        }
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and optimizer.built:
            scalars, arrays = _split_state(optimizer)
            metadata["optimizer_state"] = json.dumps(scalars)
            tensors.update({f"optimizer/{k}": v for k, v in arrays.items()})
        optimizers, seed_generators = _tracked_state(model)
        extra = {}
        for attr, other in optimizers.items():
            if other.built:
                extra[attr], arrays = _split_state(other)
                tensors.update({f"optimizers/{attr}/{k}": v for k, v in arrays.items()})
        if extra:
            metadata["optimizers_state"] = json.dumps(extra)
        states = {key: _generator_state(g) for key, g in seed_generators.items()}
        states = {key: state for key, state in states.items() if state is not None}
        if states:
            metadata["seed_generators"] = json.dumps(states)
        rng_state = _rng_state()
        if rng_state is not None:
            metadata["rng_state"] = json.dumps(rng_state)
        entries, data = pack(tensors)
        metadata["sha256"] = hashlib.sha256(data).hexdigest()
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._latest):
            os.replace(self._latest, self._previous)
        write_atomic(self._latest, encode_header(entries, metadata), data)

    # ----- reading -----
    def _read(self):
        """The newest readable backup as ``(tensors, metadata, path)``, or None when there is
        none; a backup that exists but cannot be read (and has no fallback) is an error."""
        errors = []
        for path in (self._latest, self._previous):
            if not os.path.exists(path):
                continue
            try:
                return (*_read_backup(path), path)
            except (FormatError, OSError) as exc:
                errors.append(exc)
                if not self.double_checkpoint:
                    break
        if errors:
            raise FormatError(
                f"BackupAndRestore cannot resume from {self.backup_dir}: {errors[0]}. Delete the "
                "folder to start training afresh"
            ) from errors[0]
        return None

    def _restore(self, state) -> None:
        tensors, metadata, path = state
        model = self.model
        if not model.built and not model.weights:  # (a GAN's built networks are enough)
            raise ValueError(
                f"BackupAndRestore found a backup in {self.backup_dir}, but {model.name} is not "
                "built yet: give the first layer an input shape (or start with Input(shape)), or "
                "call the model on a batch before fit()"
            )
        weights = {k[len("weights/") :]: v for k, v in tensors.items() if k.startswith("weights/")}
        own = model.state_dict()
        if set(own) != set(weights) and [v.shape for v in own.values()] == [
            v.shape for v in weights.values()
        ]:  # the same architecture built again in this process: dense_3 for dense_1
            weights = dict(zip(own, weights.values()))
        try:
            model.load_state_dict(weights)
        except (KeyError, ValueError) as exc:
            raise ValueError(
                f"the backup {path} does not fit {model.name} ({exc}): it was made by another "
                "model; delete the folder or use another backup_dir"
            ) from None
        optimizer_state = _json(metadata, "optimizer_state", path)
        if optimizer_state is not None and getattr(model, "optimizer", None) is not None:
            optimizer_state.update(
                {
                    k[len("optimizer/") :]: v
                    for k, v in tensors.items()
                    if k.startswith("optimizer/")
                }
            )
            model.optimizer.build(model.trainable_weights)
            try:
                model.optimizer.set_state(optimizer_state)
            except (KeyError, ValueError) as exc:
                raise ValueError(
                    f"the optimizer state in {path} does not fit {model.name}'s optimizer ({exc}); "
                    "compile the model with the optimizer it was trained with"
                ) from None
        self._restore_tracked(tensors, metadata, path)
        _set_rng_state(_json(metadata, "rng_state", path))
        epoch = int(metadata["epoch"])
        self._epoch = epoch
        model._initial_epoch = epoch

    def _restore_tracked(self, tensors, metadata, path) -> None:
        """The model's other optimizers (loaded now, or at their first step when they know no
        variables yet) and its SeedGenerators."""
        optimizers, seed_generators = _tracked_state(self.model)
        saved_optimizers = _json_dict(metadata, "optimizers_state", path)
        saved_generators = _json_dict(metadata, "seed_generators", path)
        for attr, scalars in saved_optimizers.items():
            if attr not in optimizers:
                raise ValueError(
                    f"the backup {path} holds the state of optimizer {attr!r}, which "
                    f"{self.model.name} does not have: it was made by another model"
                )
            if not isinstance(scalars, dict):
                raise FormatError(f"{path}: the state of optimizer {attr!r} is not a mapping")
            prefix = f"optimizers/{attr}/"
            state = {**scalars, **{k[len(prefix) :]: v for k, v in tensors.items()
                                   if k.startswith(prefix)}}  # fmt: skip
            try:
                optimizers[attr].set_state(state)
            except (KeyError, ValueError) as exc:
                raise ValueError(
                    f"the state of optimizer {attr!r} in {path} does not fit it ({exc})"
                ) from None
        for key, state in saved_generators.items():
            if key not in seed_generators:
                raise ValueError(
                    f"the backup {path} holds the state of SeedGenerator {key!r} (layer position "
                    f"and attribute), which {self.model.name} does not have: it was made by "
                    "another model"
                )
            try:
                seed_generators[key].next().bit_generator.state = state
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                raise FormatError(
                    f"{path}: the state of SeedGenerator {key} is not valid ({exc})"
                ) from None


def _json_dict(metadata, key, path) -> dict:
    """A JSON mapping from the backup's metadata ({} when absent)."""
    value = _json(metadata, key, path)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FormatError(f"{path}: {key} is not a mapping")
    return value


def _split_state(optimizer) -> tuple[dict, dict]:
    """An optimizer's state as JSON scalars (iterations, learning rate) and named arrays."""
    state = optimizer.get_state()
    scalars = {k: v for k, v in state.items() if "/" not in k}
    return scalars, {k: np.asarray(v) for k, v in state.items() if "/" in k}


def _tracked_state(model) -> tuple[dict, dict]:
    """What a model trains with beyond its weights and ``model.optimizer``: the optimizers it
    holds as attributes (a GAN's ``d_optimizer`` and ``g_optimizer``), by attribute name, and
    the ``SeedGenerator``s of it and its layers, by layer position and attribute name."""
    from lamina.optimizers import Optimizer
    from lamina.random import SeedGenerator

    optimizers, seed_generators = {}, {}
    main = getattr(model, "optimizer", None)
    for position, layer in enumerate(model._flatten_layers()):
        for attr, value in sorted(vars(layer).items()):
            if layer is model and isinstance(value, Optimizer) and value is not main:
                optimizers[attr] = value
            elif isinstance(value, SeedGenerator):
                seed_generators[f"{position}.{attr}"] = value
    return optimizers, seed_generators


def _read_backup(path) -> tuple[dict, dict]:
    what = os.fspath(path)
    tensors, metadata, data = load_file_with_data(path, what)
    if metadata.get("format") != FORMAT:
        raise FormatError(
            f"{what} is not a BackupAndRestore file (format {metadata.get('format')!r})"
        )
    if metadata.get("format_version") != str(FORMAT_VERSION):
        raise FormatError(f"{what} has backup format version {metadata.get('format_version')!r}")
    if hashlib.sha256(data).hexdigest() != metadata.get("sha256"):
        raise FormatError(f"{what}: checksum mismatch: the backup is corrupted")
    try:
        int(metadata["epoch"])
    except (KeyError, ValueError):
        raise FormatError(f"{what}: no valid epoch in the backup") from None
    return tensors, metadata


def _generator_state(seed_generator):
    """A SeedGenerator's NumPy bit-generator state (plain ints), or None on CuPy."""
    state = getattr(getattr(seed_generator.next(), "bit_generator", None), "state", None)
    return state if isinstance(state, dict) else None


def _rng_state():
    """lamina's generator state (NumPy's bit generator: plain ints), or None on CuPy."""
    bit_generator = getattr(backend.rng(), "bit_generator", None)
    state = getattr(bit_generator, "state", None)
    return state if isinstance(state, dict) else None


def _set_rng_state(state) -> None:
    if state is None:
        return
    try:
        backend.rng().bit_generator.state = state
    except (AttributeError, TypeError, ValueError) as exc:
        warnings.warn(
            f"BackupAndRestore could not restore the random generator ({exc}); shuffling and "
            "dropout will differ from an uninterrupted run",
            stacklevel=3,
        )
