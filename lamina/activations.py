"""Activation functions by name, as Keras resolves ``Dense(..., activation="relu")``.

Every built-in activation is also an attribute (``activations.softmax``) and is saved by its
name. A function of your own is saved by its (module and) name, never as code: loading finds
it among functions registered with ``@lamina.saving.register_keras_serializable()`` or in
``load_model``'s ``custom_objects``, and never imports a module a file names.

>>> from lamina import activations
>>> activations.get("relu").__name__, activations.serialize(activations.get(None))
('relu', 'linear')
>>> activations.serialize(activations.softmax)
'softmax'
>>> def double(x):
...     return x * 2
>>> ref = activations.serialize(double)
>>> ref["name"], activations.get(ref) is double  # in memory, the reference keeps the function
('double', True)
"""

from __future__ import annotations

from lamina import ops
from lamina.backend import xp
from lamina.ops import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)

swish = silu


def linear(x):
    """The identity (Keras's ``activation=None``)."""
    return x


def exponential(x):
    """``exp(x)``."""
    return ops.exp(x)


def softsign(x):
    """``x / (1 + |x|)``."""
    return x / (ops.abs(x) + 1)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: ``relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1)`` (Keras 3's
    definition), with ``relu6``'s gradient: 1/6 inside (-3, 3), 0 at the kinks and beyond."""
    return relu6(ops.add(x, 3.0)) / 6.0


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (Keras's ``hard_silu``, also called ``hard_swish``)."""
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def relu6(x):
    """``min(max(x, 0), 6)``. Its gradient is 1 inside (0, 6) and 0 at the kinks 0 and 6, as
    in Keras and PyTorch (a clip would pass it at both).

    >>> import lamina
    >>> x = lamina.tensor([0.0, 3.0, 6.0], requires_grad=True)
    >>> relu6(x).sum().backward(); x.grad.tolist()
    [0.0, 1.0, 0.0]
    """
    values = xp.asarray(x)
    return ops.where((values > 0) & (values < 6), x, xp.clip(values, 0, 6))


def mish(x):
    """``x * tanh(softplus(x))``."""
    return x * ops.tanh(ops.softplus(x))


_ACTIVATIONS = {
    "linear": linear,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "gelu": gelu,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_swish,
    "tanh": tanh,
    "softplus": softplus,
    "softsign": softsign,
    "silu": silu,
    "swish": swish,
    "mish": mish,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "exponential": exponential,
}


def get(identifier):
    """A function from a name (``"relu"``, or a registered function's), a callable (returned
    as is), a saved function reference ``{"module", "name"}`` or None (linear)."""
    from lamina.layers.lambda_layer import _FunctionRef, _Unsavable, find_function

    if identifier is None:
        return linear
    if isinstance(identifier, (_FunctionRef, _Unsavable)):  # a config in memory (clone_model)
        return identifier.function
    if callable(identifier):
        return identifier
    if isinstance(identifier, str):
        fn = _ACTIVATIONS.get(identifier.lower()) or find_function(identifier)
        if fn is not None:
            return fn
        raise ValueError(
            f"unknown activation {identifier!r}: use one of {sorted(_ACTIVATIONS)}, a callable, "
            "or a function registered with @lamina.saving.register_keras_serializable()"
        )
    if isinstance(identifier, dict) and isinstance(identifier.get("name"), str):
        name, module = identifier["name"], identifier.get("module")
        fn = find_function(name, module)
        if fn is not None:
            return fn
        short = name.rsplit(".", 1)[-1]
        raise ValueError(
            f"unknown activation {f'{module}.{name}'!r}: pass it to load_model as "
            f"custom_objects={{{short!r}: {short}}}, or register it with "
            "@lamina.saving.register_keras_serializable() (lamina never imports modules named "
            "in a file)"
        )
    raise ValueError(
        f"could not interpret activation {identifier!r}: pass a name such as 'relu', a "
        "function, or None"
    )


def serialize(fn):
    """How a config stores ``fn``: a built-in's name; a function of your own as a reference
    ``{"module", "name"}`` (``get`` finds it again). A lambda expression cannot be saved: the
    reference then raises, naming the fix, when a model holding it is saved."""
    from lamina.layers.lambda_layer import _FunctionRef, _Unsavable

    for name, candidate in _ACTIVATIONS.items():
        if candidate is fn:
            return name
    name = getattr(fn, "__qualname__", None)
    if not isinstance(name, str) or "<lambda>" in name:
        what = "a lambda expression" if isinstance(name, str) else f"{fn!r}, which has no name"
        return _Unsavable(
            fn,
            f"cannot save the activation {what}: lamina saves functions by name, never as "
            "code. Define it with `def` and register it with "
            "@lamina.saving.register_keras_serializable() (or pass it to load_model in "
            "custom_objects)",
        )
    return _FunctionRef(fn)
