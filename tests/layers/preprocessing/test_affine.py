"""RandomRotation, RandomTranslation, RandomZoom and their shared sampler (affine.py): exact
against np.rot90 and shifts, every fill mode and interpolation, gradients, factor checks."""

import numpy as np
import pytest

from lamina.layers import RandomFlip, RandomRotation, RandomTranslation, RandomZoom
from lamina.layers.preprocessing.affine import (
    FILL_MODES,
    affine_transform,
    rotation_matrices,
    translation_matrices,
)
from lamina.testing import check_gradients


def images(n=4, rows=6, cols=6, channels=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, rows, cols, channels)).astype("float32")


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("quarter, k", [(0.25, 1), (-0.25, -1), (0.5, 2)])
def test_rotation_by_quarter_turns_equals_rot90(quarter, k, interpolation):
    x = images(rows=7, cols=7)
    layer = RandomRotation((quarter, quarter), interpolation=interpolation)
    out = layer(x, training=True).numpy()
    np.testing.assert_array_equal(out, np.rot90(x, k, axes=(1, 2)))  # exact: no blending


def test_rotation_of_a_non_square_image_matches_rot90_in_the_interior():
    x = images(rows=6, cols=10)
    out = RandomRotation((0.25, 0.25), fill_mode="constant")(x, training=True).numpy()
    rotated = np.rot90(x, 1, axes=(1, 2))  # (10, 6): centered in the (6, 10) output
    np.testing.assert_array_equal(out[:, :, 2:8], rotated[:, 2:8])
    assert (out[:, :, :2] == 0).all() and (out[:, :, 8:] == 0).all()  # constant fill


def test_flip_equals_np_flip():
    x = images(n=32)
    for mode, axis in [("horizontal", 1), ("vertical", 0)]:  # of one image (rows, cols, channels)
        out = RandomFlip(mode, seed=0)(x, training=True).numpy()
        flipped = [np.array_equal(o, np.flip(i, axis=axis)) for o, i in zip(out, x)]
        kept = [np.array_equal(o, i) for o, i in zip(out, x)]
        assert all(f or k for f, k in zip(flipped, kept)) and 8 < sum(flipped) < 24


@pytest.mark.parametrize("dy, dx", [(2, 0), (0, -3), (1, 2)])
def test_translation_by_whole_pixels_is_a_shift(dy, dx):
    x = images(rows=8, cols=12)
    layer = RandomTranslation((dy / 8, dy / 8), (dx / 12, dx / 12), fill_mode="constant")
    out = layer(x, training=True).numpy()
    expected = np.zeros_like(x)
    rows, cols = slice(max(dy, 0), 8 + min(dy, 0)), slice(max(dx, 0), 12 + min(dx, 0))
    source = slice(max(-dy, 0), 8 - max(dy, 0)), slice(max(-dx, 0), 12 - max(dx, 0))
    expected[:, rows, cols] = x[:, source[0], source[1]]
    np.testing.assert_allclose(out, expected, atol=1e-6)


FILLED = {  # row a b c d e shifted 3 pixels right, then the three uncovered pixels
    "reflect": [3, 2, 1, 1, 2],  # (d c b a | a b c d): mirrored about the edge
    "wrap": [3, 4, 5, 1, 2],  # (a b c d | a b c d)
    "constant": [-1, -1, -1, 1, 2],  # fill_value
    "nearest": [1, 1, 1, 1, 2],  # (a a a a | a b c d)
}


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_each_fill_mode(fill_mode):
    row = np.arange(1.0, 6.0, dtype="float32").reshape(1, 1, 5, 1)
    layer = RandomTranslation(0.0, (0.6, 0.6), fill_mode=fill_mode, fill_value=-1.0)
    assert layer(row, training=True).numpy().ravel().tolist() == FILLED[fill_mode]
    column = row.transpose(0, 2, 1, 3)  # the same along the height axis
    down = RandomTranslation((0.6, 0.6), 0.0, fill_mode=fill_mode, fill_value=-1.0)
    assert down(column, training=True).numpy().ravel().tolist() == FILLED[fill_mode]


def test_far_shifts_keep_folding():
    row = np.arange(1.0, 4.0, dtype="float32").reshape(1, 1, 3, 1)  # a b c
    shift = translation_matrices(np.array([-7.0]), np.array([0.0]))  # read 7 pixels right
    out = {
        m: affine_transform(row, shift, fill_mode=m).numpy().ravel().tolist() for m in FILL_MODES
    }
    # reflect repeats every 6: a b c | c b a | a b c | c b a; indices 7, 8, 9 -> b, c, c
    assert out == {"reflect": [2, 3, 3], "wrap": [2, 3, 1], "constant": [0, 0, 0],
                   "nearest": [3, 3, 3]}  # fmt: skip


def test_bilinear_interpolation_between_pixels():
    row = np.array([0.0, 10.0, 20.0, 30.0], "float32").reshape(1, 1, 4, 1)
    half = translation_matrices(np.array([0.25]), np.array([0.0]))  # read 0.25 px to the left
    out = affine_transform(row, half, fill_mode="nearest").numpy().ravel()
    np.testing.assert_allclose(out, [0.0, 7.5, 17.5, 27.5])
    nearest = affine_transform(row, half, "nearest", fill_mode="nearest").numpy().ravel()
    assert nearest.tolist() == [0.0, 10.0, 20.0, 30.0]  # rounds to the closest pixel


def test_zoom_in_and_out_about_the_center():
    x = np.arange(36.0, dtype="float32").reshape(1, 6, 6, 1)
    # zooming in 2x about the center 2.5 reads pixel 0.5 * j + 1.25 (nearest: 1 2 2 3 3 4)
    middle = [1, 2, 2, 3, 3, 4]
    zoom_in = RandomZoom((-0.5, -0.5), interpolation="nearest")(x, training=True).numpy()
    np.testing.assert_array_equal(zoom_in[0, :, :, 0], x[0, :, :, 0][np.ix_(middle, middle)])
    wide = RandomZoom((0.0, 0.0), width_factor=(-0.5, -0.5), interpolation="nearest")
    np.testing.assert_array_equal(wide(x, training=True).numpy()[0], x[0][:, middle])
    # zooming out 2x (factor 1.0) with a constant fill shows the image at half size
    ones = np.ones((1, 8, 8, 1), "float32")
    out = RandomZoom((1.0, 1.0), fill_mode="constant", interpolation="nearest")(ones, training=True)
    frame = out.numpy()[0, :, :, 0]
    assert frame[2:6, 2:6].all() and frame.sum() == 16  # a 4 x 4 image in a frame of zeros


SCIPY_MODES = {"reflect": "reflect", "wrap": "grid-wrap", "nearest": "nearest",
               "constant": "grid-constant"}  # fmt: skip


@pytest.mark.parametrize("interpolation, order", [("bilinear", 1), ("nearest", 0)])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_sampler_equals_scipy_ndimage_affine_transform(fill_mode, interpolation, order):
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (3, 9, 11, 2))
    matrices = rotation_matrices(rng.uniform(-1, 1, 3), 9, 11)
    matrices[:, :, 2] += rng.normal(0, 3, (3, 2))  # shifted, stretched: borders in every mode
    matrices = matrices @ np.array([[1.3, 0, 0], [0, 0.8, 0], [0, 0, 1]])
    out = affine_transform(x, matrices, interpolation, fill_mode, fill_value=0.7).numpy()
    for i, m in enumerate(matrices):  # SciPy maps (row, col) -> (row, col): swap x and y
        rows_cols = np.array([[m[1, 1], m[1, 0]], [m[0, 1], m[0, 0]]])
        offset = np.array([m[1, 2], m[0, 2]])
        for c in range(2):
            expected = ndimage.affine_transform(x[i, :, :, c], rows_cols, offset, order=order,
                                                mode=SCIPY_MODES[fill_mode], cval=0.7)  # fmt: skip
            np.testing.assert_allclose(out[i, :, :, c], expected, atol=1e-8)


def test_gradients_flow_through_the_sampler():
    rng = np.random.default_rng(0)
    matrices = np.stack([
        [[0.9, -0.3, 0.7], [0.35, 0.95, -0.4]], [[1.2, 0.0, -0.6], [0.1, 0.8, 0.9]]
    ])  # fmt: skip
    for fill_mode in FILL_MODES:
        assert check_gradients(
            lambda t, m=fill_mode: affine_transform(t, matrices, fill_mode=m, fill_value=0.5),
            rng.normal(size=(2, 4, 5, 2)),
        )


def test_factor_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"factor values must be in \[-1, 1\]"):
        RandomRotation(1.5)
    with pytest.raises(ValueError, match="a number or a pair"):
        RandomRotation((0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match=r"height_factor values must be in \(-1, 1\]"):
        RandomZoom(-1.0)
    with pytest.raises(ValueError, match="width_factor must be a number or a pair"):
        RandomTranslation(0.1, "a lot")
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="interpolation must be one of"):
        RandomZoom(0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match="seed must be None or a non-negative integer"):
        RandomFlip(seed=-3)
    with pytest.raises(ValueError, match="mode must be one of"):
        RandomFlip("diagonal")
    assert RandomRotation(-0.2).lower == -0.2 and RandomRotation(-0.2).upper == 0.2
