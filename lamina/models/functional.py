"""``Model(inputs, outputs)``: a model defined by a graph of layer calls (Keras's functional API).

Several inputs and outputs, shared layers, skip connections and nested models are all just layer
calls on symbolic tensors; the model replays them in order on real data.

>>> import numpy as np
>>> from lamina.layers import Dense, Input
>>> from lamina.models import Model
>>> inputs = Input(shape=(4,))
>>> hidden = Dense(8, activation="relu")(inputs)
>>> outputs = Dense(1)(hidden)
>>> model = Model(inputs, outputs)
>>> model.predict(np.zeros((2, 4)), verbose=0).shape
(2, 1)

Outputs given as a dict come (as in Keras) in sorted key order, and ``predict`` returns them, like
losses, metrics and logs, by key:

>>> named = Model(inputs, {"score": outputs, "embedding": hidden})
>>> {key: array.shape for key, array in named.predict(np.zeros((2, 4)), verbose=0).items()}
{'embedding': (2, 8), 'score': (2, 1)}
"""

from __future__ import annotations

from lamina.layers.input_layer import InputLayer
from lamina.layers.layer import deserialize_layer, shape_matches, to_tensor
from lamina.layers.symbolic import SymbolicTensor, flatten, map_structure
from lamina.models.model import Model


def _describe(tensor):
    return f"{tensor.name} (shape {tensor.shape})"


def _sorted_dicts(structure):
    """``structure`` with each dict's entries in key order: Keras flattens dicts by sorted key,
    so that is the order of a dict model's outputs (and of losses or targets given as a list)."""
    if isinstance(structure, dict):
        return {key: _sorted_dicts(structure[key]) for key in sorted(structure)}
    if isinstance(structure, list):
        return [_sorted_dicts(item) for item in structure]
    return structure


def _keys(structure, names):
    """The keys of a flat dict of tensors, else the layer ``names``."""
    if isinstance(structure, dict) and len(structure) == len(names):
        return [str(key) for key in structure]
    return list(names)


def _adjust_rank(tensor, expected):
    """Keras's one-axis leniency: ``(n,)`` feeds an ``Input(shape=(1,))`` and ``(n, ..., 1)``
    an input without that last axis (a trailing size-1 axis is added or squeezed)."""
    shape = tuple(tensor.shape)
    if len(shape) == len(expected) - 1 and expected[-1] == 1:
        return _reshaped(tensor, (*shape, 1))
    if len(shape) == len(expected) + 1 and shape[-1] == 1:
        return _reshaped(tensor, shape[:-1])
    return tensor


def _reshaped(tensor, shape):
    if tensor.dtype.kind in "fc":
        from lamina import ops

        return ops.reshape(tensor, shape)  # keeps the graph
    return to_tensor(tensor.data.reshape(shape))


class Functional(Model):
    """The model ``Model(inputs, outputs)`` builds (``inputs``/``outputs``: a symbolic tensor,
    or a list or dict of them)."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        if isinstance(inputs, tuple):
            inputs = list(inputs)
        if isinstance(outputs, tuple):
            outputs = list(outputs)
        inputs, outputs = _sorted_dicts(inputs), _sorted_dicts(outputs)
        self._input_structure, self._output_structure = inputs, outputs
        self.inputs, self.outputs = flatten(inputs), flatten(outputs)
        for role, tensors in (("inputs", self.inputs), ("outputs", self.outputs)):
            if not tensors or not all(isinstance(t, SymbolicTensor) for t in flatten(tensors)):
                raise TypeError(
                    f"Model {role} must be symbolic tensors (from Input() and layer calls), "
                    f"got {type(inputs if role == 'inputs' else outputs).__name__}"
                )
        for t in self.inputs:
            if not isinstance(t.layer, InputLayer):
                raise ValueError(
                    f"Model inputs must come from Input(); {_describe(t)} is the output of "
                    f"layer {t.layer.name}"
                )
        self._nodes = self._order_nodes()
        self._layer_list = [t.layer for t in self.inputs]
        for node in self._nodes:
            if all(node.layer is not other for other in self._layer_list):
                self._layer_list.append(node.layer)
        for layer in self._layer_list:
            self._track(layer)
        for node in self._nodes:
            outputs = node.output_tensors
            node.layer._summary_shape = (
                outputs[0].shape if len(outputs) == 1 else [t.shape for t in outputs]
            )
        for t in self.inputs:
            t.layer._summary_shape = t.shape
        if len(self.inputs) == 1:
            self._batch_input_shape = self.inputs[0].shape
            if self.inputs[0].dtype.kind == "f":  # no cast at the model's door: Input decides
                self.dtype = self.inputs[0].dtype.name
        self.output_names = [t.layer.name for t in self.outputs]
        self.input_names = [t.layer.name for t in self.inputs]
        # What data, losses, metrics and log names are keyed by: a dict's keys, else layer names
        self._output_keys = _keys(self._output_structure, self.output_names)
        self._input_keys = _keys(self._input_structure, self.input_names)
        self.built = True

    def _order_nodes(self):
        """The nodes between inputs and outputs, each after the nodes it reads from; an output
        that needs a tensor no input provides is an error naming the layer."""
        known = {id(t) for t in self.inputs}
        order, done, visiting = [], set(), set()

        def visit(tensor, consumer):
            if id(tensor) in known:
                return
            node = tensor.node
            if isinstance(node.layer, InputLayer):
                raise ValueError(
                    f"Graph disconnected: {consumer} needs {_describe(tensor)}, which is not "
                    f"one of the model's inputs {[t.name for t in self.inputs]}"
                )
            if id(node) in done:
                return
            if id(node) in visiting:
                raise ValueError(f"the graph has a cycle through layer {node.layer.name}")
            visiting.add(id(node))
            for t in node.input_tensors:
                visit(t, f"layer {node.layer.name}")
            visiting.discard(id(node))
            done.add(id(node))
            order.append(node)

        for t in self.outputs:
            visit(t, "the model's outputs")
        return order

    @property
    def layers(self) -> list:
        return list(self._layer_list)

    # ----- running the graph -----
    def _input_values(self, inputs):
        """Real inputs in the order of ``self.inputs`` (a single array, a list, or a dict
        keyed by input name)."""
        if isinstance(inputs, dict):
            missing = [n for n in self._input_keys if n not in inputs]
            if missing:
                raise ValueError(f"{self.name} is missing inputs {missing}; got {sorted(inputs)}")
            values = [inputs[n] for n in self._input_keys]
        elif len(self.inputs) == 1:
            values = [inputs[0] if isinstance(inputs, (list, tuple)) and len(inputs) == 1
                      else inputs]  # fmt: skip
        else:
            if not isinstance(inputs, (list, tuple)) or len(inputs) != len(self.inputs):
                got = len(inputs) if isinstance(inputs, (list, tuple)) else 1
                raise ValueError(
                    f"{self.name} expects {len(self.inputs)} inputs {self.input_names}, got {got}"
                )
            values = list(inputs)
        out = []
        for symbol, value in zip(self.inputs, values):
            tensor = to_tensor(value, symbol.dtype if symbol.dtype.kind == "f" else None)
            if symbol.dtype.kind in "iu" and tensor.dtype.kind == "f":
                tensor = to_tensor(tensor.data.astype(symbol.dtype))
            tensor = _adjust_rank(tensor, symbol.shape)
            shape = tuple(tensor.shape)
            if not shape_matches(symbol.shape, shape):
                raise ValueError(
                    f"input {symbol.name} of {self.name} expects shape {symbol.shape}, got {shape}"
                )
            out.append(tensor)
        return out

    def call(self, inputs, training=None, mask=None):
        values = {id(t): v for t, v in zip(self.inputs, self._input_values(inputs))}

        def value(t):
            return values[id(t)]

        for node in self._nodes:
            kwargs = map_structure(value, node.kwargs)
            kwargs.setdefault("training", training)  # a call's own training=... wins
            out = node.layer(
                map_structure(value, node.inputs), *map_structure(value, node.args), **kwargs
            )
            produced = flatten(out)
            for symbol, tensor in zip(node.output_tensors, produced):
                values[id(symbol)] = tensor
        return map_structure(value, self._output_structure)

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    # ----- config -----
    def get_config(self):
        """Keras-style: every layer's config with the calls that feed it; every tensor (in
        those calls and the model's inputs and outputs) is ``{"__tensor__": [layer_name,
        node_index, tensor_index]}``."""
        node_ids = {}
        for layer in self._layer_list:
            for k, node in enumerate(n for n in layer._inbound_nodes if self._owns(n)):
                node_ids[id(node)] = k

        def ref(t):
            return {"__tensor__": [t.layer.name, node_ids[id(t.node)], t.index]}

        layers = []
        for layer in self._layer_list:
            nodes = [n for n in layer._inbound_nodes if self._owns(n)]
            layers.append(
                {
                    "class_name": type(layer).__name__,
                    "name": layer.name,
                    "config": layer.get_config(),
                    "inbound_nodes": [
                        {
                            "inputs": map_structure(ref, n.inputs),
                            "args": map_structure(ref, list(n.args)),
                            "kwargs": map_structure(ref, n.kwargs),
                        }
                        for n in nodes
                        if not isinstance(layer, InputLayer)
                    ],
                }
            )
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layers,
            "input_layers": map_structure(ref, self._input_structure),
            "output_layers": map_structure(ref, self._output_structure),
        }

    def _owns(self, node):
        return node.layer is not None and (
            any(node is n for n in self._nodes) or any(node is t.node for t in self.inputs)
        )

    @classmethod
    def from_config(cls, config):
        from lamina.layers.input_layer import Input

        created, outputs_of = {}, {}  # layer name -> layer; (name, node index) -> outputs
        for spec in config["layers"]:
            if spec["class_name"] == "InputLayer":
                c = dict(spec["config"])
                symbol = Input(batch_shape=c["batch_shape"], dtype=c.get("dtype"), name=c["name"])
                created[spec["name"]] = symbol.layer
                outputs_of[(spec["name"], 0)] = symbol
            else:
                created[spec["name"]] = deserialize_layer(spec)

        def resolve(obj):
            if isinstance(obj, dict) and set(obj) == {"__tensor__"}:
                name, node_index, tensor_index = obj["__tensor__"]
                produced = flatten(outputs_of[(name, node_index)])
                return produced[tensor_index]
            if isinstance(obj, list):
                return [resolve(o) for o in obj]
            if isinstance(obj, dict):
                return {k: resolve(v) for k, v in obj.items()}
            return obj

        pending = [(spec["name"], k, n) for spec in config["layers"]
                   for k, n in enumerate(spec["inbound_nodes"])]  # fmt: skip
        while pending:  # replay calls once everything they read exists
            progressed, waiting = False, []
            for name, k, node in pending:
                try:
                    inputs, args, kwargs = (
                        resolve(node[key]) for key in ("inputs", "args", "kwargs")
                    )
                except KeyError:
                    waiting.append((name, k, node))
                    continue
                outputs_of[(name, k)] = created[name](inputs, *args, **kwargs)
                progressed = True
            if not progressed:
                raise ValueError("the model config's graph cannot be rebuilt (missing layers)")
            pending = waiting

        return cls(
            resolve(config["input_layers"]),
            resolve(config["output_layers"]),
            name=config.get("name"),
            trainable=config.get("trainable", True),
        )


__all__ = ["Functional"]
