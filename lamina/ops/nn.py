"""``lamina.ops.nn``: the neural-network ops under Keras's ``keras.ops.nn`` namespace, for code
that writes ``ops.nn.relu(x)``. The same functions as ``lamina.ops``; only those whose
signature matches Keras's are listed (note: ``gelu`` defaults to the exact form,
``approximate=False``, as ``keras.activations.gelu`` does; ``keras.ops.gelu`` defaults to
``approximate=True``).

>>> import lamina
>>> lamina.ops.nn.softmax(lamina.tensor([0.0, 0.0])).tolist()
[0.5, 0.5]
"""

from lamina.ops.activations import (
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
    swish,
)
from lamina.ops.creation import one_hot
from lamina.ops.normalization import normalize

__all__ = [
    "elu",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "normalize",
    "one_hot",
    "relu",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "swish",
]
