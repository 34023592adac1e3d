"""``linear(x, kernel, bias)``: ``x @ kernel + bias`` as one fused node (the Dense layer's op).

>>> import lamina
>>> lamina.ops.linear(lamina.tensor([[1.0, 2.0]]), lamina.tensor([[1.0], [1.0]]),
...                   lamina.tensor([0.5])).tolist()
[[3.5]]
"""

from __future__ import annotations

from lamina.autograd.function import Function


class Linear(Function):
    """y = x W + b.  dx = g W^T;  dW = x^T g (over all leading axes);  db = sum of g over them."""

    def forward(self, x, kernel, bias=None):
        if x.shape[-1] != kernel.shape[0]:
            raise ValueError(
                f"linear: input of shape {x.shape} has last dimension {x.shape[-1]}, "
                f"but the kernel of shape {kernel.shape} expects {kernel.shape[0]}"
            )
        self.x, self.kernel, self.has_bias = x, kernel, bias is not None
        out = x @ kernel
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):
        x, kernel = self.x, self.kernel
        g2 = grad.reshape(-1, grad.shape[-1])
        gx = grad @ kernel.T
        gk = x.reshape(-1, x.shape[-1]).T @ g2
        gb = g2.sum(axis=0) if self.has_bias else None
        return gx, gk, gb

    def backward_graph(self, grad):
        from lamina.ops.math import matmul
        from lamina.ops.shaping import reshape, transpose

        x, kernel = self.inputs[0], self.inputs[1]
        g2 = reshape(grad, (-1, grad.shape[-1]))
        gx = matmul(grad, transpose(kernel))
        gk = matmul(transpose(reshape(x, (-1, x.shape[-1]))), g2)
        gb = g2.sum(axis=0) if self.has_bias else None
        return gx, gk, gb


def linear(x, kernel, bias=None):
    """``x @ kernel + bias`` for inputs of shape ``(..., in)`` and a kernel ``(in, out)``."""
    return Linear.apply(x, kernel, bias)
