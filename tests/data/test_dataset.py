import numpy as np
import pytest

import lamina
from lamina.data import BatchDataset, timeseries_dataset_from_array
from lamina.data.dataset import BatchArray
from lamina.layers import Dense, Input
from lamina.models import Sequential


def _firsts(ds):
    return [int(x[0]) for x, _ in ds]


def test_take_and_skip_select_batches_of_each_pass():
    ds = BatchDataset(np.arange(10), np.arange(10), batch_size=2)  # 5 batches
    assert _firsts(ds.take(2)) == [0, 2] and len(ds.take(2)) == 2
    assert _firsts(ds.skip(3)) == [6, 8] and len(ds.skip(3)) == 2
    assert _firsts(ds.skip(1).take(2)) == [2, 4]
    assert _firsts(ds.take(4).skip(1)) == [2, 4, 6]
    assert _firsts(ds.take(4).skip(1).take(1)) == [2]
    assert len(ds.take(-1)) == 5 and len(ds.skip(-1)) == 0 and list(ds.skip(-1)) == []
    assert len(ds.take(99)) == 5 and list(ds.skip(99)) == []
    assert len(ds) == 5  # the original is unchanged
    assert _firsts(ds.take(1)) == _firsts(ds.take(1))  # re-iterable


def test_take_and_skip_on_single_samples():
    ds = BatchDataset(np.arange(5) * 10, batch_size=None)
    assert [int(x[0]) for x in ds.skip(2).take(2)] == [20, 30]


def test_take_on_a_shuffled_dataset_takes_from_each_new_order():
    ds = BatchDataset(np.arange(100), batch_size=10, shuffle=True, seed=0)
    first = [x.tolist() for x in ds.take(2)]
    second = [x.tolist() for x in ds.take(2)]
    assert len(first) == 2 and first != second  # a new order per pass
    assert len(set(sum(first, []))) == 20


@pytest.mark.parametrize("bad", [-2, 1.5, "1", True])
def test_counts_are_checked(bad):
    ds = BatchDataset(np.arange(4), batch_size=2)
    with pytest.raises(ValueError, match=r"take\(\) count must be an integer >= -1"):
        ds.take(bad)
    with pytest.raises(ValueError, match=r"skip\(\) count must be an integer >= -1"):
        ds.skip(bad)


def test_batches_offer_numpy_like_tensors():
    data = np.arange(40, dtype=np.float32).reshape(20, 2)
    ds = timeseries_dataset_from_array(data, data[:, 0], sequence_length=4, batch_size=8)
    for batch in ds.take(1):  # the keras.io weather-forecasting idiom
        inputs, targets = batch
    assert inputs.numpy().shape == (8, 4, 2) and targets.numpy().shape == (8,)
    assert isinstance(inputs, BatchArray) and type(inputs.numpy()) is np.ndarray
    np.testing.assert_array_equal(inputs.numpy()[1], data[1:5])
    assert np.shares_memory(inputs, inputs.numpy())  # no copy
    assert hasattr(targets[0], "numpy")


def test_models_read_batches_as_plain_arrays():
    lamina.seed(0)
    model = Sequential([Input((3,)), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32)
    ds = BatchDataset(x, y, batch_size=4)
    batch_x, batch_y = next(iter(ds))
    out = model(batch_x)
    assert type(out.data) is np.ndarray  # the subclass does not leak into the graph
    assert type(model.predict(batch_x, verbose=0)) is np.ndarray
    history = model.fit(ds.take(1), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(ds.skip(1), verbose=0).shape == (4, 2)
