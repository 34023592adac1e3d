"""Symbolic tensors and nodes: what the functional API builds a graph from.

``Input(shape)`` returns a ``SymbolicTensor``: a placeholder with a shape and a dtype but no
values. Calling a layer on symbolic tensors runs the layer once on small zero arrays (which also
builds its weights) to learn its output shapes, and returns symbolic outputs that remember the
``Node`` that made them: the layer and the arguments of the call. ``Model(inputs, outputs)``
walks these nodes back from the outputs and replays them on real data.

>>> from lamina.layers import Dense, Input
>>> x = Input(shape=(4,))
>>> y = Dense(3)(x)
>>> y.shape, y.node.layer.name.startswith("dense")
((None, 3), True)
"""

from __future__ import annotations

from lamina.autograd.grad_mode import no_grad
from lamina.autograd.tensor import Tensor
from lamina.backend import xp


class SymbolicTensor:
    """A placeholder in a functional graph: shape (``None`` = any size), dtype, and the node
    (layer call) that produces it."""

    def __init__(self, shape, dtype, node=None, index=0, name=None):
        self.shape = tuple(shape)
        self.dtype = xp.dtype(dtype)
        self.node = node
        self.index = index  # which output of the node
        self.name = name or (node.layer.name if node is not None else "tensor")

    @property
    def layer(self):
        """The layer whose call produced this tensor (an ``InputLayer`` for model inputs)."""
        return self.node.layer

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} name={self.name}>"

    def __bool__(self):
        raise TypeError(
            "a symbolic tensor has no value: it stands for data that a model will receive; "
            "use it to call layers and to build Model(inputs, outputs)"
        )


class Node:
    """One call of ``layer`` in a graph: its (symbolic) inputs, extra arguments and outputs."""

    def __init__(self, layer, inputs, args=(), kwargs=None):
        self.layer = layer
        self.inputs = inputs
        self.args = args
        self.kwargs = dict(kwargs or {})
        self.outputs = None  # the symbolic output structure, set by the caller

    @property
    def input_tensors(self) -> list:
        """Every symbolic tensor this call reads (inputs, extra arguments, keyword arguments)."""
        return flatten((self.inputs, self.args, self.kwargs))

    @property
    def output_tensors(self) -> list:
        return flatten(self.outputs)


def flatten(structure) -> list:
    """The symbolic tensors (or tensors) inside nested lists, tuples and dicts, in order."""
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in flatten(item)]
    if isinstance(structure, dict):
        return [t for key in structure for t in flatten(structure[key])]
    if isinstance(structure, (SymbolicTensor, Tensor)):
        return [structure]
    return []


def map_structure(fn, structure):
    """``structure`` with ``fn`` applied to each symbolic tensor (other leaves kept)."""
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    if isinstance(structure, SymbolicTensor):
        return fn(structure)
    return structure


def is_symbolic(structure) -> bool:
    if isinstance(structure, SymbolicTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(is_symbolic(s) for s in structure)
    if isinstance(structure, dict):
        return any(is_symbolic(s) for s in structure.values())
    return False


def _zeros(tensor, free_size):
    from lamina.layers.layer import check_dry_run

    shape = [2 if i == 0 else (free_size if s is None else s) for i, s in enumerate(tensor.shape)]
    check_dry_run(shape)
    return Tensor(xp.zeros(shape, dtype=tensor.dtype))


def _dry_run(layer, inputs, args, kwargs, free_size):
    make = lambda t: _zeros(t, free_size)  # noqa: E731
    kwargs = {k: v for k, v in kwargs.items() if k != "training"}  # never update BN statistics
    with no_grad():
        return layer(
            map_structure(make, inputs),
            *map_structure(make, args),
            **map_structure(make, kwargs),
        )


def call_symbolically(layer, inputs, args, kwargs):
    """Record ``layer(inputs, *args, **kwargs)`` as a node and return symbolic outputs.

    The layer runs on zeros (batch 2) to build it and learn its output shapes; when an input has
    an unknown non-batch size it runs twice (sizes 8 and 9), and output sizes that follow the
    input's are unknown (``None``) too.
    """
    symbolic = flatten((inputs, args, kwargs))
    variable = any(s is None for t in symbolic for s in t.shape[1:])
    try:
        first = _dry_run(layer, inputs, args, kwargs, 8)
        second = _dry_run(layer, inputs, args, kwargs, 9) if variable else first
    except (ValueError, TypeError) as exc:
        shapes = ", ".join(str(t.shape) for t in symbolic)
        message = f"{layer.name} cannot be called on inputs of shape {shapes}: {exc}"
        raise ValueError(message) from exc
    node = Node(layer, inputs, args, kwargs)
    counter = iter(range(len(flatten(first))))

    def symbolic_output(a, b):
        shape = [None] + [sa if sa == sb else None for sa, sb in zip(a.shape[1:], b.shape[1:])]
        return SymbolicTensor(shape, a.dtype, node, next(counter))

    node.outputs = _zip_structure(symbolic_output, first, second)
    layer._inbound_nodes.append(node)
    return node.outputs


def _zip_structure(fn, a, b):
    if isinstance(a, (list, tuple)):
        return type(a)(_zip_structure(fn, x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _zip_structure(fn, a[k], b[k]) for k in a}
    return fn(a, b)
