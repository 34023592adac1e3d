import os

import numpy as np
import pytest

from lamina.data.dataset import BatchArray
from lamina.data.directory import (
    FileDataset,
    dataset_from_directory,
    encode_labels,
    index_directory,
    split,
)

IMAGES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
FILES = ["cats/0.png", "cats/1.png", "cats/2.png", "cats/3.png",
         "dogs/0.png", "dogs/1.png", "dogs/2.png", "dogs/puppies/3.png"]  # fmt: skip


def _tree(root, files):
    for name in files:
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(name)
    return str(root)


@pytest.fixture
def tree(tmp_path):
    return _tree(tmp_path, FILES + ["cats/notes.txt", ".hidden/9.png", "top.png"])


def _rel(root, paths):
    return [os.path.relpath(p, root) for p in paths]


def test_inferred_labels_come_from_sorted_subdirectories_recursively(tree, capsys):
    paths, labels, class_names = index_directory(tree, "inferred", IMAGES, shuffle=False)
    assert class_names == ["cats", "dogs"]  # .hidden and the top-level file are left out
    assert _rel(tree, paths) == FILES  # notes.txt has no image extension
    assert labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 1] and labels.dtype == np.int32
    assert capsys.readouterr().out == "Found 8 files belonging to 2 classes.\n"


def test_shuffle_with_a_seed_gives_keras_order(tree):
    # keras.src.utils.dataset_utils.index_directory(..., shuffle=True, seed=1337) in Keras 3.15
    paths, labels, _ = index_directory(tree, "inferred", IMAGES, seed=1337, verbose=False)
    keras_order = ["dogs/2.png", "cats/2.png", "cats/1.png", "cats/3.png",
                   "cats/0.png", "dogs/0.png", "dogs/1.png", "dogs/puppies/3.png"]  # fmt: skip
    assert _rel(tree, paths) == keras_order
    assert labels.tolist() == [1, 0, 0, 0, 0, 1, 1, 1]


def test_class_names_choose_and_order_the_classes(tree):
    paths, labels, names = index_directory(tree, "inferred", IMAGES, ["dogs"], shuffle=False)
    assert names == ["dogs"] and labels.tolist() == [0] * 4 and len(paths) == 4
    _, labels, names = index_directory(tree, "inferred", IMAGES, ["dogs", "cats"], shuffle=False)
    assert names == ["dogs", "cats"] and labels.tolist() == [0] * 4 + [1] * 4
    with pytest.raises(ValueError, match="class_names must name subdirectories"):
        index_directory(tree, "inferred", IMAGES, ["birds"])


def test_labels_none_and_a_list_of_labels_read_the_whole_tree(tree, capsys):
    paths, labels, names = index_directory(tree, None, IMAGES, shuffle=False)
    assert labels is None and names is None
    assert _rel(tree, paths)[:2] == ["top.png", ".hidden/9.png"] and len(paths) == 10
    assert capsys.readouterr().out == "Found 10 files.\n"
    given = [3, 1, 1, 0, 0, 1, 1, 3, 3, 1]
    _, labels, names = index_directory(tree, given, IMAGES, shuffle=False, verbose=False)
    assert labels.tolist() == given and names == ["0", "1", "3"]
    _, labels, _ = index_directory(tree, given, IMAGES, seed=3, verbose=False)
    assert sorted(labels.tolist()) == sorted(given) and given == [3, 1, 1, 0, 0, 1, 1, 3, 3, 1]
    with pytest.raises(ValueError, match="labels has 2 entries but 10 files"):
        index_directory(tree, [0, 1], IMAGES)


def test_extensions_match_in_any_case_and_missing_directories_are_named(tmp_path):
    root = _tree(tmp_path, ["a/x.PNG", "a/y.Jpg", "a/z.png.txt"])
    assert len(index_directory(root, "inferred", IMAGES, verbose=False)[0]) == 2
    with pytest.raises(FileNotFoundError, match="nowhere"):
        index_directory(os.path.join(root, "nowhere"), "inferred", IMAGES)


def test_follow_links_visits_linked_subdirectories(tmp_path):
    root = _tree(tmp_path / "data", ["a/x.png", "b/y.png"])
    elsewhere = _tree(tmp_path / "elsewhere", ["1.png", "2.png"])
    os.symlink(elsewhere, os.path.join(root, "a", "linked"))
    assert len(index_directory(root, "inferred", IMAGES, verbose=False)[0]) == 2
    paths, labels, _ = index_directory(root, "inferred", IMAGES, shuffle=False, follow_links=True)
    assert _rel(root, paths)[:3] == ["a/x.png", "a/linked/1.png", "a/linked/2.png"]
    assert labels.tolist() == [0, 0, 0, 1]


def test_labels_may_be_an_array(tree):
    given = np.array([1, 0] * 5)
    ds = dataset_from_directory(tree, np.array, IMAGES, "images", labels=given, verbose=False,
                                shuffle=False)  # fmt: skip
    assert ds.labels.tolist() == given.tolist() and ds.class_names == ["0", "1"]


def test_split_keeps_the_last_fraction_for_validation(capsys):
    paths, labels = list("abcdefghij"), np.arange(10)
    train = split(paths, labels, 0.2, "training")
    val = split(paths, labels, 0.2, "validation")
    assert train[0] == list("abcdefgh") and val[0] == ["i", "j"] and val[1].tolist() == [8, 9]
    assert capsys.readouterr().out == (
        "Using 8 files for training.\nUsing 2 files for validation.\n"
    )
    assert split(paths, labels, None, None)[0] is paths
    with pytest.raises(ValueError, match="selects no file for validation"):
        split(paths, labels, 0.05, "training")


def test_encode_labels_in_each_mode():
    assert encode_labels([0, 1], "int", 2).dtype == np.int32
    binary = encode_labels([0, 1], "binary", 2)
    assert binary.dtype == np.float32 and binary.tolist() == [[0.0], [1.0]]
    assert encode_labels([1, 7], "categorical", 3).tolist() == [[0, 1, 0], [0, 0, 0]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"labels": "folders"}, "labels must be"),
        ({"labels": [0] * 8, "class_names": ["a"]}, "class_names can only be passed"),
        ({"labels": None, "class_names": ["cats"]}, "class_names can only be passed"),
        ({"label_mode": "sparse"}, "label_mode must be one of"),
        ({"validation_split": 0.2}, "subset and validation_split go together"),
        ({"subset": "training"}, "subset and validation_split go together"),
        ({"validation_split": 0.2, "subset": "test", "seed": 1}, "subset must be"),
        ({"validation_split": 1.5, "subset": "training", "seed": 1}, "between 0 and 1"),
        ({"validation_split": 0.2, "subset": "training"}, "needs a seed"),
        ({"label_mode": "binary", "class_names": ["cats"]}, "exactly 2 classes"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
    ],
)
def test_argument_errors_name_the_problem(tree, kwargs, message):
    with pytest.raises(ValueError, match=message):
        dataset_from_directory(tree, np.array, IMAGES, "images", verbose=False, **kwargs)


def test_validation_split_without_shuffle_needs_no_seed(tree):
    kwargs = {"validation_split": 0.25, "shuffle": False, "verbose": False}
    val = dataset_from_directory(tree, np.array, IMAGES, "images", subset="validation", **kwargs)
    assert _rel(tree, val.file_paths) == FILES[-2:]


def test_empty_inferred_directory_says_to_pass_labels_none(tmp_path):
    root = _tree(tmp_path, ["a.png"])
    with pytest.raises(ValueError, match="No images found.*labels=None"):
        dataset_from_directory(root, np.array, IMAGES, "images", verbose=False)
    ds = dataset_from_directory(root, np.array, IMAGES, "images", labels=None, verbose=False)
    assert len(ds) == 1 and ds.class_names is None


def _dataset(n=10, batch_size=3, **kwargs):
    paths = [f"f{i}" for i in range(n)]
    return FileDataset(paths, np.arange(n), lambda ps: np.array([int(p[1:]) for p in ps]),
                       batch_size, **kwargs)  # fmt: skip


def test_batches_follow_the_files_and_their_labels():
    ds = _dataset()
    assert len(ds) == 4
    batches = [(x.tolist(), y.tolist()) for x, y in ds]
    assert batches[0] == ([0, 1, 2], [0, 1, 2]) and batches[-1] == ([9], [9])
    x, y = next(iter(ds))
    assert isinstance(x, BatchArray) and isinstance(y, BatchArray)
    assert type(x.numpy()) is np.ndarray and int(y[0]) == 0


def test_single_samples_without_a_batch_size():
    ds = _dataset(n=3, batch_size=None)
    assert len(ds) == 3 and [(x.shape, int(y)) for x, y in ds] == [((), 0), ((), 1), ((), 2)]


def test_shuffle_reorders_every_pass_and_a_seed_repeats_the_orders():
    ds = _dataset(n=40, batch_size=40, shuffle=True, seed=5)
    first, second = (next(iter(ds))[0].tolist() for _ in range(2))
    assert sorted(first) == list(range(40)) and first != second
    again = _dataset(n=40, batch_size=40, shuffle=True, seed=5)
    assert [next(iter(again))[0].tolist() for _ in range(2)] == [first, second]
    x, y = next(iter(ds))
    assert (x == y).all()  # labels travel with their files


def test_take_skip_map_and_the_tf_data_no_ops():
    ds = _dataset()
    assert [x.tolist() for x, _ in ds.skip(1).take(2)] == [[3, 4, 5], [6, 7, 8]]
    assert len(ds.take(2)) == 2 and len(ds.skip(3)) == 1 and len(ds) == 4
    doubled = ds.map(lambda x, y: (x * 2, y), num_parallel_calls=-1)
    assert [x.tolist() for x, _ in doubled.take(1)] == [[0, 2, 4]]
    only_x = doubled.map(lambda x, y: np.asarray(x).view(np.ndarray) + 1)
    first = next(iter(only_x))
    assert first.numpy().tolist() == [1, 3, 5]  # a plain array from map gets .numpy() back
    assert ds.cache() is ds and ds.prefetch(2) is ds
    assert int(ds.cardinality()) == 4 and ds.cardinality().numpy() == 4
    plain = next(ds.as_numpy_iterator())
    assert type(plain[0]) is np.ndarray and plain[1].tolist() == [0, 1, 2]
    with pytest.raises(TypeError, match="map\\(\\) needs a function"):
        ds.map(3)


def test_shuffle_method_reorders_whole_batches():
    ds = _dataset(n=30, batch_size=3).shuffle(1000)
    orders = [[x.tolist() for x, _ in ds] for _ in range(2)]
    assert orders[0] != orders[1]
    for order in orders:  # the batches themselves are unchanged
        assert sorted(order) == [[i, i + 1, i + 2] for i in range(0, 30, 3)]
