"""``Sequential``: a plain stack of layers, each feeding the next.

>>> from lamina.models import Sequential
>>> from lamina.layers import Dense
>>> model = Sequential([Dense(64, activation="relu", input_shape=(10,)),
...                     Dense(32, activation="relu"), Dense(1, activation="sigmoid")])
>>> model.count_params()
2817
"""

from __future__ import annotations

from lamina.autograd.grad_mode import no_grad
from lamina.backend import xp
from lamina.layers.input_layer import InputLayer, SymbolicTensor
from lamina.layers.layer import Layer, _shape_of, deserialize_layer
from lamina.models.model import Model


class Sequential(Model):
    """A model that applies its layers in order. Build it from a list or with ``add``."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack = []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list:
        return list(self._stack)

    def add(self, layer) -> None:
        """Append a layer (or an ``Input``); the model is built as soon as its input shape is
        known, so ``summary()`` works before training."""
        if isinstance(layer, SymbolicTensor):
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer, got {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError("an Input/InputLayer can only be the first element of Sequential")
            self._batch_input_shape = tuple(layer._batch_input_shape)
            return
        if not self._stack and self._batch_input_shape is None:
            self._batch_input_shape = layer._batch_input_shape
        self._stack.append(layer)
        self._track(layer)
        self.built = False
        if self._batch_input_shape is not None:
            self.build(self._batch_input_shape)

    def pop(self):
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError("pop() on an empty Sequential model")
        layer = self._stack.pop()
        self._sublayers.remove(layer)
        return layer

    def build(self, input_shape=None):
        """Create every layer's weights with a dry run on one zero sample."""
        input_shape = tuple(input_shape or self._batch_input_shape or ())
        if not input_shape:
            raise ValueError(f"{self.name}.build needs an input shape")
        sample = tuple(1 if s is None else s for s in input_shape)
        x = xp.zeros(sample, dtype=self.dtype)
        with no_grad():
            for layer in self._stack:
                x = layer(x, training=False)
                layer._summary_shape = (None, *_shape_of(x)[1:])
        self._build_input_shape = (None, *input_shape[1:])
        self.built = True

    def call(self, inputs, training=False):
        x = inputs
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        for layer in self._stack:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        layers = [
            {"class_name": type(layer).__name__, "config": layer.get_config()}
            for layer in self._stack
        ]
        if self._batch_input_shape is not None:
            layers.insert(
                0,
                {
                    "class_name": "InputLayer",
                    "config": {"batch_shape": list(self._batch_input_shape)},
                },
            )
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config):
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for spec in config["layers"]:
            model.add(deserialize_layer(spec))
        return model
