"""Making tensors and reading them back, with Keras's ``keras.ops`` names: ``shape``,
``zeros``, ``ones``, ``full``, ``zeros_like``, ``ones_like``, ``full_like``, ``arange``,
``linspace``, ``eye``, ``one_hot``, ``convert_to_tensor``, ``convert_to_numpy`` and
``stop_gradient``. Created tensors are constants (no gradient flows into them); ``tril`` and
``triu`` (NumPy's "building matrices" routines) keep a triangle of a tensor and are
differentiable.

Python integers give int64 tensors (NumPy's and lamina's default; Keras gives int32), floats
the float dtype (``lamina.floatx()``).

>>> import lamina
>>> from lamina import ops
>>> ops.shape(ops.ones((2, 3)))
(2, 3)
>>> ops.convert_to_numpy(ops.full((2,), 7.0)).tolist()
[7.0, 7.0]
>>> ops.one_hot([0, 2], 3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import numbers

from lamina import backend
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.ops.math import Where


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


def full_like(x, fill_value, dtype=None) -> Tensor:
    """A tensor of ``x``'s shape (and dtype, unless given) filled with ``fill_value``."""
    return Tensor(xp.full_like(_data(x), fill_value, dtype=dtype))


def _number_dtype(values, dtype):
    """``dtype``, else int64 for integers and the float dtype for anything else."""
    if dtype is not None:
        return dtype
    if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        return xp.int64
    return backend.floatx()


def arange(start, stop=None, step=None, dtype=None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``; ``arange(n)`` is ``0, 1, ..., n - 1``.

    >>> arange(2, 5).tolist(), arange(0.0, 1.0, 0.25).tolist()
    ([2, 3, 4], [0.0, 0.25, 0.5, 0.75])
    """
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, stop, step)]
    return Tensor(xp.arange(*values, dtype=_number_dtype(values, dtype)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (included unless ``endpoint``
    is False); with ``retstep``, also the spacing: ``(values, step)``.

    >>> linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    values, step = xp.linspace(
        _data(start), _data(stop), num, endpoint=endpoint, retstep=True, axis=axis
    )
    out = Tensor(values.astype(dtype or backend.floatx()))
    return (out, step) if retstep else out


def eye(N, M=None, k=0, dtype=None) -> Tensor:  # noqa: N803 - Keras's argument names
    """An ``N x M`` matrix with ones on diagonal ``k`` (0: the main one, > 0: above it).

    >>> eye(2, 3, k=1).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    return Tensor(xp.eye(N, M, k=k, dtype=dtype or backend.floatx()))


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False) -> Tensor:
    """One-hot vectors of length ``num_classes`` for integer class indices ``x``, on a new axis
    ``axis`` (last by default). Indices outside ``[0, num_classes)`` give all-zero vectors, as
    in Keras's TensorFlow and JAX backends.

    >>> one_hot([1, 5], 3).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported (lamina has no sparse tensors)")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive integer, got {num_classes!r}")
    indices = _data(x)
    if indices.dtype.kind not in "iub":
        if xp.any(indices != xp.floor(indices)):
            raise ValueError("one_hot expects integer class indices, got fractional values")
        indices = indices.astype(xp.int64)
    out = indices[..., None] == xp.arange(num_classes)
    out = out.astype(dtype or backend.floatx())
    return Tensor(xp.moveaxis(out, -1, axis) if axis not in (-1, out.ndim - 1) else out)


def _triangle(x, k, lower, who):
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim < 2:
        raise ValueError(f"{who} needs a tensor with at least 2 dimensions, got shape {x.shape}")
    n, m = x.shape[-2:]
    mask = xp.tri(n, m, k, dtype=bool) if lower else ~xp.tri(n, m, k - 1, dtype=bool)
    return Where.apply(mask, x, xp.zeros((), dtype=x.dtype))


def tril(x, k=0) -> Tensor:
    """``x`` with the entries above diagonal ``k`` of its last two axes set to 0
    (differentiable: those entries get gradient 0).

    >>> import lamina
    >>> tril(lamina.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[1.0, 0.0], [3.0, 4.0]]
    """
    return _triangle(x, k, lower=True, who="tril")


def triu(x, k=0) -> Tensor:
    """``x`` with the entries below diagonal ``k`` of its last two axes set to 0.

    >>> import lamina
    >>> triu(lamina.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[1.0, 2.0], [0.0, 4.0]]
    """
    return _triangle(x, k, lower=False, who="triu")


def stop_gradient(variable) -> Tensor:
    """The same values, cut from the graph: no gradient flows back through the result (Keras's
    name for ``Tensor.detach``).

    >>> import lamina
    >>> x = lamina.tensor([2.0], requires_grad=True)
    >>> (x * stop_gradient(x)).sum().backward(); x.grad.tolist()
    [2.0]
    """
    if isinstance(variable, Tensor):
        return variable.detach()
    return Tensor(variable)
