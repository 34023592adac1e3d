"""What the attribution methods share: input checks, the class score and its gradient with
respect to the input (or a layer's activations), and the reduction of image channels.

The class score is the pre-activation value (the logit) of the target class when the model
ends in a softmax or sigmoid, as Simonyan et al. and Grad-CAM use it, else the output itself.
Models run in inference mode (``training=False``): Dropout off, BatchNorm on its moving
statistics; no weight's ``.grad`` is touched.
"""

from __future__ import annotations

import numpy as np

from lamina import backend
from lamina.autograd.grad_mode import enable_grad
from lamina.autograd.tape import GradientTape
from lamina.autograd.tensor import Tensor


def as_inputs(x, what: str) -> np.ndarray:
    """``x`` as a float array with a batch axis, checked."""
    x = np.asarray(x.numpy() if isinstance(x, Tensor) else x, dtype=backend.floatx())
    if x.ndim < 2:
        raise ValueError(
            f"{what} needs a batch of inputs, shape (n, ...), got shape {x.shape}; for one "
            "sample pass x[None]"
        )
    if not np.isfinite(x).all():
        raise ValueError(f"{what} got NaN or infinite inputs")
    return x


def logits_of(out: Tensor) -> Tensor:
    """The input of a final softmax/sigmoid node (the logits), else ``out`` itself."""
    from lamina.ops.activations import Sigmoid, Softmax

    node = out._node
    if isinstance(node, (Softmax, Sigmoid)) and isinstance(node.inputs[0], Tensor):
        return node.inputs[0]
    return out


def targets_for(out: np.ndarray, target, n: int) -> np.ndarray:
    """One class index per sample: ``target`` (an int, or n ints), or the predicted class."""
    classes = out.shape[-1] if out.ndim > 1 else 1
    if target is None:
        if classes == 1:
            return np.zeros(n, dtype=np.int64)
        return out.reshape(n, classes).argmax(axis=1)
    target = np.asarray(target)
    if target.ndim == 0:
        target = np.full(n, int(target))
    target = target.reshape(-1).astype(np.int64)
    if target.size != n:
        raise ValueError(f"target has {target.size} entries for {n} inputs: give one per input")
    if target.min() < 0 or target.max() >= classes:
        raise ValueError(
            f"target classes must be in [0, {classes - 1}] for a model with {classes} outputs, "
            f"got {target.min()}..{target.max()}"
        )
    return target


def class_score(model, x: Tensor, target, capture=None):
    """Forward ``x`` (grad enabled, inference mode); returns ``(score, per_sample, targets,
    captured)``: the summed class scores (a scalar tensor), each sample's score (an array),
    the targets, and the last output of layer ``capture`` (None without one)."""
    captured = []
    remove = None
    if capture is not None:
        from lamina.layers.layer import add_call_hook

        remove = add_call_hook(lambda layer, out: captured.append(out) if layer is capture else 0)
    try:
        with enable_grad():
            out = model(x, training=False)
    finally:
        if remove is not None:
            remove()
    if isinstance(out, (list, tuple)):
        raise ValueError("explanations need a model with one output; this one returns several")
    n = x.shape[0]
    if out.ndim > 2 or out.shape[0] != n:
        raise ValueError(
            f"explanations need outputs of shape (n, classes), got {tuple(out.shape)}; "
            "explain a model that ends in a Dense layer"
        )
    scores = logits_of(out)
    flat = scores.reshape((n, -1))
    targets = targets_for(backend.to_numpy(out.data), target, n)
    mask = np.zeros(flat.shape, dtype=flat.dtype)
    mask[np.arange(n), targets] = 1
    selected = flat * backend.xp.asarray(mask)
    per_sample = backend.to_numpy(selected.data.sum(axis=1))
    return selected.sum(), per_sample, targets, (captured[-1] if captured else None)


def input_gradients(model, x: np.ndarray, target, batch_size: int = 64):
    """d score / d x for every sample, in chunks of ``batch_size``; returns
    ``(gradients, per-sample scores, targets)``."""
    grads, scores, targets = [], [], []
    if target is not None and np.ndim(target) > 0:
        target = np.asarray(target).reshape(-1)
    for start in range(0, len(x), batch_size):
        chunk = Tensor(x[start : start + batch_size])
        part = target[start : start + batch_size] if _per_sample(target) else target
        with GradientTape() as tape:
            tape.watch(chunk)
            score, per_sample, t, _ = class_score(model, chunk, part)
        g = tape.gradient(score, chunk, unconnected_gradients="zero")
        grads.append(backend.to_numpy(g))
        scores.append(per_sample)
        targets.append(t)
    return np.concatenate(grads), np.concatenate(scores), np.concatenate(targets)


def _per_sample(target) -> bool:
    return target is not None and np.ndim(target) > 0


def reduce_channels(a: np.ndarray, how: str = "sum") -> np.ndarray:
    """Images (rank 4, channels last) lose their channel axis (``"sum"``, or ``"max_abs"`` as
    Simonyan et al.); other inputs keep their shape."""
    if a.ndim != 4:
        return a
    if how == "max_abs":
        return np.abs(a).max(axis=-1)
    return a.sum(axis=-1)


def check_batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)
