"""``Embedding``: turn integer ids (words, items) into dense vectors learned in training.

>>> import numpy as np
>>> from lamina.layers import Embedding
>>> layer = Embedding(input_dim=100, output_dim=8, mask_zero=True)
>>> out = layer(np.array([[4, 7, 0, 0]]))
>>> out.shape, layer.compute_mask(np.array([[4, 7, 0, 0]])).tolist()
((1, 4, 8), [[True, True, False, False]])
"""

from __future__ import annotations

import numbers

from lamina import initializers, ops, regularizers
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers.layer import Layer, _serialize


class Embedding(Layer):
    """A table of ``input_dim`` vectors of size ``output_dim``: ``(batch, ...)`` integer ids ->
    ``(batch, ..., output_dim)``.

    ``mask_zero=True`` reserves id 0 for padding: the output carries a mask, False where the id is
    0, that recurrent layers and ``GlobalAveragePooling1D`` honour (then ``input_dim`` must count
    the padding id, i.e. be the vocabulary size + 1).
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        input_length=None,
        **kwargs,
    ):
        if input_length is not None and "input_shape" not in kwargs:
            # tf.keras 2 tutorials pass input_length; it fixes the sequence length.
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Embedding {arg} must be a positive integer, got {value!r}")
        self.input_dim = int(input_dim)  # NumPy integers too; JSON configs
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_weights = weights

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            name="embeddings",
        )
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs, training=False):
        return ops.embedding(inputs, self.embeddings)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        ids = inputs.data if isinstance(inputs, Tensor) else xp.asarray(inputs)
        return ids != 0

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": _serialize(self.embeddings_initializer),
            "embeddings_regularizer": _serialize(self.embeddings_regularizer),
            "mask_zero": self.mask_zero,
        }
