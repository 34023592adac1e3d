"""``Model.summary``'s Keras 3 options: show_trainable, expand_nested, layer_range and
positions (Keras 3.15 shows the same rows, columns and Y/N/- marks in its rich table)."""

import pytest

from lamina import layers
from lamina.models import Model, Sequential


def transfer_model():
    """The transfer-learning guide's shape: a frozen base model inside a new head."""
    base = Sequential(
        [layers.Input((4,)), layers.Dense(3, name="d1"), layers.BatchNormalization(name="bn")],
        name="base",
    )
    base.trainable = False
    inputs = layers.Input((4,), name="image")
    x = base(inputs, training=False)
    x = layers.Dropout(0.2, name="drop")(x)
    return Model(inputs, layers.Dense(1, name="head")(x), name="tl")


def summary(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def row(lines, name):
    (found,) = [line for line in lines if line.lstrip(" └").startswith(f"{name} (")]
    return found


def test_show_trainable_marks_layers_y_n_or_dash():
    lines = summary(transfer_model(), show_trainable=True)
    assert lines[2].split()[-1] == "Trainable" and "Connected to" in lines[2]
    marks = {name: row(lines, name).split()[-1] for name in ("image", "base", "drop", "head")}
    assert marks == {"image": "-", "base": "N", "drop": "-", "head": "Y"}
    # the column lines up under its header
    column = lines[2].index("Trainable")
    assert [row(lines, n)[column : column + 9].strip() for n in marks] == ["-", "N", "-", "Y"]
    assert "Trainable" not in summary(transfer_model())[2]


def test_show_trainable_on_a_sequential_model():
    model = Sequential([layers.Input((3,)), layers.Dense(2, name="a"), layers.Dense(1, name="b")])
    model.layers[0].trainable = False
    lines = summary(model, show_trainable=True)
    assert [row(lines, n).split()[-1] for n in ("a", "b")] == ["N", "Y"]
    assert "Trainable params: 3" in lines and "Non-trainable params: 8" in lines


def test_expand_nested_lists_the_inner_layers_indented_below_their_model():
    lines = summary(transfer_model(), expand_nested=True, show_trainable=True)
    names = [line.split(" (")[0] for line in lines[4:9]]
    assert names == ["image", "base", "   └ d1", "   └ bn", "drop"]
    assert row(lines, "d1").split()[-3:] == ["15", "-", "N"]  # params, connections, trainable
    assert not any("d1 (Dense)" in line for line in summary(transfer_model()))


def test_expand_nested_indents_each_level_further():
    inner = Sequential([layers.Input((2,)), layers.Dense(2, name="deep")], name="inner")
    middle = Sequential([inner], name="middle")
    outer = Sequential([middle], name="outer")
    lines = summary(outer, expand_nested=True)
    assert any(line.startswith("   └ inner (Sequential)") for line in lines)
    assert any(line.startswith("      └ deep (Dense)") for line in lines)


def test_layer_range_limits_the_rows_but_not_the_totals():
    lines = summary(transfer_model(), layer_range=["base", "drop"])
    rows = [line.split(" (")[0] for line in lines[4:-5]]
    assert rows == ["base", "drop"]
    assert "Total params: 31" in lines
    # regular expressions, as Keras matches them, and either order
    assert [line.split(" (")[0] for line in summary(transfer_model(), layer_range=["h.*", "b"])[
        4:-5
    ]] == ["base", "drop", "head"]  # fmt: skip


@pytest.mark.parametrize(
    "layer_range, message",
    [(["base"], "two layer names"), ([0, 2], "two layer names"), (["nope", "head"], "'nope'")],
)
def test_bad_layer_range_is_a_clear_error(layer_range, message):
    with pytest.raises(ValueError, match=message):
        transfer_model().summary(layer_range=layer_range)


def test_positions_as_fractions_or_absolute_columns():
    model = Sequential([layers.Input((3,)), layers.Dense(2, name="dense")])
    lines = summary(model, line_length=50, positions=[0.4, 0.8, 1.0])
    assert len(lines[1]) == 50 and lines[2].index("Output Shape") == 20
    assert lines[4].endswith("8") and len(lines[4]) == 50
    lines = summary(model, positions=[20, 45, 55])
    assert len(lines[1]) == 55 and lines[2].index("Output Shape") == 20
    lines = summary(model, positions=[20, 45, 55], show_trainable=True)
    assert lines[2].index("Trainable") == 57 and len(lines[1]) == 66


@pytest.mark.parametrize("positions", [[0.5, 1.0], [0.6, 0.4, 1.0]])
def test_bad_positions_are_a_clear_error(positions):
    model = Sequential([layers.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="positions"):
        model.summary(positions=positions)
