"""``Function``: one differentiable op, its ``forward`` and ``backward`` side by side.

A subclass computes on raw arrays. ``forward(*arrays, **params)`` returns the output array and
saves on ``self`` only what ``backward`` needs; ``backward(grad)`` returns one gradient per
positional input (``None`` where there is none), each of the input's shape or broadcastable to it.
An op may also define ``backward_graph(grad)``: the same gradients computed with lamina's ops on
tensors (``grad`` and ``self.inputs``), so that they can be differentiated again (higher-order
gradients, see ``lamina.autograd.higher_order``).

>>> from lamina.backend import xp
>>> class Square(Function):
...     def forward(self, x):
...         self.x = x
...         return x * x
...     def backward(self, grad):
...         return (2 * self.x * grad,)
>>> import lamina
>>> t = lamina.tensor([3.0], requires_grad=True)
>>> Square.apply(t).backward(xp.ones(1, dtype="float32")); t.grad
array([6.], dtype=float32)
"""

from __future__ import annotations

from lamina.autograd import grad_mode
from lamina.autograd.tensor import Tensor


class Function:
    """Base class of every differentiable op. Use ``MyOp.apply(*inputs, **params)``."""

    __slots__ = ("inputs", "__dict__")

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def backward_graph(self, grad):
        """``backward`` with tensors and recorded ops; the base class has none."""
        raise NotImplementedError(f"{type(self).__name__} has no backward_graph")

    @classmethod
    def apply(cls, *inputs, **params) -> Tensor:
        """Run ``forward`` on the inputs' arrays and, when a gradient is needed, link the result
        to this node. Non-tensor inputs (Python numbers, arrays) are constants."""
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        node = cls()
        out = node.forward(*arrays, **params)
        if grad_mode._state["enabled"]:
            for x in inputs:
                if isinstance(x, Tensor) and x.requires_grad:
                    node.inputs = inputs
                    return Tensor._from_op(out, node)
        return Tensor._from_op(out, None)

    def __repr__(self):
        return f"<{type(self).__name__} node>"
