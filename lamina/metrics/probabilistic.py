"""Cross-entropy metrics, as Keras's ``BinaryCrossentropy``, ``CategoricalCrossentropy`` and
``SparseCategoricalCrossentropy`` metrics: the running (weighted) mean over samples of the
matching loss function of ``lamina.losses``, with the same ``from_logits`` and
``label_smoothing`` options.

>>> m = BinaryCrossentropy()
>>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]); round(m.result(), 4)
0.8149
"""

from __future__ import annotations

from lamina import losses as _losses
from lamina.metrics.base import MeanMetricWrapper


class BinaryCrossentropy(MeanMetricWrapper):
    """The running mean of ``lamina.losses.binary_crossentropy`` (mean over the last axis)."""

    direction = "down"

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        super().__init__(
            _losses.binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(MeanMetricWrapper):
    """The running mean of ``lamina.losses.categorical_crossentropy`` for one-hot labels."""

    direction = "down"

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0,
        axis=-1,
    ):
        super().__init__(
            _losses.categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The running mean of ``lamina.losses.sparse_categorical_crossentropy`` for integer
    labels. Samples labelled ``ignore_class`` count with loss 0, as in Keras's metric (the
    ``SparseCategoricalCrossentropy`` loss leaves them out of its mean instead).

    >>> m = SparseCategoricalCrossentropy()
    >>> m.update_state([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]); round(m.result(), 4)
    1.1769
    """

    direction = "down"

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        if axis not in (-1, None):
            raise ValueError(
                f"SparseCategoricalCrossentropy supports classes on the last axis only "
                f"(axis=-1), got axis={axis!r}"
            )
        super().__init__(
            _losses.sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
        )
        self.axis = axis

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
