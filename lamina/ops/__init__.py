"""Stateless differentiable functions (like ``torch.nn.functional``), written against ``xp``."""

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
    tanh,
)
from lamina.ops.math import (
    abs,
    add,
    cast,
    clip,
    div,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from lamina.ops.reduce import argmax, argmin, max, mean, min, sum, var
from lamina.ops.shape import (
    broadcast_to,
    concatenate,
    expand,
    expand_dims,
    getitem,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)

__all__ = [
    "abs", "add", "argmax", "argmin", "broadcast_to", "cast", "clip", "concatenate", "div",
    "elu", "exp", "expand", "expand_dims", "gelu", "getitem", "leaky_relu", "log",
    "log_softmax", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "pad",
    "permute", "pow", "relu", "reshape", "selu", "sigmoid", "silu", "softmax", "softplus",
    "split", "sqrt", "squeeze", "stack", "sub", "sum", "swish", "tanh", "transpose",
    "unsqueeze", "var", "where",
]  # fmt: skip
