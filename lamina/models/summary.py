"""``summary``: the table of layers, output shapes and parameter counts, as Keras prints it."""

from __future__ import annotations


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


def summary_lines(model, line_length=None):
    """The summary as a list of lines (with a "Connected to" column for functional models)."""
    functional = hasattr(model, "_nodes")
    fractions = (0.33, 0.25, 0.12, 0.3) if functional else (0.45, 0.35, 0.2)
    widths = [34, 26, 12] + ([30] if functional else [])
    if line_length:
        widths = [max(10, int(line_length * f)) for f in fractions]
    total = sum(widths)
    rows = []
    for layer in model.layers:
        params = f"{_count(layer._all_variables()):,}" if layer.built else "0 (unbuilt)"
        shape = getattr(layer, "_summary_shape", None)
        if isinstance(shape, list):
            shape_text = ", ".join(_fmt_shape(s) for s in shape)
        else:
            shape_text = _fmt_shape(shape)
        row = [f"{layer.name} ({type(layer).__name__})", shape_text, params]
        if functional:
            row.append(_connections(model, layer))
        rows.append(row)
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional else [])
    if not line_length:  # widen a column rather than let a long name push the next one aside
        for i in range(3):
            widths[i] = max(widths[i], 2 + max(len(row[i]) for row in [header, *rows]))
        total = sum(widths)
    lines = [f'Model: "{model.name}"', "_" * total]

    def line(cells):
        text = cells[0].ljust(widths[0]) + cells[1].ljust(widths[1]) + cells[2].rjust(widths[2])
        return text + ("  " + cells[3] if functional else "")

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
