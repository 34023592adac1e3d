"""``Variable``: a layer weight — a Tensor that knows whether it is trainable and how it is
regularized.

>>> v = Variable([1.0, 2.0], name="dense/kernel")
>>> v.trainable, v.requires_grad
(True, True)
"""

from __future__ import annotations

from lamina.autograd.tensor import Tensor


class Variable(Tensor):
    """A weight owned by a layer. ``requires_grad`` follows trainability: a frozen weight (its own
    flag, or its layer's) records no graph and gets no gradient."""

    __slots__ = ("_trainable", "_layer_trainable", "regularizer", "constraint")

    def __init__(
        self, value, trainable=True, name=None, dtype=None, regularizer=None, constraint=None
    ):
        super().__init__(value, dtype=dtype, name=name)
        if self.data.dtype.kind not in "fc":
            trainable = False
        self._trainable = bool(trainable)
        self._layer_trainable = True
        self.regularizer = regularizer
        self.constraint = constraint
        self.requires_grad = self._trainable

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = self._trainable and self._layer_trainable

    def _set_layer_trainable(self, value: bool) -> None:
        self._layer_trainable = bool(value)
        self.requires_grad = self._trainable and self._layer_trainable

    def __repr__(self):
        return f"<Variable {self.name} shape={self.shape} dtype={self.dtype}>"
