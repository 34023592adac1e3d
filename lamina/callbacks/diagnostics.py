"""Diagnostics: watch a training run and say what goes wrong, with the evidence and a remedy.

Opt in with ``fit(..., callbacks=[Diagnostics()])``. It reports over- and under-fitting,
vanishing and exploding gradients, dead ReLUs, a learning rate too high (divergence or
oscillation), NaN/inf (naming the first layer where it appears) and saturated sigmoid/tanh
units. Each finding is printed once at the end of the epoch where it first shows, and stored
in ``history.diagnostics`` (a list of ``lamina.explain.Finding``) and in the HTML report.

How it stays cheap and leaves training unchanged: it adds no forward or backward pass. A layer
call hook (``lamina.layers.layer.add_call_hook``) keeps references to the activations of the
training step's own forward pass, and the weights' ``.grad`` left by its backward pass give the
gradient norms; both are only read, on one batch in ``every`` (the first of each epoch
included). No random numbers are drawn and no layer state (BatchNorm statistics) changes. The
loss is checked every batch, so a NaN is always caught, and located from the activations of the
very batch that produced it. Overhead measured in ``docs/diagnostics.md``.

>>> import numpy as np, lamina
>>> from lamina.models import Sequential
>>> from lamina.layers import Dense
>>> lamina.seed(0)
>>> model = Sequential([Dense(8, activation="relu", input_shape=(4,), name="hidden",
...     bias_initializer=lamina.initializers.Constant(-10.0)), Dense(1)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> x = np.random.default_rng(0).normal(size=(64, 4)); y = x.sum(axis=1, keepdims=True)
>>> history = model.fit(x, y, epochs=1, verbose=0, callbacks=[Diagnostics(verbose=0)])
>>> [(f.kind, f.layer) for f in history.diagnostics]
[('dead_relu', 'hidden')]
"""

from __future__ import annotations

import math

import numpy as np

from lamina import backend
from lamina.callbacks._io import print_msg
from lamina.callbacks.callback import Callback
from lamina.explain import diagnosis

_BASELINE_SAMPLES = 4096  # targets kept to estimate the loss of a constant prediction


class Diagnostics(Callback):
    """Watch training; print findings at epoch end and store them in ``history.diagnostics``.

    Args:
        every: inspect activations and gradients on one batch in ``every`` (batch 0 of each
            epoch is always inspected). The loss is checked on every batch.
        thresholds: overrides of ``lamina.explain.diagnosis.DEFAULT_THRESHOLDS``.
        verbose: 1 prints each finding when it is first made, 0 is silent.

    Attributes:
        findings: every finding of this run, in order (each kind and layer once).
        stats: per epoch, the inspected numbers: ``grad_rms`` and ``grad_norm`` per layer,
            ``dead_fraction`` of ReLU layers, ``saturated_fraction`` of sigmoid/tanh layers.
    """

    def __init__(self, every: int = 10, thresholds: dict | None = None, verbose: int = 1):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        unknown = sorted(set(thresholds or {}) - set(diagnosis.DEFAULT_THRESHOLDS))
        if unknown:
            raise ValueError(
                f"unknown thresholds {unknown}; known: {sorted(diagnosis.DEFAULT_THRESHOLDS)}"
            )
        self.every = every
        self.thresholds = {**diagnosis.DEFAULT_THRESHOLDS, **(thresholds or {})}
        self.verbose = verbose
        self.findings: list[diagnosis.Finding] = []
        self.stats: list[dict] = []
        self._remove_hook = None
        self._records: dict = {}  # id(layer) -> (layer, its last output), in first-call order
        self._armed = False

    # ----- the run -----
    def on_train_begin(self, logs=None):
        from lamina.layers.layer import add_call_hook

        self.findings, self.stats, self._reported = [], [], set()
        self._losses, self._val_losses = [], []
        self._first = None
        self._nan_seen = False
        self._targets, self._n_targets = [], 0
        self._members = {id(layer) for layer in self.model._flatten_layers()}
        if self._remove_hook is None:
            self._remove_hook = add_call_hook(self._record)

    def on_train_end(self, logs=None):
        if self._remove_hook is not None:
            self._remove_hook()
            self._remove_hook = None
        self._records, self._armed = {}, False

    def _record(self, layer, outputs):
        # one entry per layer: memory stays that of one forward pass, even if a failed step
        # left the hook armed
        if self._armed and id(layer) in self._members:
            self._records[id(layer)] = (layer, outputs)

    def on_epoch_begin(self, epoch, logs=None):
        self._batch_losses, self._prev_mean = [], None
        self._grads: dict[str, list] = {}
        self._alive: dict[str, tuple] = {}  # relu layer -> (units ever positive, unit count)
        self._saturated: dict[str, list] = {}
        self._pending: list[diagnosis.Finding] = []
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self._records = {}
        self._armed = True

    def on_train_batch_end(self, batch, logs=None):
        self._armed = False
        mean = (logs or {}).get("loss")
        if mean is not None:  # logs hold the running mean: recover this batch's own loss
            own = mean if self._prev_mean is None else (batch + 1) * mean - batch * self._prev_mean
            self._prev_mean = mean
            self._batch_losses.append(own)
            if self._first is None and math.isfinite(own):
                self._first = own  # the reference: the loss before any update
            if not math.isfinite(mean) and not self._nan_seen:
                self._nan_seen = True
                self._pending.append(self._locate_nan(batch))
        if batch % self.every == 0 and not self._nan_seen:
            self._inspect()
        self._records = {}

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self._losses.append(_number(logs.get("loss")))
        self._val_losses.append(_number(logs.get("val_loss")))
        t, found = self.thresholds, list(self._pending)
        stats = {"epoch": epoch, "grad_rms": {}, "grad_norm": {}, "dead_fraction": {},
                 "saturated_fraction": {}}  # fmt: skip
        for name, values in self._grads.items():
            stats["grad_rms"][name] = float(np.median([v[0] for v in values]))
            stats["grad_norm"][name] = float(np.median([v[1] for v in values]))
        dead_layers = []
        for name, (alive, units) in self._alive.items():
            fraction = 1.0 - float(alive.sum()) / units
            stats["dead_fraction"][name] = fraction
            found.append(diagnosis.check_dead_relu(name, fraction, units, epoch, t))
            if fraction >= 1.0:
                dead_layers.append(name)
        for name, (activation, values) in self._saturated.items():
            fraction = float(np.mean(values))
            stats["saturated_fraction"][name] = fraction
            found.append(diagnosis.check_saturation(name, activation, fraction, epoch, t))
        if stats["grad_rms"]:
            found += diagnosis.check_gradients(
                stats["grad_rms"], stats["grad_norm"], epoch, dead_layers, t
            )
        found.append(diagnosis.check_learning_rate(  # the finite losses, even before a NaN
            self._losses, self._batch_losses, self._first, epoch, t
        ))  # fmt: skip
        found.append(diagnosis.check_overfitting(self._losses, self._val_losses, epoch, t))
        found.append(diagnosis.check_underfitting(
            self._losses, epoch, self._baseline(), self._first, t
        ))  # fmt: skip
        self.stats.append(stats)
        self._report([f for f in found if f is not None])

    def _report(self, found):
        history = getattr(self.model, "history", None)
        if history is not None:
            history.diagnostics_stats = self.stats
        for finding in found:
            key = (finding.kind, finding.layer)
            if key in self._reported:
                continue
            self._reported.add(key)
            self.findings.append(finding)
            if history is not None:
                if getattr(history, "diagnostics", None) is None:
                    history.diagnostics = []
                history.diagnostics.append(finding)
            if self.verbose:
                print_msg(f"Diagnostics: {finding}")

    # ----- one inspected batch -----
    def _inspect(self):
        """Gradient norms of each weighted layer and activation statistics, from this step."""
        order, outputs, final = [], {}, None
        for key, (layer, out) in self._records.items():
            if layer is self.model:
                final = out
                continue
            order.append(layer)
            outputs[key] = out
        for layer in order:
            variables = [v for v in layer._variables if v.requires_grad and v.grad is not None]
            if variables:
                squares = sum(float(_sumsq(v.grad)) for v in variables)
                count = sum(v.size for v in variables)
                self._grads.setdefault(layer.name, []).append(
                    (math.sqrt(squares / count), math.sqrt(squares))
                )
            out = outputs[id(layer)]
            kind = _activation_kind(layer)
            if kind is None or not hasattr(out, "data") or out.data.ndim < 2:
                continue
            data = out.data
            if kind == "relu":
                alive = backend.to_numpy((data > 0).reshape(-1, data.shape[-1]).any(axis=0))
                previous = self._alive.get(layer.name)
                if previous is not None and previous[1] == alive.size:
                    alive = alive | previous[0]
                self._alive[layer.name] = (alive, alive.size)
            elif final is None or data is not getattr(final, "data", None):  # not the output
                if kind == "sigmoid":
                    saturated = (data < 0.01) | (data > 0.99)
                else:
                    saturated = abs(data) > 0.99
                fraction = int(saturated.sum()) / saturated.size
                self._saturated.setdefault(layer.name, (kind, []))[1].append(fraction)
        self._keep_targets(final)

    def _locate_nan(self, batch):
        """The first layer (in call order) whose output is not finite, in the forward pass of
        the batch whose loss was not finite."""
        for layer, out in self._records.values():
            if layer is self.model or layer._sublayers:
                continue
            if hasattr(out, "data") and not _all_finite(out.data):
                weights_finite = all(_all_finite(v.data) for v in layer._variables)
                return diagnosis.nan_finding(self._epoch, batch, layer.name, weights_finite)
        final = [out for layer, out in self._records.values() if layer is self.model]
        largest = float(abs(final[-1].data).max()) if final and hasattr(final[-1], "data") else None
        return diagnosis.nan_finding(self._epoch, batch, largest_output=largest)

    # ----- the loss of a constant prediction, for under-fitting -----
    def _keep_targets(self, prediction):
        batch = getattr(self.model, "_fit_batch", None)
        if (
            self._n_targets >= _BASELINE_SAMPLES
            or not isinstance(batch, tuple)
            or len(batch) < 2
            or prediction is None
            or getattr(self.model, "_multi_output", False)
        ):
            return
        y = batch[1]
        if not hasattr(y, "shape") or isinstance(y, (list, dict)):
            return
        self._targets.append(backend.to_numpy(y))
        self._n_targets += len(y)
        self._pred_shape = tuple(prediction.shape[1:])

    def _baseline(self):
        """The compiled loss of the best constant prediction on the kept targets, or None."""
        loss_fn = getattr(self.model, "_loss_fn", None)
        if not self._targets or loss_fn is None:
            return None
        try:
            y = np.concatenate(self._targets)
            constant = _constant_prediction(y, self._pred_shape, loss_fn)
            if constant is None:
                return None
            with np.errstate(all="ignore"):
                value = float(backend.to_numpy(loss_fn(y, constant).data))
        except Exception:  # an exotic loss or target layout: no baseline, no verdict from it
            return None
        return value if math.isfinite(value) else None


def _constant_prediction(y, pred_shape, loss_fn):
    """The best constant prediction for ``y``: the class frequencies (as probabilities, or
    logits when the loss takes logits) or the mean target, repeated for every sample."""
    from lamina.autograd.tensor import Tensor

    n = len(y)
    classes = pred_shape[-1] if pred_shape else 1
    per_sample = int(np.prod(pred_shape))
    sparse = classes > 1 and y.size == n and per_sample == classes
    if sparse:
        labels = y.reshape(-1).astype(np.int64)
        if labels.min() < 0 or labels.max() >= classes:
            return None
        mean = np.bincount(labels, minlength=classes) / n
    elif y.size == n * per_sample:
        mean = y.reshape(n, *pred_shape).astype(np.float64).mean(axis=0)
    else:
        return None
    options = getattr(loss_fn, "_fn_kwargs", None) or {}
    if options.get("from_logits", getattr(loss_fn, "from_logits", False)):
        p = np.clip(mean, 1e-7, 1 - 1e-7)
        binary = "binary" in str(getattr(loss_fn, "name", "")) or classes == 1
        mean = np.log(p / (1 - p)) if binary else np.log(p)
    constant = np.broadcast_to(mean, (n, *pred_shape)).astype(backend.floatx())
    return Tensor(constant)


def _activation_kind(layer):
    """'relu', 'sigmoid' or 'tanh' when the layer's output is that activation's, else None."""
    from lamina import ops
    from lamina.layers.activation import Activation, ReLU
    from lamina.layers.conv import _ConvBase
    from lamina.layers.dense import Dense

    if isinstance(layer, ReLU):
        return "relu"
    if not isinstance(layer, (Dense, _ConvBase, Activation)) and type(layer).__name__ != (
        "SimpleRNN"
    ):
        return None
    fn = getattr(layer, "activation", None)
    return {id(ops.relu): "relu", id(ops.sigmoid): "sigmoid", id(ops.tanh): "tanh"}.get(id(fn))


def _sumsq(a):
    flat = a.reshape(-1)
    with np.errstate(all="ignore"):
        return flat @ flat if flat.dtype.kind == "f" else (flat * flat).sum()


def _all_finite(a) -> bool:
    with np.errstate(all="ignore"):
        return bool(math.isfinite(float(a.sum()))) or bool(np.isfinite(backend.to_numpy(a)).all())


def _number(value):
    return None if value is None else float(value)
