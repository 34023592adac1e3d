"""TensorBoard: write training curves (and weight histograms) for ``tensorboard --logdir``.

Files and tags are Keras's: ``log_dir/train`` gets ``epoch_loss``, ``epoch_<metric>`` and
``epoch_learning_rate`` at each epoch; ``log_dir/validation`` gets the ``val_`` values under the
same tags (``epoch_loss``...), plus ``evaluation_<metric>_vs_iterations`` after each evaluation.
The event files are written by lamina itself (``lamina/callbacks/_tfevents.py``), so neither
TensorFlow nor TensorBoard is needed to write them; run ``pip install tensorboard`` to view them.

>>> import lamina, numpy as np, os, tempfile
>>> from lamina import layers
>>> log_dir = tempfile.mkdtemp()
>>> model = lamina.Sequential([layers.Input((2,)), layers.Dense(1)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, validation_split=0.25, verbose=0,
...               callbacks=[lamina.callbacks.TensorBoard(log_dir=log_dir)])
>>> sorted(os.listdir(log_dir))
['train', 'validation']
"""

from __future__ import annotations

import numbers
import os
import time

from lamina.callbacks import _tfevents
from lamina.callbacks.callback import Callback


class TensorBoard(Callback):
    """Logs scalars (and, with ``histogram_freq``, weight histograms) for TensorBoard.

    Args:
        log_dir: the folder TensorBoard reads (``train/`` and ``validation/`` go inside).
        histogram_freq: every this many epochs, a histogram of every weight (tag
            ``<layer>/<weight>/histogram``); 0 writes none.
        write_graph: accepted for Keras code; lamina runs no graph, so there is none to write.
        write_images: not supported (weights as images): must be False.
        write_steps_per_second: also log training steps per second (``epoch_steps_per_second``,
            and ``batch_steps_per_second`` with batch-level logging).
        update_freq: ``"epoch"``; or ``"batch"`` or an integer N to also log ``batch_<metric>``
            every N training batches (the step is the batch count since ``fit`` began).
        profile_batch: profiling is not supported: must be 0.
        embeddings_freq, embeddings_metadata: embedding projections are not supported:
            ``embeddings_freq`` must be 0.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int = 0,
        embeddings_freq: int = 0,
        embeddings_metadata=None,
    ) -> None:
        super().__init__()
        _check_count(histogram_freq, "histogram_freq")
        update_freq = 1 if update_freq == "batch" else update_freq
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                f"TensorBoard update_freq must be 'epoch', 'batch' or a number of batches >= 1, "
                f"got {update_freq!r}"
            )
        for name, value, what in [
            ("write_images", write_images, "weights as images"),
            ("profile_batch", profile_batch, "profiling"),
            ("embeddings_freq", embeddings_freq, "embedding projections"),
        ]:
            if value:
                raise ValueError(
                    f"TensorBoard {name}={value!r}: lamina's TensorBoard callback writes scalars "
                    f"and histograms only, not {what}; leave {name} at its default"
                )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = update_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._batch_start = self._epoch_start = 0.0
        self._epoch_start_step = 0

    def _uses_hook(self, name):
        if name in ("on_train_batch_begin", "on_train_batch_end"):
            return self.update_freq != "epoch" or self.write_steps_per_second
        return super()._uses_hook(name)

    def _writer(self, which: str) -> _tfevents.EventFileWriter:
        if which not in self._writers:
            self._writers[which] = _tfevents.EventFileWriter(os.path.join(self.log_dir, which))
        return self._writers[which]

    def _write(self, which: str, step: int, scalars: dict) -> None:
        values = [_tfevents.scalar_value(tag, float(v)) for tag, v in scalars.items()
                  if _is_scalar(v)]  # fmt: skip
        self._writer(which).write(step, values)

    # ----- hooks -----
    def on_train_begin(self, logs=None):
        self._writers = {}  # each fit writes new files, as Keras's writers do
        self._global_train_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_start_step = self._global_train_batch

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        scalars = {f"batch_{k}": v for k, v in (logs or {}).items()}
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start
            scalars["batch_steps_per_second"] = 1.0 / elapsed if elapsed > 0 else 0.0
        self._write("train", step, scalars)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {f"epoch_{k}": v for k, v in logs.items() if not k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and "epoch_learning_rate" not in train:
            train["epoch_learning_rate"] = optimizer.learning_rate
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start
            steps = self._global_train_batch - self._epoch_start_step
            train["epoch_steps_per_second"] = steps / elapsed if elapsed > 0 else 0.0
        self._write("train", epoch, train)
        validation = {f"epoch_{k[4:]}": v for k, v in logs.items() if k.startswith("val_")}
        self._write("validation", epoch, validation)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not logs:
            return
        scalars = {f"evaluation_{k}_vs_iterations": v for k, v in logs.items()}
        self._write("validation", optimizer.iterations, scalars)

    def _log_weights(self, epoch: int) -> None:
        values = [
            _tfevents.histogram_value(f"{weight.name}/histogram", weight.numpy())
            for layer in self.model.layers
            for weight in layer.weights
        ]
        self._writer("train").write(epoch, values)


def _is_scalar(value) -> bool:
    if isinstance(value, numbers.Real):
        return True
    return getattr(value, "size", 0) == 1 and getattr(value, "dtype", None) is not None


def _check_count(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"TensorBoard {name} must be a non-negative integer, got {value!r}")
