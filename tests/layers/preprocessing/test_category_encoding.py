"""CategoryEncoding: Keras's examples and rank rules, count weights, range errors, in a model."""

import numpy as np
import pytest

from lamina.layers import CategoryEncoding, Input
from lamina.models import Sequential


def test_keras_examples():
    one_hot = CategoryEncoding(num_tokens=4, output_mode="one_hot")
    assert one_hot([3, 2, 0, 1]).tolist() == np.eye(4)[[3, 2, 0, 1]].tolist()
    multi_hot = CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    assert multi_hot([[0, 1], [0, 0], [1, 2], [3, 1]]).tolist() == [
        [1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]
    ]  # fmt: skip
    count = CategoryEncoding(num_tokens=4, output_mode="count")
    weights = np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]])
    out = count([[0, 1], [0, 0], [1, 2], [3, 1]], count_weights=weights).numpy()
    np.testing.assert_allclose(
        out, [[0.1, 0.2, 0, 0], [0.2, 0, 0, 0], [0, 0.2, 0.3, 0], [0, 0.2, 0, 0.4]], rtol=1e-6
    )
    assert out.dtype == np.float32


def test_rank_rules_and_output_shapes():
    ids = np.array([[1, 2, 2], [0, 3, 3]])
    one_hot = CategoryEncoding(4, output_mode="one_hot")
    assert one_hot(ids).shape == (2, 3, 4) == one_hot.compute_output_shape((2, 3))
    assert one_hot(ids[:, :1]).shape == (2, 4) == one_hot.compute_output_shape((2, 1))
    count = CategoryEncoding(4, output_mode="count")
    assert count(ids).tolist() == [[0, 1, 2, 0], [1, 0, 0, 2]]
    assert count([1, 1, 3]).tolist() == [0, 2, 0, 1]  # 1-D: one sample, as in Keras 3
    assert CategoryEncoding(4)(np.int64(2)).tolist() == [0, 0, 1, 0]
    expected = np.zeros((2, 4))
    expected[[0, 0, 1, 1], [1, 2, 0, 3]] = 1
    assert CategoryEncoding(4)(ids.astype("float32")).numpy().tolist() == expected.tolist()
    with pytest.raises(ValueError, match="rank 1 or 2"):
        count(np.zeros((2, 2, 2), "int64"))


def test_out_of_range_and_fractional_values_are_errors():
    layer = CategoryEncoding(num_tokens=3)
    with pytest.raises(ValueError, match=r"got the value 7 but num_tokens=3.*\[0, 3\)"):
        layer([[0, 7]])
    with pytest.raises(ValueError, match="got the value -1 but num_tokens=3"):
        layer([[-1, 2]])
    with pytest.raises(ValueError, match="integer indices, got the value 1.5"):
        layer(np.array([[1.5]]))
    with pytest.raises(ValueError, match="num_tokens must be a positive integer"):
        CategoryEncoding()
    with pytest.raises(ValueError, match="output_mode must be one of"):
        CategoryEncoding(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="count_weights applies to output_mode='count'"):
        layer([[0]], count_weights=[[1.0]])
    with pytest.raises(ValueError, match="sparse"):
        CategoryEncoding(3, sparse=True)


def test_in_a_model_with_float_inputs():
    model = Sequential([Input(shape=(3,)), CategoryEncoding(5, output_mode="count")])
    out = model.predict(np.array([[4, 4, 0], [1, 2, 3]], "float32"), verbose=0)
    assert out.tolist() == [[1, 0, 0, 0, 2], [0, 1, 1, 1, 0]]
    clone = CategoryEncoding.from_config(model.layers[0].get_config())
    assert (clone.num_tokens, clone.output_mode) == (5, "count")
