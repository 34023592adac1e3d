"""Report: at the end of training, save the run's data in a folder and write a self-contained
HTML report there (``run_dir/report.html``; see ``lamina.report``).

The page holds the learning curves, a metrics table, the confusion matrix on
``validation_data``, the findings of a ``Diagnostics`` callback, the model summary and
explanations of ``sample_inputs``. ``lamina report RUN_DIR`` renders it again from
``run_dir/run.json``.

>>> import numpy as np, os, tempfile
>>> from lamina.models import Sequential
>>> from lamina.layers import Dense
>>> model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
>>> x, y = np.random.default_rng(0).normal(size=(32, 4)), np.arange(32) % 3
>>> run_dir = tempfile.mkdtemp()
>>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[Report(run_dir, (x, y), verbose=0)])
>>> sorted(os.listdir(run_dir))
['report.html', 'run.json']
"""

from __future__ import annotations

import os
import time

from lamina.callbacks._io import print_msg
from lamina.callbacks.callback import Callback


class Report(Callback):
    """Write ``run_dir/run.json`` and ``run_dir/report.html`` when training ends. A failure
    to compute the confusion matrix or the explanations is warned about and noted in the
    report, never raised: the trained model and its History come back from fit all the same.

    Args:
        run_dir: the folder of this run (created if needed).
        validation_data: ``(x, y)`` for the confusion matrix (classification models).
        sample_inputs: inputs to explain, ``x`` or ``(x, y)``; by default the first
            ``samples`` of ``validation_data``.
        samples: how many validation samples to explain when ``sample_inputs`` is None.
        class_names: a name per class index, for the matrix and the explanations.
        methods: explanation methods (``"saliency"``, ``"smoothgrad"``,
            ``"integrated_gradients"``, ``"grad_cam"``, ``"occlusion"``); default saliency and
            Grad-CAM for convolutional image models, saliency and Integrated Gradients else.
        feature_names: names of the input features, for explanations of tabular inputs.
        title: the page title (default ``"Training report: <model name>"``).
        verbose: 1 prints the report's path.
    """

    def __init__(
        self,
        run_dir,
        validation_data=None,
        sample_inputs=None,
        samples: int = 6,
        class_names=None,
        methods=None,
        feature_names=None,
        title: str | None = None,
        verbose: int = 1,
    ):
        super().__init__()
        if validation_data is not None and (
            not isinstance(validation_data, (tuple, list)) or len(validation_data) < 2
        ):
            raise ValueError("validation_data must be a tuple (x, y)")
        self.run_dir = os.fspath(run_dir)
        self.validation_data = validation_data
        self.sample_inputs = sample_inputs
        self.samples = int(samples)
        self.class_names = class_names
        self.methods = methods
        self.feature_names = feature_names
        self.title = title
        self.verbose = verbose
        self.path = None

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_train_end(self, logs=None):
        from lamina.report import save_run, write_report

        samples = self.sample_inputs
        if samples is None and self.validation_data is not None and self.samples > 0:
            x, y = self.validation_data[0], self.validation_data[1]
            samples = (x[: self.samples], y[: self.samples])
        start = getattr(self, "_start", None)
        save_run(
            self.run_dir, self.model, history=getattr(self.model, "history", None),
            validation_data=self.validation_data, sample_inputs=samples,
            class_names=self.class_names, methods=self.methods, feature_names=self.feature_names,
            title=self.title, strict=False,
            extra={"duration_s": None if start is None else time.perf_counter() - start},
        )  # fmt: skip
        self.path = write_report(self.run_dir)
        if self.verbose:
            print_msg(f"Report written to {self.path}")
