"""``plot_model`` and ``model_to_dot``: a picture of a model's layer graph, as Keras draws it.

With pydot and Graphviz's ``dot`` installed (``pip install pydot``, and Graphviz from the system's
package manager), ``plot_model`` writes the same Graphviz graph as Keras. Without them it draws
the graph with matplotlib (``pip install 'lamina[plots]'``): a box per layer (name, class,
shapes, ...) and an arrow per connection, skip connections included, ranked top to bottom
(``rankdir="TB"``) or left to right (``"LR"``). With neither, it prints Keras's message and
returns None, so a tutorial script goes on.

>>> import os, tempfile
>>> import lamina
>>> inputs = lamina.Input((4,))
>>> model = lamina.Model(inputs, lamina.layers.Dense(2)(inputs))
>>> path = os.path.join(tempfile.mkdtemp(), "model.png")
>>> _ = plot_model(model, to_file=path, show_shapes=True)
>>> os.path.getsize(path) > 0
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

PYDOT_MESSAGE = "You must install pydot (`pip install pydot`) for `plot_model` to work."
GRAPHVIZ_MESSAGE = (
    "You must install graphviz (see instructions at https://graphviz.gitlab.io/download/) "
    "for `plot_model` to work."
)


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=False,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """Draw ``model``'s layer graph into ``to_file`` (its extension gives the format, PNG by
    default), with Keras 3's arguments and defaults. Returns an ``IPython.display.Image`` of
    a PNG, JPEG or GIF file when IPython is installed (so a notebook shows it), else None.
    """
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f'rankdir must be "TB", "LR", "BT" or "RL", got {rankdir!r}')
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    pydot = _pydot()
    if pydot is not None and _has_graphviz(pydot):
        dot = model_to_dot(
            model, rankdir=rankdir, expand_nested=expand_nested, dpi=dpi, splines=splines,
            **options,
        )  # fmt: skip
        dot.write(to_file, format=extension)
    elif _matplotlib_available():
        from lamina.model_drawing import draw_graph

        draw_graph(_graph(model, expand_nested, options), to_file, extension, rankdir, dpi)
    else:
        print(PYDOT_MESSAGE if pydot is None else GRAPHVIZ_MESSAGE)
        return None
    if extension.lower() in ("png", "jpg", "jpeg", "gif"):  # what IPython's Image can show
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    subgraph=False,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """The model's graph as a ``pydot.Dot`` (needs pydot), with Keras's node labels (HTML
    tables) and graph settings."""
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )
    pydot = _pydot()
    if pydot is None:
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to work.")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    graph = _graph(model, expand_nested, options)
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    clusters = {}
    for node in graph.nodes:
        parent = dot
        for depth, name in enumerate(node.clusters):  # nested models, outermost first
            path = node.clusters[: depth + 1]
            if path not in clusters:
                cluster = pydot.Cluster(style="dashed", graph_name=f"{len(clusters)}_{name}")
                cluster.set("label", name)
                cluster.set("labeljust", "l")
                parent.add_subgraph(cluster)
                clusters[path] = cluster
            parent = clusters[path]
        item = pydot.Node(node.key, label=_html_label(node))
        item.set("fontname", "Helvetica")
        item.set("border", "0")
        item.set("margin", "0")
        parent.add_node(item)
    for source, target in graph.edges:
        edge = pydot.Edge(source, target)
        edge.set("penwidth", "2")
        dot.add_edge(edge)
    return dot


# ----- the graph, shared by the Graphviz and the matplotlib drawings -----


@dataclass
class GraphNode:
    """One box: a layer's key, its label's parts, and the nested models it sits in."""

    key: str
    title: str
    activation: str | None = None
    cells: list = field(default_factory=list)  # (text, background) pairs of the bottom row
    clusters: tuple = ()

    @property
    def lines(self) -> list[str]:
        """The label as plain text lines (for the matplotlib drawing)."""
        lines = [self.title]
        if self.activation:
            lines.append(f"Activation: {self.activation}")
        return lines + [text for text, _ in self.cells]


@dataclass
class Graph:
    nodes: list  # GraphNode, each after the nodes that feed it
    edges: list  # (source key, target key), without repeats


def _graph(model, expand_nested: bool, options: dict) -> Graph:
    nodes, edges = [], []

    def add_model(model, clusters):
        """Add the model's layers; returns (entry(i), exit(j)): the keys of the boxes that its
        i-th input enters and its j-th output leaves."""
        functional, sequential = _kinds()
        if isinstance(model, sequential):
            layers = model.layers
        elif isinstance(model, functional):
            layers = model.layers
        else:  # a subclassed model is one box
            nodes.append(_node(model, options, clusters))
            key = nodes[-1].key
            return (lambda i: key), (lambda j: key)
        ends = {}
        for layer in layers:
            if expand_nested and isinstance(layer, (functional, sequential)):
                ends[id(layer)] = add_model(layer, (*clusters, layer.name))
            else:
                nodes.append(_node(layer, options, clusters))
                key = nodes[-1].key
                ends[id(layer)] = ((lambda i, key=key: key), (lambda j, key=key: key))

        def connect(source, j, target, i):
            edge = (ends[id(source)][1](j), ends[id(target)][0](i))
            if edge not in edges:
                edges.append(edge)

        if isinstance(model, sequential):
            for source, target in zip(layers, layers[1:]):
                connect(source, 0, target, 0)
            return ends[id(layers[0])][0], ends[id(layers[-1])][1]
        for node in model._nodes:
            for i, tensor in enumerate(node.input_tensors):
                connect(tensor.layer, tensor.index, node.layer, i)
        return (
            lambda i: ends[id(model.inputs[i].layer)][0](0),
            lambda j: ends[id(model.outputs[j].layer)][1](model.outputs[j].index),
        )

    add_model(model, ())
    return Graph(nodes, edges)


def _kinds():
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential

    return Functional, Sequential


def _node(layer, options, clusters) -> GraphNode:
    kind = type(layer).__name__
    title = f"{layer.name} ({kind})" if options["show_layer_names"] else kind
    activation = None
    if options["show_layer_activations"] and getattr(layer, "activation", None) is not None:
        activation = getattr(layer.activation, "name", None) or getattr(
            layer.activation, "__name__", str(layer.activation)
        )
    cells = []
    if options["show_shapes"]:
        if kind != "InputLayer":
            cells.append((f"Input shape: {_shapes(layer, 'input')}", "white"))
        cells.append((f"Output shape: {_shapes(layer, 'output')}", "white"))
    if options["show_dtype"]:
        try:
            dtype = _map(lambda t: str(t.dtype), layer.output)
        except (AttributeError, ValueError):
            dtype = None
        cells.append((f"Output dtype: {dtype or '?'}", "white"))
    if options["show_trainable"] and layer.weights:
        cells.append(
            ("Trainable", "forestgreen") if layer.trainable else ("Non-trainable", "firebrick")
        )
    return GraphNode(str(id(layer)), title, activation, cells, tuple(clusters))


def _shapes(layer, which: str) -> str:
    try:
        shapes = _map(lambda t: tuple(t.shape), getattr(layer, which))
    except (AttributeError, ValueError):
        return "?"
    if isinstance(shapes, dict):
        return ", ".join(f"{k}: {v}" for k, v in shapes.items())
    return str(shapes)


def _map(fn, structure):
    if isinstance(structure, (list, tuple)):
        return [_map(fn, item) for item in structure]
    if isinstance(structure, dict):
        return {key: _map(fn, value) for key, value in structure.items()}
    return fn(structure)


def _html_label(node: GraphNode) -> str:
    """Keras's label: a black title row, an activation row, then one row of cells."""
    span = max(1, len(node.cells))
    rows = [
        f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">'
        f"<b>{_escape(node.title)}</b></font></td></tr>"
    ]
    if node.activation:
        rows.append(
            f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">'
            f"Activation: <b>{_escape(node.activation)}</b></font></td></tr>"
        )
    if node.cells:
        cells = []
        for text, background in node.cells:
            color = ' color="white"' if background != "white" else ""
            cells.append(
                f'<td bgcolor="{background}"><font point-size="14"{color}>{_escape(text)}'
                "</font></td>"
            )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    table = '<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    return f"<{table}{''.join(rows)}</table>>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pydot():
    """The pydot module (or one of its older forks), or None."""
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


def _has_graphviz(pydot) -> bool:
    """Whether Graphviz's ``dot`` runs: Keras renders an empty graph to find out."""
    try:
        pydot.Dot.create(pydot.Dot())
        return True
    except Exception:  # OSError when dot is missing, pydot's own errors when it fails
        return False


def _matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True
