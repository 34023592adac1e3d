"""The matplotlib drawing behind ``plot_model`` when Graphviz is not installed: a layered layout
of the layer graph (``lamina/model_visualization.py`` builds the graph).

Each layer goes in the rank one past its deepest input (so a skip connection spans several
ranks); boxes in a rank are ordered by where their inputs are, to keep arrows short, and the
ranks run top to bottom ("TB"), left to right ("LR"), or the reverse ("BT", "RL"). Sizes are
in inches; the file has ``width * dpi`` by ``height * dpi`` pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

TITLE_FONT = {"size": 10, "weight": "bold"}
TEXT_FONT = {"size": 9}
LINE = 0.24  # height of one label row
PAD_X = 0.15  # text to box side
GAP_ALONG, GAP_ACROSS = 0.5, 0.3  # between ranks, between boxes of a rank
LANE = 0.1  # the width of the lane a long edge takes in a rank it crosses
MARGIN = 0.25


@dataclass
class Box:
    """Where one layer's box is drawn: top-left corner, width and height (inches)."""

    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


def layout(graph, rankdir: str = "TB"):
    """``(boxes, width, height, routes)``: each node's ``Box`` (y pointing down), the drawing's
    size, and for each edge that spans several ranks the ``Box`` of the lane it runs through in
    each rank between (an empty list for the others)."""
    sizes = {node.key: _box_size(node.lines) for node in graph.nodes}
    ranks, lanes = _ranks(graph)
    vertical = rankdir in ("TB", "BT")
    for key in (k for rank in ranks for k in rank if k not in sizes):
        sizes[key] = (LANE, 0.0) if vertical else (0.0, LANE)
    along = [  # each rank's extent along the direction of the arrows
        max((sizes[k][1] if vertical else sizes[k][0]) for k in rank) for rank in ranks
    ]
    across = [  # each rank's extent across it
        sum((sizes[k][0] if vertical else sizes[k][1]) for k in rank) + GAP_ACROSS * (len(rank) - 1)
        for rank in ranks
    ]
    span = max(across)
    boxes, offset = {}, MARGIN
    for rank, depth, breadth in zip(ranks, along, across):
        position = MARGIN + (span - breadth) / 2
        for key in rank:
            width, height = sizes[key]
            if key in lanes:  # a lane crosses the whole rank
                width, height = (width, depth) if vertical else (depth, height)
            if vertical:
                boxes[key] = Box(position, offset + (depth - height) / 2, width, height)
                position += width + GAP_ACROSS
            else:
                boxes[key] = Box(offset + (depth - width) / 2, position, width, height)
                position += height + GAP_ACROSS
        offset += depth + GAP_ALONG
    length = offset - GAP_ALONG + MARGIN
    width, height = (span + 2 * MARGIN, length) if vertical else (length, span + 2 * MARGIN)
    for box in boxes.values():  # the reverse directions mirror the drawing
        if rankdir == "BT":
            box.y = height - box.y - box.height
        elif rankdir == "RL":
            box.x = width - box.x - box.width
    routes = {edge: [boxes.pop(lane) for lane in lanes_of] for edge, lanes_of in _routes(lanes)}
    return boxes, width, height, routes


def draw_graph(graph, to_file, extension: str, rankdir: str = "TB", dpi: int = 200) -> dict:
    """Draw ``graph`` into ``to_file``; returns the layout's boxes."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, Rectangle
    from matplotlib.path import Path

    boxes, width, height, routes = layout(graph, rankdir)
    figure = Figure(figsize=(width, height), dpi=dpi)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.axis("off")
    for path, (x0, y0, x1, y1) in _clusters(graph, boxes).items():
        axes.add_patch(
            Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linestyle="--", edgecolor="gray")
        )
        axes.text(x0 + 0.05, y0 + 0.05, path[-1], va="top", ha="left", fontsize=8, color="gray")
    for node in graph.nodes:
        box = boxes[node.key]
        rows = [(node.title, "black", "white", TITLE_FONT)]
        if node.activation:
            rows.append((f"Activation: {node.activation}", "white", "black", TEXT_FONT))
        for text, background in node.cells:
            color = "black" if background == "white" else "white"
            rows.append((text, background, color, TEXT_FONT))
        for i, (text, background, color, font) in enumerate(rows):
            y = box.y + i * LINE
            axes.add_patch(
                Rectangle((box.x, y), box.width, LINE, facecolor=background, edgecolor="black")
            )
            axes.text(box.center[0], y + LINE / 2, text, ha="center", va="center", color=color,
                      fontdict=font)  # fmt: skip
    vertical = rankdir in ("TB", "BT")

    def across(box):  # arrows meet a side in the order of where they come from or go
        return box.center[0] if vertical else box.center[1]

    outgoing, incoming = {}, {}
    for source, target in graph.edges:
        lanes = routes.get((source, target)) or [boxes[target]]
        outgoing.setdefault(source, []).append((across(lanes[0]), target))
        lanes = routes.get((source, target)) or [boxes[source]]
        incoming.setdefault(target, []).append((across(lanes[-1]), source))
    outgoing = {key: [k for _, k in sorted(ends)] for key, ends in outgoing.items()}
    incoming = {key: [k for _, k in sorted(ends)] for key, ends in incoming.items()}
    for source, target in graph.edges:
        start = _anchor(boxes[source], rankdir, True, outgoing[source].index(target),
                        len(outgoing[source]))  # fmt: skip
        end = _anchor(boxes[target], rankdir, False, incoming[target].index(source),
                      len(incoming[target]))  # fmt: skip
        points = [start]
        for lane in routes.get((source, target), []):  # straight through each lane
            if vertical:
                ends = [(lane.center[0], lane.y), (lane.center[0], lane.y + lane.height)]
            else:
                ends = [(lane.x, lane.center[1]), (lane.x + lane.width, lane.center[1])]
            points += ends if rankdir in ("TB", "LR") else ends[::-1]
        points.append(end)
        codes = [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
        axes.add_patch(
            FancyArrowPatch(
                path=Path(points, codes), arrowstyle="-|>", mutation_scale=12, linewidth=1.5,
                color="black", shrinkA=0, shrinkB=0,
            )
        )  # fmt: skip
    figure.savefig(to_file, format=extension, dpi=dpi, facecolor="white")
    return boxes


def _anchor(box: Box, rankdir: str, leaving: bool, index: int, count: int):
    """Where an arrow leaves (or enters) a box: spread along the side that faces the flow."""
    fraction = (index + 1) / (count + 1)
    side = {"TB": "bottom", "BT": "top", "LR": "right", "RL": "left"}[rankdir]
    if not leaving:
        side = {"bottom": "top", "top": "bottom", "right": "left", "left": "right"}[side]
    if side in ("top", "bottom"):
        return box.x + box.width * fraction, box.y + (box.height if side == "bottom" else 0)
    return box.x + (box.width if side == "right" else 0), box.y + box.height * fraction


def _ranks(graph):
    """``(ranks, lanes)``: node keys grouped by rank (one past the deepest input), each rank
    ordered by the mean position of its inputs in the rank before; an edge that skips ranks
    gets a lane (a key ``(source, target, i)``) in each rank it crosses, so that it can run
    beside the boxes instead of through them."""
    order = {node.key: i for i, node in enumerate(graph.nodes)}
    parents = {node.key: [] for node in graph.nodes}
    for source, target in graph.edges:
        parents[target].append(source)
    rank = {}
    for node in graph.nodes:  # graph.nodes lists each node after the nodes that feed it
        rank[node.key] = max((rank.get(p, 0) + 1 for p in parents[node.key]), default=0)
    lanes = {}
    for source, target in graph.edges:
        previous = source
        for i, r in enumerate(range(rank[source] + 1, rank[target])):
            lane = (source, target, i)
            lanes[lane] = r
            order[lane] = len(order)
            parents[lane] = [previous]
            previous = lane
        if previous != source:
            parents[target][parents[target].index(source)] = previous
    ranks = [[] for _ in range(max(rank.values()) + 1)]
    for key in order:
        ranks[lanes[key] if key in lanes else rank[key]].append(key)
    slot = {}
    for keys in ranks:
        keys.sort(
            key=lambda k: (
                sum(slot.get(p, 0) for p in parents[k]) / len(parents[k])
                if parents[k]
                else order[k],
                order[k],
            )
        )
        for i, key in enumerate(keys):
            slot[key] = i
    return ranks, lanes


def _routes(lanes):
    """``(edge, [its lanes in order])`` for each edge that has lanes."""
    routes = {}
    for lane in lanes:
        routes.setdefault(lane[:2], []).append(lane)
    return routes.items()


def _box_size(lines: list[str]) -> tuple[float, float]:
    widths = [
        _text_width(line, TITLE_FONT if i == 0 else TEXT_FONT) for i, line in enumerate(lines)
    ]
    return max(widths) + 2 * PAD_X, LINE * len(lines)


def _text_width(text: str, font: dict) -> float:
    """The width of ``text`` in inches, measured by matplotlib's Agg renderer."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = _text_width.renderer = getattr(_text_width, "renderer", None) or RendererAgg(
        1, 1, 72
    )
    width, _, _ = renderer.get_text_width_height_descent(text, FontProperties(**font), ismath=False)
    return width / 72


def _clusters(graph, boxes) -> dict:
    """The bounding rectangle of each nested model's boxes (expand_nested), padded."""
    bounds = {}
    for node in graph.nodes:
        box = boxes[node.key]
        for depth in range(len(node.clusters)):
            path = node.clusters[: depth + 1]
            x0, y0, x1, y1 = bounds.get(path, (float("inf"),) * 2 + (float("-inf"),) * 2)
            pad = 0.12 * (len(node.clusters) - depth)
            bounds[path] = (
                min(x0, box.x - pad),
                min(y0, box.y - pad - 0.15),
                max(x1, box.x + box.width + pad),
                max(y1, box.y + box.height + pad),
            )
    return bounds
