"""``Input`` and ``InputLayer``: declare the shape of a model's input.

``Input(shape)`` returns a symbolic tensor (a placeholder with a shape and no values); in a
``Sequential`` list it stands for its input layer, as in Keras.

>>> from lamina.layers import Input
>>> Input(shape=(10,)).shape
(None, 10)
"""

from __future__ import annotations

from lamina import backend
from lamina.layers.layer import Layer
from lamina.layers.symbolic import Node, SymbolicTensor


class InputLayer(Layer):
    """The entry point of a model: passes its input through, checking its shape."""

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        input_shape=None,
        batch_shape=None,
        name=None,
        **kwargs,
    ):
        shape = shape if shape is not None else input_shape
        if batch_shape is None and "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs shape= (the shape of one sample)")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size, *shape)
        super().__init__(name=name, dtype=dtype, batch_input_shape=batch_shape, **kwargs)
        self.built = True

    def call(self, inputs, training=False):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "batch_shape": list(self._batch_input_shape),
        }


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):  # noqa: N802
    """A symbolic input of per-sample ``shape`` (the batch axis is added as None)."""
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype or backend.floatx(),
        name=name,
        batch_shape=batch_shape,
    )
    node = Node(layer, inputs=None)
    node.outputs = SymbolicTensor(layer._batch_input_shape, layer.dtype, node, name=layer.name)
    layer._inbound_nodes.append(node)
    return node.outputs
