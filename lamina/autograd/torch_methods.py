"""PyTorch's names for tensor methods, so that code ported from a PyTorch loop keeps its
``x.view(n, -1)``, ``grads.norm(2, dim=1)``, ``x.float()`` or ``x.requires_grad_()``. Each is
one line over lamina's ops; ``Tensor`` inherits them. ``size`` stays NumPy's element count (an
int, not PyTorch's method: a callable int subclass would turn ``t / t.size`` into float64);
write ``x.shape[0]`` for PyTorch's ``x.size(0)``.

>>> import lamina
>>> x = lamina.tensor([[3.0, 4.0], [0.0, 1.0]])
>>> x.view(-1).shape, x.norm(dim=1).tolist(), x.dim(), x.numel(), x.size
((4,), [5.0, 1.0], 2, 4, 4)
"""

from __future__ import annotations

import numpy as np


class PyTorchTensorMethods:
    """Mixed into ``Tensor``: PyTorch spellings of what lamina's ops already do."""

    __slots__ = ()

    def view(self, *shape):
        """``reshape`` (lamina has no memory-layout restriction)."""
        return self.reshape(*shape)

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def pow(self, exponent):
        return self**exponent

    def norm(self, p=2, dim=None, keepdim=False):
        """The p-norm over ``dim`` (all elements by default): 2 (or "fro"), 1, or inf."""
        from lamina import ops

        if p in (2, "fro"):
            squares = ops.sum(self * self, axis=dim, keepdims=keepdim)
            positive = squares.data > 0  # at 0 the gradient is 0, as PyTorch's subgradient
            return ops.where(positive, ops.sqrt(ops.where(positive, squares, 1.0)), 0.0)
        if p == 1:
            return ops.sum(ops.abs(self), axis=dim, keepdims=keepdim)
        if p == float("inf"):
            return ops.max(ops.abs(self), axis=dim, keepdims=keepdim)
        raise ValueError(f"norm supports p = 2, 'fro', 1 or inf, got {p!r}")

    def clone(self):
        """A copy of the same dtype that stays in the graph (its gradient flows back here)."""
        from lamina import ops

        return ops.cast(self, self.dtype)

    def float(self):
        return self.astype("float32")

    def double(self):
        return self.astype("float64")

    def long(self):
        return self.astype("int64")

    def requires_grad_(self, requires_grad: bool = True):
        """Make this leaf require a gradient (or not); returns it, as in PyTorch."""
        if self._node is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) is only for leaf tensors: use detach()")
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"only float tensors can require gradients, got {self.data.dtype}")
        self.requires_grad = bool(requires_grad) or self._node is not None
        return self

    def to(self, *args, **kwargs):
        """A dtype (``x.to(torch.float32)`` spelled ``x.to("float32")``) or another tensor
        converts to that dtype; a device name ("cpu", "cuda") leaves the tensor as it is:
        lamina computes where its backend does. Anything else is an error."""
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("copy", None)
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, PyTorchTensorMethods):  # x.to(other): other's dtype
                dtype = arg.dtype
            elif _is_dtype(arg):
                dtype = arg
            elif not _is_device(arg):
                raise TypeError(f"to() takes a dtype or a device name ('cpu', 'cuda'), got {arg!r}")
        return self if dtype is None else self.astype(dtype)

    def cpu(self):
        return self

    def contiguous(self):
        return self


def _is_device(value) -> bool:
    return isinstance(value, str) and value.split(":")[0] in ("cpu", "cuda", "mps")


def _is_dtype(value) -> bool:
    if value is None or _is_device(value):
        return False
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True
