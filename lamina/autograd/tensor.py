"""``Tensor``: an array, its gradient, and the node that computed it.

>>> import lamina
>>> x = lamina.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x + x).sum()
>>> y.backward()
>>> x.grad
array([3., 5., 7.], dtype=float32)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as _np

from lamina import backend
from lamina.autograd.engine import run_backward
from lamina.autograd.torch_methods import PyTorchTensorMethods
from lamina.backend import xp


def _as_array(data, dtype=None):
    """Convert user data to an array: Python floats and lists become the default float dtype;
    arrays keep their dtype unless ``dtype`` is given."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return xp.asarray(data, dtype=dtype)
    if isinstance(data, (_np.ndarray, _np.generic)) or type(data).__module__.startswith("cupy"):
        return xp.asarray(data)
    array = xp.asarray(data)
    if array.dtype.kind == "f" and array.dtype != backend.floatx():
        array = array.astype(backend.floatx())
    return array


class Tensor(PyTorchTensorMethods):
    """An n-dimensional array that records how it was computed, for reverse-mode autodiff.

    ``requires_grad=True`` makes a leaf whose ``.grad`` is filled by ``backward``. PyTorch's
    method names (``view``, ``norm``, ``float``...) come from ``torch_methods.py``.
    """

    # ``_keras_mask`` (left unset unless a layer attaches one) carries a sequence mask from layer
    # to layer, as Keras's tensors do; ``lamina.layers.get_mask`` reads it.
    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "_node",
        "_retain_grad",
        "name",
        "_keras_mask",
        "__weakref__",
    )
    __array_priority__ = 1000  # make ``ndarray + Tensor`` call Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"only float tensors can require gradients, got dtype {self.data.dtype}"
            )
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._node = None
        self._retain_grad = False
        self.name = name

    @classmethod
    def _from_op(cls, data, node):
        t = cls.__new__(cls)
        t.data = data
        t.grad = None
        t.requires_grad = node is not None
        t._node = node
        t._retain_grad = False
        t.name = None
        return t

    # ----- array facts -----
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    def __len__(self):
        return len(self.data)

    def numpy(self):
        """The data as a NumPy array (no copy on the NumPy backend)."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def __array_function__(self, func, types, args, kwargs):
        """NumPy functions given tensors work on their arrays and return NumPy results
        (``np.max(probabilities)``, ``np.argmax(scores)``, ``np.concatenate([t1, t2])``);
        lamina's ops and the tensor methods are the differentiable versions. The NumPy
        functions that write into their argument are refused: they would change a tensor
        behind the graph's back (and its gradients with it)."""
        if func in _WRITES_INTO_ARGUMENT:
            raise TypeError(
                f"numpy.{func.__name__} writes into its argument and cannot change a lamina tensor "
                "in place: use assign(), or work on a copy (t.numpy().copy())"
            )
        return func(*_to_numpy(args), **_to_numpy(kwargs))

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._from_op(self.data, None)

    def astype(self, dtype) -> Tensor:
        return _ops.cast(self, dtype)

    def retain_grad(self) -> None:
        """Also keep ``.grad`` on this non-leaf tensor during ``backward``."""
        self._retain_grad = True

    def assign(self, value) -> None:
        """Overwrite the data in place (shape and dtype kept): how optimizers update weights."""
        value = _as_array(value, self.data.dtype)
        if value.shape != self.data.shape:
            raise ValueError(f"cannot assign shape {value.shape} to a tensor of shape {self.shape}")
        self.data[...] = value

    def assign_add(self, value) -> Tensor:
        """Add ``value`` (of this shape, or broadcastable to it) in place, outside the graph
        (Keras's ``Variable.assign_add``, how a metric accumulates its state); returns self."""
        self.assign(self.data + self._update_value(value, "assign_add"))
        return self

    def assign_sub(self, value) -> Tensor:
        """Subtract ``value`` in place, outside the graph; returns this tensor."""
        self.assign(self.data - self._update_value(value, "assign_sub"))
        return self

    def _update_value(self, value, who):
        value = _as_array(value, self.data.dtype)
        try:
            fits = _np.broadcast_shapes(value.shape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{who}: a value of shape {value.shape} does not fit a tensor of "
                             f"shape {self.shape}")  # fmt: skip
        return value

    def zero_grad(self) -> None:
        self.grad = None

    def backward(self, grad=None, retain_graph=None, create_graph=False) -> None:
        """Fill ``.grad`` of every leaf this tensor depends on with d(self)/d(leaf).

        A scalar (one-element) tensor needs no ``grad``; otherwise pass the gradient of the final
        result with respect to this tensor, of this tensor's shape. ``retain_graph`` is accepted
        for PyTorch compatibility: graphs are kept until garbage-collected, so backward may run
        again (gradients then accumulate). ``.grad`` holds arrays, so ``create_graph=True`` is
        refused: ``lamina.autograd.grad(loss, inputs, create_graph=True)`` gives gradients that
        can be differentiated again.
        """
        if create_graph:
            raise NotImplementedError(
                "backward(create_graph=True) is not supported: .grad holds arrays. Use "
                "lamina.autograd.grad(loss, inputs, create_graph=True), which returns gradient "
                "tensors that can be differentiated again"
            )
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without grad works only on a scalar; this tensor has shape "
                    f"{self.shape}. Pass grad= of that shape, or reduce it first (e.g. .sum())"
                )
            grad = xp.ones_like(self.data)
        else:
            grad = _as_array(grad, self.data.dtype)
            if grad.shape != self.data.shape:
                raise ValueError(f"grad has shape {grad.shape} but the tensor has {self.shape}")
        run_backward(self, grad)

    def __repr__(self):
        body = _np.array2string(self.numpy(), separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}, dtype={self.dtype}{extra})"

    __hash__ = object.__hash__

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        return int(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ----- arithmetic (the ops live in lamina.ops) -----
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # comparisons give boolean tensors outside the graph, as in NumPy and PyTorch
    def _compare(self, other, fn):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(fn(self.data, other), None)

    def __eq__(self, other):
        return self._compare(other, xp.equal)

    def __ne__(self, other):
        return self._compare(other, xp.not_equal)

    def __lt__(self, other):
        return self._compare(other, xp.less)

    def __le__(self, other):
        return self._compare(other, xp.less_equal)

    def __gt__(self, other):
        return self._compare(other, xp.greater)

    def __ge__(self, other):
        return self._compare(other, xp.greater_equal)

    # ----- methods mirroring lamina.ops -----
    # The reductions also take PyTorch's names, dim= and keepdim=, for code ported from PyTorch.
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        return _ops.var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """The maximum over ``axis``. With PyTorch's ``dim=``, PyTorch's result: the pair
        ``(values, indices)``, so that ``values, indices = x.max(dim=1)`` works as ported."""
        return self._extreme(_ops.max, _ops.argmax, axis, keepdims, dim, keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """The minimum over ``axis``; with ``dim=``, the pair ``(values, indices)`` (PyTorch)."""
        return self._extreme(_ops.min, _ops.argmin, axis, keepdims, dim, keepdim)

    def _extreme(self, reduce, arg, axis, keepdims, dim, keepdim):
        torch_style = dim is not None
        axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
        values = reduce(self, axis=axis, keepdims=keepdims)
        if not torch_style:
            return values
        return ValuesIndices(values, arg(self, axis=axis, keepdims=keepdims))

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
        return _ops.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
        return _ops.argmin(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def flatten(self):
        return _ops.reshape(self, (-1,))

    def transpose(self, *axes):
        return _ops.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def permute(self, *axes):
        return _ops.transpose(self, axes[0] if len(axes) == 1 else axes)

    @property
    def T(self):  # noqa: N802
        return _ops.transpose(self)

    def expand(self, *shape):
        return _ops.broadcast_to(self, shape[0] if len(shape) == 1 else shape)

    def broadcast_to(self, shape):
        return _ops.broadcast_to(self, shape)

    def squeeze(self, axis=None):
        return _ops.squeeze(self, axis)

    def unsqueeze(self, axis):
        return _ops.unsqueeze(self, axis)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)

    def clip(self, min=None, max=None):  # noqa: A002 - NumPy's names
        return _ops.clip(self, min, max)

    def relu(self):
        return _ops.relu(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def tanh(self):
        return _ops.tanh(self)

    def softmax(self, axis=-1):
        return _ops.softmax(self, axis=axis)

    def log_softmax(self, axis=-1):
        return _ops.log_softmax(self, axis=axis)


class ValuesIndices(NamedTuple):
    """What ``x.max(dim=...)`` and ``x.min(dim=...)`` return, as PyTorch's ``torch.max``."""

    values: Tensor
    indices: Tensor


def _torch_names(axis, keepdims, dim, keepdim):
    """``axis``/``keepdims`` from NumPy's or PyTorch's (``dim``/``keepdim``) spelling."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"give axis or dim, not both (got axis={axis!r}, dim={dim!r})")
        axis = tuple(dim) if isinstance(dim, list) else dim
    return axis, keepdims if keepdim is None else keepdim


_WRITES_INTO_ARGUMENT = frozenset(
    f
    for f in (
        getattr(_np, name, None)
        for name in ("fill_diagonal", "put", "place", "putmask", "copyto", "put_along_axis")
    )
    if f is not None
)


def _to_numpy(value):
    """``value`` with every tensor inside (lists, tuples, dicts) replaced by a NumPy array."""
    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    return value


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Make a tensor: ``lamina.tensor([[1.0, 2.0]], requires_grad=True)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


# The arithmetic Functions live in lamina.ops, which builds on this module; bound last to
# break the import cycle.
from lamina import ops as _ops  # noqa: E402
