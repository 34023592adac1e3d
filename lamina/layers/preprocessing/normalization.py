"""``Normalization``: shift and scale features to zero mean and unit variance with statistics
learned by ``adapt`` (or given), kept as non-trainable weights so a saved model carries them.

>>> import numpy as np
>>> from lamina.layers import Normalization
>>> layer = Normalization()
>>> layer.adapt(np.array([[0.0, 7.0], [2.0, 9.0]], "float32"))
>>> layer.mean.tolist(), layer.variance.tolist()  # shaped to broadcast, as in Keras
([[1.0, 8.0]], [[1.0, 1.0]])
>>> layer(np.array([[0.0, 7.0]], "float32")).tolist()
[[-1.0, -1.0]]
>>> scalar = Normalization(axis=None)  # one mean and variance for every value, any shape
>>> scalar.adapt(np.array([1.0, 2.0, 3.0], "float32"))
>>> scalar.adapt_mean.tolist(), scalar(np.array([[3.0], [1.0]], "float32")).shape
(2.0, (2, 1))
"""

from __future__ import annotations

import math

import numpy as np

from lamina import backend, ops
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers.layer import Layer
from lamina.layers.text_vectorization import _is_int

EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest standard deviation divided by


def _axes(axis) -> tuple[int, ...]:
    if axis is None:
        return ()
    axes = (axis,) if _is_int(axis) else tuple(axis) if isinstance(axis, (list, tuple)) else None
    if axes is None or not all(_is_int(a) for a in axes):
        raise ValueError(
            f"Normalization axis must be None, an int or a tuple of ints, got {axis!r}"
        )
    return tuple(int(a) for a in axes)


def _as_list(value):
    return None if value is None else np.asarray(value, dtype=np.float64).tolist()


def _batches(data):
    """``data`` as an iterable of array batches: an array, tensor or list of numbers is one
    batch; a list of arrays, a generator or a dataset yields batches (``(x, y)`` pairs give x)."""
    if isinstance(data, Tensor):
        return [data.numpy()]
    if (
        isinstance(data, (list, tuple))
        and data
        and all(isinstance(d, (np.ndarray, Tensor)) for d in data)
    ):
        return data
    if isinstance(data, (np.ndarray, list, tuple)):
        return [np.asarray(data)]
    return (batch[0] if isinstance(batch, tuple) else batch for batch in data)


class Normalization(Layer):
    """Normalize inputs to ``(x - mean) / max(sqrt(variance), 1e-7)`` (or undo it with
    ``invert=True``: ``x * max(sqrt(variance), 1e-7) + mean``), as Keras's layer.

    ``axis`` (default -1, the features) names the axes that keep their own statistics; every
    other axis is averaged over, so ``axis=-1`` on ``(batch, features)`` learns one mean per
    feature and ``axis=None`` a single scalar, which then normalizes inputs of any shape.
    ``adapt(data)`` computes the mean and the (biased, like NumPy's ``var``) variance exactly, in
    float64, over every batch of ``data``; a layer declared for ``(batch, 1)`` inputs
    (``input_shape=[1]``) also adapts to 1-D data, one value per sample. Or pass ``mean`` and
    ``variance`` (numbers or arrays broadcast to the kept axes, aligned from the right). Either
    way they are the non-trainable weights ``adapt_mean`` and ``adapt_variance`` (saved as
    ``mean`` and ``variance``); the attributes ``mean`` and ``variance`` are their values shaped
    to broadcast against the input (``(1, features)``), as in Keras. Before ``adapt`` (and without
    ``mean``/``variance``) the layer is the identity, as in Keras. Differentiable with respect
    to its input.
    """

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis if axis is None or _is_int(axis) else list(_axes(axis))
        self._keep = _axes(axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                f"Normalization needs both mean and variance, or neither (then call adapt()); "
                f"got mean={mean!r}, variance={variance!r}"
            )
        if mean is not None:
            shape_m, shape_v = np.shape(mean), np.shape(variance)
            if shape_m != shape_v:
                raise ValueError(
                    f"Normalization mean and variance must have the same shape, got {shape_m} "
                    f"and {shape_v}"
                )
            if len(shape_m) > len(self._keep):
                raise ValueError(
                    f"Normalization mean has {len(shape_m)} dimensions but axis={axis!r} keeps "
                    f"{len(self._keep)}: give one value per kept position"
                )
        self.input_mean = _as_list(mean)
        self.input_variance = _as_list(variance)
        self.invert = bool(invert)

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self._keep):
            raise ValueError(
                f"{self.name} axis {self.axis} is out of range for inputs of shape "
                f"{tuple(input_shape)}"
            )
        keep = tuple(sorted({a % ndim for a in self._keep}))
        if any(input_shape[a] is None for a in keep):
            raise ValueError(
                f"{self.name} needs known sizes along axis {self.axis}, got input shape "
                f"{tuple(input_shape)}"
            )
        self._keep_axes = keep
        self._built_shape = tuple(input_shape)
        self._reduce_axes = tuple(a for a in range(ndim) if a not in keep)
        self._broadcast = tuple(input_shape[a] if a in keep else 1 for a in range(ndim))
        shape = tuple(input_shape[a] for a in keep)
        # Keras's names: the weights are adapt_mean/adapt_variance, saved as "mean"/"variance"
        self.adapt_mean = self.add_weight(shape, initializer="zeros", trainable=False, name="mean")
        self.adapt_variance = self.add_weight(
            shape, initializer="ones", trainable=False, name="variance"
        )
        if self.input_mean is not None:
            self.adapt_mean.assign(self._broadcast_given(self.input_mean, shape))
            self.adapt_variance.assign(self._broadcast_given(self.input_variance, shape))

    @property
    def mean(self) -> Tensor | None:
        """The mean shaped to broadcast against the input (``(1, features)`` for ``axis=-1``),
        as Keras's ``layer.mean``; ``None`` before the layer is built."""
        return self._broadcasted(self.__dict__.get("adapt_mean"))

    @property
    def variance(self) -> Tensor | None:
        """The variance shaped like ``mean``."""
        return self._broadcasted(self.__dict__.get("adapt_variance"))

    def _broadcasted(self, weight):
        if weight is None:
            return None
        return Tensor(weight.data.reshape(self._broadcast).copy(), dtype=self.dtype)

    def _broadcast_given(self, value, shape):
        value = np.asarray(value, dtype=np.float64)
        expanded = [1] * len(self._broadcast)
        for i in range(1, value.ndim + 1):  # align the given dimensions with the kept axes
            expanded[self._keep_axes[-i]] = value.shape[-i]
        try:
            full = np.broadcast_to(value.reshape(expanded), self._broadcast)
        except ValueError:
            raise ValueError(
                f"{self.name} mean/variance of shape {value.shape} do not broadcast to the kept "
                f"axes {self._keep_axes} of size {shape}"
            ) from None
        return xp.asarray(full.reshape(shape), dtype=self.dtype)

    def adapt(self, data, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the mean and variance of ``data``: an array (one batch), a list of arrays, or
        an iterable of batches (a generator, a dataset of ``(x, y)`` pairs), at most ``steps``
        batches of it. ``batch_size`` is accepted for Keras compatibility."""
        count = mean = m2 = None
        for i, batch in enumerate(_batches(data)):
            if steps is not None and i >= steps:
                break
            batch = np.asarray(backend.to_numpy(batch.data if isinstance(batch, Tensor) else batch))
            if batch.dtype.kind not in "fiub":
                raise TypeError(f"{self.name}.adapt expects numbers, got dtype {batch.dtype}")
            if not self.built:  # the declared input_shape, else this batch's shape
                self._maybe_build(self._batch_input_shape or tuple(batch.shape))
            batch = self._add_trailing_axis(batch)
            self._check_shape(batch.shape, "adapt() data")
            batch = batch.astype(np.float64)
            reduce = self._reduce_axes if self._keep_axes else tuple(range(batch.ndim))
            n = math.prod(batch.shape[a] for a in reduce)
            b_mean = batch.mean(axis=reduce).reshape(self.adapt_mean.shape)
            b_var = batch.var(axis=reduce).reshape(self.adapt_mean.shape)
            if count is None:
                count, mean, m2 = n, b_mean, b_var * n
                continue
            total = count + n  # Chan et al.'s pairwise update of the sums of squares
            delta = b_mean - mean
            mean = mean + delta * (n / total)
            m2 = m2 + b_var * n + delta**2 * (count * n / total)
            count = total
        if count is None or count == 0:
            raise ValueError(f"{self.name}.adapt() received no data: pass a non-empty array")
        self.adapt_mean.assign(xp.asarray(mean, dtype=self.dtype))
        self.adapt_variance.assign(xp.asarray(m2 / count, dtype=self.dtype))

    def _add_trailing_axis(self, batch):
        """1-D data for a layer built for ``(batch, 1)`` inputs as one value per sample, as
        tf.keras did (Keras 3 would build for the data's shape, one statistic per element)."""
        shape = self._built_shape
        if self._keep_axes and batch.ndim == len(shape) - 1 and shape[-1] == 1:
            return batch[..., None]
        return batch

    def _check_shape(self, shape, what):
        if not self._keep_axes:  # axis=None: one scalar statistic fits every shape
            return
        if len(shape) != len(self._broadcast) or any(
            shape[a] != self._broadcast[a] for a in self._keep_axes
        ):
            expected = tuple(None if s == 1 and a not in self._keep_axes else s
                             for a, s in enumerate(self._broadcast))  # fmt: skip
            raise ValueError(
                f"{self.name} expects {what} of shape {expected} (statistics along axis "
                f"{self.axis}), got shape {tuple(shape)}"
            )

    def call(self, inputs, training=False):
        self._check_shape(inputs.shape, "inputs")
        x = inputs if inputs.dtype == self.dtype else ops.cast(inputs, self.dtype)
        shape = self._broadcast if self._keep_axes else ()
        mean = self.adapt_mean.data.reshape(shape)
        std = xp.maximum(xp.sqrt(self.adapt_variance.data), backend.epsilon()).reshape(shape)
        if self.invert:
            return x * std + mean
        return (x - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "mean": self.input_mean,
            "variance": self.input_variance,
            "invert": self.invert,
        }
