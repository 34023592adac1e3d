"""Training diagnoses: the checks behind ``lamina.callbacks.Diagnostics``, as small functions of
the numbers a run produces (epoch losses, per-layer gradient norms, activation statistics).

Each check returns a ``Finding`` (or None): what was seen, the numbers that show it, and a
suggested remedy. Epochs count from 0, as in ``History.epoch``; messages print them from 1.

>>> finding = check_overfitting([0.9, 0.4, 0.1], [0.8, 0.9, 1.2], epoch=2)
>>> finding.kind, finding.evidence["best_val_epoch"], finding.evidence["val_loss"]
('overfitting', 0, 1.2)
>>> check_overfitting([0.9, 0.5], [0.8, 0.45], epoch=1) is None
True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

KINDS = (
    "overfitting",
    "underfitting",
    "vanishing_gradients",
    "exploding_gradients",
    "dead_relu",
    "learning_rate_too_high",
    "nan",
    "saturation",
)

# Every threshold a check uses; Diagnostics(thresholds={...}) overrides any of them.
DEFAULT_THRESHOLDS = {
    "overfit_gap_ratio": 2.0,  # val_loss / loss above this is a generalization gap
    "overfit_rise": 0.1,  # val_loss 10% above its best while the training loss still falls
    "underfit_ratio": 0.8,  # loss / loss of the best constant prediction above this ...
    "underfit_flat": 0.02,  # ... and less than 2% better than two epochs earlier
    "underfit_min_epochs": 3,  # no verdict on under-fitting before this many epochs
    "vanishing_ratio": 1e-3,  # RMS gradient of the first weighted layer / of the last
    "exploding_ratio": 1e3,  # the same ratio, from above
    "exploding_norm": 1e3,  # any layer's gradient L2 norm above this
    "dead_relu_fraction": 0.5,  # units never positive on any sampled batch of the epoch
    "saturation_fraction": 0.5,  # sigmoid outputs < 0.01 or > 0.99, tanh outputs |y| > 0.99
    "diverge_ratio": 2.0,  # end-of-epoch batch losses / the loss of the run's first batch
    "oscillation_rise": 0.05,  # an epoch whose training loss rose by more than 5% ...
    "oscillation_count": 2,  # ... this many times in the last 4 epochs
}

REMEDIES = {
    "overfitting": (
        "get more training data or augment it, add Dropout or weight regularization "
        "(kernel_regularizer='l2'), use a smaller model, or stop earlier "
        "(EarlyStopping(restore_best_weights=True))"
    ),
    "underfitting": (
        "use a larger model (more units or layers), raise the learning rate, train longer, "
        "or check that the inputs are scaled and the targets match the loss"
    ),
    "vanishing_gradients": (
        "use ReLU-family activations instead of sigmoid/tanh in hidden layers with He "
        "initialization, add BatchNormalization or residual connections, or use fewer layers"
    ),
    "exploding_gradients": (
        "lower the learning rate, clip gradients (optimizer clipnorm=1.0), scale the inputs and "
        "targets, use a smaller initialization or add BatchNormalization"
    ),
    "dead_relu": (
        "lower the learning rate, initialize biases at zero (or slightly positive) with "
        "he_normal kernels, or use LeakyReLU/ELU, which keep a gradient for negative inputs"
    ),
    "learning_rate_too_high": (
        "lower the learning rate (try 10x lower), use a schedule or ReduceLROnPlateau, or clip "
        "gradients (optimizer clipnorm=1.0)"
    ),
    "nan": (
        "lower the learning rate, clip gradients, scale the inputs; in custom layers or losses "
        "keep log/sqrt/division away from 0 (add a small epsilon); stop early with "
        "TerminateOnNaN"
    ),
    "saturation": (
        "scale the inputs (zero mean, unit variance), use a smaller initialization (glorot), add "
        "BatchNormalization before the activation, or use ReLU in hidden layers"
    ),
}


@dataclass
class Finding:
    """One diagnosis: its ``kind`` (one of ``KINDS``), the ``epoch`` (from 0) and ``layer`` (a
    name, or None for the whole model), a ``message`` with the numbers, the ``evidence`` as a
    dict of numbers, and a ``remedy``."""

    kind: str
    epoch: int
    message: str
    remedy: str
    layer: str | None = None
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready dict (what the HTML report stores)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(**{k: data[k] for k in ("kind", "epoch", "message", "remedy") if k in data},
                   layer=data.get("layer"), evidence=dict(data.get("evidence") or {}))  # fmt: skip

    def __str__(self) -> str:
        where = f" in {self.layer}" if self.layer else ""
        return f"[{self.kind}] epoch {self.epoch + 1}{where}: {self.message} Remedy: {self.remedy}."


def _finding(kind, epoch, message, layer=None, **evidence) -> Finding:
    return Finding(kind, int(epoch), message, REMEDIES[kind], layer, _plain(evidence))


def _plain(value):
    """Evidence as JSON-ready Python numbers (NumPy scalars and arrays converted)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _finite(x) -> bool:
    return x is not None and math.isfinite(x)


def check_overfitting(losses, val_losses, epoch, thresholds=None) -> Finding | None:
    """Validation loss rising above its best while the training loss keeps falling, or a
    validation loss more than ``overfit_gap_ratio`` times the training loss. ``val_losses``
    may hold None for epochs without validation."""
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    loss, val = losses[epoch], val_losses[epoch] if epoch < len(val_losses) else None
    if not (_finite(loss) and _finite(val)):
        return None
    seen = [(v, i) for i, v in enumerate(val_losses[:epoch]) if _finite(v)]
    if seen:
        best, best_epoch = min(seen)
        if val > best * (1 + t["overfit_rise"]) and loss < losses[best_epoch]:
            return _finding(
                "overfitting", epoch,
                f"the validation loss rose to {val:.4g} from its best {best:.4g} (epoch "
                f"{best_epoch + 1}) while the training loss fell to {loss:.4g}.",
                loss=loss, val_loss=val, best_val_loss=best, best_val_epoch=best_epoch,
            )  # fmt: skip
    if loss > 0 and val / loss > t["overfit_gap_ratio"]:
        return _finding(
            "overfitting", epoch,
            f"the validation loss {val:.4g} is {val / loss:.1f}x the training loss {loss:.4g} "
            f"(a generalization gap; threshold {t['overfit_gap_ratio']:g}x).",
            loss=loss, val_loss=val, gap_ratio=val / loss,
        )  # fmt: skip
    return None


def check_underfitting(losses, epoch, baseline=None, first_loss=None, thresholds=None):
    """Training loss high and flat: after ``underfit_min_epochs`` epochs still at least
    ``underfit_ratio`` of ``baseline`` (the loss of always predicting the mean target, or the
    class frequencies) and less than ``underfit_flat`` better than two epochs earlier. Without a
    baseline, ``first_loss`` (the run's first batch) stands in for it.

    >>> check_underfitting([0.70, 0.693, 0.692], 2, baseline=0.693).kind
    'underfitting'
    """
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    if epoch + 1 < max(3, int(t["underfit_min_epochs"])):
        return None
    loss, before = losses[epoch], losses[epoch - 2]
    reference, what = (baseline, "the best constant prediction")
    if not _finite(reference) or reference <= 0:
        reference, what = (first_loss, "the first batch")
    if not (_finite(loss) and _finite(before) and _finite(reference)) or reference <= 0:
        return None
    gain = (before - loss) / abs(before) if before else 0.0
    ratio = loss / reference
    if ratio >= t["underfit_ratio"] and gain < t["underfit_flat"]:
        return _finding(
            "underfitting", epoch,
            f"the training loss {loss:.4g} is {ratio:.0%} of the loss of {what} "
            f"({reference:.4g}) and improved only {gain:.1%} over the last two epochs.",
            loss=loss, reference_loss=reference, ratio=ratio, improvement=gain,
        )  # fmt: skip
    return None


def check_gradients(rms, norms, epoch, dead_layers=(), thresholds=None) -> list[Finding]:
    """Vanishing or exploding gradients from per-layer gradients, first layer to last:
    ``rms`` and ``norms`` map layer names (in depth order) to the RMS and the L2 norm of their
    weights' gradients. ``dead_layers`` (layers whose ReLUs are all dead) explain zero
    gradients below them, which are then not reported as vanishing.

    >>> [f.kind for f in check_gradients({"a": 1e-9, "b": 1e-2}, {"a": 1e-8, "b": 0.1}, 0)]
    ['vanishing_gradients']
    """
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    names = [n for n in rms if _finite(rms[n])]
    out = []
    if not names:
        return out
    worst = max(names, key=lambda n: norms[n])
    if norms[worst] > t["exploding_norm"]:
        out.append(_finding(
            "exploding_gradients", epoch,
            f"the gradient of {worst} has L2 norm {norms[worst]:.3g} "
            f"(threshold {t['exploding_norm']:g}).",
            layer=worst, max_norm=norms[worst], norms=norms,
        ))  # fmt: skip
    if len(names) < 2:
        return out
    first, last = names[0], names[-1]
    if rms[last] <= 0:
        return out
    ratio = rms[first] / rms[last]
    if ratio < t["vanishing_ratio"] and not (rms[first] == 0 and dead_layers):
        out.append(_finding(
            "vanishing_gradients", epoch,
            f"the first layer {first} gets an RMS gradient of {rms[first]:.3g}, {ratio:.2g} "
            f"times that of the last layer {last} ({rms[last]:.3g}); the gradient shrinks "
            f"with depth (threshold {t['vanishing_ratio']:g}).",
            layer=first, ratio=ratio, first_rms=rms[first], last_rms=rms[last], rms=rms,
        ))  # fmt: skip
    elif ratio > t["exploding_ratio"] and not out:
        out.append(_finding(
            "exploding_gradients", epoch,
            f"the first layer {first} gets an RMS gradient {ratio:.3g} times that of the last "
            f"layer {last}; the gradient grows with depth (threshold {t['exploding_ratio']:g}).",
            layer=first, ratio=ratio, first_rms=rms[first], last_rms=rms[last], rms=rms,
        ))  # fmt: skip
    return out


def check_dead_relu(layer, dead_fraction, units, epoch, thresholds=None) -> Finding | None:
    """A ReLU layer whose units (last axis) were never positive on any sampled batch."""
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    if dead_fraction is None or dead_fraction <= t["dead_relu_fraction"]:
        return None
    return _finding(
        "dead_relu", epoch,
        f"{dead_fraction:.0%} of its {units} ReLU units were never active on the sampled "
        f"batches (threshold {t['dead_relu_fraction']:.0%}); they pass no gradient.",
        layer=layer, dead_fraction=dead_fraction, units=units,
    )  # fmt: skip


def check_saturation(layer, activation, fraction, epoch, thresholds=None) -> Finding | None:
    """A sigmoid or tanh layer most of whose outputs sit on the flat ends of the curve."""
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    if fraction is None or fraction <= t["saturation_fraction"]:
        return None
    region = "below 0.01 or above 0.99" if activation == "sigmoid" else "beyond +-0.99"
    return _finding(
        "saturation", epoch,
        f"{fraction:.0%} of its {activation} outputs are saturated ({region}), where the "
        f"derivative is under 4% of its peak (threshold {t['saturation_fraction']:.0%}).",
        layer=layer, saturated_fraction=fraction, activation=activation,
    )  # fmt: skip


def check_learning_rate(losses, batch_losses, first_loss, epoch, thresholds=None):
    """A learning rate too high: the batch losses at the end of this epoch (the median of its
    last quarter; the epoch loss when it has under 4 batches) ``diverge_ratio`` times the loss
    of the run's first batch (``first_loss``, before any update), or the epoch loss rising in
    ``oscillation_count`` of the last four epochs. ``batch_losses`` are this epoch's.

    >>> check_learning_rate([50.0], [2.0, 9.0, 80.0, 400.0], 2.2, 0).evidence["recent_loss"]
    400.0
    """
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    finite = [b for b in batch_losses if _finite(b)]
    if len(finite) >= 4:
        tail = sorted(finite[-(len(finite) // 4) :])
        recent = tail[len(tail) // 2]  # the median: robust to one noisy batch
    else:
        recent = losses[epoch] if epoch < len(losses) else None
    if _finite(recent) and _finite(first_loss) and first_loss > 0:
        if recent > t["diverge_ratio"] * first_loss:
            return _finding(
                "learning_rate_too_high", epoch,
                f"the loss diverges: the last batches average {recent:.4g}, "
                f"{recent / first_loss:.3g}x the loss of the first batch ({first_loss:.4g}).",
                first_loss=first_loss, recent_loss=recent, epoch_losses=list(losses),
            )  # fmt: skip
    window = losses[max(0, epoch - 4) : epoch + 1]
    rise = 1 + t["oscillation_rise"]
    rises = sum(1 for a, b in zip(window, window[1:]) if _finite(a) and _finite(b) and b > a * rise)
    if rises >= t["oscillation_count"]:
        return _finding(
            "learning_rate_too_high", epoch,
            f"the training loss oscillates: it rose in {rises} of the last "
            f"{len(window) - 1} epochs ({', '.join(f'{v:.4g}' for v in window)}).",
            epoch_losses=list(window), rises=rises,
        )  # fmt: skip
    return None


def nan_finding(epoch, batch, layer=None, weights_finite=True, largest_output=None) -> Finding:
    """The first NaN/inf: in the output of ``layer`` (``weights_finite``: whether its weights
    still are, after the update), or in the loss computed from finite outputs (``layer`` None;
    ``largest_output``: their largest magnitude).

    >>> nan_finding(0, 3, "log").message
    'the loss became NaN/inf at batch 3; the first layer whose output is not finite is log.'
    """
    evidence = {"batch": batch}
    if layer is None:
        cause = "the loss function produced it (log of 0? labels out of range?)"
        if largest_output is not None and largest_output > 1e15:
            cause = f"the outputs grew so large ({largest_output:.3g}) that the loss overflowed"
        message = (
            f"the loss became NaN/inf at batch {batch} although every layer's output was "
            f"finite: {cause}."
        )
        evidence["largest_output"] = largest_output
    else:
        message = (
            f"the loss became NaN/inf at batch {batch}; the first layer whose output is not "
            f"finite is {layer}."
        )
        if not weights_finite:
            message = message[:-1] + (
                ", and its weights are no longer finite (an update overflowed: gradients or "
                "learning rate too large)."
            )
        evidence["weights_finite"] = weights_finite
    return _finding("nan", epoch, message, layer=layer, **evidence)
