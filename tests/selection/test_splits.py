import numpy as np
import pytest

from lamina.selection import make_splits

pytest.importorskip("sklearn")


def assert_partition(folds, n):
    vals = np.concatenate([val for _, val in folds])
    assert sorted(vals.tolist()) == list(range(n))  # every sample validated exactly once
    for train, val in folds:
        assert not set(train) & set(val)
        assert len(train) + len(val) == n


@pytest.mark.parametrize("k", [2, 3, 5, 7])
def test_kfold_folds_are_disjoint_and_cover_the_data(k):
    folds = make_splits(53, cv=k, seed=0)
    assert len(folds) == k
    assert_partition(folds, 53)
    sizes = [len(val) for _, val in folds]
    assert max(sizes) - min(sizes) <= 1


def test_shuffle_and_seed():
    a = make_splits(20, cv=4, seed=1)
    b = make_splits(20, cv=4, seed=1)
    c = make_splits(20, cv=4, shuffle=False)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert c[0][1].tolist() == [0, 1, 2, 3, 4]  # unshuffled: contiguous blocks
    assert a[0][1].tolist() != [0, 1, 2, 3, 4]


def test_stratified_folds_keep_class_ratios_within_one_sample():
    rng = np.random.default_rng(0)
    y = rng.choice(3, size=97, p=[0.6, 0.3, 0.1])
    k = 5
    folds = make_splits(len(y), cv=k, stratify=y, seed=0)
    assert_partition(folds, len(y))
    totals = np.bincount(y, minlength=3)
    for _, val in folds:
        expected = totals * len(val) / len(y)
        assert np.all(np.abs(np.bincount(y[val], minlength=3) - expected) <= 1)


def test_stratify_accepts_one_hot_targets():
    y = np.repeat([0, 1], [30, 10])
    folds = make_splits(40, cv=5, stratify=np.eye(2)[y], seed=0)
    assert all(np.bincount(y[val]).tolist() == [6, 2] for _, val in folds)


def test_group_kfold_never_splits_a_group():
    groups = np.repeat(np.arange(10), 4)
    folds = make_splits(40, cv=5, groups=groups, seed=0)
    assert_partition(folds, 40)
    for train, val in folds:
        assert not set(groups[train]) & set(groups[val])


def test_stratified_group_kfold():
    groups = np.repeat(np.arange(12), 5)
    y = np.repeat([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 5)
    folds = make_splits(60, cv=3, stratify=y, groups=groups, seed=0)
    for train, val in folds:
        assert not set(groups[train]) & set(groups[val])
        assert set(y[val]) == {0, 1}


def test_hold_out_fraction():
    ((train, val),) = make_splits(100, cv=0.2, seed=0)
    assert len(val) == 20 and len(train) == 80 and not set(train) & set(val)
    y = np.repeat([0, 1], [80, 20])
    ((train, val),) = make_splits(100, cv=0.25, stratify=y, seed=0)
    assert np.bincount(y[val]).tolist() == [20, 5]
    groups = np.repeat(np.arange(20), 5)
    ((train, val),) = make_splits(100, cv=0.2, groups=groups, seed=0)
    assert not set(groups[train]) & set(groups[val])


def test_splitter_objects_and_index_pairs_are_used_as_given():
    from sklearn.model_selection import LeaveOneOut

    assert len(make_splits(6, cv=LeaveOneOut())) == 6
    pairs = [(np.arange(0, 8), np.arange(8, 10)), (np.arange(2, 10), np.arange(0, 2))]
    assert [v.tolist() for _, v in make_splits(10, cv=pairs)] == [[8, 9], [0, 1]]
    mask = np.arange(10) < 7
    assert make_splits(10, cv=[(mask, ~mask)])[0][1].tolist() == [7, 8, 9]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cv": 1}, "at least 2 folds"),
        ({"cv": 1.5}, "must be in \\(0, 1\\)"),
        ({"cv": "five"}, "number of folds"),
        ({"cv": 3, "stratify": [0, 1]}, "stratify has 2 labels for 10 samples"),
        ({"cv": 3, "groups": [0] * 9}, "groups has 9 entries"),
        ({"cv": [(np.arange(5), np.arange(5, 12))]}, "indices must be integers in \\[0, 10\\)"),
        ({"cv": [(np.arange(5), [])]}, "no validation samples"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_splits(10, **kwargs)
