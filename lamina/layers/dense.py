"""``Dense``: the fully connected layer, ``activation(x @ kernel + bias)``.

>>> import lamina
>>> from lamina.layers import Dense
>>> layer = Dense(3, activation="relu")
>>> layer(lamina.tensor([[1.0, 2.0]])).shape, layer.kernel.shape
((1, 3), (2, 3))
"""

from __future__ import annotations

import numbers

from lamina import activations, initializers, ops, regularizers
from lamina.layers.layer import Layer, _serialize, activation_property


class Dense(Layer):
    """``units`` neurons, each a weighted sum of all inputs plus a bias, then ``activation``.

    Works on inputs of any rank ``(..., features)``; the kernel has shape ``(features, units)``.
    """

    supports_masking = True
    activation = activation_property

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, numbers.Integral) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense units must be a positive integer, got {units!r}")
        self.units = int(units)  # NumPy integers too (Dense(np.prod(shape))); JSON configs
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape):
        self.input_features = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def call(self, inputs, training=False):
        if inputs.shape[-1] != self.input_features:
            raise ValueError(
                f"{self.name} expected input with last dimension {self.input_features}, "
                f"got shape {inputs.shape}"
            )
        return self.activation(ops.linear(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _serialize(self.kernel_initializer),
            "bias_initializer": _serialize(self.bias_initializer),
            "kernel_regularizer": _serialize(self.kernel_regularizer),
            "bias_regularizer": _serialize(self.bias_regularizer),
        }
