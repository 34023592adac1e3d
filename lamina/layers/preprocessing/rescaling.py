"""``Rescaling``: ``x * scale + offset``, e.g. pixel values from [0, 255] to [0, 1] inside the
model.

>>> import numpy as np
>>> from lamina.layers import Rescaling
>>> Rescaling(1 / 127.5, offset=-1.0)(np.array([[0, 255]], "uint8")).tolist()
[[-1.0, 1.0]]
"""

from __future__ import annotations

import numbers

import numpy as np

from lamina import ops
from lamina.backend import xp
from lamina.layers.layer import Layer


def _number_or_list(value, name: str):
    """A number stays a float; an array-like (one value per channel) becomes a list."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim == 0 or not np.isfinite(array).all():
        raise ValueError(
            f"Rescaling {name} must be a number or a list of numbers (one per channel), "
            f"got {value!r}"
        )
    return array.tolist()


class Rescaling(Layer):
    """Multiply by ``scale`` and add ``offset`` (numbers, or arrays broadcast against the last
    axes), in training and inference alike. Integer inputs give float outputs. Differentiable.
    """

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _number_or_list(scale, "scale")
        self.offset = _number_or_list(offset, "offset")

    def call(self, inputs, training=False):
        x = inputs if inputs.dtype == self.dtype else ops.cast(inputs, self.dtype)
        scale = xp.asarray(self.scale, dtype=self.dtype)
        offset = xp.asarray(self.offset, dtype=self.dtype)
        return x * scale + offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
