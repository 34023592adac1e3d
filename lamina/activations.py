"""Activation functions by name, as Keras resolves ``Dense(..., activation="relu")``.

>>> from lamina import activations
>>> activations.get("relu").__name__, activations.serialize(activations.get(None))
('relu', 'linear')
"""

from __future__ import annotations

from lamina import ops


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
    """Piecewise-linear sigmoid: ``clip(x / 6 + 1/2, 0, 1)`` (Keras 3's definition)."""
    return ops.clip(x * (1 / 6) + 0.5, 0.0, 1.0)


_ACTIVATIONS = {
    "linear": linear,
    "relu": ops.relu,
    "leaky_relu": ops.leaky_relu,
    "elu": ops.elu,
    "selu": ops.selu,
    "gelu": ops.gelu,
    "sigmoid": ops.sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "tanh": ops.tanh,
    "softplus": ops.softplus,
    "softsign": softsign,
    "silu": ops.silu,
    "swish": ops.silu,
    "softmax": ops.softmax,
    "log_softmax": ops.log_softmax,
    "exponential": exponential,
}


def get(identifier):
    """A function from a name (``"relu"``), a callable (returned as is) or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str):
        fn = _ACTIVATIONS.get(identifier.lower())
        if fn is not None:
            return fn
    raise ValueError(
        f"unknown activation {identifier!r}; use a callable or one of {sorted(_ACTIVATIONS)}"
    )


def serialize(fn) -> str:
    """The name under which ``get`` finds ``fn`` again."""
    for name, candidate in _ACTIVATIONS.items():
        if candidate is fn:
            return name
    return getattr(fn, "__name__", repr(fn))
