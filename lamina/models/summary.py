"""``summary``: the table of layers, output shapes and parameter counts, as Keras prints it."""

from __future__ import annotations

import re


def _fmt_shape(shape):
    if shape is None:
        return "?"
    return (
        "("
        + ", ".join("None" if s is None else str(s) for s in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def _count(variables):
    return int(sum(v.size for v in variables))


def _connections(model, layer):
    """For a functional model: the layers whose outputs feed ``layer``, as Keras lists them."""
    names = []
    for node in getattr(model, "_nodes", []):
        if node.layer is layer:
            names += [f"{t.layer.name}[{t.index}]" for t in node.input_tensors]
    return ", ".join(dict.fromkeys(names)) or "-"


def summary_lines(
    model,
    line_length=None,
    positions=None,
    expand_nested=False,
    show_trainable=False,
    layer_range=None,
):
    """The summary as a list of lines (with a "Connected to" column for functional models).

    ``positions`` are where columns end, as fractions of ``line_length`` (all <= 1) or as
    character positions; ``show_trainable`` adds a "Trainable" column (Y/N, ``-`` for a
    layer without weights); ``expand_nested`` lists nested models' layers below them;
    ``layer_range=[first, last]`` (names or regular expressions) keeps the rows in between.
    """
    functional = hasattr(model, "_nodes")
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional else [])
    rows = []
    for layer in _in_range(model, layer_range):
        rows += _rows(model, layer, functional, show_trainable, expand_nested, level=0)
    if show_trainable:
        header.append("Trainable")
    widths = _widths(len(header) - show_trainable, line_length, positions, show_trainable)
    if not line_length and positions is None:  # widen a column rather than let a long name
        padded = 4 if functional and show_trainable else 3  # push the next one aside
        for i in range(padded):
            widths[i] = max(widths[i], 2 + max(len(row[i]) for row in [header, *rows]))
    total = sum(widths)
    lines = [f'Model: "{model.name}"', "_" * total]

    def line(cells):
        text = cells[0].ljust(widths[0]) + cells[1].ljust(widths[1]) + cells[2].rjust(widths[2])
        if functional:
            text += ("  " + cells[3]).ljust(widths[3])
        if show_trainable:
            text += "  " + cells[-1].center(widths[-1] - 2)
        return text.rstrip()

    lines.append(line(header))
    lines.append("=" * total)
    lines.extend(line(row) for row in rows)
    lines.append("=" * total)
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    lines.append(f"Total params: {trainable + non_trainable:,}")
    lines.append(f"Trainable params: {trainable:,}")
    lines.append(f"Non-trainable params: {non_trainable:,}")
    lines.append("_" * total)
    return lines


def _rows(model, layer, functional, show_trainable, expand_nested, level):
    """The row of ``layer`` (indented as Keras indents nested layers), then, with
    ``expand_nested``, the rows of the layers of a nested model."""
    from lamina.models.model import Model

    prefix = "   " * level + "└ " if level else ""
    params = f"{_count(layer._all_variables()):,}" if layer.built else "0 (unbuilt)"
    shape = getattr(layer, "_summary_shape", None)
    if isinstance(shape, list):
        shape_text = ", ".join(_fmt_shape(s) for s in shape)
    else:
        shape_text = _fmt_shape(shape)
    row = [f"{prefix}{layer.name} ({type(layer).__name__})", shape_text, params]
    if functional:
        row.append(_connections(model, layer))
    if show_trainable:
        row.append(("Y" if layer.trainable else "N") if layer._all_variables() else "-")
    rows = [row]
    if expand_nested and isinstance(layer, Model):
        for inner in layer.layers:
            rows += _rows(model, inner, functional, show_trainable, expand_nested, level + 1)
    return rows


def _widths(columns, line_length, positions, show_trainable):
    """Column widths: lamina's defaults, shares of ``line_length``, or where ``positions``
    end each column (the "Trainable" column comes after those, as in Keras)."""
    fractions = {3: (0.45, 0.35, 0.2), 4: (0.33, 0.25, 0.12, 0.3)}[columns]
    defaults = [34, 26, 12, 30][:columns]
    if positions is None:
        if not line_length:
            return defaults + [_TRAINABLE_WIDTH] * show_trainable
        shares = [f * 0.9 for f in fractions] + [0.1] if show_trainable else list(fractions)
        return [max(10, int(line_length * f)) for f in shares]
    positions = list(positions)
    if len(positions) != columns:
        raise ValueError(
            f"summary positions must give the end of each of the {columns} columns, got "
            f"{len(positions)}: {positions}"
        )
    if positions[-1] <= 1:  # fractions of the line, as Keras reads them
        line_length = line_length or sum(defaults)
        if show_trainable:
            positions = [p * 0.9 for p in positions] + [1.0]
        ends = [int(p * line_length) for p in positions]
    else:
        ends = [int(p) for p in positions]
        if show_trainable:
            ends.append(ends[-1] + _TRAINABLE_WIDTH)
    widths = [end - start for start, end in zip([0, *ends], ends)]
    if min(widths) < 1:
        raise ValueError(f"summary positions must increase, got {list(positions)}")
    return widths


def _in_range(model, layer_range):
    """The layers from the first matching ``layer_range[0]`` to the last matching
    ``layer_range[1]`` (names or regular expressions, as Keras matches them)."""
    layers = model.layers
    if layer_range is None:
        return layers
    if (
        not isinstance(layer_range, (list, tuple))
        or len(layer_range) != 2
        or not all(isinstance(name, str) for name in layer_range)
    ):
        raise ValueError(f"layer_range must be two layer names [first, last], got {layer_range!r}")
    first = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    last = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not first or not last:
        missing = layer_range[0] if not first else layer_range[1]
        raise ValueError(
            f"layer_range: no layer of {model.name} is named {missing!r}; layers are "
            f"{[layer.name for layer in layers]}"
        )
    if min(first) > max(last):  # given in reverse order
        return layers[min(last) : max(first) + 1]
    return layers[min(first) : max(last) + 1]


_TRAINABLE_WIDTH = 11  # two spaces, then "Trainable"
