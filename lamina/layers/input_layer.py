"""``Input`` and ``InputLayer``: declare the shape (and dtype) of a model's input.

``Input(shape)`` returns a symbolic tensor (a placeholder with a shape and no values); in a
``Sequential`` list it stands for its input layer, as in Keras. ``dtype="string"`` declares text
input, for a model that starts with ``TextVectorization`` or ``StringLookup``.

>>> from lamina.layers import Input
>>> Input(shape=(10,)).shape
(None, 10)
>>> Input(shape=(1,), dtype="string").layer.dtype
'string'
"""

from __future__ import annotations

import numpy as np

from lamina import backend
from lamina.layers.layer import Layer
from lamina.layers.symbolic import Node, SymbolicTensor

STRING = "string"  # Keras's name for text dtypes; NumPy holds the values as str arrays


def array_dtype(dtype) -> np.dtype:
    """The NumPy dtype of a layer dtype name: ``"string"`` is NumPy's ``str``."""
    return np.dtype(str) if dtype == STRING else np.dtype(dtype)


def is_string_dtype(dtype) -> bool:
    """True for ``"string"`` and NumPy's str, bytes and object dtypes (text data)."""
    if dtype == STRING:
        return True
    try:
        return np.dtype(dtype).kind in "OSU"
    except TypeError:
        return False


class InputLayer(Layer):
    """The entry point of a model: passes its input through, checking its shape. Its
    ``output`` is the symbolic tensor that ``Input`` returns."""

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
        if dtype is not None and dtype != STRING:
            try:
                dtype = np.dtype(dtype).name
            except TypeError:
                raise ValueError(
                    f"InputLayer dtype must be a NumPy dtype name or 'string', got {dtype!r}"
                ) from None
        super().__init__(name=name, dtype=dtype, batch_input_shape=batch_shape, **kwargs)
        self.built = True
        node = Node(self, inputs=None)  # Keras: an input layer's one node makes its tensor
        node.outputs = SymbolicTensor(
            self._batch_input_shape, array_dtype(self.dtype), node, name=self.name
        )
        self._inbound_nodes.append(node)

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
    """A symbolic input of per-sample ``shape`` (the batch axis is added as None); ``dtype``
    defaults to floatx, ``"string"`` declares text."""
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype or backend.floatx(),
        name=name,
        batch_shape=batch_shape,
    )
    return layer.output
