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


def summary_lines(model, line_length=None):
    """The summary as a list of lines."""
    widths = [34, 26, 12]
    if line_length:
        widths = [max(10, int(line_length * f)) for f in (0.45, 0.35, 0.2)]
    total = sum(widths)
    rows = []
    for layer in model.layers:
        params = _count(layer._all_variables()) if layer.built else 0
        shape = getattr(layer, "_output_shape", None)
        rows.append((f"{layer.name} ({type(layer).__name__})", _fmt_shape(shape), f"{params:,}"))
    lines = [f'Model: "{model.name}"', "_" * total]
    lines.append(
        "Layer (type)".ljust(widths[0])
        + "Output Shape".ljust(widths[1])
        + "Param #".rjust(widths[2])
    )
    lines.append("=" * total)
    for name, shape, params in rows:
        lines.append(name.ljust(widths[0]) + shape.ljust(widths[1]) + params.rjust(widths[2]))
    lines.append("=" * total)
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    lines.append(f"Total params: {trainable + non_trainable:,}")
    lines.append(f"Trainable params: {trainable:,}")
    lines.append(f"Non-trainable params: {non_trainable:,}")
    lines.append("_" * total)
    return lines
