import json

import numpy as np
import pytest

import lamina
from lamina.layers import get_layer_class, get_mask, set_mask
from lamina.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from lamina.testing import check_gradients


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in shapes]


ELEMENTWISE = [
    (Add, add, lambda xs: xs[0] + xs[1] + xs[2], 3),
    (Subtract, subtract, lambda xs: xs[0] - xs[1], 2),
    (Multiply, multiply, lambda xs: xs[0] * xs[1] * xs[2], 3),
    (Average, average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3, 3),
    (Maximum, maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2]), 3),
    (Minimum, minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2]), 3),
]


@pytest.mark.parametrize("cls, fn, reference, n", ELEMENTWISE)
def test_elementwise_forward_matches_numpy(cls, fn, reference, n):
    xs = [x.astype(np.float32) for x in _arrays(*[(4, 5)] * n)]
    out = cls()(xs)
    assert out.dtype == np.float32 and out.shape == (4, 5)
    np.testing.assert_allclose(out.numpy(), reference(xs), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fn(xs).numpy(), out.numpy(), rtol=1e-6, atol=1e-6)


def test_elementwise_two_inputs():
    a, b = _arrays((3, 4), (3, 4))
    np.testing.assert_allclose(Add(dtype="float64")([a, b]).numpy(), a + b)
    np.testing.assert_allclose(Maximum(dtype="float64")([a, b]).numpy(), np.maximum(a, b))
    np.testing.assert_allclose(Average(dtype="float64")([a, b]).numpy(), (a + b) / 2)


def test_elementwise_broadcasts_non_batch_axes_like_keras():
    # a lower-rank input gets size-1 axes right after the batch axis: (2, 3) -> (2, 1, 3)
    a, b, c = _arrays((2, 1, 3), (2, 3), (2, 4, 1))
    out = Add(dtype="float64")([a, b, c])
    assert out.shape == (2, 4, 3)
    np.testing.assert_allclose(out.numpy(), a + b[:, None, :] + c)
    shape = Add().compute_output_shape([(None, 1, 3), (None, 3), (None, 4, None)])
    assert shape == (None, 4, 3)


@pytest.mark.parametrize("cls, fn, reference, n", ELEMENTWISE)
def test_elementwise_gradients(cls, fn, reference, n):
    layer = cls(dtype="float64")
    assert check_gradients(lambda *xs: layer(list(xs)), *_arrays(*[(3, 4)] * n, seed=1))


def test_broadcast_gradients():
    layer = Multiply(dtype="float64")
    assert check_gradients(lambda *xs: layer(list(xs)), *_arrays((2, 1, 3), (2, 3), (2, 4, 1)))


@pytest.mark.parametrize("cls", [Add, Subtract, Multiply, Average, Maximum, Minimum])
def test_elementwise_output_shape_and_config(cls):
    layer = cls(name=f"merge_{cls.__name__}")
    assert layer.compute_output_shape([(None, 3, 4), (None, 3, 4)]) == (None, 3, 4)
    clone = get_layer_class(cls.__name__).from_config(json.loads(json.dumps(layer.get_config())))
    assert type(clone) is cls and clone.name == layer.name
    xs = _arrays((2, 3), (2, 3))
    np.testing.assert_array_equal(clone(xs).numpy(), layer(xs).numpy())


# ----- Concatenate -----


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_concatenate_forward_matches_numpy(axis):
    shapes = {-1: [(2, 3, 1), (2, 3, 4), (2, 3, 2)], 1: [(2, 1, 4), (2, 5, 4), (2, 2, 4)]}
    shapes[2] = shapes[-1]
    xs = _arrays(*shapes[axis])
    out = Concatenate(axis=axis, dtype="float64")(xs)
    np.testing.assert_array_equal(out.numpy(), np.concatenate(xs, axis=axis))
    np.testing.assert_array_equal(concatenate(xs, axis=axis, dtype="float64").numpy(), out.numpy())
    assert Concatenate(axis=axis).compute_output_shape(shapes[axis]) == out.shape


def test_concatenate_output_shape_with_unknown_sizes():
    layer = Concatenate(axis=1)
    assert layer.compute_output_shape([(None, 5, 2), (None, 3, 2)]) == (None, 8, 2)
    assert layer.compute_output_shape([(None, None, 2), (None, 3, 2)]) == (None, None, 2)
    assert Concatenate().compute_output_shape([(None, 4, 2), (None, None, 3)]) == (None, 4, 5)
    assert Concatenate().compute_output_shape([(None, None, 2), (None, 4, 3)]) == (None, 4, 5)


@pytest.mark.parametrize("axis", [-1, 1])
def test_concatenate_gradients(axis):
    layer = Concatenate(axis=axis, dtype="float64")
    xs = _arrays((2, 3, 2), (2, 3, 2), (2, 3, 2), seed=2)
    assert check_gradients(lambda *ts: layer(list(ts)), *xs)


def test_concatenate_config_round_trip():
    layer = Concatenate(axis=1)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["axis"] == 1
    clone = Concatenate.from_config(config)
    xs = _arrays((2, 3, 4), (2, 1, 4))
    np.testing.assert_array_equal(clone(xs).numpy(), layer(xs).numpy())
    assert clone(xs).shape == (2, 4, 4)


# ----- Dot -----


def test_dot_2d_gives_batch_by_one():
    a, b = _arrays((4, 5), (4, 5))
    out = Dot(axes=1, dtype="float64")([a, b])
    assert out.shape == (4, 1)
    np.testing.assert_allclose(out.numpy(), np.sum(a * b, axis=1, keepdims=True))
    np.testing.assert_allclose(dot([a, b], axes=-1, dtype="float64").numpy(), out.numpy())
    assert Dot(axes=1).compute_output_shape([(None, 5), (None, 5)]) == (None, 1)


def test_dot_normalize_is_cosine_similarity():
    a, b = _arrays((4, 5), (4, 5))
    out = Dot(axes=1, normalize=True, dtype="float64")([a, b]).numpy()
    cosine = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(out[:, 0], cosine, rtol=1e-12)
    scaled = Dot(axes=1, normalize=True, dtype="float64")([3.0 * a, 0.5 * b]).numpy()
    np.testing.assert_allclose(scaled, out, rtol=1e-12)


@pytest.mark.parametrize(
    "axes, shapes, subscripts",
    [
        ((2, 2), [(2, 3, 4), (2, 5, 4)], "bnd,bmd->bnm"),
        (-1, [(2, 3, 4), (2, 5, 4)], "bnd,bmd->bnm"),
        ((1, 1), [(2, 3, 4), (2, 3, 5)], "bnd,bne->bde"),
        ([1, 2], [(2, 4, 3), (2, 5, 4)], "bdn,bmd->bnm"),
        (1, [(2, 4), (2, 4, 3)], "bd,bdm->bm"),
    ],
)
def test_dot_matches_einsum(axes, shapes, subscripts):
    a, b = _arrays(*shapes)
    layer = Dot(axes=axes, dtype="float64")
    out = layer([a, b])
    expected = np.einsum(subscripts, a, b)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    unknown_batch = [(None, *s[1:]) for s in shapes]
    assert layer.compute_output_shape(unknown_batch) == (None, *expected.shape[1:])


@pytest.mark.parametrize(
    "axes, normalize, shapes",
    [
        (1, False, [(3, 4), (3, 4)]),
        (1, True, [(3, 4), (3, 4)]),
        ((2, 2), False, [(2, 3, 4), (2, 5, 4)]),
        ((1, 2), True, [(2, 4, 3), (2, 5, 4)]),
    ],
)
def test_dot_gradients(axes, normalize, shapes):
    layer = Dot(axes=axes, normalize=normalize, dtype="float64")
    assert check_gradients(lambda a, b: layer([a, b]), *_arrays(*shapes, seed=3))


def test_dot_config_round_trip():
    layer = Dot(axes=(2, 2), normalize=True)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["axes"] == [2, 2] and config["normalize"] is True
    clone = Dot.from_config(config)
    assert clone.axes == [2, 2] and clone.normalize
    xs = _arrays((2, 3, 4), (2, 5, 4))
    np.testing.assert_array_equal(clone(xs).numpy(), layer(xs).numpy())
    assert Dot.from_config(Dot(axes=1).get_config()).axes == 1


# ----- masks -----


def _masked(x, mask):
    t = lamina.tensor(x)
    set_mask(t, None if mask is None else np.asarray(mask, dtype=bool))
    return t


MASK_A = [[True, True, False], [True, False, False]]
MASK_B = [[True, False, True], [True, True, False]]


@pytest.mark.parametrize("cls", [Add, Subtract, Multiply, Average, Maximum, Minimum])
def test_elementwise_mask_is_and_of_input_masks(cls):
    a, b = _arrays((2, 3, 4), (2, 3, 4))
    out = cls()([_masked(a, MASK_A), _masked(b, MASK_B)])
    np.testing.assert_array_equal(get_mask(out), np.logical_and(MASK_A, MASK_B))
    only_one = cls()([_masked(a, None), _masked(b, MASK_B)])  # unmasked counts as all True
    np.testing.assert_array_equal(get_mask(only_one), MASK_B)
    assert get_mask(cls()([a, b])) is None


def test_explicit_mask_argument_and_bad_mask():
    a, b = _arrays((2, 3, 4), (2, 3, 4))
    out = Add()([a, b], mask=[np.array(MASK_A), None])
    np.testing.assert_array_equal(get_mask(out), MASK_A)
    with pytest.raises(ValueError, match="list of 2 masks"):
        Add()([a, b], mask=np.array(MASK_A))


def test_concatenate_along_time_concatenates_masks():
    a, b = _arrays((2, 3, 4), (2, 2, 4))
    out = Concatenate(axis=1)([_masked(a, MASK_A), _masked(b, None)])
    assert out.shape == (2, 5, 4)
    expected = np.concatenate([MASK_A, np.ones((2, 2), bool)], axis=1)
    np.testing.assert_array_equal(get_mask(out), expected)
    out = Concatenate(axis=-2)([_masked(b, [[False, True]] * 2), _masked(a, MASK_A)])
    np.testing.assert_array_equal(get_mask(out), np.concatenate([[[False, True]] * 2, MASK_A], 1))


def test_concatenate_along_features_ands_masks():
    a, b = _arrays((2, 3, 4), (2, 3, 2))
    out = Concatenate()([_masked(a, MASK_A), _masked(b, MASK_B)])
    assert out.shape == (2, 3, 6)
    np.testing.assert_array_equal(get_mask(out), np.logical_and(MASK_A, MASK_B))


def test_dot_drops_masks():
    a, b = _arrays((2, 3, 4), (2, 3, 4))
    out = Dot(axes=2)([_masked(a, MASK_A), _masked(b, MASK_B)])
    assert out.shape == (2, 3, 3) and get_mask(out) is None


# ----- errors -----


@pytest.mark.parametrize("cls", [Add, Multiply, Average, Maximum, Minimum, Concatenate])
def test_one_input_is_an_error(cls):
    with pytest.raises(ValueError, match=f"{cls.__name__} must be called on a list of at least 2"):
        cls()([np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"got a single tensor of shape \(2, 3\)"):
        cls()(np.ones((2, 3)))


def test_built_layer_still_checks_its_inputs():
    layer = Add()
    layer([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="single tensor"):
        layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\[\(2, 3\), \(2, 4\)\]"):
        layer([np.ones((2, 3)), np.ones((2, 4))])


def test_shape_mismatch_names_the_shapes():
    with pytest.raises(
        ValueError, match=r"Add cannot broadcast inputs of shapes \[\(2, 3\), \(2, 4\)"
    ):
        Add()([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="same batch size"):
        Multiply()([np.ones((2, 3)), np.ones((3, 3))])
    with pytest.raises(ValueError, match=r"except along the concatenation axis.*\(2, 3, 4\)"):
        Concatenate()([np.ones((2, 3, 4)), np.ones((2, 5, 4))])
    with pytest.raises(ValueError, match="one rank"):
        Concatenate()([np.ones((2, 3)), np.ones((2, 3, 1))])
    with pytest.raises(ValueError, match=r"size 3 \(axis 1 of \(2, 3\)\) != size 4"):
        Dot(axes=1)([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="cannot broadcast"):
        Add().compute_output_shape([(None, 3), (None, 4)])


def test_subtract_and_dot_take_exactly_two_inputs():
    with pytest.raises(ValueError, match="Subtract must be called on exactly 2 inputs, got 3"):
        Subtract()([np.ones((2, 3))] * 3)
    with pytest.raises(ValueError, match="Dot must be called on exactly 2 inputs, got 3"):
        Dot(axes=1)([np.ones((2, 3))] * 3)


def test_dot_rejects_bad_axes():
    with pytest.raises(ValueError, match="int or a pair"):
        Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="int or a pair"):
        Dot(axes="1")
    with pytest.raises(ValueError, match="batch axis 0"):
        Dot(axes=0)([np.ones((2, 3)), np.ones((2, 3))])
