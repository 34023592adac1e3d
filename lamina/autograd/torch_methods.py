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
            return ops.sqrt(ops.sum(self * self, axis=dim, keepdims=keepdim))
        if p == 1:
            return ops.sum(ops.abs(self), axis=dim, keepdims=keepdim)
        if p == float("inf"):
            return ops.max(ops.abs(self), axis=dim, keepdims=keepdim)
        raise ValueError(f"norm supports p = 2, 'fro', 1 or inf, got {p!r}")

    def clone(self):
        """A copy that stays in the graph (its gradient flows back to this tensor)."""
        return self * 1

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
        """A dtype converts (``x.to(torch.float32)`` spelled ``x.to("float32")``); a device
        ("cpu") leaves the tensor as it is: lamina computes where its backend does."""
        dtype = kwargs.get("dtype")
        for arg in args:
            if _is_dtype(arg):
                dtype = arg
        return self if dtype is None else self.astype(dtype)

    def cpu(self):
        return self

    def contiguous(self):
        return self


def _is_dtype(value) -> bool:
    if isinstance(value, str) and value.split(":")[0] in ("cpu", "cuda", "mps"):
        return False
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True
