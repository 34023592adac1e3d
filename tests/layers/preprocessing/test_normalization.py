"""Normalization and Rescaling: adapt agrees with scikit-learn's StandardScaler and NumPy,
inversion, broadcasting of given statistics, gradients, config and save/load."""

import numpy as np
import pytest

from lamina.layers import Dense, Input, Normalization, Rescaling
from lamina.models import Sequential, load_model
from tests.helpers import check_layer, check_layer_gradients


def data(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) * rng.uniform(0.5, 5, size=shape[-1]) + 3).astype("float32")


def test_adapt_matches_standard_scaler():
    from sklearn.preprocessing import StandardScaler

    x = data((200, 5))
    scaler = StandardScaler().fit(x.astype(np.float64))
    layer = Normalization()
    layer.adapt(x)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), scaler.mean_, rtol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), scaler.var_, rtol=1e-5)
    assert layer.mean.shape == layer.variance.shape == (1, 5)  # Keras's broadcast shape
    np.testing.assert_allclose(layer.mean.numpy()[0], scaler.mean_, rtol=1e-6)
    np.testing.assert_allclose(layer(x).numpy(), scaler.transform(x), rtol=1e-4, atol=1e-5)
    assert [w.name for w in layer.non_trainable_weights] == [
        f"{layer.name}/mean",
        f"{layer.name}/variance",
    ]
    assert not layer.trainable_weights


def test_adapt_over_batches_equals_adapt_on_the_whole():
    x = data((300, 4), seed=1)
    whole, batched = Normalization(), Normalization()
    whole.adapt(x)
    batched.adapt(x[i : i + 64] for i in range(0, 300, 64))  # a generator of unequal batches
    np.testing.assert_allclose(batched.mean.numpy(), whole.mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(batched.variance.numpy(), whole.variance.numpy(), rtol=1e-5)
    pairs = Normalization()
    pairs.adapt([(x[:150], None), (x[150:], None)].__iter__())  # (x, y) batches of a dataset
    np.testing.assert_allclose(pairs.mean.numpy(), whole.mean.numpy(), rtol=1e-6)


@pytest.mark.parametrize("axis, keep", [(None, ()), (-1, (3,)), ((1, 2), (1, 2)), (3, (3,))])
def test_axis_keeps_those_axes_and_averages_the_others(axis, keep):
    x = data((6, 4, 5, 3), seed=2)
    layer = Normalization(axis=axis)
    layer.adapt(x)
    reduce = tuple(a for a in range(4) if a not in keep)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), x.mean(axis=reduce), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), x.var(axis=reduce), rtol=1e-5)
    np.testing.assert_allclose(layer.mean.numpy(), x.mean(axis=reduce, keepdims=True), rtol=1e-5,
                               atol=1e-6)  # fmt: skip
    expected = (x - x.mean(axis=reduce, keepdims=True)) / x.std(axis=reduce, keepdims=True)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_given_mean_and_variance_broadcast_and_invert_undoes():
    x = np.array([[1.0], [2.0], [3.0]], "float32")
    np.testing.assert_allclose(  # Keras's example
        Normalization(mean=3.0, variance=2.0)(x).numpy().ravel(), [-1.4142135, -0.7071068, 0.0]
    )
    scalar = Normalization(axis=None, mean=2.0, variance=4.0)
    assert scalar(np.array([[2.0, 4.0], [0.0, 6.0]], "float32")).tolist() == [[0, 1], [-1, 2]]
    per_feature = Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    assert per_feature(np.array([[3.0, 8.0]], "float32")).tolist() == [[1.0, 2.0]]
    adapt = np.array([[0, 7, 4], [2, 9, 6], [0, 7, 4], [2, 9, 6]], "float32")
    inverse = Normalization(invert=True)
    inverse.adapt(adapt)
    assert inverse(np.array([[1.0, 2.0, 3.0]], "float32")).tolist() == [[2.0, 10.0, 8.0]]
    forward = Normalization()
    forward.adapt(adapt)
    x = data((4, 3))
    np.testing.assert_allclose(inverse(forward(x)).numpy(), x, rtol=1e-5, atol=1e-5)


def test_zero_variance_divides_by_epsilon_not_zero():
    layer = Normalization()
    layer.adapt(np.ones((5, 2), "float32"))
    out = layer(np.array([[1.0, 1.0 + 1e-6]], "float32")).numpy()
    assert np.isfinite(out).all() and out[0, 0] == 0.0 and out[0, 1] > 1


def test_gradients_flow_to_the_input():
    layer = Normalization(dtype="float64")
    layer.adapt(data((50, 3)).astype(np.float64))
    assert check_layer_gradients(layer, np.random.default_rng(0).normal(size=(4, 3)))
    rescale = Rescaling([0.5, -2.0, 3.0], offset=1.0, dtype="float64")
    assert check_layer_gradients(rescale, np.random.default_rng(1).normal(size=(2, 3)))


def test_adapted_model_saves_and_loads(tmp_path):
    x = data((64, 4))
    norm = Normalization()
    norm.adapt(x)
    model = Sequential([Input(shape=(4,)), norm, Rescaling(2.0, offset=-1.0)])
    model.save(tmp_path / "n.lamina")
    loaded = load_model(tmp_path / "n.lamina")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_allclose(loaded.predict(x, verbose=0).mean(axis=0), -1.0, atol=1e-4)
    assert check_layer(lambda: Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]),
                       (3, 3))  # fmt: skip


def test_adapt_inside_a_built_model_updates_it():
    layer = Normalization()
    model = Sequential([Input(shape=(3,)), layer])
    x = data((32, 3))
    layer.adapt(x)
    np.testing.assert_allclose(model.predict(x, verbose=0).std(axis=0), 1.0, rtol=1e-3)


def test_rescaling_scales_and_casts_to_float():
    layer = Rescaling(1 / 255)
    out = layer(np.array([[0, 51, 255]], "uint8"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [[0.0, 0.2, 1.0]], rtol=1e-6)
    channels = Rescaling([1.0, 2.0], offset=[0.0, 1.0])
    assert channels(np.ones((1, 2, 2), "float32")).numpy()[0, 0].tolist() == [1.0, 3.0]
    assert Rescaling.from_config(channels.get_config()).scale == [1.0, 2.0]
    assert check_layer(lambda: Rescaling(0.5, offset=0.25), (2, 4, 4, 3))


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="both mean and variance"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="out of range"):
        Normalization(axis=3).adapt(np.ones((4, 2), "float32"))
    layer = Normalization()
    layer.adapt(np.ones((4, 3), "float32"))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 3\)"):
        layer(np.ones((4, 5), "float32"))
    with pytest.raises(ValueError, match="adapt\\(\\) data"):
        layer.adapt(np.ones((4, 5), "float32"))
    with pytest.raises(ValueError, match="no data"):
        Normalization().adapt(iter([]))
    with pytest.raises(ValueError, match="number or a list"):
        Rescaling("half")


def test_axis_none_adapts_one_scalar_and_normalizes_any_shape(tmp_path):
    # TF's "Basic regression" tutorial: a 1-D column adapted by a layer declared for (batch, 1)
    hp = data((40, 1), seed=3)[:, 0] * 30
    norm = Normalization(input_shape=[1], axis=None)
    norm.adapt(hp)
    assert norm.adapt_mean.shape == () and norm.mean.shape == (1, 1)
    np.testing.assert_allclose(float(norm.adapt_mean.numpy()), hp.mean(), rtol=1e-6)
    np.testing.assert_allclose(float(norm.adapt_variance.numpy()), hp.var(), rtol=1e-5)
    model = Sequential([norm, Dense(1)])
    assert model.predict(hp[:5, None], verbose=0).shape == (5, 1)
    x = data((2, 3, 4), seed=4)  # any shape: the scalar statistics broadcast
    np.testing.assert_allclose(norm(x).numpy(), (x - hp.mean()) / hp.std(), rtol=1e-4, atol=1e-5)
    model.save(tmp_path / "hp.lamina")
    loaded = load_model(tmp_path / "hp.lamina")
    np.testing.assert_array_equal(loaded.predict(hp[:, None], verbose=0),
                                  model.predict(hp[:, None], verbose=0))  # fmt: skip


def test_axis_none_adapted_on_1d_data_accepts_a_symbolic_input():
    layer = Normalization(axis=None)
    layer.adapt(np.arange(10, dtype="float32"))
    assert layer(Input(shape=(1,))).shape == (None, 1)
    np.testing.assert_allclose(layer(np.full((2, 1), 4.5, "float32")).numpy(), 0.0)


def test_1d_data_for_a_layer_declared_with_one_feature_is_one_value_per_sample():
    x = data((30, 1), seed=5)[:, 0]
    declared = Normalization(axis=-1, input_shape=[1])
    declared.adapt(x)
    assert declared.adapt_mean.shape == (1,)
    np.testing.assert_allclose(declared.adapt_mean.numpy(), [x.mean()], rtol=1e-6)
    built = Normalization()
    Sequential([Input(shape=(1,)), built])
    built.adapt(x)
    np.testing.assert_allclose(built.adapt_variance.numpy(), [x.var()], rtol=1e-5)
    with pytest.raises(ValueError, match=r"adapt\(\) data of shape \(None, 3\)"):
        Normalization(input_shape=(3,)).adapt(x)


def test_mean_has_keras_broadcast_shape_and_files_keep_the_weight_names(tmp_path):
    x = data((20, 9), seed=6)
    norm = Normalization(axis=-1)
    norm.adapt(x)
    assert norm.mean.numpy().shape == (1, 9)  # the tutorial's normalizer.mean.numpy()
    assert Normalization().mean is None  # not built yet, as in Keras
    model = Sequential([Input(shape=(9,)), norm])
    assert [k.rsplit(".", 1)[-1] for k in model.state_dict()] == ["mean", "variance"]
    model.save(tmp_path / "n.lamina")
    loaded = load_model(tmp_path / "n.lamina").layers[0]
    np.testing.assert_array_equal(loaded.mean.numpy(), norm.mean.numpy())
