"""``grad`` and ``value_and_grad``: gradients of a Python function, JAX style.

>>> import lamina
>>> df = lamina.grad(lambda x: (x ** 3).sum())
>>> df(lamina.tensor([1.0, 2.0]))
array([ 3., 12.], dtype=float32)
"""

from __future__ import annotations

from lamina.autograd import grad_mode
from lamina.autograd.tensor import Tensor


def _track(arg):
    """A fresh leaf (or list of leaves) requiring grad, holding the argument's data."""
    if isinstance(arg, (list, tuple)):
        return type(arg)(_track(a) for a in arg)
    return Tensor(arg.data if isinstance(arg, Tensor) else arg, requires_grad=True)


def _grads_of(arg):
    if isinstance(arg, (list, tuple)):
        return type(arg)(_grads_of(a) for a in arg)
    return arg.grad if arg.grad is not None else arg.data * 0


def value_and_grad(fn, argnums=0, has_aux=False):
    """Return a function computing ``(fn(*args), d fn / d args[argnums])``.

    ``fn`` must return a scalar tensor (or ``(scalar, aux)`` with ``has_aux=True``). ``argnums``
    is an int or a tuple of ints; an argument may be a list of tensors, whose gradients come back
    as a list. Gradients are arrays of the arguments' shapes.

    >>> import lamina
    >>> loss, g = lamina.value_and_grad(lambda w, x: ((w * x).sum() - 1) ** 2)(
    ...     lamina.tensor([1.0, 1.0]), lamina.tensor([2.0, 3.0]))
    >>> float(loss.item()), g.tolist()
    (16.0, [16.0, 24.0])
    """
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)

    def wrapped(*args, **kwargs):
        args = list(args)
        for i in nums:
            if i >= len(args):
                raise ValueError(f"argnums={argnums} but the function got {len(args)} arguments")
            args[i] = _track(args[i])
        with grad_mode.enable_grad():
            out = fn(*args, **kwargs)
        value, aux = out if has_aux else (out, None)
        if not isinstance(value, Tensor) or value.data.size != 1:
            shape = getattr(value, "shape", type(value).__name__)
            raise ValueError(f"value_and_grad needs fn to return a scalar tensor, got {shape}")
        if value.requires_grad:
            value.backward()
        grads = tuple(_grads_of(args[i]) for i in nums)
        grads = grads[0] if single else grads
        return ((value, aux), grads) if has_aux else (value, grads)

    return wrapped


def grad(fn, argnums=0, has_aux=False):
    """Return a function computing the gradient of scalar ``fn`` w.r.t. ``args[argnums]``."""
    vg = value_and_grad(fn, argnums, has_aux)

    def wrapped(*args, **kwargs):
        out, grads = vg(*args, **kwargs)
        return (grads, out[1]) if has_aux else grads

    return wrapped
