"""``Flatten``, ``Reshape``, ``Permute`` and ``RepeatVector``: change the shape of each sample,
keep the batch axis.

>>> import lamina
>>> from lamina.layers import Flatten, Permute, RepeatVector, Reshape
>>> x = lamina.tensor([[[1.0, 2.0], [3.0, 4.0]]])
>>> Flatten()(x).shape, Reshape((4, 1))(x).shape
((1, 4), (1, 4, 1))
>>> Permute((2, 1))(x).tolist(), RepeatVector(2)(lamina.tensor([[1.0, 2.0]])).tolist()
([[[1.0, 3.0], [2.0, 4.0]]], [[[1.0, 2.0], [1.0, 2.0]]])
"""

from __future__ import annotations

import math

from lamina import ops
from lamina.layers.layer import Layer


class Flatten(Layer):
    """``(batch, d1, d2, ...)`` -> ``(batch, d1 * d2 * ...)``."""

    def call(self, inputs, training=False):
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(s) for s in target_shape)
        if sum(s == -1 for s in self.target_shape) > 1:
            raise ValueError(f"Reshape target_shape may contain one -1, got {self.target_shape}")

    def build(self, input_shape):
        size = math.prod(input_shape[1:])
        known = math.prod(s for s in self.target_shape if s != -1)
        if (-1 in self.target_shape and size % known) or (
            -1 not in self.target_shape and size != known
        ):
            raise ValueError(
                f"{self.name} cannot reshape samples of shape {tuple(input_shape[1:])} "
                f"({size} values) to {self.target_shape}"
            )

    def call(self, inputs, training=False):
        return ops.reshape(inputs, (inputs.shape[0], *self.target_shape))

    def compute_output_shape(self, input_shape):
        size = math.prod(input_shape[1:])
        known = math.prod(s for s in self.target_shape if s != -1)
        return (input_shape[0], *(size // known if s == -1 else s for s in self.target_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Layer):
    """Reorder the axes of each sample: ``dims`` is a permutation of ``1 .. rank`` (the batch
    axis 0 stays first), e.g. ``Permute((2, 1))`` turns ``(batch, steps, features)`` into
    ``(batch, features, steps)``."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute dims must be a permutation of 1..{len(self.dims)} (the batch axis is "
                f"not included), got {tuple(dims)}"
            )

    def build(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(
                f"{self.name} with dims {self.dims} expects inputs of rank {len(self.dims) + 1}, "
                f"got shape {tuple(input_shape)}"
            )

    def call(self, inputs, training=False):
        return ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeat each sample ``n`` times: ``(batch, features)`` -> ``(batch, n, features)``, as an
    encoder-decoder feeds one vector to every step of a recurrent decoder."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"RepeatVector n must be a positive integer, got {n!r}")
        self.n = n

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                f"{self.name} expects inputs of shape (batch, features), got shape "
                f"{tuple(input_shape)}"
            )

    def call(self, inputs, training=False):
        batch, features = inputs.shape
        step = ops.reshape(inputs, (batch, 1, features))
        return ops.broadcast_to(step, (batch, self.n, features))  # backward sums the copies

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
