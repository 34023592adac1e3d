import json

import numpy as np
import pytest

import lamina
from lamina import regularizers
from lamina.regularizers import L1, L1L2, L2, OrthogonalRegularizer, Regularizer
from lamina.testing import check_gradients


def away_from_zero(rng, shape):
    """Random weights with |w| in [0.2, 1.5]: |w| is differentiable there."""
    return rng.uniform(0.2, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)


# ----- values -----


def test_l1_l2_l1l2_values(rng):
    w = rng.normal(size=(4, 5)).astype(np.float32)
    t = lamina.tensor(w)
    np.testing.assert_allclose(L1(0.3)(t).item(), 0.3 * np.abs(w).sum(), rtol=1e-6)
    np.testing.assert_allclose(L2(0.2)(t).item(), 0.2 * (w**2).sum(), rtol=1e-6)
    np.testing.assert_allclose(
        L1L2(l1=0.3, l2=0.2)(t).item(), 0.3 * np.abs(w).sum() + 0.2 * (w**2).sum(), rtol=1e-6
    )
    np.testing.assert_allclose(L1L2(l2=0.2)(t).item(), 0.2 * (w**2).sum(), rtol=1e-6)
    np.testing.assert_allclose(L1L2(l1=0.3)(t).item(), 0.3 * np.abs(w).sum(), rtol=1e-6)


def test_keras_defaults():
    assert L1().l1 == 0.01
    assert L2().l2 == 0.01
    assert (L1L2().l1, L1L2().l2) == (0.0, 0.0)
    assert (OrthogonalRegularizer().factor, OrthogonalRegularizer().mode) == (0.01, "rows")
    assert L1(None).l1 == 0.01 and L2(None).l2 == 0.01  # None means the default, as in Keras


@pytest.mark.parametrize("reg", [L1(0.1), L2(0.1), L1L2(0.1, 0.1), OrthogonalRegularizer(0.1)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_penalty_is_a_scalar_tensor_of_the_weight_dtype(reg, dtype, rng):
    w = lamina.tensor(rng.normal(size=(3, 4)).astype(dtype), requires_grad=True)
    penalty = reg(w)
    assert isinstance(penalty, lamina.Tensor)
    assert penalty.shape == () and penalty.dtype == np.dtype(dtype)
    assert penalty.requires_grad


def test_raw_arrays_are_accepted(rng):
    w = rng.normal(size=(3, 3))
    assert L2(1.0)(w).item() == pytest.approx((w**2).sum())


def test_l1l2_with_zero_factors_is_zero():
    penalty = L1L2()(lamina.tensor([1.0, -2.0], requires_grad=True))
    assert isinstance(penalty, lamina.Tensor) and penalty.item() == 0.0


# ----- gradients -----


def test_analytic_gradients(rng):
    w = away_from_zero(rng, (3, 4)).astype(np.float32)
    t = lamina.tensor(w, requires_grad=True)
    L1(0.5)(t).backward()
    np.testing.assert_allclose(t.grad, 0.5 * np.sign(w), rtol=1e-6)
    t = lamina.tensor(w, requires_grad=True)
    L2(0.5)(t).backward()
    np.testing.assert_allclose(t.grad, 2 * 0.5 * w, rtol=1e-6)
    t = lamina.tensor(w, requires_grad=True)
    L1L2(0.1, 0.2)(t).backward()
    np.testing.assert_allclose(t.grad, 0.1 * np.sign(w) + 0.4 * w, rtol=1e-6)


@pytest.mark.parametrize(
    "reg",
    [
        L1(0.3),
        L2(0.7),
        L1L2(l1=0.3, l2=0.7),
        OrthogonalRegularizer(factor=0.5, mode="rows"),
        OrthogonalRegularizer(factor=0.5, mode="columns"),
    ],
    ids=repr,
)
def test_gradients_match_finite_differences(reg, rng):
    assert check_gradients(reg, away_from_zero(rng, (4, 3)))


def test_penalty_gradient_accumulates_into_the_loss_gradient(rng):
    w = lamina.tensor(rng.normal(size=(3,)).astype(np.float32), requires_grad=True)
    loss = (w * 2.0).sum() + L2(0.5)(w)
    loss.backward()
    np.testing.assert_allclose(w.grad, 2.0 + w.numpy(), rtol=1e-6)


def test_a_descent_step_on_the_penalty_shrinks_the_weights(rng):
    w = lamina.tensor(rng.normal(size=(10,)), requires_grad=True)
    for reg in [L1(0.1), L2(0.1)]:
        before = reg(w).item()
        w.zero_grad()
        reg(w).backward()
        w.assign(w.data - 0.5 * w.grad)
        assert reg(w).item() < before


# ----- orthogonal regularizer -----


def test_orthogonal_regularizer_values():
    reg = OrthogonalRegularizer(factor=2.0)
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(5, 5)))
    assert reg(lamina.tensor(q[:3] * 7.0)).item() == pytest.approx(0.0, abs=1e-6)
    same = np.tile([[1.0, 2.0, 3.0]], (4, 1))
    assert reg(lamina.tensor(same)).item() == pytest.approx(2.0, rel=1e-6)  # every |cos| = 1
    # rows of this matrix: one pair at 90 degrees, two at 45: mean |cos| = (0 + 2 * 0.7071) / 3
    w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    cols = OrthogonalRegularizer(factor=1.0, mode="columns")
    assert OrthogonalRegularizer(factor=1.0)(w).item() == pytest.approx(2 * 0.5**0.5 / 3)
    assert cols(w).item() == pytest.approx(0.5)  # one pair: cos = 1 / (sqrt(2) * sqrt(2))
    assert cols(w.T).item() == pytest.approx(OrthogonalRegularizer(factor=1.0)(w).item())


def test_orthogonal_regularizer_checks():
    with pytest.raises(ValueError, match="2-D"):
        OrthogonalRegularizer()(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="mode"):
        OrthogonalRegularizer(mode="diagonal")
    assert OrthogonalRegularizer()(np.ones((1, 4))).item() == 0.0  # one row: no pairs


# ----- argument checks -----


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda v: L1(v), "l1"),
        (lambda v: L2(v), "l2"),
        (lambda v: L1L2(l1=v), "l1"),
        (lambda v: L1L2(l2=v), "l2"),
        (lambda v: OrthogonalRegularizer(factor=v), "factor"),
    ],
)
@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_bad_factors_raise_naming_the_argument(make, name, value):
    with pytest.raises(ValueError, match=rf"argument {name} must be a non-negative finite"):
        make(value)


def test_zero_and_integer_factors_are_allowed():
    assert L1(0).l1 == 0.0 and isinstance(L2(1).l2, float)


# ----- get, aliases, configs -----


@pytest.mark.parametrize(
    "name, cls, config",
    [
        ("l1", L1, {"l1": 0.01}),
        ("L1", L1, {"l1": 0.01}),
        ("l2", L2, {"l2": 0.01}),
        ("L2", L2, {"l2": 0.01}),
        ("l1_l2", L1L2, {"l1": 0.01, "l2": 0.01}),
        ("L1L2", L1L2, {"l1": 0.01, "l2": 0.01}),
        ("orthogonal_regularizer", OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
        ("OrthogonalRegularizer", OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
    ],
)
def test_get_by_name(name, cls, config):
    reg = regularizers.get(name)
    assert type(reg) is cls and reg.get_config() == config


def test_get_other_identifiers():
    assert regularizers.get(None) is None
    reg = L2(0.3)
    assert regularizers.get(reg) is reg
    assert type(regularizers.get(L1)) is L1

    def my_penalty(w):
        return lamina.ops.sum(w)

    assert regularizers.get(my_penalty) is my_penalty
    reg = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.25}})
    assert (reg.l1, reg.l2) == (0.5, 0.25)
    reg = regularizers.get({"module": "keras.regularizers", "class_name": "L2", "config": {}})
    assert reg.l2 == 0.01


def test_get_errors_name_the_valid_choices():
    with pytest.raises(ValueError, match="l1_l2") as info:
        regularizers.get("elastic")
    assert "'elastic'" in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret"):
        regularizers.get(0.01)
    with pytest.raises(ValueError, match="class_name"):
        regularizers.get({"l2": 0.1})


def test_keras_aliases():
    assert regularizers.l1 is L1 and regularizers.l2 is L2
    assert regularizers.l1(0.2).get_config() == {"l1": 0.2}
    assert regularizers.l1_l2().get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.l1_l2(l1=0.0, l2=0.5).get_config() == {"l1": 0.0, "l2": 0.5}
    assert regularizers.orthogonal_regularizer is OrthogonalRegularizer


@pytest.mark.parametrize(
    "reg",
    [L1(0.25), L2(0.125), L1L2(0.5, 0.75), OrthogonalRegularizer(0.3, "columns")],
    ids=repr,
)
def test_config_round_trips(reg, rng):
    w = away_from_zero(rng, (4, 3))
    config = reg.get_config()
    for copy in [
        type(reg).from_config(config),
        regularizers.deserialize(json.loads(json.dumps(regularizers.serialize(reg)))),
        regularizers.get(regularizers.serialize(reg)),
    ]:
        assert type(copy) is type(reg) and copy.get_config() == config
        assert copy(w).item() == reg(w).item()


def test_custom_regularizer_round_trips_with_custom_objects():
    class Sum(Regularizer):
        def __init__(self, scale=1.0):
            self.scale = scale

        def __call__(self, w):
            return lamina.ops.sum(w) * self.scale

        def get_config(self):
            return {"scale": self.scale}

    config = regularizers.serialize(Sum(2.0))
    with pytest.raises(ValueError, match="Unknown regularizer"):
        regularizers.deserialize(config)
    copy = regularizers.deserialize(config, custom_objects={"Sum": Sum})
    assert copy(np.ones(3)).item() == 6.0
    with pytest.raises(NotImplementedError):
        Regularizer()(np.ones(2))
