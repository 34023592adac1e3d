"""``Variable``: a layer weight — a Tensor that knows whether it is trainable and how it is
regularized.

>>> v = Variable([1.0, 2.0], name="dense/kernel")
>>> v.trainable, v.requires_grad
(True, True)
>>> v.path, v.value is v
('dense/kernel', True)
>>> v.assign_add([1.0, 1.0]).numpy().tolist()
[2.0, 3.0]
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
    def value(self) -> Variable:
        """The variable's tensor: the variable itself, as lamina's weights are tensors (Keras's
        ``v.value``; ``v.value.grad`` is the gradient after ``backward``)."""
        return self

    @property
    def path(self) -> str | None:
        """Where the variable lives, ``"<layer name>/<weight name>"`` for a layer's weight
        (Keras 3's ``Variable.path``).

        Unlike Keras 3, whose ``name`` is the short name (``"kernel"``), lamina's ``name`` is
        the path too: the state dicts of Sequential and functional models, ``named_parameters``
        and the optimizers' weight-decay exclusions key weights by it (subclassed models key
        their state dicts by attribute path), so it must be unique within a model.
        """
        return self.name

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
