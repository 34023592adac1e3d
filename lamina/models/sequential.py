"""``Sequential``: a plain stack of layers, each feeding the next.

Once its input shape is known (an ``Input`` first, ``input_shape=`` on the first layer,
``build(shape)``, or a first call on data) the model also holds the graph of its layer calls on
symbolic tensors, as Keras's does: ``model.inputs``, ``model.outputs`` and every layer's
``output``, so ``Model(inputs=model.inputs, outputs=model.get_layer(name).output)`` exposes an
inner activation, sharing the weights.

>>> import numpy as np
>>> from lamina.models import Model, Sequential
>>> from lamina.layers import Dense, Input
>>> model = Sequential([Input(shape=(10,)), Dense(64, activation="relu", name="hidden"),
...                     Dense(32, activation="relu"), Dense(1, activation="sigmoid")])
>>> model.count_params()
2817
>>> features = Model(inputs=model.inputs, outputs=model.get_layer("hidden").output)
>>> features.predict(np.zeros((3, 10)), verbose=0).shape
(3, 64)
"""

from __future__ import annotations

from lamina.layers.input_layer import Input, InputLayer, SymbolicTensor
from lamina.layers.layer import Layer, deserialize_layer, shape_matches
from lamina.layers.symbolic import flatten
from lamina.models.model import Model


class Sequential(Model):
    """A model that applies its layers in order. Build it from a list or with ``add``."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack = []
        self._input_tensor = None  # the Input (or InputLayer) given first, if any
        self._graph = []  # once built: the symbolic input, then each layer's symbolic output
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list:
        return list(self._stack)

    def add(self, layer) -> None:
        """Append a layer (or an ``Input``); the model is built as soon as its input shape is
        known, so ``summary()`` and ``layer.output`` work before training."""
        if isinstance(layer, SymbolicTensor):
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer, got {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError("an Input/InputLayer can only be the first element of Sequential")
            self._batch_input_shape = tuple(layer._batch_input_shape)
            self._input_tensor = layer.output
            return
        if not self._stack and self._batch_input_shape is None:
            self._batch_input_shape = layer._batch_input_shape
        self._stack.append(layer)
        self._track(layer)
        try:
            if self._graph:
                self._graph.append(self._call_symbolically(layer, self._graph[-1]))
            elif self._batch_input_shape is not None:
                self.build(self._batch_input_shape)
            else:
                self.built = False
        except Exception:  # a layer that does not fit: the model stays as it was
            self._stack.pop()
            self._sublayers.remove(layer)
            raise

    def pop(self):
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError("pop() on an empty Sequential model")
        layer = self._stack.pop()
        self._sublayers.remove(layer)
        if len(self._graph) > 1:
            _forget_call(self._graph.pop())
        return layer

    def build(self, input_shape=None):
        """Build the graph of layer calls, and so every layer's weights, for inputs of
        ``input_shape`` (the batch size is ignored)."""
        input_shape = input_shape if input_shape is not None else self._batch_input_shape
        if not input_shape:
            raise ValueError(f"{self.name}.build needs an input shape")
        if isinstance(input_shape[0], (list, tuple)):  # several inputs: layers build when called
            self.built = True
            return
        input_shape = tuple(input_shape)
        declared = self._input_tensor
        if declared is not None and shape_matches(declared.shape, input_shape):
            x = declared
        else:
            x = Input(batch_shape=(None, *input_shape[1:]), dtype=self.input_dtype)
        graph = [x]
        try:
            for layer in self._stack:
                graph.append(self._call_symbolically(layer, graph[-1]))
        except Exception:
            for out in graph[1:]:
                _forget_call(out)
            raise
        for out in self._graph[1:]:  # the graph of an earlier build
            _forget_call(out)
        self._graph = graph
        self._build_input_shape = (None, *input_shape[1:])
        self.built = True

    @staticmethod
    def _call_symbolically(layer, x):
        out = layer(x)
        shapes = [t.shape for t in flatten(out)]
        layer._summary_shape = shapes[0] if len(shapes) == 1 else shapes
        return out

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        for layer in self._stack:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    # ----- the symbolic graph (Keras's model.inputs / model.outputs) -----
    @property
    def input_dtype(self) -> str:
        """The declared ``Input``'s dtype, else what the first layer reads (``"string"`` for
        ``TextVectorization``)."""
        if self._input_tensor is not None:
            return self._input_tensor.layer.dtype
        return self._stack[0].input_dtype if self._stack else self.dtype

    @property
    def inputs(self) -> list:
        """``[the symbolic input]`` of the model's graph."""
        if not self._graph:
            raise AttributeError(
                f"Sequential model {self.name!r} has no defined inputs yet: start it with "
                "Input(shape), give its first layer input_shape=, build() it, or call it on data"
            )
        return [self._graph[0]]

    @property
    def outputs(self) -> list:
        """The symbolic outputs of the model's graph (one, unless the last layer has several)."""
        if not self._graph:
            raise AttributeError(
                f"Sequential model {self.name!r} has no defined outputs yet: start it with "
                "Input(shape), give its first layer input_shape=, build() it, or call it on data"
            )
        return flatten(self._graph[-1])

    @property
    def input(self):
        return self.inputs[0]

    @property
    def output(self):
        outputs = self.outputs
        return outputs[0] if len(outputs) == 1 else outputs

    # ----- config -----
    def get_config(self):
        layers = [
            {"class_name": type(layer).__name__, "config": layer.get_config()}
            for layer in self._stack
        ]
        dtype = self.input_dtype
        shape = self._batch_input_shape
        if shape is None and self._graph and dtype == "string":
            shape = self._graph[0].shape  # text: loading must not build the model on numbers
        if shape is not None:
            config = {"batch_shape": list(shape)}
            if dtype != self.dtype:
                config["dtype"] = dtype
            layers.insert(0, {"class_name": "InputLayer", "config": config})
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config):
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for spec in config["layers"]:
            model.add(deserialize_layer(spec))
        return model


def _forget_call(outputs) -> None:
    """Drop the node that made ``outputs`` from its layer (the graph is being rebuilt)."""
    node = flatten(outputs)[0].node
    nodes = node.layer._inbound_nodes
    for i, other in enumerate(nodes):
        if other is node:
            del nodes[i]
            break
