"""Discretization: adapt agrees with np.quantile and scikit-learn's KBinsDiscretizer, Keras's
examples, output modes, config after adapt, errors."""

import json

import numpy as np
import pytest

from lamina.layers import Discretization, Input
from lamina.models import Sequential, load_model


def test_adapt_matches_kbins_discretizer_quantiles():
    from sklearn.preprocessing import KBinsDiscretizer

    x = np.random.default_rng(0).gamma(2.0, size=(1000, 1))
    layer = Discretization(num_bins=6)
    layer.adapt(x)
    kbins = KBinsDiscretizer(n_bins=6, encode="ordinal", strategy="quantile",
                             quantile_method="interpolated_inverted_cdf").fit(x)  # fmt: skip
    np.testing.assert_allclose(layer.bin_boundaries, kbins.bin_edges_[0][1:-1], rtol=1e-12)
    np.testing.assert_array_equal(layer(x).numpy()[:, 0], kbins.transform(x)[:, 0])
    counts = np.bincount(layer(x).numpy().ravel(), minlength=6)
    assert counts.min() >= 160 and counts.max() <= 175  # quantile bins: equal frequencies


def test_adapt_over_batches_uses_every_value():
    x = np.random.default_rng(1).normal(size=(500, 3)).astype("float32")
    layer = Discretization(num_bins=4)
    layer.adapt(x[i : i + 100] for i in range(0, 500, 100))
    expected = np.quantile(x.astype(np.float64), [0.25, 0.5, 0.75],
                           method="interpolated_inverted_cdf")  # fmt: skip
    np.testing.assert_allclose(layer.bin_boundaries, expected)


def test_keras_examples():
    x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])
    fixed = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    assert fixed(x).tolist() == [[0, 2, 3, 1], [1, 3, 2, 1]]
    assert fixed(x).dtype == np.int32
    learned = Discretization(num_bins=4, epsilon=0.01)
    learned.adapt(x)
    assert learned(x).tolist() == [[0, 2, 3, 2], [1, 3, 3, 1]]


def test_boundaries_are_left_closed_in_the_input_precision():
    layer = Discretization(bin_boundaries=[0.1, 1.3])
    values = np.array([0.1, 1.3, np.nextafter(np.float32(1.3), 0)], "float32")
    assert layer(values).tolist() == [1, 2, 1]


def test_output_modes():
    x = np.array([[-1.0, 0.5, 5.0], [0.5, 0.5, 0.7]])
    assert Discretization([0.0, 1.0], output_mode="one_hot")(x[:, :1]).tolist() == [
        [1, 0, 0], [0, 1, 0]
    ]  # fmt: skip
    assert Discretization([0.0, 1.0], output_mode="multi_hot")(x).tolist() == [
        [1, 1, 1], [0, 1, 0]
    ]  # fmt: skip
    assert Discretization([0.0, 1.0], output_mode="count")(x).tolist() == [[1, 1, 1], [0, 3, 0]]
    assert Discretization([0.0, 1.0], output_mode="count").compute_output_shape((None, 3)) == (
        None, 3
    )  # fmt: skip


def test_adapted_layer_round_trips_through_config_and_a_model_file(tmp_path):
    x = np.random.default_rng(2).normal(size=(64, 2)).astype("float32")
    layer = Discretization(num_bins=3)
    layer.adapt(x)
    clone = Discretization.from_config(json.loads(json.dumps(layer.get_config())))
    assert clone.bin_boundaries == layer.bin_boundaries and clone.num_bins == 3
    model = Sequential([Input(shape=(2,)), layer])
    model.save(tmp_path / "d.lamina")
    loaded = load_model(tmp_path / "d.lamina")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="exactly one of bin_boundaries"):
        Discretization()
    with pytest.raises(ValueError, match="exactly one of bin_boundaries"):
        Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="sorted list"):
        Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(ValueError, match="num_bins must be a positive integer"):
        Discretization(num_bins=0)
    with pytest.raises(ValueError, match="call adapt"):
        Discretization(num_bins=3)(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="create it with num_bins"):
        Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))
    with pytest.raises(ValueError, match="output_mode must be one of"):
        Discretization([0.0], output_mode="tf_idf")
