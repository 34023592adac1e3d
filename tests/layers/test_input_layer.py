"""Input / InputLayer: shapes, dtypes (text included) and the symbolic tensor each one makes."""

import numpy as np
import pytest

from lamina.layers import Input, InputLayer
from lamina.models import Model, Sequential


def test_input_is_the_output_of_its_input_layer():
    x = Input(shape=(3,), name="features")
    assert x.shape == (None, 3) and x.layer.name == "features" and x.layer.output is x
    layer = InputLayer(shape=(2, 5))  # made directly (as in a Sequential list): same tensor
    assert layer.output.shape == (None, 2, 5) and layer.output.layer is layer


def test_string_input_declares_text():
    text = Input(shape=(1,), dtype="string")
    assert text.layer.dtype == "string" and text.dtype.kind == "U"
    assert InputLayer.from_config(text.layer.get_config()).dtype == "string"
    model = Sequential([text])
    assert model.input_dtype == "string"


def test_dtypes_are_normalized_and_checked():
    assert Input(shape=(2,), dtype=np.int32).layer.dtype == "int32"
    assert Input(shape=(2,)).dtype == np.float32
    with pytest.raises(ValueError, match="dtype must be a NumPy dtype name or 'string'"):
        Input(shape=(2,), dtype="text")


def test_an_identity_model_of_one_input():
    x = Input(shape=(2,))
    model = Model(x, x)
    np.testing.assert_array_equal(model.predict(np.ones((3, 2)), verbose=0), np.ones((3, 2)))
