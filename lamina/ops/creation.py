"""Making tensors and reading them back, with Keras's ``keras.ops`` names: ``shape``,
``zeros``, ``ones``, ``zeros_like``, ``ones_like``, ``full``, ``convert_to_tensor`` and
``convert_to_numpy``. Created tensors are constants (no gradient flows into them).

>>> import lamina
>>> from lamina import ops
>>> ops.shape(ops.ones((2, 3)))
(2, 3)
>>> ops.convert_to_numpy(ops.full((2,), 7.0)).tolist()
[7.0, 7.0]
"""

from __future__ import annotations

from lamina import backend
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


def _data(x):
    return x.data if isinstance(x, Tensor) else xp.asarray(x)


def shape(x) -> tuple:
    """The shape of a tensor or array, as a tuple of ints."""
    return tuple(_data(x).shape)


def zeros(shape, dtype=None) -> Tensor:
    return Tensor(xp.zeros(shape, dtype=dtype or backend.floatx()))


def ones(shape, dtype=None) -> Tensor:
    return Tensor(xp.ones(shape, dtype=dtype or backend.floatx()))


def full(shape, fill_value, dtype=None) -> Tensor:
    return Tensor(xp.full(shape, fill_value, dtype=dtype or backend.floatx()))


def zeros_like(x, dtype=None) -> Tensor:
    return Tensor(xp.zeros_like(_data(x), dtype=dtype))


def ones_like(x, dtype=None) -> Tensor:
    return Tensor(xp.ones_like(_data(x), dtype=dtype))


def convert_to_tensor(x, dtype=None) -> Tensor:
    """A tensor from an array-like (a tensor is returned as it is when the dtype matches)."""
    if isinstance(x, Tensor) and (dtype is None or x.dtype == dtype):
        return x
    data = _data(x)
    if dtype is None and data.dtype.kind == "f":
        dtype = backend.floatx()
    return Tensor(data if dtype is None else data.astype(dtype))


def convert_to_numpy(x):
    """A NumPy array of the values (a copy from the GPU under CuPy)."""
    return backend.to_numpy(_data(x))
