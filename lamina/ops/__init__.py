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
from lamina.ops.dropout import dropout
from lamina.ops.linear import linear
from lamina.ops.losses import (
    absolute_error,
    binary_cross_entropy,
    categorical_cross_entropy,
    hinge_error,
    huber_error,
    kl_div,
    sparse_categorical_cross_entropy,
    squared_error,
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
    "abs", "absolute_error", "add", "argmax", "argmin", "binary_cross_entropy", "broadcast_to",
    "cast", "categorical_cross_entropy", "clip", "concatenate", "div", "dropout",
    "elu", "exp", "expand", "expand_dims", "gelu", "getitem", "hinge_error", "huber_error",
    "kl_div", "leaky_relu", "linear", "log",
    "log_softmax", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "pad",
    "permute", "pow", "relu", "reshape", "selu", "sigmoid", "silu", "softmax", "softplus",
    "sparse_categorical_cross_entropy", "split", "sqrt", "squared_error", "squeeze", "stack",
    "sub", "sum", "swish", "tanh", "transpose",
    "unsqueeze", "var", "where",
]  # fmt: skip
