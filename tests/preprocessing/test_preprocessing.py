"""``lamina.preprocessing`` re-exports lamina.utils functions under Keras's legacy paths."""

import numpy as np

import lamina
from lamina import preprocessing, utils


def test_legacy_paths_are_the_utils_functions():
    assert lamina.preprocessing is preprocessing
    assert preprocessing.timeseries_dataset_from_array is utils.timeseries_dataset_from_array
    assert preprocessing.sequence.pad_sequences is utils.pad_sequences
    assert preprocessing.image.save_img is utils.save_img


def test_timeseries_through_the_legacy_path():
    ds = preprocessing.timeseries_dataset_from_array(
        np.arange(10), np.arange(10) * 10, sequence_length=3, batch_size=4
    )
    x, y = next(iter(ds.take(1)))
    assert x.numpy().tolist()[1] == [1, 2, 3] and y.numpy().tolist() == [0, 10, 20, 30]


def test_pad_sequences_through_the_legacy_path():
    out = preprocessing.sequence.pad_sequences([[1, 2, 3], [4]], maxlen=3, padding="post")
    np.testing.assert_array_equal(out, [[1, 2, 3], [4, 0, 0]])
