"""plot_model / model_to_dot: the layer graph (edges as the functional graph connects layers),
Graphviz through pydot when it is installed, the matplotlib drawing otherwise, and Keras's
message when neither is."""

import numpy as np
import pytest

import lamina
from lamina import layers, model_visualization
from lamina.model_visualization import GRAPHVIZ_MESSAGE, PYDOT_MESSAGE, _graph, plot_model
from lamina.png import read_png

OPTIONS = dict(show_shapes=True, show_dtype=True, show_layer_names=True,
               show_layer_activations=True, show_trainable=True)  # fmt: skip


def skip_model():
    inputs = lamina.Input((8,), name="features")
    hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
    deeper = layers.Dense(8, name="deeper")(hidden)
    total = layers.Add(name="skip")([hidden, deeper])
    return lamina.Model(inputs, layers.Dense(1, name="score")(total))


def names(model, graph):
    by_key = {str(id(layer)): layer.name for layer in _all_layers(model)}
    return [(by_key[a], by_key[b]) for a, b in graph.edges]


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def test_graph_follows_the_functional_connections():
    model = skip_model()
    graph = _graph(model, False, OPTIONS)
    assert [node.title for node in graph.nodes] == [
        "features (InputLayer)", "hidden (Dense)", "deeper (Dense)", "skip (Add)", "score (Dense)"
    ]  # fmt: skip
    assert names(model, graph) == [
        ("features", "hidden"), ("hidden", "deeper"), ("hidden", "skip"), ("deeper", "skip"),
        ("skip", "score"),
    ]  # fmt: skip
    hidden = graph.nodes[1]
    assert hidden.activation == "relu"
    assert hidden.lines[1:] == [
        "Activation: relu", "Input shape: (None, 8)", "Output shape: (None, 8)",
        "Output dtype: float32", "Trainable",
    ]  # fmt: skip
    assert graph.nodes[0].lines[1:] == ["Output shape: (None, 8)", "Output dtype: float32"]
    assert graph.nodes[3].cells[0][0] == "Input shape: [(None, 8), (None, 8)]"
    plain = _graph(model, False, {key: False for key in OPTIONS})
    assert [node.lines for node in plain.nodes][:2] == [["InputLayer"], ["Dense"]]


def test_sequential_nested_and_subclassed_models():
    inner = lamina.Sequential(
        [layers.Dense(4, name="in1"), layers.Dense(2, name="in2")], name="inner"
    )
    inputs = lamina.Input((3,), name="x")
    first = layers.Dense(4, name="first")(inputs)
    outputs = layers.Concatenate(name="cat")([inner(first), first])
    model = lamina.Model(inputs, outputs)
    flat = _graph(model, False, OPTIONS)
    assert names(model, flat) == [("x", "first"), ("first", "inner"), ("inner", "cat"),
                                  ("first", "cat")]  # fmt: skip
    nested = _graph(model, True, OPTIONS)
    assert sorted(names(model, nested)) == [("first", "cat"), ("first", "in1"), ("in1", "in2"),
                                            ("in2", "cat"), ("x", "first")]  # fmt: skip
    assert [node.clusters for node in nested.nodes] == [(), (), ("inner",), ("inner",), ()]
    sequential = lamina.Sequential([lamina.Input((3,)), layers.Dense(2), layers.Dense(1)])
    assert len(_graph(sequential, False, OPTIONS).nodes) == 2  # no InputLayer box, as Keras

    class Custom(lamina.Model):
        def call(self, x):
            return x

    custom = Custom()
    custom.built = True
    graph = _graph(custom, False, OPTIONS)
    assert len(graph.nodes) == 1 and graph.edges == []


def test_without_graphviz_matplotlib_draws_the_graph(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(model_visualization, "_pydot", lambda: None)
    path = tmp_path / "model.png"
    plot_model(skip_model(), to_file=path, show_shapes=True, dpi=50)
    pixels = read_png(path)
    assert pixels.ndim == 3 and pixels.shape[0] > pixels.shape[1] > 100  # ranked top to bottom
    assert (pixels[..., :3] < 64).mean() > 0.02  # black title bands, text and arrows
    shown = plot_model(skip_model(), to_file=tmp_path / "lr.png", rankdir="LR", dpi=50)
    wide = read_png(tmp_path / "lr.png")
    assert wide.shape[1] > wide.shape[0]
    assert shown is None or shown.filename == str(tmp_path / "lr.png")  # IPython's Image
    plot_model(skip_model(), to_file=tmp_path / "model.svg")
    assert (tmp_path / "model.svg").read_text().lstrip().startswith("<?xml")


def test_with_neither_it_prints_keras_message_and_returns_none(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(model_visualization, "_matplotlib_available", lambda: False)
    monkeypatch.setattr(model_visualization, "_pydot", lambda: None)
    assert plot_model(skip_model(), to_file=tmp_path / "m.png") is None
    assert capsys.readouterr().out.strip() == PYDOT_MESSAGE
    assert PYDOT_MESSAGE == "You must install pydot (`pip install pydot`) for `plot_model` to work."

    class NoDot:  # pydot installed, Graphviz's dot missing
        class Dot:
            def create(self):
                raise OSError("dot not found")

    monkeypatch.setattr(model_visualization, "_pydot", lambda: NoDot)
    assert plot_model(skip_model(), to_file=tmp_path / "m.png") is None
    assert capsys.readouterr().out.strip() == GRAPHVIZ_MESSAGE
    assert not (tmp_path / "m.png").exists()


def test_argument_errors(monkeypatch):
    unbuilt = lamina.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="This model has not yet been built"):
        plot_model(unbuilt)
    with pytest.raises(ValueError, match="layer_range` is no longer supported"):
        plot_model(skip_model(), layer_range=["a", "b"])
    with pytest.raises(ValueError, match='rankdir must be "TB", "LR"'):
        plot_model(skip_model(), rankdir="XY")
    monkeypatch.setattr(model_visualization, "_pydot", lambda: None)
    with pytest.raises(
        ImportError, match=r"install pydot \(`pip install pydot`\) for model_to_dot"
    ):
        model_visualization.model_to_dot(skip_model())


def test_model_to_dot_builds_keras_graph():
    pydot = pytest.importorskip("pydot")
    model = skip_model()
    dot = model_visualization.model_to_dot(model, show_shapes=True)
    assert isinstance(dot, pydot.Dot)
    text = dot.to_string()
    assert "rankdir=TB" in text and "splines=ortho" in text
    assert "<b>hidden (Dense)</b>" in text and "Output shape: (None, 8)" in text
    assert len(dot.get_edges()) == 5


def test_plot_model_through_graphviz(tmp_path):
    pydot = pytest.importorskip("pydot")
    if not model_visualization._has_graphviz(pydot):
        pytest.skip("Graphviz's dot is not installed")
    plot_model(skip_model(), to_file=tmp_path / "dot.png", show_shapes=True, dpi=40)
    pixels = read_png(tmp_path / "dot.png")
    assert pixels.shape[0] > 100 and np.unique(pixels).size > 2
