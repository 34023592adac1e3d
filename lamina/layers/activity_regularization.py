"""``ActivityRegularization``: pass the input through unchanged and add a penalty on its size to
the training loss (Keras's layer of the same name).

    penalty = (l1 * sum(|x|) + l2 * sum(x²)) / batch_size

>>> import lamina
>>> from lamina.layers import ActivityRegularization
>>> layer = ActivityRegularization(l1=0.1, l2=0.01)
>>> layer(lamina.tensor([[1.0, -2.0], [3.0, 0.0]])).tolist()
[[1.0, -2.0], [3.0, 0.0]]
>>> [round(p.item(), 4) for p in layer.losses]  # (0.1 * 6 + 0.01 * 14) / 2
[0.37]
"""

from __future__ import annotations

from lamina import regularizers
from lamina.layers.layer import Layer


class ActivityRegularization(Layer):
    """The identity, with ``L1L2(l1, l2)`` of its output divided by the batch size entering
    ``layer.losses`` at every call (lamina's ``activity_regularizer`` machinery, as in Keras)."""

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        if "activity_regularizer" in kwargs:
            raise TypeError("ActivityRegularization takes l1 and l2, not activity_regularizer")
        self.l1 = regularizers._check_factor(l1, "l1", "ActivityRegularization")
        self.l2 = regularizers._check_factor(l2, "l2", "ActivityRegularization")
        super().__init__(activity_regularizer=regularizers.L1L2(self.l1, self.l2), **kwargs)

    def call(self, inputs, training=False):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
