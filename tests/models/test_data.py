"""data.py: turning user data into validated arrays; text passes only where a model reads it."""

import numpy as np
import pytest

from lamina.layers import Dense, Input, StringLookup, TextVectorization
from lamina.models import Model, Sequential
from lamina.models.data import as_array, takes_strings


def test_as_array_keeps_text_only_when_asked():
    texts = as_array(["a b", "c"], "x", "float32", strings=True)
    assert texts.dtype.kind == "U" and texts.tolist() == ["a b", "c"]
    objects = as_array(np.array([["a"], [b"b"]], dtype=object), "x", strings=True)
    assert objects.dtype == object and objects.shape == (2, 1)
    assert as_array([1.0, 2.0], "x", "float32", strings=True).dtype == np.float32  # as before
    with pytest.raises(TypeError, match="x must be numeric, got an array of dtype <U3"):
        as_array(["a b", "c"], "x", "float32")
    with pytest.raises(ValueError, match="batch dimension, got a single string"):
        as_array("a b", "x", strings=True)


def test_takes_strings_reads_the_model_input():
    assert takes_strings(Sequential([TextVectorization(vocabulary=["a"]), Dense(1)]))
    assert takes_strings(Sequential([StringLookup(vocabulary=["a"])]))
    assert not takes_strings(Sequential([Dense(1)]))
    assert not takes_strings(Sequential([Input(shape=(2,)), Dense(1)]))
    text, number = Input(shape=(1,), dtype="string"), Input(shape=(1,))
    model = Model([text, number], Dense(1)(number))
    assert takes_strings(model, 0) and not takes_strings(model, 1)
