"""``embedding(ids, weights)``: look up one row of ``weights`` per integer id.

>>> import lamina
>>> table = lamina.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
>>> lamina.ops.embedding([[2, 1]], table).tolist()
[[[3.0, 4.0], [1.0, 2.0]]]
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


class Embedding(Function):
    """out[..., :] = W[ids[...], :].  dW[i] = sum of the output gradients at the positions whose
    id is i (repeated ids add up); ids get no gradient."""

    def forward(self, ids, weights):
        self.ids, self.shape = ids, weights.shape
        return weights[ids]

    def backward(self, grad):
        dw = xp.zeros(self.shape, dtype=grad.dtype)
        xp.add.at(dw, self.ids.reshape(-1), grad.reshape(-1, self.shape[-1]))
        return None, dw

    def backward_graph(self, grad):
        from lamina.ops.shaping import ScatterItem, reshape

        rows = reshape(grad, (-1, self.shape[-1]))
        return None, ScatterItem.apply(rows, shape=self.shape, index=(self.ids.reshape(-1),))


def embedding(ids, weights):
    """Rows of ``weights`` (vocabulary, dim) for integer ``ids`` of any shape: ``ids.shape +
    (dim,)``. Ids must lie in ``[0, vocabulary)``."""
    ids = ids.data if isinstance(ids, Tensor) else xp.asarray(ids)
    if ids.dtype.kind == "f":
        if not bool(xp.all(ids == xp.floor(ids))):
            raise ValueError("embedding ids must be integers, got non-integral floats")
        ids = ids.astype(xp.int64)
    elif ids.dtype.kind not in "iub":
        raise TypeError(f"embedding ids must be integers, got dtype {ids.dtype}")
    vocabulary = weights.shape[0]
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= vocabulary):
        raise ValueError(
            f"embedding ids must be in [0, {vocabulary - 1}] for a table of {vocabulary} rows, "
            f"got ids from {int(ids.min())} to {int(ids.max())}"
        )
    return Embedding.apply(ids, weights)
