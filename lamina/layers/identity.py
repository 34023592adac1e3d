"""``Identity``: a layer that returns its input unchanged (``y = x``), a placeholder where a
model's structure wants a layer but no computation, e.g. an optional block switched off.

>>> import lamina
>>> from lamina.layers import Identity
>>> Identity()(lamina.tensor([[1.0, 2.0]])).tolist()
[[1.0, 2.0]]
"""

from __future__ import annotations

from lamina.layers.layer import Layer


class Identity(Layer):
    """``y = x`` for a tensor or a list of tensors; masks pass through."""

    supports_masking = True

    def call(self, inputs, training=False):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
