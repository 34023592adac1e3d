import os

import numpy as np
import pytest

import lamina
from lamina import image_utils, layers
from lamina.data import image_dataset
from lamina.data.image_dataset import resize_image
from lamina.utils import image_dataset_from_directory, save_img

# (class, file, shape): each image is one gray level, 10 * (its index + 1), so every served
# image tells which file it came from; the shapes differ so that every image is resized
FILES = [("cats", "a.png", (6, 4)), ("cats", "b.png", (5, 5)), ("cats", "c.png", (8, 8)),
         ("dogs", "a.png", (4, 6)), ("dogs", "b.png", (3, 3)), ("dogs", "c.png", (4, 4)),
         ("dogs", "d.png", (7, 5)), ("dogs", "e.png", (4, 4))]  # fmt: skip
LEVELS = {f"{c}/{f}": 10.0 * (i + 1) for i, (c, f, _) in enumerate(FILES)}


@pytest.fixture
def tree(tmp_path):
    for i, (cls, name, shape) in enumerate(FILES):
        os.makedirs(tmp_path / cls, exist_ok=True)
        save_img(str(tmp_path / cls / name), np.full((*shape, 3), 10.0 * (i + 1)), scale=False)
    (tmp_path / "cats" / "readme.txt").write_text("not an image")
    return str(tmp_path)


def _levels(images):
    return [float(image.mean()) for image in images]


def test_counts_shapes_labels_and_class_names(tree, capsys):
    ds = image_dataset_from_directory(tree, image_size=(4, 4), batch_size=3, shuffle=False)
    assert capsys.readouterr().out == "Found 8 files belonging to 2 classes.\n"
    assert ds.class_names == ["cats", "dogs"] and len(ds) == 3
    assert [os.path.relpath(p, tree) for p in ds.file_paths] == [f"{c}/{f}" for c, f, _ in FILES]
    batches = list(ds)
    x, y = batches[0]
    assert x.shape == (3, 4, 4, 3) and x.dtype == np.float32 and y.dtype == np.int32
    assert _levels(x) == [10.0, 20.0, 30.0] and y.numpy().tolist() == [0, 0, 0]
    assert batches[-1][0].shape == (2, 4, 4, 3) and batches[-1][1].tolist() == [1, 1]
    assert np.concatenate([y for _, y in ds]).tolist() == [0, 0, 0, 1, 1, 1, 1, 1]


def test_pixels_are_floats_in_0_255_and_resized_as_keras(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (7, 5, 3)).astype(np.float64)
    pixels[0, 0] = [0, 128, 255]
    os.makedirs(tmp_path / "c")
    save_img(str(tmp_path / "c" / "x.png"), pixels, scale=False)
    same = image_dataset_from_directory(str(tmp_path), image_size=(7, 5), verbose=False)
    x, _ = next(iter(same))
    np.testing.assert_array_equal(x[0], pixels)  # no resize: the pixels themselves
    ds = image_dataset_from_directory(str(tmp_path), image_size=(3, 8), verbose=False)
    x, _ = next(iter(ds))
    expected = layers.Resizing(3, 8)(pixels[None].astype("float32")).numpy()
    np.testing.assert_allclose(x, expected, atol=1e-4)
    # keras.ops.image.resize of this 2x2 image to (1, 4), bilinear: half-pixel centers
    tiny = np.array([[[0.0], [2.0]], [[4.0], [6.0]]], "float32")
    assert resize_image(tiny, (1, 4))[0, :, 0].tolist() == [2.0, 2.5, 3.5, 4.0]
    assert resize_image(tiny, (1, 4), "nearest")[0, :, 0].tolist() == [4.0, 4.0, 6.0, 6.0]


def test_crop_and_pad_to_aspect_ratio(tmp_path):
    os.makedirs(tmp_path / "c")
    image = np.zeros((4, 8, 1))
    image[:, 2:6] = 200.0  # a centered square of 200 between black bands
    save_img(str(tmp_path / "c" / "x.png"), image, scale=False)
    kwargs = {"image_size": (2, 2), "color_mode": "grayscale", "verbose": False}
    cropped = next(iter(image_dataset_from_directory(str(tmp_path), crop_to_aspect_ratio=True,
                                                     **kwargs)))[0]  # fmt: skip
    assert cropped[0, :, :, 0].tolist() == [[200.0, 200.0], [200.0, 200.0]]
    padded = next(iter(image_dataset_from_directory(str(tmp_path), pad_to_aspect_ratio=True,
                                                    image_size=(4, 2), color_mode="grayscale",
                                                    verbose=False)))[0]  # fmt: skip
    assert padded[0, :, :, 0].tolist()[0] == [0.0, 0.0]  # padded rows above and below
    assert padded[0, 1:3, :, 0].min() > 0
    with pytest.raises(ValueError, match="only one of crop_to_aspect_ratio"):
        image_dataset_from_directory(str(tmp_path), crop_to_aspect_ratio=True,
                                     pad_to_aspect_ratio=True)  # fmt: skip


@pytest.mark.parametrize("color_mode, channels", [("grayscale", 1), ("rgb", 3), ("rgba", 4)])
def test_color_modes_and_channels_first(tree, color_mode, channels):
    ds = image_dataset_from_directory(tree, color_mode=color_mode, image_size=(5, 6),
                                      batch_size=8, verbose=False)  # fmt: skip
    assert next(iter(ds))[0].shape == (8, 5, 6, channels)
    first = image_dataset_from_directory(tree, color_mode=color_mode, image_size=(5, 6),
                                         data_format="channels_first", verbose=False)  # fmt: skip
    assert next(iter(first))[0].shape == (8, channels, 5, 6)


def test_label_modes(tree):
    kwargs = {"image_size": (2, 2), "batch_size": 8, "shuffle": False, "verbose": False}
    _, y = next(iter(image_dataset_from_directory(tree, label_mode="categorical", **kwargs)))
    assert y.dtype == np.float32 and y.shape == (8, 2) and y[:, 1].tolist() == [0] * 3 + [1] * 5
    _, y = next(iter(image_dataset_from_directory(tree, label_mode="binary", **kwargs)))
    assert y.dtype == np.float32 and y.shape == (8, 1) and y[-1, 0] == 1.0
    only = next(iter(image_dataset_from_directory(tree, label_mode=None, **kwargs)))
    assert not isinstance(only, tuple) and only.shape == (8, 2, 2, 3)
    given = [2, 0, 1, 2, 0, 1, 2, 0]  # for the files in sorted path order
    ds = image_dataset_from_directory(tree, labels=given, **kwargs)
    assert ds.class_names == ["0", "1", "2"] and next(iter(ds))[1].tolist() == given


def test_validation_subsets_with_one_seed_are_disjoint_and_cover_the_files(tree, capsys):
    kwargs = {"validation_split": 0.25, "seed": 1337, "image_size": (2, 2), "batch_size": 2}
    train = image_dataset_from_directory(tree, subset="training", **kwargs)
    val = image_dataset_from_directory(tree, subset="validation", **kwargs)
    out = capsys.readouterr().out
    assert "Using 6 files for training." in out and "Using 2 files for validation." in out
    assert len(train) == 3 and len(val) == 1
    assert not set(train.file_paths) & set(val.file_paths)
    assert len(set(train.file_paths) | set(val.file_paths)) == 8
    # Keras 3.15 with seed=1337 shuffles these files to end with dogs/c.png, dogs/e.png
    assert sorted(os.path.relpath(p, tree) for p in val.file_paths) == ["dogs/c.png", "dogs/e.png"]
    served = sorted(_levels(np.concatenate([x for x, _ in val])))
    assert served == [LEVELS["dogs/c.png"], LEVELS["dogs/e.png"]]
    both_train, both_val = image_dataset_from_directory(tree, subset="both", **kwargs)
    assert both_train.file_paths == train.file_paths and both_val.file_paths == val.file_paths
    assert both_val.class_names == ["cats", "dogs"]
    epochs = [[x for x, _ in both_val] for _ in range(2)]  # "both": validation unshuffled
    assert [_levels(b) for b in epochs[0]] == [_levels(b) for b in epochs[1]]


def test_shuffling_is_new_each_pass_and_repeats_with_the_seed(tree):
    def passes(seed):
        ds = image_dataset_from_directory(tree, image_size=(2, 2), batch_size=8, seed=seed,
                                          verbose=False)  # fmt: skip
        return [list(zip(_levels(x), y.tolist())) for x, y in (next(iter(ds)) for _ in range(3))]

    first = passes(5)
    assert first == passes(5) and first != passes(6)
    assert first[0] != first[1]  # reshuffled every pass
    for order in first:  # every image once, with its own label
        assert sorted(order) == sorted((LEVELS[f"{c}/{f}"], int(c == "dogs")) for c, f, _ in FILES)


def test_images_are_read_one_batch_at_a_time(tree, monkeypatch):
    calls = []
    original = image_utils.load_img
    monkeypatch.setattr(
        image_utils, "load_img", lambda *a, **k: calls.append(a) or original(*a, **k)
    )
    ds = image_dataset_from_directory(tree, image_size=(2, 2), batch_size=3, verbose=False)
    assert calls == []
    for _ in ds.take(1):
        pass
    assert len(calls) == 3


def test_png_without_pillow_and_other_formats_need_it(tree, monkeypatch):
    monkeypatch.setattr(image_utils, "_pil", lambda: None)
    ds = image_dataset_from_directory(tree, image_size=(3, 3), verbose=False, shuffle=False)
    assert _levels(next(iter(ds))[0])[:2] == [10.0, 20.0]
    open(os.path.join(tree, "cats", "photo.jpg"), "wb").close()
    with pytest.raises(ImportError, match="pip install pillow"):
        image_dataset_from_directory(tree, verbose=False)


def test_jpeg_gif_and_bmp_through_pillow(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    os.makedirs(tmp_path / "c")
    for ext in ("jpg", "gif", "bmp"):
        pil.fromarray(np.full((5, 5, 3), 120, np.uint8)).save(tmp_path / "c" / f"x.{ext}")
    ds = image_dataset_from_directory(str(tmp_path), image_size=(4, 4), verbose=False)
    x, _ = next(iter(ds))
    assert x.shape == (3, 4, 4, 3) and np.allclose(x, 120, atol=3)


def test_unreadable_images_and_unsupported_interpolations_are_named(tree):
    with open(os.path.join(tree, "cats", "broken.png"), "wb") as f:
        f.write(b"not a png")
    ds = image_dataset_from_directory(tree, image_size=(2, 2), verbose=False, shuffle=False)
    with pytest.raises(ValueError, match="broken.png"):
        list(ds)
    with pytest.raises(ValueError, match="lamina does not implement"):
        image_dataset_from_directory(tree, interpolation="bicubic")
    with pytest.raises(ValueError, match="image_size must be"):
        image_dataset_from_directory(tree, image_size=(2, 0))
    with pytest.raises(ValueError, match="color_mode must be"):
        image_dataset_from_directory(tree, color_mode="cmyk")


def test_fit_evaluate_and_predict_take_the_datasets(tree):
    lamina.utils.set_random_seed(0)
    train_ds, val_ds = image_dataset_from_directory(tree, validation_split=0.25, subset="both",
                                                    seed=1, image_size=(8, 8), batch_size=4,
                                                    verbose=False)  # fmt: skip
    augment = layers.RandomFlip("horizontal")
    train_ds = train_ds.map(lambda x, y: (augment(x, training=True), y)).prefetch(2).cache()
    model = lamina.Sequential([
        lamina.Input((8, 8, 3)),
        layers.Rescaling(1.0 / 255),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and "val_accuracy" in history.history
    assert model.predict(val_ds, verbose=0).shape == (2, 2)
    assert len(model.evaluate(val_ds, verbose=0)) == 2


def test_lamina_namespaces_export_it():
    assert lamina.preprocessing.image_dataset_from_directory is image_dataset_from_directory
    assert lamina.data.image_dataset_from_directory is image_dataset.image_dataset_from_directory
