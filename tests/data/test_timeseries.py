import numpy as np
import pytest

import lamina
from lamina.data import BatchDataset, timeseries_dataset_from_array


def reference(data, targets, length, stride, rate, start, end):
    """Keras's contract, one window at a time."""
    start = 0 if start is None else start
    end = len(data) if end is None else end
    windows, ys = [], []
    s = start
    while s + (length - 1) * rate < end and (targets is None or s < len(targets)):
        windows.append(np.stack([data[s + j * rate] for j in range(length)]))
        if targets is not None:
            ys.append(targets[s])
        s += stride
    return np.stack(windows), (None if targets is None else np.array(ys))


def collect(ds):
    items = list(ds)
    if isinstance(items[0], tuple):
        return np.concatenate([x for x, _ in items]), np.concatenate([y for _, y in items])
    return np.concatenate(items), None


@pytest.mark.parametrize(
    ("length", "stride", "rate", "start", "end", "batch"),
    [
        (5, 1, 1, None, None, 7),
        (4, 3, 1, None, None, 4),
        (3, 1, 2, None, None, 128),
        (4, 2, 3, 5, None, 3),
        (2, 5, 2, 3, 40, 2),
        (6, 1, 4, None, 30, 1),
        (1, 1, 1, 10, 11, 5),  # exactly one window
        (7, 3, 2, 2, 15, 10),  # exactly one window after the start
    ],
)
def test_windows_and_targets_match_the_naive_reference(length, stride, rate, start, end, batch):
    rng = np.random.default_rng(length * 100 + stride)
    data = rng.normal(size=(50, 3)).astype(np.float32)
    targets = rng.integers(0, 9, size=50)
    ds = timeseries_dataset_from_array(
        data, targets, length, stride, rate, batch_size=batch, start_index=start, end_index=end
    )
    x, y = collect(ds)
    want_x, want_y = reference(data, targets, length, stride, rate, start, end)
    np.testing.assert_array_equal(x, want_x)
    np.testing.assert_array_equal(y, want_y)
    assert x.dtype == np.float32 and y.dtype == targets.dtype
    assert len(ds) == -(-len(want_x) // batch)
    assert all(len(xb) == batch for xb, _ in list(ds)[:-1])


def test_one_dimensional_series_and_short_targets():
    data = np.arange(20.0)
    ds = timeseries_dataset_from_array(data[:-3], data[3:], sequence_length=3, batch_size=100)
    (x, y), *rest = list(ds)
    assert not rest and x.shape == (15, 3)
    np.testing.assert_array_equal(y, x[:, -1] + 1)  # predict the value after the window
    short = timeseries_dataset_from_array(data, np.arange(4), sequence_length=3, batch_size=10)
    x, y = collect(short)
    assert len(x) == 4 and y.tolist() == [0, 1, 2, 3]  # windows without a target are dropped


def test_targets_none_yields_only_windows():
    data = np.arange(24).reshape(12, 2)
    ds = timeseries_dataset_from_array(data, None, sequence_length=4, sequence_stride=4)
    batches = list(ds)
    assert len(batches) == len(ds) == 1 and isinstance(batches[0], np.ndarray)
    np.testing.assert_array_equal(batches[0], reference(data, None, 4, 4, 1, None, None)[0])


def test_batch_size_none_yields_single_windows():
    data = np.arange(10)
    ds = timeseries_dataset_from_array(data, data * 2, sequence_length=4, batch_size=None)
    items = list(ds)
    assert len(items) == len(ds) == 7
    x, y = items[2]
    assert x.tolist() == [2, 3, 4, 5] and int(y) == 4


def test_windows_are_copied_not_views_of_the_data():
    data = np.arange(10.0)
    (x, _), *_ = timeseries_dataset_from_array(data, data, sequence_length=3, batch_size=4)
    x[0, 0] = -1
    assert data[0] == 0 and x.flags.c_contiguous


def test_shuffle_is_seeded_covers_every_window_and_reshuffles_each_pass():
    data = np.arange(100)

    def passes(seed):
        ds = timeseries_dataset_from_array(
            data, data, sequence_length=5, batch_size=8, shuffle=True, seed=seed
        )
        return [collect(ds) for _ in range(3)]

    first, again, other = passes(7), passes(7), passes(8)
    for (x, y), (x2, y2) in zip(first, again):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
    for x, y in first:
        assert sorted(x[:, 0].tolist()) == list(range(96))  # every window once per pass
        np.testing.assert_array_equal(y, x[:, 0])  # targets travel with their windows
        np.testing.assert_array_equal(x, x[:, :1] + np.arange(5))
    assert first[0][0][:, 0].tolist() != first[1][0][:, 0].tolist()  # a new order each pass
    assert first[0][0][:, 0].tolist() != other[0][0][:, 0].tolist()


def test_without_a_seed_the_order_follows_lamina_seed():
    def order():
        lamina.seed(3)
        ds = timeseries_dataset_from_array(np.arange(30), None, 2, batch_size=5, shuffle=True)
        return collect(ds)[0][:, 0].tolist()

    assert order() == order() and order() != list(range(29))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sequence_length": 11}, "sequence_length=11 with sampling_rate=1 spans 11 steps, but "),
        ({"sequence_length": 4, "sampling_rate": 4}, "spans 13 steps, but only 10 are available"),
        ({"sequence_length": 5, "start_index": 7}, "only 3 are available"),
        ({"sequence_length": 0}, "sequence_length must be a positive integer, got 0"),
        ({"sequence_length": 2, "sequence_stride": -1}, "sequence_stride must be a positive"),
        ({"sequence_length": 2, "sampling_rate": 0}, "sampling_rate must be a positive"),
        ({"sequence_length": 2.0}, "sequence_length must be a positive integer, got 2.0"),
        ({"sequence_length": 2, "start_index": 10}, r"start_index must be in \[0, 10\)"),
        ({"sequence_length": 2, "start_index": -1}, r"start_index must be in \[0, 10\)"),
        ({"sequence_length": 2, "end_index": 11}, r"end_index must be in \(0, 10\]"),
        ({"sequence_length": 2, "start_index": 4, "end_index": 4}, r"end_index must be in \(4"),
        ({"sequence_length": 2, "batch_size": 0}, "batch_size must be a positive integer or None"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        timeseries_dataset_from_array(np.arange(10), None, **kwargs)


def test_sizes_are_named_when_the_data_is_too_short():
    with pytest.raises(ValueError, match=r"data has 10 steps, start_index=0, end_index=10"):
        timeseries_dataset_from_array(np.arange(10), None, sequence_length=20)
    with pytest.raises(ValueError, match="targets has 2 entries"):
        timeseries_dataset_from_array(np.arange(10), np.arange(2), 3, start_index=4)


def test_batch_dataset_over_arrays():
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    ds = BatchDataset(x, y, batch_size=4)
    assert len(ds) == 3 and ds.num_samples == 10
    batches = list(ds)
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    assert [b[1].tolist() for b in list(ds)] == [b[1].tolist() for b in batches]  # re-iterable
    only_x = BatchDataset([[1, 2], [3, 4], [5, 6]], batch_size=2)
    assert [b.tolist() for b in only_x] == [[[1, 2], [3, 4]], [[5, 6]]]
    shuffled = BatchDataset(x, y, batch_size=3, shuffle=True, seed=0)
    for xb, yb in shuffled:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)
    with pytest.raises(ValueError, match="x has 10, y has 9 samples"):
        BatchDataset(x, y[:9])
    with pytest.raises(ValueError, match="batch_size must be a positive integer or None"):
        BatchDataset(x, batch_size=True)
