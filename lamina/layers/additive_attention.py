"""``AdditiveAttention``: Keras's Bahdanau-style attention, ``Attention`` with the additive score
``sum(scale * tanh(q_i + k_j))``.

>>> import numpy as np
>>> from lamina.layers import AdditiveAttention
>>> layer = AdditiveAttention()
>>> out = layer([np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")])
>>> out.shape, layer.scale.shape
((2, 3, 4), (4,))
"""

from __future__ import annotations

from lamina import ops
from lamina.layers.dot_attention import Attention


class AdditiveAttention(Attention):
    """Attention whose score of query ``i`` against key ``j`` is ``sum_d scale_d tanh(q_id +
    k_jd)``: ``scale`` is a ``(dim,)`` weight (Glorot-uniform, as in Keras) with
    ``use_scale=True`` (the default), else 1. Call, masks, dropout and outputs as
    ``Attention``'s.
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        query, _, _ = self._check_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(
                shape=(query[-1],), initializer="glorot_uniform", name="scale"
            )

    def _calculate_scores(self, query, key):
        pairs = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.sum(pairs, axis=-1)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["score_mode"]
        return config
