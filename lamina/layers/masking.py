"""``Masking``: mark the time steps whose features all equal ``mask_value`` as padding.

>>> import numpy as np
>>> from lamina.layers import Masking
>>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
>>> out = Masking(mask_value=0.0)(x)
>>> from lamina.layers import get_mask
>>> get_mask(out).tolist()
[[True, False, True]]
"""

from __future__ import annotations

from lamina.backend import xp
from lamina.layers.layer import Layer


class Masking(Layer):
    """Passes ``(batch, time, features)`` through with the padded steps zeroed, and attaches a
    ``(batch, time)`` mask (False at a step whose every feature equals ``mask_value``) that
    downstream recurrent and pooling layers skip."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def _keep(self, inputs):
        data = inputs.data if hasattr(inputs, "data") else xp.asarray(inputs)
        return xp.any(data != self.mask_value, axis=-1)

    def call(self, inputs, training=False):
        if inputs.ndim < 3:
            raise ValueError(
                f"{self.name} expects (batch, time, features) input, got shape {inputs.shape}"
            )
        keep = self._keep(inputs)
        return inputs * keep[..., None].astype(inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
