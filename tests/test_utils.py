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
