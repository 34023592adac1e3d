"""``lamina.ops.numpy``: the NumPy-named ops under Keras's ``keras.ops.numpy`` namespace, for
code that writes ``ops.numpy.arange(5)``. The same functions as ``lamina.ops``.

>>> import lamina
>>> lamina.ops.numpy.arange(3).tolist()
[0, 1, 2]
"""

# ruff: noqa: A004 - NumPy's names (abs, max, min, round, sum) are the point of this module
from lamina.ops.activations import tanh
from lamina.ops.comparison import (
    equal,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    not_equal,
)
from lamina.ops.creation import (
    arange,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    tril,
    triu,
    zeros,
    zeros_like,
)
from lamina.ops.einsum import einsum
from lamina.ops.elementwise import ceil, cos, floor, log1p, nan_to_num, round, sign, sin
from lamina.ops.indexing import take, take_along_axis
from lamina.ops.math import (
    abs,
    add,
    clip,
    divide,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    sqrt,
    square,
    subtract,
    true_divide,
    where,
)
from lamina.ops.rearrange import flip, moveaxis, repeat, swapaxes, tile
from lamina.ops.reduce import argmax, argmin, cumsum, max, mean, min, prod, std, sum, var
from lamina.ops.shaping import (
    broadcast_to,
    concatenate,
    expand_dims,
    pad,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
)
from lamina.ops.sorting import argsort, sort

__all__ = [
    "abs", "add", "arange", "argmax", "argmin", "argsort", "broadcast_to", "ceil", "clip",
    "concatenate", "cos", "cumsum", "divide", "einsum", "equal", "exp", "expand_dims", "eye",
    "flip", "floor", "full", "full_like", "greater", "greater_equal", "isfinite", "isinf",
    "isnan", "less", "less_equal", "linspace", "log", "log1p", "logical_and", "logical_not",
    "logical_or", "logical_xor", "matmul", "max", "maximum", "mean", "min", "minimum",
    "moveaxis", "multiply", "nan_to_num", "negative", "not_equal", "ones", "ones_like", "pad",
    "power", "prod", "repeat", "reshape", "round", "sign", "sin", "sort", "split", "sqrt",
    "square", "squeeze", "stack", "std", "subtract", "sum", "swapaxes", "take",
    "take_along_axis", "tanh", "tile", "transpose", "tril", "triu", "true_divide", "var",
    "where", "zeros", "zeros_like",
]  # fmt: skip
