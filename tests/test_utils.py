import numpy as np
import pytest

from lamina.utils import to_categorical


def test_to_categorical_matches_keras_shapes():
    y = np.array([[1], [0], [3]])
    out = to_categorical(y)
    assert out.shape == (3, 4) and out.dtype == np.float32
    assert out.argmax(axis=1).tolist() == [1, 0, 3]
    assert to_categorical([2, 0], num_classes=5).shape == (2, 5)


def test_to_categorical_errors():
    with pytest.raises(ValueError, match="out of range"):
        to_categorical([4], num_classes=3)
    with pytest.raises(ValueError, match=">= 0"):
        to_categorical([-1, 2])
    with pytest.raises(ValueError, match="fractional"):
        to_categorical([0.5])


def test_pad_sequences_matches_keras_defaults_and_options():
    from lamina.utils import pad_sequences

    seqs = [[1, 2, 3], [4], []]
    np.testing.assert_array_equal(pad_sequences(seqs), [[1, 2, 3], [0, 0, 4], [0, 0, 0]])
    np.testing.assert_array_equal(
        pad_sequences(seqs, maxlen=2, padding="post", truncating="post", value=9),
        [[1, 2], [4, 9], [9, 9]],
    )
    assert pad_sequences(seqs).dtype == np.int32
    with pytest.raises(ValueError, match='padding must be "pre" or "post"'):
        pad_sequences(seqs, padding="middle")


def test_timeseries_helper_is_exported_from_utils():
    from lamina.utils import timeseries_dataset_from_array

    data = timeseries_dataset_from_array(np.arange(10), None, sequence_length=3, batch_size=4)
    assert len(data) == 2
