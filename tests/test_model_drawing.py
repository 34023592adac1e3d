"""The matplotlib drawing of a layer graph: ranks, lanes for skip connections, and a PNG whose
size and pixels match the layout."""

import pytest

import lamina
from lamina import layers
from lamina.model_drawing import _ranks, draw_graph, layout
from lamina.model_visualization import Graph, GraphNode, _graph
from lamina.png import read_png


def chain_with_skip():
    """a -> b -> c -> d, and a -> d (a skip connection over b and c)."""
    nodes = [GraphNode(key, f"{key} (Dense)", cells=[("Output shape: (None, 8)", "white")])
             for key in "abcd"]  # fmt: skip
    return Graph(nodes, [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")])


def test_ranks_give_skip_connections_a_lane_in_each_rank_they_cross():
    ranks, lanes = _ranks(chain_with_skip())
    assert ranks == [["a"], ["b", ("a", "d", 0)], ["c", ("a", "d", 1)], ["d"]]
    assert lanes == {("a", "d", 0): 1, ("a", "d", 1): 2}


def test_layout_keeps_boxes_apart_and_routes_the_skip_beside_them():
    boxes, width, height, routes = layout(chain_with_skip(), "TB")
    assert sorted(boxes) == list("abcd")
    tops = [boxes[k].y for k in "abcd"]
    assert tops == sorted(tops) and height > width  # top to bottom
    lanes = routes[("a", "d")]
    assert len(lanes) == 2 and routes.get(("a", "b"), []) == []
    for lane, box in zip(lanes, (boxes["b"], boxes["c"])):
        assert lane.x > box.x + box.width  # beside the box it passes, not through it
    boxes, width, height, _ = layout(chain_with_skip(), "LR")
    assert width > height and [boxes[k].x for k in "abcd"] == sorted(boxes[k].x for k in "abcd")
    boxes, *_ = layout(chain_with_skip(), "BT")
    assert boxes["a"].y > boxes["d"].y


def test_png_has_the_layout_size_and_draws_boxes_and_the_skip_lane(tmp_path):
    pytest.importorskip("matplotlib")
    dpi = 40
    boxes = draw_graph(chain_with_skip(), tmp_path / "g.png", "png", "TB", dpi)
    _, width, height, routes = layout(chain_with_skip(), "TB")
    pixels = read_png(tmp_path / "g.png")[..., :3].astype(int)
    assert abs(pixels.shape[0] - height * dpi) <= 1 and abs(pixels.shape[1] - width * dpi) <= 1

    def pixel(x, y):  # inches -> the pixel's darkness (0 white .. 255 black)
        return 255 - pixels[min(int(y * dpi), pixels.shape[0] - 1), int(x * dpi)].mean()

    assert pixel(0.05, 0.05) == 0  # white margin
    for box in boxes.values():  # each box's title band is black at its left end
        assert pixel(box.x + 0.04, box.y + 0.12) > 200
    for key in "bc":  # one arrow leaves the middle of their bottom side
        box = boxes[key]
        below = box.y + box.height + 0.04
        assert max(pixel(box.x + box.width / 2 + dx, below) for dx in (-0.03, 0, 0.03)) > 100
    for lane in routes[("a", "d")]:  # the skip connection runs down the middle of its lane
        assert max(pixel(lane.center[0] + dx, lane.center[1]) for dx in (-0.02, 0, 0.02)) > 100


def test_a_functional_model_with_a_skip_connection(tmp_path):
    """The test the issue asked for: a functional model with a skip connection gives a PNG of
    the expected size, with one drawn box per layer."""
    pytest.importorskip("matplotlib")
    inputs = lamina.Input((16,), name="x")
    hidden = layers.Dense(16, activation="relu")(inputs)
    deeper = layers.Dense(16)(layers.Dense(16)(hidden))
    model = lamina.Model(inputs, layers.Dense(1)(layers.Add()([hidden, deeper])))
    options = dict(show_shapes=True, show_dtype=False, show_layer_names=True,
                   show_layer_activations=False, show_trainable=False)  # fmt: skip
    graph = _graph(model, False, options)
    boxes = draw_graph(graph, tmp_path / "m.png", "png", "TB", 30)
    _, width, height, routes = layout(graph, "TB")
    pixels = read_png(tmp_path / "m.png")
    assert abs(pixels.shape[0] - height * 30) <= 1 and abs(pixels.shape[1] - width * 30) <= 1
    assert len(boxes) == len(model.layers) == 6
    assert [len(lanes) for lanes in routes.values()] == [2]  # hidden -> add skips two ranks
