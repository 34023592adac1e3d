"""``Model``: a layer that trains — compile, fit, evaluate, predict.

``fit`` is epochs x batches of ``train_step`` with callbacks told at every boundary; ``predict``
and ``evaluate`` are thin batched loops over ``model(x)``. Override ``train_step`` (or
``call``) to train in your own way.

>>> import numpy as np, lamina
>>> from lamina.models import Sequential
>>> from lamina.layers import Dense
>>> lamina.seed(0)
>>> model = Sequential([Dense(1, input_shape=(2,))])
>>> model.compile(optimizer="sgd", loss="mse")
>>> x = np.random.default_rng(0).normal(size=(64, 2)); y = x @ [[2.0], [-1.0]]
>>> history = model.fit(x, y, epochs=20, verbose=0)
>>> history.history["loss"][-1] < history.history["loss"][0]
True
"""

from __future__ import annotations

import warnings

import numpy as np

from lamina import backend
from lamina.autograd.grad_mode import no_grad
from lamina.backend import xp
from lamina.layers.layer import Layer, shape_matches
from lamina.models import data as data_utils
from lamina.models.summary import summary_lines


class Model(Layer):
    """Base class of trainable models. Subclass it and define ``call`` (and layers in
    ``__init__``), or use ``Sequential``."""

    def __new__(cls, *args, **kwargs):
        from lamina.models.functional import Functional

        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return super().__new__(Functional)  # Model(inputs, outputs)
        if _functional_arguments(cls, args, kwargs):  # CustomModel(inputs, outputs), as Keras
            return super().__new__(functional_subclass(cls))
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__ got inputs/outputs: build a functional model "
                "with Model(inputs, outputs), or define call() in a Model subclass"
            )
        super().__init__(**kwargs)
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._fit_batch = None  # fit's batch in progress: (x, y[, sample_weight])
        self._initial_epoch = None  # where the next fit starts, when a callback restored one

    # ----- compile -----
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        metrics=None,
        loss_weights=None,
        weighted_metrics=None,
        run_eagerly=None,
        jit_compile=None,
        steps_per_execution=1,
    ):
        """Choose the optimizer, loss and metrics (names or objects), as in Keras. A loss may
        also be written as a saved config writes one (``losses.serialize(loss)``).

        ``loss`` may be left out when the model supplies its own: losses added with
        ``add_loss`` (a VAE's terms) or a ``train_step`` of its own (a GAN's).
        """
        from lamina import losses, optimizers

        if is_serialized(loss):  # one loss as a saved config writes it, settings included
            loss = losses.get(loss)
        self._compile_args = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                              "weighted_metrics": weighted_metrics}  # fmt: skip
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        names = _output_keys(self)
        self._multi_output = len(names) > 1
        if self._multi_output:
            self._output_losses = _per_output(loss, names, "loss")
            self._output_losses = [
                None if l is None else losses.get(l) for l in self._output_losses
            ]
            weights = _per_output(
                1.0 if loss_weights is None else loss_weights, names, "loss_weights"
            )
            self._loss_weights = [1.0 if w is None else float(w) for w in weights]
            # Keras weights only weighted_metrics by sample_weight/class_weight, never metrics
            self._output_metric_ids = _per_output_metrics(metrics, names)
            self._output_weighted_ids = _per_output_metrics(weighted_metrics, names)
            self._loss_fn = None
        else:
            if isinstance(loss, dict):
                loss = next(iter(loss.values()))
            elif isinstance(loss, (list, tuple)):
                loss = loss[0]
            self._loss_fn = None if loss is None else losses.get(loss)
            self.loss = loss
            self._metric_ids = _one_output_metrics(metrics)
            self._weighted_metric_ids = _one_output_metrics(weighted_metrics)
        self._metrics = None  # resolved when the output shape is known
        self.compiled = True

    def _assert_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(
                f"the model must be compiled before {what}(): call "
                "model.compile(optimizer=..., loss=...) first"
            )

    def _build_metrics(self, output_shape):
        from lamina import metrics

        if self._metrics is not None:
            return
        self._loss_tracker = metrics.Mean(name="loss")
        if not getattr(self, "_multi_output", False):
            plain, weighted = (
                [metrics.get(m, loss=self.loss, output_shape=output_shape) for m in ids]
                for ids in (self._metric_ids, self._weighted_metric_ids)
            )
            _name_metrics([(None, m) for m in plain], [(None, m) for m in weighted])
            self._metrics = plain + weighted
            self._metric_weighted = [False] * len(plain) + [True] * len(weighted)
            return
        # several outputs: with several losses, a tracker per output loss (in the order of a
        # loss dict, as Keras lists them); then every output's metrics named after it, sorted
        # by name as Keras does
        names = _output_keys(self)
        loss_spec = getattr(self, "_compile_args", {}).get("loss")
        order = sorted(range(len(names)), key=lambda i: _position(loss_spec, names[i]))
        order = [i for i in order if self._output_losses[i] is not None]
        tracked = [(metrics.Mean(name=f"{names[i]}_loss"), ("loss", i))
                   for i in (order if len(order) > 1 else [])]  # fmt: skip
        plain, weighted = (
            [
                (name, metrics.get(m, loss=self._output_losses[i], output_shape=output_shape[i]))
                for i, (name, ids) in enumerate(zip(names, per_output))
                for m in ids
            ]
            for per_output in (self._output_metric_ids, self._output_weighted_ids)
        )
        _name_metrics(plain, weighted)
        where = {name: i for i, name in enumerate(names)}
        compiled = [(m, ("metric", where[name])) for name, m in plain]
        compiled += [(m, ("weighted", where[name])) for name, m in weighted]
        compiled.sort(key=lambda pair: pair[0].name)
        self._metrics = [metric for metric, _ in tracked + compiled]
        self._metric_outputs = [where for _, where in tracked + compiled]

    @property
    def metrics(self) -> list:
        """The loss tracker and the compiled metrics."""
        if self._metrics is None:
            return []
        return [self._loss_tracker, *self._metrics]

    @property
    def metrics_names(self) -> list:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def _metric_logs(self) -> dict:
        return _as_logs({m.name: m.result() for m in self.metrics})  # per-class arrays stay

    # ----- one step -----
    def _flat_outputs(self, y_pred):
        """Outputs as one tensor, or as a list in output order when there are several (a dict
        model's outputs come as a dict)."""
        if isinstance(y_pred, dict):
            y_pred = _by_key(y_pred, _output_keys(self))
        if isinstance(y_pred, (list, tuple)) and len(y_pred) == 1:
            return y_pred[0]  # outputs=[one tensor]
        return y_pred

    def _flat_targets(self, y):
        """Targets given as a dict by output name, in output order (one output: its array)."""
        if not isinstance(y, dict):
            return y
        y = _by_key(y, _output_keys(self))
        return y[0] if len(y) == 1 else y

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        """The compiled loss plus every regularization penalty (as Keras reports it); with
        several outputs, the ``loss_weights``-weighted sum of each output's loss (``y`` and
        ``y_pred`` as lists in output order, or dicts by output name)."""
        y_pred, y = self._flat_outputs(y_pred), self._flat_targets(y)
        if getattr(self, "_multi_output", False):
            ys = y if isinstance(y, (list, tuple)) else [y]
            loss, self._output_loss_values = None, []
            for fn, weight, target, pred in zip(
                self._output_losses, self._loss_weights, ys, y_pred
            ):
                if fn is None:
                    self._output_loss_values.append(None)
                    continue
                value = fn(target, pred, sample_weight=sample_weight)
                self._output_loss_values.append(value)
                loss = value * weight if loss is None else loss + value * weight
        elif self._loss_fn is not None:
            if y is None:
                raise ValueError(
                    f"the compiled loss {self.loss!r} needs targets: pass y to fit()/evaluate() "
                    "or use a dataset that yields (x, y) batches"
                )
            loss = self._loss_fn(y, y_pred, sample_weight=sample_weight)
        else:
            loss = None
        for penalty in self.losses:
            loss = penalty if loss is None else loss + penalty
        if loss is None:
            raise ValueError(
                f"{self.name} has no loss to compute: pass loss= to compile(), add losses with "
                "add_loss(), or override train_step()"
            )
        return loss

    def train_step(self, data):
        """One optimization step on a batch ``(x, y)`` or ``(x, y, sample_weight)``;
        returns the running metric values."""
        x, y, sample_weight = unpack(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        variables = self.trainable_weights  # after the call: a lazy model builds in it
        for v in variables:
            v.grad = None
        # a frozen model (a GAN's discriminator inside the combined model) still reports its
        # loss and metrics, as Keras's does; there is just nothing to update
        if not variables:
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        elif not getattr(loss, "requires_grad", False):
            warnings.warn(
                f"the loss of {self.name} does not depend on any trainable weight: no weight "
                "was updated (are the layers it uses frozen?)",
                stacklevel=2,
            )
        else:
            self.optimizer.scale_loss(loss).backward()  # apply() divides by loss_scale_factor
            self.optimizer.apply([v.grad for v in variables], variables)
        return self.compute_metrics(x, y, y_pred, sample_weight, loss=loss)

    def test_step(self, data):
        """Loss and metrics on one batch, without updating weights."""
        x, y, sample_weight = unpack(data)
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        return self.compute_metrics(x, y, y_pred, sample_weight, loss=loss)

    def predict_step(self, data):
        x, _, _ = unpack(data)
        with no_grad():
            return self(x, training=False)

    def compute_metrics(self, x, y, y_pred, sample_weight=None, loss=None):
        """Update the loss tracker and metrics with one batch; return their running values."""
        y_pred, y = self._flat_outputs(y_pred), self._flat_targets(y)
        multi = getattr(self, "_multi_output", False)
        self._build_metrics([p.shape for p in y_pred] if multi else y_pred.shape)
        batch = (y_pred[0] if multi else y_pred).shape[0]
        if loss is not None:
            self._loss_tracker.update_state(loss.item(), sample_weight=batch)
        if not multi:
            pred = y_pred.data
            for m, weighted in zip(self._metrics, self._metric_weighted):
                m.update_state(y, pred, sample_weight=sample_weight if weighted else None)
            return self._metric_logs()
        for m, (kind, i) in zip(self._metrics, self._metric_outputs):
            if kind == "loss":
                value = getattr(self, "_output_loss_values", [None] * (i + 1))[i]
                if value is not None:
                    m.update_state(value.item(), sample_weight=batch)
            else:
                weight = sample_weight if kind == "weighted" else None
                m.update_state(y[i], y_pred[i].data, sample_weight=weight)
        return self._metric_logs()

    # ----- data validation -----
    def _prepare(self, x, y, sample_weight, what):
        x = self._prepare_inputs(x)
        if y is not None:
            y = self._prepare_targets(y)
        if sample_weight is not None:
            sample_weight = data_utils.as_array(sample_weight, "sample_weight", backend.floatx())
        data_utils.check_lengths(**_named("x", x), **_named("y", y), sample_weight=sample_weight)
        if data_utils.num_samples(x) == 0:
            raise ValueError(f"{what}() got no samples (x has length 0)")
        return x, y, sample_weight

    def _prepare_inputs(self, x):
        """x as a validated array, or a list of arrays for a model with several inputs (a dict
        is read by input name, or by key for a model whose inputs are a dict)."""
        names = getattr(self, "_input_keys", None) or getattr(self, "input_names", None)
        if isinstance(x, dict) and names:
            x = [x[n] if n in x else _missing("input", n, x) for n in names]
            if len(x) == 1:
                x = x[0]
        if names and len(names) > 1 and isinstance(x, (list, tuple)):
            x = [
                data_utils.as_array(
                    a, f"x[{i}]", backend.floatx(), data_utils.takes_strings(self, i)
                )
                for i, a in enumerate(x)
            ]
            for i, a in enumerate(x):
                data_utils.check_finite(a, f"x[{i}]")
            return x
        x = data_utils.as_array(x, "x", backend.floatx(), data_utils.takes_strings(self))
        data_utils.check_finite(x, "x")
        expected = self._batch_input_shape
        if expected is not None:  # Keras's leniency: (n,) feeds Input(shape=(1,)), and back
            if x.ndim == len(expected) - 1 and expected[-1] == 1:
                x = x[..., None]
            elif x.ndim == len(expected) + 1 and x.shape[-1] == 1:
                x = x[..., 0]
        self._check_input_features(x)
        return x

    def _prepare_targets(self, y):
        """y as an array, or a list of arrays (one per output) for several outputs; a dict is
        read by output name (a dict model's keys)."""
        names = _output_keys(self)
        if len(names) == 1 and isinstance(y, dict):
            y = y[names[0]] if names[0] in y else _missing("target", names[0], y)
        if len(names) > 1:
            if isinstance(y, dict):
                y = [y[n] if n in y else _missing("target", n, y) for n in names]
            if not isinstance(y, (list, tuple)) or len(y) != len(names):
                raise ValueError(
                    f"{self.name} has {len(names)} outputs {names}: give y as a list or a dict "
                    "of that many target arrays"
                )
            return [self._prepare_targets_array(a, f"y[{i}]") for i, a in enumerate(y)]
        return self._prepare_targets_array(y, "y")

    @staticmethod
    def _prepare_targets_array(y, what):
        y = data_utils.as_array(y, what)
        if y.dtype.kind == "f" and y.dtype != backend.floatx():
            y = y.astype(backend.floatx())
        data_utils.check_finite(y, what)
        return y

    def _batch_preparer(self, what, class_weight=None):
        """Validation for the batches of a dataset; the first one also checks the targets."""
        first = [True]

        def prepare(x, y, sample_weight):
            if what == "predict":
                return self._prepare_inputs(x), None, None
            x, y, sample_weight = self._prepare(x, y, sample_weight, what)
            if first[0] and what == "fit" and y is not None:
                self._check_targets(x, y)
            first[0] = False
            return x, y, data_utils.apply_class_weight(y, sample_weight, class_weight)

        return prepare

    def _check_input_features(self, x):
        # Only a declared input shape is enforced: a model built from its first batch accepts
        # other sequence lengths, as Keras's does.
        expected = self._batch_input_shape
        if expected is None:
            return
        expected = tuple(expected)
        got = tuple(x.shape)
        if not shape_matches(expected, got):
            if len(got) == len(expected) == 2:
                raise ValueError(
                    f"{self.name} expects {expected[1]} features per sample, but x has "
                    f"{got[1]} (x shape {got}, expected {expected})"
                )
            raise ValueError(f"{self.name} expects input of shape {expected}, got x shape {got}")

    def _check_targets(self, x, y):
        """Labels that cannot fit the loss: a clear error before any training."""
        with no_grad():
            out = self._flat_outputs(self(data_utils.take(x, slice(0, 1)), training=False))
        if not isinstance(out, (list, tuple)):
            self._build_metrics(out.shape)
            _check_labels(self._loss_fn, out.shape, y)
            return
        self._build_metrics([o.shape for o in out])
        if getattr(self, "_multi_output", False) and isinstance(y, list):
            for key, fn, o, target in zip(_output_keys(self), self._output_losses, out, y):
                _check_labels(fn, o.shape, target, f"output {key!r}: ")

    # ----- fit / evaluate / predict -----
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Train for ``epochs`` passes over ``(x, y)`` in mini-batches of ``batch_size`` (32).

        Batch, stochastic and mini-batch gradient descent are ``batch_size=len(x)``, ``1`` and
        ``n``. Returns a ``History`` whose ``.history`` holds per-epoch ``loss``, metrics and
        their ``val_`` twins.
        """
        from lamina.callbacks import CallbackList

        self._assert_compiled("fit")
        if not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        batch_size = _check_batch_size(batch_size)
        val = None
        if data_utils.is_dataset(x):
            if y is not None or sample_weight is not None or validation_split:
                raise ValueError(
                    "when x is a dataset it yields (x, y[, sample_weight]) batches: pass no y, "
                    "sample_weight or validation_split (use validation_data=)"
                )
            train = data_utils.DatasetBatches(x, self._batch_preparer("fit", class_weight))
        else:
            x, y, sample_weight = self._prepare(x, y, sample_weight, "fit")
            if validation_split:
                n = data_utils.num_samples(x)
                n_val = int(n * validation_split)
                if n_val == 0:
                    raise ValueError(f"validation_split={validation_split} of {n} samples is 0")
                head, tail = slice(0, n - n_val), slice(n - n_val, None)
                take = data_utils.take
                val = (take(x, tail), take(y, tail), take(sample_weight, tail))
                x, y, sample_weight = take(x, head), take(y, head), take(sample_weight, head)
            sample_weight = data_utils.apply_class_weight(y, sample_weight, class_weight)
            if y is not None:
                self._check_targets(x, y)
            train = data_utils.ArrayBatches(x, y, sample_weight, batch_size, shuffle)
        if validation_data is not None:
            val = (
                validation_data
                if data_utils.is_dataset(validation_data)
                else self._prepare(*unpack(tuple(validation_data)), "fit")
            )

        steps = train.steps(steps_per_epoch)
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            epochs=epochs,
            steps=steps,
            verbose=verbose,
        )
        self.stop_training = False
        callback_list.on_train_begin()
        initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch  # BackupAndRestore
        self._initial_epoch = None
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            step = -1
            for step, batch in enumerate(train.epoch(steps)):
                self._fit_batch = batch  # the batch in progress, for callbacks (Diagnostics)
                callback_list.on_train_batch_begin(step)
                logs = _as_logs(self.train_step(batch))
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if step < 0:  # a one-shot iterator ran dry in an earlier epoch
                warnings.warn("fit(): the input ran out of data; training stops here", stacklevel=2)
                break
            epoch_logs = dict(logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_x, val_y, val_weight = val if isinstance(val, tuple) else (val, None, None)
                val_logs = self.evaluate(
                    val_x,
                    val_y,
                    sample_weight=val_weight,
                    batch_size=validation_batch_size or batch_size,
                    verbose=0,
                    return_dict=True,
                    _callbacks=callback_list,
                )
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        self._fit_batch = None
        if epochs > 0 and self.optimizer is not None:  # use_ema: weights become their averages
            self.optimizer.finalize_variable_values(self.trainable_weights)
        callback_list.on_train_end(logs)
        return callback_list.history

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
        _callbacks=None,
    ):
        """Loss and metrics on ``(x, y)``: a float if there are no metrics, else a list
        ``[loss, *metrics]`` (or a dict with ``return_dict=True``)."""
        from lamina.callbacks import CallbackList

        self._assert_compiled("evaluate")
        batch_size = _check_batch_size(batch_size)
        if data_utils.is_dataset(x):
            batches = data_utils.DatasetBatches(x, self._batch_preparer("evaluate"))
        else:
            x, y, sample_weight = self._prepare(x, y, sample_weight, "evaluate")
            batches = data_utils.ArrayBatches(x, y, sample_weight, batch_size, shuffle=False)
        internal = _callbacks is not None  # validation inside fit: fit reports it
        if internal:
            callback_list = _callbacks
        else:
            steps_run, verbosity = batches.steps(steps), _verbosity(verbose)
            callback_list = CallbackList(
                callbacks, model=self, epochs=1, steps=steps_run, verbose=verbosity
            )
        self.reset_metrics()
        self.stop_evaluating = False
        callback_list.on_test_begin()
        logs = {}
        for step, batch in enumerate(batches.epoch(steps)):
            callback_list.on_test_batch_begin(step)
            logs = _as_logs(self.test_step(batch))
            callback_list.on_test_batch_end(step, logs)
            if self.stop_evaluating:
                break
        if not logs:
            raise ValueError("evaluate() got no batches from its dataset")
        callback_list.on_test_end(logs)
        if verbose not in (0, "0") and not internal:
            from lamina.callbacks._io import format_logs

            print(format_logs(logs))
        return _step_result(logs, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x`` as a NumPy array (a list, or a dict by output name, for
        several outputs), computed in batches of ``batch_size``.

        Callbacks get ``on_predict_begin``, ``on_predict_batch_begin``/``_end`` (logs
        ``{"outputs": batch_outputs}``; for a dict model, the outputs dict itself, as Keras
        passes it) and ``on_predict_end``.
        """
        from lamina.callbacks import CallbackList

        batch_size = _check_batch_size(batch_size)
        if data_utils.is_dataset(x):
            batches = data_utils.DatasetBatches(x, self._batch_preparer("predict"))
        else:
            x = self._prepare_inputs(x)
            batches = data_utils.ArrayBatches(x, None, None, batch_size, shuffle=False)
        callback_list = None  # the fast path: no callbacks, no logs built
        if callbacks:
            steps_run, verbosity = batches.steps(steps), _verbosity(verbose)
            callback_list = CallbackList(
                callbacks, model=self, epochs=1, steps=steps_run, verbose=verbosity
            )
            callback_list.on_predict_begin()
        batch_hooks = callback_list is not None and callback_list.has_predict_batch_hooks
        self.stop_predicting = False
        outputs = []
        for step, batch in enumerate(batches.epoch(steps)):
            if batch_hooks:
                callback_list.on_predict_batch_begin(step)
            out = _output_data(self._unwrap_one(self.predict_step(batch)))
            outputs.append(out)
            if batch_hooks:
                callback_list.on_predict_batch_end(step, _predict_logs(out))
                if self.stop_predicting:
                    break
        if not outputs:
            raise ValueError("predict() got no samples (x has length 0)")
        if callback_list is not None:
            callback_list.on_predict_end()
        first = outputs[0]
        if isinstance(first, dict):  # a dict model: one array per output name
            return {k: backend.to_numpy(xp.concatenate([o[k] for o in outputs])) for k in first}
        if isinstance(first, list):  # several outputs: one array each
            return [backend.to_numpy(xp.concatenate(parts, axis=0)) for parts in zip(*outputs)]
        return backend.to_numpy(xp.concatenate(outputs, axis=0))

    def predict_on_batch(self, x):
        """Model outputs for exactly this batch, structured as ``predict``'s."""
        return _to_numpy(_output_data(self._unwrap_one(self.predict_step(self._prepare_inputs(x)))))

    def _unwrap_one(self, out):
        """The output of ``Model(inputs, [one_output])`` as that one tensor, as in Keras."""
        if isinstance(out, (list, tuple)) and len(out) == 1 and len(_output_keys(self)) == 1:
            return out[0]
        return out

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimization step on exactly this batch; returns loss (and metrics)."""
        self._assert_compiled("train_on_batch")
        x, y, sample_weight = self._prepare(x, y, sample_weight, "train_on_batch")
        sample_weight = data_utils.apply_class_weight(y, sample_weight, class_weight)
        self.reset_metrics()
        logs = _as_logs(self.train_step(data_utils.pack(x, y, sample_weight)))
        return _step_result(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on exactly this batch, without training."""
        self._assert_compiled("test_on_batch")
        x, y, sample_weight = self._prepare(x, y, sample_weight, "test_on_batch")
        self.reset_metrics()
        logs = _as_logs(self.test_step(data_utils.pack(x, y, sample_weight)))
        return _step_result(logs, return_dict)

    # ----- inspection -----
    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Print the layers, their output shapes and parameter counts, one line at a time
        through ``print_fn`` (``print``); as in Keras, a layer not built yet shows shape ``?``
        and ``0 (unbuilt)`` parameters.

        ``positions`` end the columns (fractions of ``line_length``, or character positions);
        ``show_trainable`` adds a "Trainable" column (``Y``/``N``, ``-`` for a layer without
        weights); ``expand_nested`` lists the layers of nested models, indented, below them;
        ``layer_range=[first, last]`` (layer names or regular expressions) limits the rows.

        >>> from lamina import layers, models
        >>> model = models.Sequential([layers.Dense(2, name="dense")], name="tiny")
        >>> model.summary(line_length=60)
        Model: "tiny"
        ____________________________________________________________
        Layer (type)               Output Shape              Param #
        ============================================================
        dense (Dense)              ?                     0 (unbuilt)
        ============================================================
        Total params: 0
        Trainable params: 0
        Non-trainable params: 0
        ____________________________________________________________
        >>> model.build((None, 3)); model.layers[0].trainable = False
        >>> model.summary(show_trainable=True)
        Model: "tiny"
        ___________________________________________________________________________________
        Layer (type)                      Output Shape                   Param #  Trainable
        ===================================================================================
        dense (Dense)                     (None, 2)                            8      N
        ===================================================================================
        Total params: 8
        Trainable params: 0
        Non-trainable params: 8
        ___________________________________________________________________________________
        """
        lines = summary_lines(
            self,
            line_length,
            positions=positions,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )
        for line in lines:
            (print_fn or print)(line)

    def get_layer(self, name=None, index=None):
        """A layer by its name or its index in ``model.layers``."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers are {[l.name for l in self.layers]}")

    @classmethod
    def from_config(cls, config):
        """A model from ``get_config()``; the config of a functional model rebuilds a
        ``Model`` subclass called as ``CustomModel(inputs, outputs)`` (a saved one) as such."""
        from lamina.models.functional import Functional

        if not issubclass(cls, Functional) and _FUNCTIONAL_KEYS <= set(config):
            return (Functional if cls is Model else functional_subclass(cls)).from_config(config)
        return super().from_config(config)

    # ----- saving: the .lamina format lives in lamina/saving/ -----
    def save(self, filepath, include_optimizer: bool = True, weights_dtype=None) -> None:
        """Write architecture, weights, compile settings and optimizer state to one file,
        atomically (see ``lamina.saving.save_model``); ``lamina.models.load_model`` reads it."""
        from lamina.saving import save_model

        save_model(self, filepath, include_optimizer=include_optimizer, weights_dtype=weights_dtype)

    def save_weights(self, filepath) -> None:
        """Write every weight, by dotted name, to a safetensors file, atomically."""
        from lamina.saving import save_weights

        save_weights(self, filepath)

    def load_weights(self, filepath, skip_mismatch: bool = False, mapping=None) -> None:
        """Load weights by name from a lamina weights or model file, a safetensors file (e.g.
        from PyTorch, through ``mapping``) or a Keras ``.weights.h5`` file (see
        ``lamina.saving.load_weights``)."""
        from lamina.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, mapping=mapping)

    def to_json(self, **kwargs) -> str:
        """The architecture as JSON, without weights (``lamina.models.model_from_json`` reads
        it); ``kwargs`` go to ``json.dumps``."""
        from lamina.models.model_json import to_json

        return to_json(self, **kwargs)


def unpack(data):
    """``(x, y, sample_weight)`` from a tuple of one, two or three items."""
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"data must be (x,), (x, y) or (x, y, sample_weight), got {len(data)} items")


def is_serialized(spec) -> bool:
    """Whether ``spec`` is one object as a config stores it (``{"class_name", "config"}``,
    perhaps with Keras's ``module``/``registered_name``), not a dict by output name."""
    return (
        isinstance(spec, dict)
        and {"class_name", "config"} <= set(spec) <= _SERIALIZED_KEYS
        and isinstance(spec["class_name"], str)
        and isinstance(spec["config"], dict)
    )


_SERIALIZED_KEYS = {"module", "class_name", "config", "registered_name"}
_FUNCTIONAL_SUBCLASSES: dict[type, type] = {}
_FUNCTIONAL_KEYS = {"layers", "input_layers", "output_layers"}  # a functional model's config


def _functional_arguments(cls, args, kwargs) -> bool:
    """Whether a ``Model`` subclass is called as ``CustomModel(inputs, outputs)``: both given
    (by position or name) as symbolic tensors, or lists or dicts of them."""
    from lamina.layers.symbolic import SymbolicTensor
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential

    def symbolic(obj):
        if isinstance(obj, dict):
            obj = list(obj.values())
        if isinstance(obj, (list, tuple)):
            return bool(obj) and all(symbolic(o) for o in obj)
        return isinstance(obj, SymbolicTensor)

    if cls is Model or issubclass(cls, (Functional, Sequential)):
        return False
    inputs = args[0] if args else kwargs.get("inputs")
    outputs = args[1] if len(args) > 1 else kwargs.get("outputs")
    return symbolic(inputs) and symbolic(outputs)


def functional_subclass(cls: type) -> type:
    """``cls`` with ``Functional`` behind it (made once per class): what
    ``CustomModel(inputs, outputs)`` builds, so that the subclass's ``train_step`` (or
    ``test_step``...) drives a graph of layers. It keeps ``cls``'s name and module, so a file
    saves it under ``cls``'s name, and ``isinstance(model, cls)`` holds."""
    from lamina.layers.layer import _LAYER_CLASSES
    from lamina.models.functional import Functional

    sub = _FUNCTIONAL_SUBCLASSES.get(cls)
    if sub is None:
        registered = _LAYER_CLASSES.get(cls.__name__)
        namespace = {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                     "__doc__": cls.__doc__}  # fmt: skip
        sub = type(cls.__name__, (cls, Functional), namespace)
        # Layer.__init_subclass__ registers classes of lamina's modules: the name stays cls's
        if registered is not None:
            _LAYER_CLASSES[cls.__name__] = registered
        elif _LAYER_CLASSES.get(cls.__name__) is sub:
            del _LAYER_CLASSES[cls.__name__]
        _FUNCTIONAL_SUBCLASSES[cls] = sub
    return sub


def _per_output(spec, names, what):
    """A loss (or weight) spec as one entry per output: a dict by output name, a list in output
    order, or one value for every output."""
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise ValueError(f"{what} names unknown outputs {unknown}; outputs are {names}")
        return [spec.get(n) for n in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != len(names):
            raise ValueError(f"{what} has {len(spec)} entries for {len(names)} outputs {names}")
        return list(spec)
    return [spec] * len(names)


def _per_output_metrics(spec, names):
    """Metrics per output: a dict by output name, a list of lists, or one list for all."""
    if isinstance(spec, dict):
        per_output = _per_output(spec, names, "metrics")
        return [list(v) if isinstance(v, (list, tuple)) else [] if v is None else [v]
                for v in per_output]  # fmt: skip
    spec = list(spec or [])
    if len(spec) == len(names) and all(isinstance(m, (list, tuple)) or m is None for m in spec):
        return [list(m or []) for m in spec]
    return [list(spec) for _ in names]


def _one_output_metrics(spec) -> list:
    """The metrics of a model with one output, however given: a list, Keras's per-output
    ``[[...]]``, or a dict holding that output's entry (by whatever name)."""
    if isinstance(spec, dict):
        return [m for v in spec.values() for m in (v if isinstance(v, (list, tuple)) else [v])]
    spec = list(spec or [])
    if len(spec) == 1 and isinstance(spec[0], (list, tuple)):
        return list(spec[0])  # Keras's per-output form, one output
    return spec


def _name_metrics(plain, weighted) -> None:
    """Name the compiled metrics as Keras names their results: ``(output, metric)`` pairs
    become ``output_name`` (``output`` None: ``name``); a repeated name gets ``_1``, ``_2``...,
    and a weighted metric whose name is taken becomes ``weighted_name``."""
    counts: dict = {}

    def full(output, name):
        return f"{output}_{name}" if output else name

    def unique(name):
        if name not in counts:
            counts[name] = 1
            return name
        counts[name] += 1
        return f"{name}_{counts[name] - 1}"

    for output, metric in plain:
        metric.name = unique(full(output, metric.name))
    for output, metric in weighted:
        name = full(output, metric.name)
        metric.name = unique(
            name if name not in counts else full(output, f"weighted_{metric.name}")
        )


def _output_keys(model) -> list:
    """What a model's outputs are called in losses, metrics, targets and logs: a dict model's
    keys, else the output layers' names."""
    return getattr(model, "_output_keys", None) or getattr(model, "output_names", None) or []


def _position(spec, key) -> int:
    """Where ``key`` comes in a dict ``spec`` (0 for anything else, keeping output order)."""
    return list(spec).index(key) if isinstance(spec, dict) and key in spec else 0


def _by_key(data: dict, keys) -> list:
    """A dict's values in the order of ``keys`` (in its own order if those do not name them)."""
    if keys and all(k in data for k in keys):
        return [data[k] for k in keys]
    return list(data.values())


def _check_labels(loss_fn, out_shape, y, prefix=""):
    """Class labels (or one-hot rows) that the loss cannot match to ``out_shape``."""
    name = str(getattr(loss_fn, "name", "") or getattr(loss_fn, "__name__", "")).lower()
    classes = out_shape[-1]
    if "sparse_categorical" in name:
        flat = backend.to_numpy(y).reshape(-1)
        if flat.dtype.kind == "f" and not np.all(flat == np.rint(flat)):
            raise ValueError(f"{prefix}sparse_categorical_crossentropy needs integer class labels")
        lo, hi = flat.min(), flat.max()
        if lo < 0 or hi >= classes:
            raise ValueError(
                f"{prefix}labels must be in [0, {classes - 1}] for a model with {classes} "
                f"outputs, got labels from {lo:g} to {hi:g}"
            )
    elif "categorical" in name and (y.ndim < 2 or y.shape[-1] != classes):
        raise ValueError(
            f"{prefix}categorical_crossentropy expects one-hot targets of shape (n, {classes}), "
            f"got {tuple(y.shape)}; use sparse_categorical_crossentropy for integer labels"
        )


def _output_data(out):
    """The arrays of a model's outputs: a tensor, a list (or tuple) or a dict of them."""
    if isinstance(out, dict):
        return {k: o.data for k, o in out.items()}
    if isinstance(out, (list, tuple)):
        return [o.data for o in out]
    return out.data


def _to_numpy(data):
    if isinstance(data, dict):
        return {k: backend.to_numpy(a) for k, a in data.items()}
    if isinstance(data, list):
        return [backend.to_numpy(a) for a in data]
    return backend.to_numpy(data)


def _predict_logs(out) -> dict:
    """``on_predict_batch_end``'s logs as Keras builds them: ``{"outputs": arrays}``, which its
    log flattening turns into the outputs dict itself for a dict model."""
    out = _to_numpy(out)
    return dict(out) if isinstance(out, dict) else {"outputs": out}


def _verbosity(verbose) -> int:
    return 1 if verbose == "auto" else int(verbose)


def _named(prefix, data):
    """Arrays of ``data`` by name for check_lengths: ``x``, or ``x[0]``, ``x[1]``..."""
    if isinstance(data, list):
        return {f"{prefix}[{i}]": a for i, a in enumerate(data)}
    return {prefix: data}


def _missing(what, name, given):
    raise ValueError(f"no {what} named {name!r}; got {sorted(given)}")


def _check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def _as_logs(logs) -> dict:
    """A step's results as plain floats: a custom ``train_step`` may return tensors or arrays."""
    if not isinstance(logs, dict):
        raise TypeError(f"train_step/test_step must return a dict of results, got {type(logs)}")
    return {
        k: float(v.item() if hasattr(v, "item") else v) if _is_scalar(v) else v
        for k, v in logs.items()
    }


def _is_scalar(value) -> bool:
    return isinstance(value, (int, float)) or getattr(value, "size", 0) == 1


def _step_result(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def load_model(filepath, custom_objects=None, compile=True):  # noqa: A002 - Keras's name
    """Rebuild a model written by ``Model.save`` (see ``lamina.saving.load_model``)."""
    from lamina.saving import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile)
