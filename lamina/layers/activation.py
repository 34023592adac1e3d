"""Activation layers: ``Activation``, ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax``.

>>> import lamina
>>> from lamina.layers import LeakyReLU
>>> LeakyReLU(negative_slope=0.1)(lamina.tensor([[-1.0, 2.0]])).tolist()
[[-0.10000000149011612, 2.0]]
"""

from __future__ import annotations

from lamina import activations, initializers, ops, regularizers
from lamina.backend import xp
from lamina.layers.layer import Layer, _serialize, activation_property


class Activation(Layer):
    """Apply an activation function given by name or callable."""

    supports_masking = True
    activation = activation_property

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activation

    def call(self, inputs, training=False):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class ReLU(Layer):
    """``max(x, 0)``; with Keras's options, ``x`` if ``x > threshold``, else
    ``negative_slope * (x - threshold)``, capped at ``max_value``.

    >>> import lamina
    >>> ReLU(max_value=6.0)(lamina.tensor([0.5, 3.0, 9.0])).tolist()
    [0.5, 3.0, 6.0]
    >>> ReLU(negative_slope=0.1, threshold=1.0)(lamina.tensor([0.0, 2.0])).tolist()
    [-0.10000000149011612, 2.0]
    """

    supports_masking = True

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("max_value", max_value), ("negative_slope", negative_slope),
                            ("threshold", threshold)):  # fmt: skip
            if value is not None and not (isinstance(value, (int, float)) and value >= 0):
                raise ValueError(f"ReLU {name} must be a number >= 0, got {value!r}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def call(self, inputs, training=False):
        if self.negative_slope == 0 and self.threshold == 0:
            y = ops.relu(inputs)  # the fused op
        else:
            shifted = ops.mul(ops.sub(inputs, self.threshold), self.negative_slope)
            y = ops.where(inputs.data > self.threshold, inputs, shifted)
        return y if self.max_value is None else ops.minimum(y, self.max_value)

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class LeakyReLU(Layer):
    """``x`` if ``x > 0`` else ``negative_slope * x`` (Keras default slope 0.3)."""

    supports_masking = True

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # the Keras 2 name
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope < 0:
            raise ValueError(f"negative_slope must be >= 0, got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs, training=False):
        return ops.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Leaky ReLU with a learned slope ``alpha`` per unit: ``max(x, 0) + alpha * min(x, 0)``.

    ``shared_axes`` share one slope along those axes (e.g. ``[1, 2]`` for images).
    """

    supports_masking = True

    def __init__(
        self,
        alpha_initializer="zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = alpha_constraint
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        self.shared_axes = None if shared_axes is None else [int(a) for a in shared_axes]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            shape[axis - 1] = 1
        self.alpha = self.add_weight(
            shape=tuple(shape),
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
            name="alpha",
        )

    def call(self, inputs, training=False):
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": _serialize(self.alpha_initializer),
            "alpha_regularizer": _serialize(self.alpha_regularizer),
            "shared_axes": self.shared_axes,
        }


class ELU(Layer):
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""

    supports_masking = True

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs, training=False):
        return ops.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax along ``axis`` (default the last). With a ``mask`` (True, or > 0.5, = keep) that
    broadcasts to the inputs, masked entries get probability 0 and the others share 1, as in
    Keras (an entirely masked row is all zeros).

    >>> import numpy as np
    >>> Softmax()(np.zeros((1, 4), np.float32), mask=np.array([[1, 1, 0, 1]])).tolist()
    [[0.3333333432674408, 0.3333333432674408, 0.0, 0.3333333432674408]]
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, training=False, mask=None):
        if mask is None:
            return ops.softmax(inputs, axis=self.axis)
        keep = xp.asarray(mask)
        keep = keep if keep.dtype == bool else keep > 0.5
        if keep.ndim > inputs.ndim or any(
            m not in (1, i) for m, i in zip(keep.shape[::-1], inputs.shape[::-1])
        ):
            raise ValueError(
                f"{self.name}: the mask of shape {keep.shape} must broadcast to the inputs of "
                f"shape {tuple(inputs.shape)} (each mask axis 1 or the input's size, aligned "
                "from the last axis); pass a matching mask= or drop it"
            )
        lowest = -3e4 if inputs.dtype == xp.float16 else -1e9  # Keras's large negative number
        probs = ops.softmax(ops.where(keep, inputs, lowest), axis=self.axis)
        return ops.where(keep, probs, 0.0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
