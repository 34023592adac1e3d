"""``GradientTape``: TensorFlow's way of asking for gradients, on lamina's autograd.

lamina records every operation on tensors that require grad, tape or no tape; the tape only
asks the engine for the gradients of the ``sources`` it names, without touching any ``.grad``.
So a GAN can take the discriminator's gradients from a loss that also depends on the
generator, and the generator's weights are left alone. A tape's ``gradient`` called while another
tape is recording returns tensors that this other tape can differentiate again (second-order
gradients, as TensorFlow's nested tapes: WGAN-GP's gradient penalty).

>>> import lamina
>>> w = lamina.tensor([1.0, 2.0], requires_grad=True)
>>> with lamina.GradientTape() as tape:
...     loss = (w * w).sum()
>>> tape.gradient(loss, w)
array([2., 4.], dtype=float32)
>>> w.grad is None
True
"""

from __future__ import annotations

import threading

from lamina.autograd.engine import run_backward
from lamina.autograd.grad_mode import enable_grad
from lamina.autograd.higher_order import run_backward_graph
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


class GradientTape:
    """Gradients of a target with respect to chosen tensors, as ``tf.GradientTape``.

    ``gradient(target, sources)`` returns arrays in the structure of ``sources`` (a tensor, a
    list or tuple, or a dict); a source the target does not depend on gets None (or zeros with
    ``unconnected_gradients="zero"``). A list of targets is differentiated as their sum. Without
    ``persistent=True`` a tape answers one ``gradient`` call. ``watch(x)`` makes a constant
    tensor ``x`` recorded from then on, so that gradients with respect to inputs can be asked.

    Called while another tape is open (an outer ``with GradientTape()``), ``gradient`` records
    its own computation and returns tensors, so the outer tape can differentiate them; so does a
    persistent tape asked inside its own ``with`` block. Recording costs about twice the time of
    a plain backward pass: ask for gradients after the ``with`` blocks when nothing
    differentiates them again.

    >>> import lamina
    >>> x = lamina.tensor([3.0], requires_grad=True)
    >>> with lamina.GradientTape() as outer:
    ...     with lamina.GradientTape() as inner:
    ...         y = x**3
    ...     dy_dx = inner.gradient(y, x)  # 3 x^2, a tensor outer records
    >>> dy_dx.tolist(), outer.gradient(dy_dx, x).tolist()  # and 6 x
    ([27.0], [18.0])
    """

    _local = threading.local()  # .open: this thread's tapes inside their ``with`` block

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        # watch_accessed_variables is accepted for TensorFlow code: lamina records every op on
        # tensors that require grad, so every weight is watched either way
        del watch_accessed_variables
        self.persistent = persistent
        self._used = False
        self._grad_mode = None

    def __enter__(self):
        self._grad_mode = enable_grad()
        self._grad_mode.__enter__()
        _open_tapes().append(self)
        return self

    def __exit__(self, *exc):
        self._grad_mode.__exit__(*exc)
        open_tapes = _open_tapes()
        if self in open_tapes:
            open_tapes.remove(self)
        return False

    def watch(self, tensor) -> None:
        for t in _flatten(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(f"watch() needs lamina tensors, got {type(t).__name__}")
            if t._node is None:
                t.requires_grad = True

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}"
            )
        if self._used and not self.persistent:
            raise RuntimeError(
                "a non-persistent GradientTape answers gradient() once; create it with "
                "GradientTape(persistent=True) to ask several times"
            )
        self._used = True
        flat = _flatten(sources)
        for s in flat:
            if not isinstance(s, Tensor):
                raise TypeError(f"sources must be lamina tensors, got {type(s).__name__}")
        capture = {id(s): None for s in flat}
        targets = target if isinstance(target, (list, tuple)) else [target]
        seeds = output_gradients
        if seeds is None or not isinstance(target, (list, tuple)):
            seeds = [output_gradients] * len(targets)
        # recorded when another tape is open (it may differentiate the result), or when this
        # persistent tape is still open (it may itself be asked again), as in TensorFlow
        open_tapes = _open_tapes()
        recorded = any(t is not self for t in open_tapes) or (
            self.persistent and self in open_tapes
        )
        for t, seed in zip(targets, seeds, strict=True):
            if not isinstance(t, Tensor):
                raise TypeError(f"target must be a lamina tensor, got {type(t).__name__}")
            if not t.requires_grad:
                continue
            if recorded:
                seed = Tensor(xp.ones_like(t.data)) if seed is None else _seed_tensor(seed, t)
                run_backward_graph(t, seed, capture)
            else:
                seed = xp.ones_like(t.data) if seed is None else _seed(seed, t)
                run_backward(t, seed, capture)
        grads = []
        for s in flat:
            g = capture[id(s)]
            if g is None and unconnected_gradients == "zero":
                g = xp.zeros_like(s.data)
                g = Tensor(g) if recorded else g
            grads.append(g)
        return _unflatten(sources, grads)


def _seed(seed, target):
    seed = seed.data if isinstance(seed, Tensor) else xp.asarray(seed, dtype=target.data.dtype)
    if seed.shape != target.data.shape:
        raise ValueError(
            f"output_gradients has shape {seed.shape} but the target has {target.shape}"
        )
    return seed


def _open_tapes() -> list:
    local = GradientTape._local
    if not hasattr(local, "open"):
        local.open = []
    return local.open


def _seed_tensor(seed, target):
    """The seed as a tensor (kept as given when it is one, so it may carry a graph)."""
    if not isinstance(seed, Tensor):
        seed = Tensor(_seed(seed, target))
    elif seed.shape != target.shape:
        raise ValueError(
            f"output_gradients has shape {seed.shape} but the target has {target.shape}"
        )
    return seed


def _flatten(structure) -> list:
    if isinstance(structure, dict):
        return [t for v in structure.values() for t in _flatten(v)]
    if isinstance(structure, (list, tuple)):
        return [t for v in structure for t in _flatten(v)]
    return [structure]


def _unflatten(structure, flat: list):
    items = iter(flat)

    def build(s):
        if isinstance(s, dict):
            return {k: build(v) for k, v in s.items()}
        if isinstance(s, (list, tuple)):
            return type(s)(build(v) for v in s)
        return next(items)

    return build(structure)
