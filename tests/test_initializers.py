import json
import math

import numpy as np
import pytest

import lamina
from lamina import initializers
from lamina.initializers import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    Initializer,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
    compute_fans,
)

TRUNC = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]
BIG = (500, 400)  # 200k draws: sample std within ~0.3% of the truth

RANDOM = [
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    GlorotUniform,
    GlorotNormal,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
]
ALL = RANDOM + [Zeros, Ones, Constant, Identity]


# ----- fans -----


@pytest.mark.parametrize(
    "shape, fans",
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((10, 20), (10, 20)),
        ((5, 8, 4), (40, 20)),  # Conv1D kernel (k, in, out)
        ((3, 3, 16, 32), (144, 288)),  # Conv2D kernel (kh, kw, in, out)
        ((2, 3, 4, 5, 6), (120, 144)),  # Conv3D kernel
        (8, (8, 8)),  # an int is a 1-D shape
    ],
)
def test_compute_fans(shape, fans):
    assert compute_fans(shape) == fans


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="shape"):
        GlorotUniform()((3, -1))
    with pytest.raises(ValueError, match="shape"):
        Zeros()((2.5, 3))


# ----- dtype -----


@pytest.mark.parametrize("cls", ALL)
def test_default_dtype_is_floatx_and_dtype_is_honoured(cls):
    init = cls()
    w = init((6, 4))
    assert isinstance(w, np.ndarray)
    assert w.shape == (6, 4) and w.dtype == np.float32
    assert init((6, 4), dtype="float64").dtype == np.float64
    assert init((6, 4), dtype=np.float16).dtype == np.float16


def test_default_dtype_follows_set_floatx():
    lamina.set_floatx("float64")
    try:
        assert GlorotUniform()((3, 3)).dtype == np.float64
        assert Zeros()((3,)).dtype == np.float64
    finally:
        lamina.set_floatx("float32")


@pytest.mark.parametrize("cls", RANDOM)
def test_random_initializers_refuse_integer_dtypes(cls):
    with pytest.raises(ValueError, match="float"):
        cls()((3, 3), dtype="int32")


def test_constant_initializers_accept_integer_dtypes():
    assert Zeros()((2,), dtype="int64").tolist() == [0, 0]
    assert Ones()((2,), dtype="int32").tolist() == [1, 1]
    assert Constant(3)((2,), dtype="int32").tolist() == [3, 3]


# ----- constant initializers -----


def test_zeros_ones_constant_identity_values():
    np.testing.assert_array_equal(Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(Ones()((4,)), np.ones(4))
    np.testing.assert_array_equal(Constant(-1.5)((2, 2)), np.full((2, 2), -1.5))
    np.testing.assert_array_equal(Identity()((3, 3)), np.eye(3))
    np.testing.assert_array_equal(Identity(gain=0.5)((2, 4)), 0.5 * np.eye(2, 4))
    with pytest.raises(ValueError, match="2-D"):
        Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="finite number"):
        Constant("half")


def test_constant_broadcasts_an_array_value_to_the_weight_shape():
    # keras.io "imbalanced classification": an output bias from the class priors
    pos, neg = 3, 97
    init = Constant(np.log([pos / neg]))
    np.testing.assert_allclose(init((1,)), [np.log(pos / neg)], rtol=1e-6)
    rows = Constant(np.array([1.0, 2.0, 3.0]))((2, 3))
    np.testing.assert_array_equal(rows, [[1, 2, 3], [1, 2, 3]])
    assert rows.dtype == np.float32 and rows.flags["C_CONTIGUOUS"] and rows.flags.writeable
    assert Constant([[1, 2]])((2, 2), dtype="int32").tolist() == [[1, 2], [1, 2]]
    assert init.get_config() == {"value": [float(np.log(pos / neg))]}  # a list: JSON
    assert Constant(np.float32(0.5)).value == Constant(np.array(0.5)).value == 0.5
    with pytest.raises(ValueError, match=r"shape \(3,\) does not broadcast to .* \(4,\)"):
        Constant([1.0, 2.0, 3.0])((4,))
    for bad in ([1.0, np.nan], [[1.0], [2.0, 3.0]], [True, False], float("inf")):
        with pytest.raises(ValueError, match="finite number"):
            Constant(bad)


# ----- statistics of the random initializers -----


def test_random_normal_statistics():
    w = RandomNormal(mean=1.0, stddev=0.2)(BIG)
    assert abs(w.mean() - 1.0) < 0.002
    assert abs(w.std() / 0.2 - 1) < 0.01
    assert np.abs(w - 1.0).max() > 4 * 0.2  # untruncated: tails exist


def test_random_uniform_statistics():
    w = RandomUniform(minval=-0.3, maxval=0.1)(BIG)
    assert w.min() >= -0.3 * (1 + 1e-6) and w.max() <= 0.1 * (1 + 1e-6)  # float32 rounding
    assert w.min() < -0.299 and w.max() > 0.099  # fills the interval
    assert abs(w.mean() - (-0.1)) < 0.002
    assert abs(w.std() / (0.4 / math.sqrt(12)) - 1) < 0.01


def test_truncated_normal_statistics():
    w = TruncatedNormal(mean=0.5, stddev=0.1)(BIG)
    assert np.abs(w - 0.5).max() <= 0.2 + 1e-6
    assert np.abs(w - 0.5).max() > 0.199  # fills up to 2 stddev
    assert abs(w.mean() - 0.5) < 0.001
    assert abs(w.std() / (TRUNC * 0.1) - 1) < 0.01


def test_keras_default_arguments():
    assert RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05, "seed": None}
    assert TruncatedNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert VarianceScaling().get_config() == {
        "scale": 1.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
        "seed": None,
    }
    assert Constant().value == 0.0 and Orthogonal().gain == 1.0


@pytest.mark.parametrize(
    "cls, variance",
    [
        (GlorotNormal, lambda fi, fo: 2 / (fi + fo)),
        (HeNormal, lambda fi, fo: 2 / fi),
        (LecunNormal, lambda fi, fo: 1 / fi),
    ],
)
@pytest.mark.parametrize("shape", [BIG, (3, 3, 64, 128)])
def test_truncated_variance_scaling_family(cls, variance, shape):
    w = cls()(shape)
    fan_in, fan_out = compute_fans(shape)
    std = math.sqrt(variance(fan_in, fan_out))
    assert abs(w.mean()) < 0.01 * std
    assert abs(w.std() / std - 1) < 0.01
    assert np.abs(w).max() <= 2 * std / TRUNC * (1 + 1e-6)  # truncated at 2 pre-truncation stds


@pytest.mark.parametrize(
    "cls, limit",
    [
        (GlorotUniform, lambda fi, fo: math.sqrt(6 / (fi + fo))),
        (HeUniform, lambda fi, fo: math.sqrt(6 / fi)),
        (LecunUniform, lambda fi, fo: math.sqrt(3 / fi)),
    ],
)
@pytest.mark.parametrize("shape", [BIG, (3, 3, 64, 128)])
def test_uniform_variance_scaling_family(cls, limit, shape):
    w = cls()(shape)
    lim = limit(*compute_fans(shape))
    assert np.abs(w).max() <= lim * (1 + 1e-6)  # float32 rounding
    assert np.abs(w).max() > 0.999 * lim
    assert abs(w.mean()) < 0.01 * lim
    assert abs(w.std() / (lim / math.sqrt(3)) - 1) < 0.01


def test_conv_kernel_uses_receptive_field_in_fans():
    # fan_in of a (3, 3, 64, 128) kernel is 576, not 64: the std must reflect it
    w = HeNormal()((3, 3, 64, 128))
    assert abs(w.std() - math.sqrt(2 / 576)) < 0.01 * math.sqrt(2 / 576)
    assert abs(w.std() - math.sqrt(2 / 64)) > 0.5 * math.sqrt(2 / 576)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling_modes(mode):
    shape = (200, 800)
    n = {"fan_in": 200, "fan_out": 800, "fan_avg": 500}[mode]
    w = VarianceScaling(scale=3.0, mode=mode, distribution="untruncated_normal")(shape)
    assert abs(w.std() / math.sqrt(3.0 / n) - 1) < 0.01
    assert np.abs(w).max() > 3 * math.sqrt(3.0 / n)  # not truncated


def test_variance_scaling_argument_checks():
    assert VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert VarianceScaling(mode="FAN_AVG", distribution="Uniform").mode == "fan_avg"
    with pytest.raises(ValueError, match="scale"):
        VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution"):
        VarianceScaling(distribution="laplace")
    with pytest.raises(ValueError, match="stddev"):
        RandomNormal(stddev=-1.0)
    with pytest.raises(ValueError, match="mean"):
        TruncatedNormal(mean=float("nan"))
    with pytest.raises(ValueError, match="minval <= maxval"):
        RandomUniform(minval=1.0, maxval=0.0)
    with pytest.raises(ValueError, match="seed"):
        GlorotUniform(seed=-1)
    with pytest.raises(ValueError, match="seed"):
        HeNormal(seed=True)


def test_zero_size_weights_do_not_divide_by_zero():
    assert GlorotUniform()((0, 5)).shape == (0, 5)
    assert HeNormal()((3, 3, 0, 4)).shape == (3, 3, 0, 4)
    assert Orthogonal()((0, 4)).shape == (0, 4)


# ----- orthogonal -----


@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_tall_square_and_conv(gain):
    for shape in [(8, 5), (6, 6), (3, 3, 4, 8)]:
        w = Orthogonal(gain=gain)(shape, dtype="float64")
        assert w.shape == shape
        m = w.reshape(-1, shape[-1])
        np.testing.assert_allclose(m.T @ m, gain**2 * np.eye(shape[-1]), atol=1e-12)


def test_orthogonal_wide_has_orthonormal_rows():
    w = Orthogonal(gain=2.0)((3, 7), dtype="float64")
    np.testing.assert_allclose(w @ w.T, 4.0 * np.eye(3), atol=1e-12)


def test_orthogonal_float32_and_rank_check():
    w = Orthogonal()((64, 32))
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.T @ w, np.eye(32), atol=1e-5)
    with pytest.raises(ValueError, match="rank 2 or more"):
        Orthogonal()((5,))


def test_orthogonal_is_not_always_the_same_matrix():
    a, b = Orthogonal()((4, 4)), Orthogonal()((4, 4))
    assert not np.allclose(a, b)


# ----- seeding -----


@pytest.mark.parametrize("cls", RANDOM)
def test_lamina_seed_makes_unseeded_initializers_reproducible(cls):
    init = cls()
    lamina.seed(3)
    a1, a2 = init((5, 4)), init((5, 4))
    lamina.seed(3)
    b1, b2 = init((5, 4)), init((5, 4))
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)  # the global stream advances between calls
    lamina.seed(4)
    assert not np.array_equal(init((5, 4)), a1)


@pytest.mark.parametrize("cls", RANDOM)
def test_seed_argument_is_deterministic_and_independent_of_global_state(cls):
    lamina.seed(0)
    a = cls(seed=11)((5, 4))
    lamina.seed(99)
    lamina.backend.rng().random(10)
    b = cls(seed=11)((5, 4))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(cls(seed=11)((5, 4)), cls(seed=11)((5, 4)))
    assert not np.array_equal(a, cls(seed=12)((5, 4)))


def test_seeded_initializer_gives_the_same_values_each_call_and_leaves_global_rng_alone():
    init = GlorotUniform(seed=5)
    lamina.seed(1)
    expected = lamina.backend.rng().random(3)
    lamina.seed(1)
    np.testing.assert_array_equal(init((3, 3)), init((3, 3)))
    np.testing.assert_array_equal(lamina.backend.rng().random(3), expected)


# ----- get, configs -----


@pytest.mark.parametrize(
    "name, cls",
    [
        ("glorot_uniform", GlorotUniform),
        ("glorot_normal", GlorotNormal),
        ("he_normal", HeNormal),
        ("he_uniform", HeUniform),
        ("lecun_normal", LecunNormal),
        ("lecun_uniform", LecunUniform),
        ("zeros", Zeros),
        ("ones", Ones),
        ("constant", Constant),
        ("identity", Identity),
        ("orthogonal", Orthogonal),
        ("random_normal", RandomNormal),
        ("random_uniform", RandomUniform),
        ("truncated_normal", TruncatedNormal),
        ("variance_scaling", VarianceScaling),
        ("GlorotUniform", GlorotUniform),
        ("HE_NORMAL", HeNormal),
        ("Orthogonal", Orthogonal),
        ("OrthogonalInitializer", Orthogonal),
        ("IdentityInitializer", Identity),
        ("uniform", RandomUniform),
        ("normal", RandomNormal),
        ("zero", Zeros),
        ("one", Ones),
    ],
)
def test_get_by_name(name, cls):
    init = initializers.get(name)
    assert type(init) is cls
    assert initializers.get(name) is not init  # a fresh instance each time


def test_get_other_identifiers():
    assert initializers.get(None) is None
    init = HeNormal(seed=1)
    assert initializers.get(init) is init
    assert type(initializers.get(GlorotNormal)) is GlorotNormal

    def my_init(shape, dtype=None):
        return np.full(shape, 7.0, dtype=dtype or "float32")

    assert initializers.get(my_init) is my_init
    init = initializers.get(
        {"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0}}
    )
    assert (init.minval, init.maxval) == (0.0, 1.0)
    extra_keys = {"module": "keras.initializers", "class_name": "Zeros", "config": {}}
    assert type(initializers.get(extra_keys)) is Zeros
    assert type(initializers.get({"class_name": "ones"})) is Ones


def test_get_errors_name_the_valid_choices():
    with pytest.raises(ValueError, match="glorot_uniform") as info:
        initializers.get("xavier_magic")
    assert "xavier_magic" in str(info.value) and "he_normal" in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret"):
        initializers.get(3.5)
    with pytest.raises(ValueError, match="class_name"):
        initializers.get({"config": {}})


@pytest.mark.parametrize(
    "init",
    [
        Zeros(),
        Ones(),
        Constant(2.5),
        Constant(np.array([1.0, -2.0, 0.5])),
        Identity(gain=3.0),
        RandomNormal(mean=1.0, stddev=0.3, seed=4),
        RandomUniform(minval=-2.0, maxval=3.0, seed=4),
        TruncatedNormal(mean=-1.0, stddev=0.2, seed=4),
        VarianceScaling(scale=0.5, mode="fan_out", distribution="uniform", seed=4),
        GlorotUniform(seed=4),
        GlorotNormal(seed=4),
        HeNormal(seed=4),
        HeUniform(seed=4),
        LecunNormal(seed=4),
        LecunUniform(seed=4),
        Orthogonal(gain=1.5, seed=4),
    ],
    ids=lambda init: type(init).__name__,
)
def test_config_round_trips(init):
    config = init.get_config()
    json.dumps(config)  # plain Python values
    for copy in [
        type(init).from_config(config),
        init.clone(),
        initializers.deserialize(json.loads(json.dumps(initializers.serialize(init)))),
        initializers.get(initializers.serialize(init)),
    ]:
        assert type(copy) is type(init)
        assert copy.get_config() == config
        np.testing.assert_array_equal(copy((4, 3)), init((4, 3)))


def test_preset_configs_hold_only_the_seed():
    assert GlorotUniform(seed=2).get_config() == {"seed": 2}
    assert HeNormal().get_config() == {"seed": None}
    he = HeNormal()
    assert (he.scale, he.mode, he.distribution) == (2.0, "fan_in", "truncated_normal")
    g = GlorotUniform()
    assert (g.scale, g.mode, g.distribution) == (1.0, "fan_avg", "uniform")


def test_custom_initializer_subclass_round_trips_with_custom_objects():
    class Scaled(Initializer):
        def __init__(self, factor=1.0):
            self.factor = factor

        def __call__(self, shape, dtype=None):
            return Ones()(shape, dtype) * self.factor

        def get_config(self):
            return {"factor": self.factor}

    config = initializers.serialize(Scaled(4.0))
    assert config == {"class_name": "Scaled", "config": {"factor": 4.0}}
    with pytest.raises(ValueError, match="Unknown initializer"):
        initializers.deserialize(config)
    copy = initializers.deserialize(config, custom_objects={"Scaled": Scaled})
    np.testing.assert_array_equal(copy((2,)), [4.0, 4.0])
    with pytest.raises(TypeError, match="get_config"):
        initializers.serialize(lambda shape, dtype=None: None)
