"""Shape ops and indexing: forward against NumPy, gradients against central differences, the
scatter-add of repeated indices and the error messages."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.testing import check_gradients


def _check(fn, ref, x):
    """fn on a tensor equals ref on the array, and fn's gradient is right."""
    np.testing.assert_array_equal(fn(lamina.tensor(x)).numpy(), ref(x))
    assert check_gradients(fn, x)


@pytest.mark.parametrize("shape", [(6, 4), (-1,), (2, -1, 3), (24,)], ids=str)
def test_reshape(shape, rng):
    x = rng.normal(size=(2, 3, 4))
    _check(lambda t: ops.reshape(t, shape), lambda a: a.reshape(shape), x)


def test_reshape_method_forms_and_error(rng):
    x = lamina.tensor(rng.normal(size=(2, 3)))
    assert x.reshape(3, 2).shape == x.reshape((3, 2)).shape == (3, 2)
    assert x.flatten().shape == (6,)
    with pytest.raises(ValueError, match=r"shape \(2, 3\) into \(4, 2\)"):
        x.reshape(4, 2)


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1), (-1, 0, 1)], ids=str)
def test_transpose(axes, rng):
    x = rng.normal(size=(2, 3, 4))
    _check(lambda t: ops.transpose(t, axes), lambda a: np.transpose(a, axes), x)


def test_transpose_methods_and_error(rng):
    data = rng.normal(size=(2, 3, 4))
    x = lamina.tensor(data)
    np.testing.assert_array_equal(x.permute(2, 0, 1).numpy(), data.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.transpose().numpy(), data.T)
    np.testing.assert_array_equal(x.T.numpy(), data.T)
    assert ops.permute is ops.transpose
    with pytest.raises(ValueError, match="not a permutation"):
        x.permute(0, 0, 1)


@pytest.mark.parametrize(
    "src, dst", [((3, 1), (2, 3, 4)), ((4,), (3, 4)), ((1, 1), (2, 3)), ((2, 3), (2, 3))], ids=str
)
def test_broadcast_to_and_expand(src, dst, rng):
    x = rng.normal(size=src)
    _check(lambda t: ops.broadcast_to(t, dst), lambda a: np.broadcast_to(a, dst), x)
    assert lamina.tensor(x).expand(*dst).shape == dst
    assert ops.expand is ops.broadcast_to


@pytest.mark.parametrize(
    "axis, shape", [(None, (3, 4)), (0, (3, 1, 4)), ((0, 2), (3, 4)), (-2, (1, 3, 4))]
)
def test_squeeze(axis, shape, rng):
    x = rng.normal(size=(1, 3, 1, 4))
    assert ops.squeeze(lamina.tensor(x), axis).shape == shape
    _check(lambda t: t.squeeze(axis), lambda a: np.squeeze(a, axis), x)


def test_squeeze_of_a_longer_axis_is_an_error():
    with pytest.raises(ValueError, match="cannot squeeze axis 1 of size 3"):
        ops.squeeze(lamina.tensor(np.zeros((1, 3))), 1)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_unsqueeze(axis, rng):
    x = rng.normal(size=(2, 3))
    _check(lambda t: t.unsqueeze(axis), lambda a: np.expand_dims(a, axis), x)
    assert ops.expand_dims is ops.unsqueeze


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate(axis, rng):
    shapes = {
        0: [(1, 3), (2, 3), (3, 3)],
        1: [(2, 1), (2, 2), (2, 3)],
        -1: [(2, 2), (2, 1), (2, 1)],
    }
    arrays = [rng.normal(size=s) for s in shapes[axis]]
    out = ops.concatenate([lamina.tensor(a) for a in arrays], axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.concatenate(arrays, axis=axis))
    assert check_gradients(lambda *ts: ops.concatenate(ts, axis=axis), *arrays)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack(axis, rng):
    arrays = [rng.normal(size=(2, 3)) for _ in range(3)]
    out = ops.stack([lamina.tensor(a) for a in arrays], axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.stack(arrays, axis=axis))
    assert check_gradients(lambda *ts: ops.stack(ts, axis=axis), *arrays)


def test_concatenate_with_a_constant_gives_the_tensor_its_slice():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    y = ops.concatenate([np.zeros(3, dtype=np.float32), x])
    (y * lamina.tensor([1.0, 2, 3, 4, 5])).sum().backward()
    assert x.grad.tolist() == [4.0, 5.0]


@pytest.mark.parametrize(
    "sections, axis", [(2, 0), (3, 1), ([1, 3], 1), ([2], -1), ([1, 1, 4], 1)], ids=str
)
def test_split(sections, axis, rng):
    x = rng.normal(size=(4, 6))
    parts = ops.split(lamina.tensor(x), sections, axis=axis)
    expected = np.split(x, sections, axis=axis)
    assert len(parts) == len(expected)
    for part, ref in zip(parts, expected, strict=True):
        np.testing.assert_array_equal(part.numpy(), ref)

    def weighted(t):  # each part scaled differently, so a mixed-up gradient shows
        pieces = ops.split(t, sections, axis=axis)
        return ops.concatenate([p * (i + 1) for i, p in enumerate(pieces)], axis=axis)

    assert check_gradients(weighted, x)


def test_split_into_unequal_sections_is_an_error():
    with pytest.raises(ValueError, match="size 5 into 2 equal parts"):
        ops.split(lamina.tensor(np.zeros(5)), 2)


@pytest.mark.parametrize(
    "pad_width, np_width",
    [
        (1, 1),
        ((0, 2), (0, 2)),
        (((1, 0), (2, 1)), ((1, 0), (2, 1))),
        (((0, 0), (0, 3)), ((0, 0), (0, 3))),
    ],
    ids=str,
)
def test_pad(pad_width, np_width, rng):
    x = rng.normal(size=(2, 3))
    _check(
        lambda t: ops.pad(t, pad_width, constant_values=0.5),
        lambda a: np.pad(a, np_width, constant_values=0.5),
        x,
    )


def test_pad_width_must_match_ndim():
    with pytest.raises(ValueError, match="3 pairs for a 2-D tensor"):
        ops.pad(lamina.tensor(np.zeros((2, 2))), ((1, 1), (1, 1), (1, 1)))


INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": (slice(None), slice(1, 3)),
    "negative step": (slice(None, None, -1), 0),
    "ellipsis": (Ellipsis, 2),
    "None": (None, slice(None), None, 1),
    "int array": np.array([2, 0]),
    "repeated ints": np.array([0, 2, 0, 0]),
    "repeated pairs": (np.array([0, 0, 1, 0]), np.array([1, 1, 2, 1])),
    "list with slice": (slice(None), [3, 3, 1]),
    "int and array": (1, np.array([0, 0, 3])),
    "2-D int array": np.array([[0, 1], [1, 1]]),
    "boolean mask": np.array([[True, False, True, False]] * 3),
    "boolean rows": np.array([True, False, True]),
}


@pytest.mark.parametrize("name", INDICES)
def test_getitem_forward_and_gradient(name, rng):
    index = INDICES[name]
    x = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(lamina.tensor(x)[index].numpy(), x[index])
    assert check_gradients(lambda t: t[index], x)
    assert check_gradients(lambda t: ops.getitem(t, index), x)


def test_repeated_indices_scatter_add_their_gradients():
    x = lamina.tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 2, 0, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]

    m = lamina.tensor(np.zeros((2, 2)), requires_grad=True)
    m[np.array([1, 1]), np.array([0, 0])].sum().backward()
    assert m.grad.tolist() == [[0.0, 0.0], [2.0, 0.0]]


def test_index_may_be_a_tensor():
    x = lamina.tensor([1.0, -2.0, 3.0], requires_grad=True)
    x[x > 0].sum().backward()  # a boolean tensor
    assert x.grad.tolist() == [1.0, 0.0, 1.0]
    x.grad = None
    x[lamina.tensor([2, 2])].sum().backward()  # an integer tensor
    assert x.grad.tolist() == [0.0, 0.0, 2.0]


def test_iterating_a_tensor_yields_differentiable_rows():
    x = lamina.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[0] * rows[1]).sum().backward()
    assert x.grad.tolist() == [[3.0, 4.0], [1.0, 2.0]]
