import numpy as np
import pytest

import lamina
from lamina import constraints
from lamina.layers import Conv2D, Dense, Input
from lamina.models import Sequential, load_model


def _column_norms(w, axis=0):
    return np.sqrt((np.asarray(w, np.float64) ** 2).sum(axis=axis))


def test_max_norm_scales_only_the_columns_above_the_limit():
    w = np.array([[3.0, 0.3, 0.0], [4.0, 0.4, 0.0]], np.float32)  # column norms 5, 0.5, 0
    out = constraints.MaxNorm(max_value=2.0)(w)
    np.testing.assert_allclose(_column_norms(out), [2.0, 0.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(out[:, 0] / np.linalg.norm(out[:, 0]), [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(out[:, 1], w[:, 1], rtol=1e-6)  # inside the ball: unchanged
    assert out.dtype == np.float32


def test_norm_constraints_over_several_axes_constrain_each_conv_filter():
    w = np.random.default_rng(0).normal(size=(3, 3, 2, 4)) * 2
    out = constraints.MaxNorm(1.5, axis=[0, 1, 2])(w)
    np.testing.assert_allclose(_column_norms(out.reshape(-1, 4)), 1.5, rtol=1e-6)
    unit = constraints.UnitNorm(axis=[0, 1, 2])(w)
    np.testing.assert_allclose(_column_norms(unit.reshape(-1, 4)), 1.0, rtol=1e-6)


def test_min_max_norm_moves_norms_into_the_interval_at_the_given_rate():
    w = np.array([[0.3, 3.0, 0.6], [0.4, 4.0, 0.8]])  # norms 0.5, 5, 1
    strict = constraints.MinMaxNorm(min_value=1.0, max_value=2.0)(w)
    np.testing.assert_allclose(_column_norms(strict), [1.0, 2.0, 1.0], rtol=1e-6)
    half = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(w)
    np.testing.assert_allclose(_column_norms(half), [0.75, 3.5, 1.0], rtol=1e-6)


def test_non_neg_and_tensors_in_tensors_out():
    out = constraints.NonNeg()(lamina.tensor([-1.0, 0.0, 2.0]))
    assert isinstance(out, lamina.Tensor)
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.0, 2.0])


def test_keras_aliases_and_get():
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    assert isinstance(constraints.get("max_norm"), constraints.MaxNorm)
    assert isinstance(constraints.get("UnitNorm"), constraints.UnitNorm)
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)
    assert constraints.get(None) is None
    c = constraints.MaxNorm(3.0)
    assert constraints.get(c) is c


def test_serialize_deserialize_round_trip():
    spec = constraints.serialize(constraints.MinMaxNorm(0.5, 2.0, rate=0.3, axis=[0, 1]))
    assert spec == {
        "class_name": "MinMaxNorm",
        "config": {"min_value": 0.5, "max_value": 2.0, "rate": 0.3, "axis": [0, 1]},
    }
    back = constraints.deserialize(spec)
    assert isinstance(back, constraints.MinMaxNorm) and back.get_config() == spec["config"]
    assert constraints.get(spec).get_config() == spec["config"]


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="Unknown constraint 'max_nrm'"):
        constraints.get("max_nrm")
    with pytest.raises(ValueError, match="MaxNorm max_value must be a number >= 0"):
        constraints.MaxNorm(-1)
    with pytest.raises(ValueError, match="MinMaxNorm max_value must be >= min_value"):
        constraints.MinMaxNorm(2.0, 1.0)
    with pytest.raises(ValueError, match="UnitNorm axis must be an integer"):
        constraints.UnitNorm(axis="0")
    with pytest.raises(ValueError, match="Could not interpret constraint identifier 3"):
        constraints.get(3)
    with pytest.raises(ValueError, match="a constraint config is a dict"):
        constraints.deserialize({"config": {}})


def _fit_dense(kernel_constraint):
    lamina.seed(0)
    model = Sequential([Input((3,)), Dense(4, kernel_constraint=kernel_constraint)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 3)) * 5, np.ones((8, 4)) * 10, epochs=3, verbose=0)
    return model


def test_dense_kernel_constraint_holds_after_every_update():
    unconstrained = _fit_dense(None)
    assert _column_norms(unconstrained.layers[0].kernel.numpy()).max() > 1.0  # would break it
    model = _fit_dense(constraints.max_norm(0.5))
    np.testing.assert_allclose(_column_norms(model.layers[0].kernel.numpy()), 0.5, rtol=1e-5)
    by_name = _fit_dense("non_neg")
    assert (by_name.layers[0].kernel.numpy() >= 0).all()


def test_constraints_are_in_the_layer_config():
    layer = Dense(4, kernel_constraint=constraints.max_norm(2.0), bias_constraint="non_neg")
    config = layer.get_config()
    assert config["kernel_constraint"] == {
        "class_name": "MaxNorm",
        "config": {"max_value": 2.0, "axis": 0},
    }
    clone = Dense.from_config(config)
    assert isinstance(clone.kernel_constraint, constraints.MaxNorm)
    assert clone.kernel_constraint.max_value == 2.0
    assert isinstance(clone.bias_constraint, constraints.NonNeg)
    assert "kernel_constraint" not in Dense(4).get_config()  # none given: none saved
    conv = Conv2D(2, 3, kernel_constraint=constraints.UnitNorm(axis=[0, 1, 2]))
    assert Conv2D.from_config(conv.get_config()).kernel_constraint.axis == [0, 1, 2]


def test_save_and_load_keep_the_constraint(tmp_path):
    model = _fit_dense(constraints.max_norm(0.5))
    model.save(tmp_path / "m.lamina")
    loaded = load_model(tmp_path / "m.lamina")
    kernel = loaded.layers[0].kernel
    assert isinstance(kernel.constraint, constraints.MaxNorm) and kernel.constraint.max_value == 0.5
    loaded.fit(np.ones((8, 3)) * 5, np.ones((8, 4)) * 10, epochs=2, verbose=0)
    np.testing.assert_allclose(_column_norms(kernel.numpy()), 0.5, rtol=1e-5)


def test_custom_constraint_loads_through_custom_objects(tmp_path):
    class Clip(constraints.Constraint):
        def __init__(self, limit=1.0):
            self.limit = limit

        def __call__(self, w):
            return np.clip(w, -self.limit, self.limit)

        def get_config(self):
            return {"limit": self.limit}

    model = Sequential([Input((2,)), Dense(2, kernel_constraint=Clip(0.25))])
    model.save(tmp_path / "c.lamina")
    loaded = load_model(tmp_path / "c.lamina", custom_objects={"Clip": Clip})
    assert loaded.layers[0].kernel.constraint.limit == 0.25


def _clip_to_one(w):
    return np.clip(w, -1.0, 1.0)


def test_function_constraints_are_kept_by_clone_and_saved_by_name(tmp_path):
    model = Sequential([Input((2,)), Dense(2, kernel_constraint=_clip_to_one)])
    clone = lamina.models.clone_model(model)
    assert clone.layers[0].kernel.constraint is _clip_to_one
    model.save(tmp_path / "f.lamina")
    with pytest.raises(ValueError, match="its kernel_constraint is the function '_clip_to_one'"):
        load_model(tmp_path / "f.lamina")
    loaded = load_model(tmp_path / "f.lamina", custom_objects={"_clip_to_one": _clip_to_one})
    assert loaded.layers[0].kernel.constraint is _clip_to_one


def test_a_lambda_constraint_cannot_be_saved(tmp_path):
    model = Sequential([Input((2,)), Dense(2, kernel_constraint=lambda w: w)])
    with pytest.raises(ValueError, match="saves functions by name, never as code"):
        model.save(tmp_path / "l.lamina")
    assert not (tmp_path / "l.lamina").exists()
