"""``grad`` and ``value_and_grad``: gradients of a Python function, JAX style; and ``grad`` of
tensors, PyTorch style (``torch.autograd.grad``).

>>> import lamina
>>> df = lamina.grad(lambda x: (x ** 3).sum())
>>> df(lamina.tensor([1.0, 2.0]))
array([ 3., 12.], dtype=float32)
>>> x = lamina.tensor([1.0, 2.0], requires_grad=True)
>>> lamina.grad((x ** 3).sum(), x)
(Tensor([ 3., 12.], dtype=float32),)
"""

from __future__ import annotations

from lamina.autograd import grad_mode
from lamina.autograd.engine import run_backward
from lamina.autograd.higher_order import run_backward_graph
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


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


_TORCH_POSITIONAL = ("retain_graph", "create_graph", "only_inputs", "allow_unused",
                     "is_grads_batched", "materialize_grads")  # fmt: skip


def grad(fn=None, argnums=0, has_aux=False, *torch_args, **torch_options):
    """Return a function computing the gradient of scalar ``fn`` w.r.t. ``args[argnums]`` (JAX).

    Given tensors instead of a function, ``grad(outputs, inputs, grad_outputs=None,
    retain_graph=None, create_graph=False, allow_unused=None, materialize_grads=False)`` is
    ``torch.autograd.grad``: a tuple with the gradient of ``outputs`` (summed, each weighted by
    its ``grad_outputs``) with respect to each of ``inputs``. With ``create_graph=True`` the
    gradients are recorded tensors that can be differentiated again.
    """
    if not callable(fn) or isinstance(fn, Tensor):  # PyTorch: grad(outputs, inputs, ...)
        if len(torch_args) > len(_TORCH_POSITIONAL):
            raise TypeError(f"grad got {3 + len(torch_args)} positional arguments")
        torch_options.update(zip(_TORCH_POSITIONAL, torch_args))
        outputs = torch_options.pop("outputs", fn)
        inputs = torch_options.pop("inputs", argnums)
        if has_aux is not False:  # the third positional argument of torch.autograd.grad
            torch_options.setdefault("grad_outputs", has_aux)
        return gradients(outputs, inputs, **torch_options)
    if torch_options or torch_args:
        raise TypeError(f"grad(fn) got unexpected arguments {sorted(torch_options)}")
    vg = value_and_grad(fn, argnums, has_aux)

    def wrapped(*args, **kwargs):
        out, grads = vg(*args, **kwargs)
        return (grads, out[1]) if has_aux else grads

    return wrapped


def gradients(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
    only_inputs=True,
    is_grads_batched=False,
):
    """``torch.autograd.grad``: the gradients of ``outputs`` w.r.t. ``inputs``, as a tuple of
    tensors; ``.grad`` is left alone. ``retain_graph`` and ``only_inputs`` are accepted for
    PyTorch code (graphs live until garbage-collected). An input the outputs do not depend on
    is an error unless ``allow_unused`` (then None) or ``materialize_grads`` (then zeros).

    >>> import lamina
    >>> x = lamina.tensor([2.0], requires_grad=True)
    >>> (g,) = lamina.autograd.grad(x**3, x, create_graph=True)
    >>> lamina.autograd.grad(g, x)[0].tolist()  # d^2 (x^3) / dx^2 = 6 x
    [12.0]
    """
    del retain_graph, only_inputs
    if is_grads_batched:
        raise NotImplementedError("grad(..., is_grads_batched=True) is not supported")
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)  # model.parameters()
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("grad: every input must be a tensor that requires grad")
    capture = {id(x): None for x in inputs}
    for i, (out, seed) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if not isinstance(out, Tensor) or not out.requires_grad:
            raise RuntimeError(
                f"grad: output {i} does not require grad: it was not computed from a tensor with "
                "requires_grad=True (or it ran under no_grad())"
            )
        if seed is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"grad: output {i} has shape {out.shape}; give grad_outputs for a non-scalar "
                    "output (the gradient with respect to it, e.g. ones)"
                )
            seed = xp.ones_like(out.data)
        seed_data = seed.data if isinstance(seed, Tensor) else xp.asarray(seed, out.data.dtype)
        if seed_data.shape != out.data.shape:
            raise ValueError(
                f"grad: grad_outputs[{i}] has shape {seed_data.shape}, output {i} has {out.shape}"
            )
        if create_graph:
            run_backward_graph(out, seed if isinstance(seed, Tensor) else Tensor(seed), capture)
        else:
            run_backward(out, seed_data, capture)
    result = []
    for i, x in enumerate(inputs):
        g = capture[id(x)]
        if g is None:
            if materialize_grads:
                g = xp.zeros_like(x.data)
            elif not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} was not used to compute the outputs; pass "
                    "allow_unused=True to get None for it"
                )
        if g is not None and not isinstance(g, Tensor):
            g = Tensor(g)
        result.append(g)
    return tuple(result)
