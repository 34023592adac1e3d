"""Weight initializers: callables ``init(shape, dtype=None)`` that return an ``xp`` array.

Names follow Keras 3. Layers take an initializer as an instance, a string name
(``"glorot_uniform"``, the default for kernels), a config dict or any callable; ``get`` turns each
into a callable. ``dtype`` defaults to ``lamina.floatx()``.

Random initializers accept ``seed``: with an integer, every call gives the same values whatever
the global state; without one, values come from ``lamina.backend.rng()``, so ``lamina.seed(n)``
makes a whole model's initialization reproducible.

>>> import lamina
>>> init = get("he_normal")
>>> w = init((3, 3, 16, 32))  # a channels-last conv kernel: fan_in = 3 * 3 * 16
>>> w.shape, w.dtype
((3, 3, 16, 32), dtype('float32'))
>>> lamina.seed(3); a = init((4, 4)); lamina.seed(3); bool((a == init((4, 4))).all())
True
"""

from __future__ import annotations

import inspect
import math
import numbers

import numpy as np

from lamina import backend
from lamina.backend import xp

# The standard deviation of a unit normal truncated to [-2, 2]: dividing by it makes a truncated
# draw have the variance that the formula asks for.
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of this shape, as Keras computes them.

    A kernel ``(*receptive, in, out)`` (a Dense kernel ``(in, out)``, a channels-last conv kernel
    ``(kh, kw, in, out)``) has ``fan_in = prod(receptive) * in`` and
    ``fan_out = prod(receptive) * out``. A 1-D shape ``(n,)`` has both fans ``n``; a scalar, 1.

    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    >>> compute_fans((10,))
    (10, 10)
    """
    shape = _standardize_shape(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return receptive * shape[-2], receptive * shape[-1]


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and, when ``__init__``
    takes arguments, ``get_config()`` returning them (``from_config`` then works unchanged).

    >>> class Halves(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return Constant(0.5)(shape, dtype)
    >>> Halves()((2,))
    array([0.5, 0.5], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# ----- argument checks -----


def _standardize_shape(shape) -> tuple:
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"shape must be an int or a tuple of ints, got {shape!r}") from None
    for d in dims:
        if not isinstance(d, numbers.Integral) or isinstance(d, bool) or d < 0:
            raise ValueError(f"shape must hold non-negative ints, got {shape!r}")
    return tuple(int(d) for d in dims)


def _standardize_dtype(dtype, who: str, float_only: bool = False):
    dtype = xp.dtype(backend.floatx() if dtype is None else dtype)
    if float_only and dtype.kind != "f":
        raise ValueError(f"{who} draws floats; dtype must be a float type, got {dtype}")
    return dtype


def _check_number(value, name: str, who: str, positive=False, non_negative=False) -> float:
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or (positive and value <= 0)
        or (non_negative and value < 0)
    ):
        kind = "a positive" if positive else "a non-negative" if non_negative else "a"
        raise ValueError(f"{who} argument {name} must be {kind} finite number, got {value!r}")
    return float(value)


def _check_seed(seed, who: str):
    if seed is None:
        return None
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"{who} seed must be None or a non-negative int, got {seed!r}")
    return int(seed)


# ----- constant initializers -----


class Zeros(Initializer):
    """All zeros (the default for biases).

    >>> Zeros()((2, 3))
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return xp.zeros(_standardize_shape(shape), dtype=_standardize_dtype(dtype, "Zeros"))


class Ones(Initializer):
    """All ones (the default for normalization scales).

    >>> Ones()(3)
    array([1., 1., 1.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return xp.ones(_standardize_shape(shape), dtype=_standardize_dtype(dtype, "Ones"))


class Constant(Initializer):
    """Every element equal to ``value``: a number, or an array (or nested list) broadcast to the
    weight's shape, as Keras does; an array is kept as a list in the config.

    >>> Constant(0.1)((2,))
    array([0.1, 0.1], dtype=float32)
    >>> import numpy as np
    >>> init = Constant(np.log([0.25, 4.0]))  # e.g. an output bias from the class priors
    >>> init((3, 2))[0]
    array([-1.3862944,  1.3862944], dtype=float32)
    >>> init.get_config()
    {'value': [-1.3862943611198906, 1.3862943611198906]}
    """

    def __init__(self, value=0.0):
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            self.value = _check_number(value, "value", "Constant")
            return
        try:
            array = np.asarray(value)
        except (TypeError, ValueError):  # ragged nested lists
            array = None
        if array is None or array.dtype.kind not in "iuf" or not np.isfinite(array).all():
            raise ValueError(
                f"Constant argument value must be a finite number or an array of finite numbers, "
                f"got {value!r}"
            )
        self.value = float(array) if array.ndim == 0 else array.astype(np.float64).tolist()

    def __call__(self, shape, dtype=None):
        dtype = _standardize_dtype(dtype, "Constant")
        shape = _standardize_shape(shape)
        if isinstance(self.value, float):
            return xp.full(shape, self.value, dtype=dtype)
        value = xp.asarray(self.value, dtype=dtype)
        try:
            return xp.array(xp.broadcast_to(value, shape), order="C")  # a writable copy
        except ValueError:
            raise ValueError(
                f"Constant value of shape {tuple(value.shape)} does not broadcast to the weight's "
                f"shape {shape}"
            ) from None

    def get_config(self) -> dict:
        return {"value": self.value}


class Identity(Initializer):
    """``gain * I``: ones on the main diagonal of a 2-D shape (rectangular shapes allowed).

    >>> Identity(gain=2.0)((2, 3))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0):
        self.gain = _check_number(gain, "gain", "Identity")

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializes 2-D weights only, got shape {shape}; use Orthogonal for "
                "other ranks"
            )
        dtype = _standardize_dtype(dtype, "Identity")
        return (self.gain * xp.eye(*shape)).astype(dtype)

    def get_config(self) -> dict:
        return {"gain": self.gain}


# ----- random initializers -----


class _RandomInitializer(Initializer):
    """Holds the seed; ``_generator()`` is fresh per call when seeded, else lamina's global one."""

    def __init__(self, seed: int | None = None):
        self.seed = _check_seed(seed, type(self).__name__)

    def _generator(self):
        if self.seed is None:
            return backend.rng()
        return xp.random.default_rng(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


def _uniform(gen, shape, low, high):
    return low + (high - low) * gen.random(size=shape)


def _truncated_standard_normal(gen, shape):
    """Unit normal draws, each redrawn until it lies within two standard deviations."""
    out = gen.standard_normal(size=shape)
    bad = xp.abs(out) > 2.0
    while bool(bad.any()):  # 4.6% redrawn per round, so a few rounds suffice
        out[bad] = gen.standard_normal(size=int(bad.sum()))
        bad = xp.abs(out) > 2.0
    return out


class RandomNormal(_RandomInitializer):
    """Normal draws: ``w ~ N(mean, stddev^2)``.

    >>> w = RandomNormal(stddev=0.05, seed=0)((200, 200))
    >>> round(float(w.std()), 2)
    0.05
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean = _check_number(mean, "mean", "RandomNormal")
        self.stddev = _check_number(stddev, "stddev", "RandomNormal", non_negative=True)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _standardize_dtype(dtype, "RandomNormal", float_only=True)
        z = self._generator().standard_normal(size=_standardize_shape(shape))
        return (self.mean + self.stddev * z).astype(dtype)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_RandomInitializer):
    """Uniform draws: ``w ~ U[minval, maxval)``.

    >>> w = RandomUniform(-0.05, 0.05, seed=0)((100, 100))
    >>> bool(w.min() >= -0.05 and w.max() < 0.05)
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval = _check_number(minval, "minval", "RandomUniform")
        self.maxval = _check_number(maxval, "maxval", "RandomUniform")
        if self.minval > self.maxval:
            raise ValueError(
                f"RandomUniform needs minval <= maxval, got minval={minval}, maxval={maxval}"
            )
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _standardize_dtype(dtype, "RandomUniform", float_only=True)
        w = _uniform(self._generator(), _standardize_shape(shape), self.minval, self.maxval)
        return w.astype(dtype)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(_RandomInitializer):
    """Normal draws ``N(mean, stddev^2)`` redrawn until within ``mean +- 2 * stddev``.

    As in Keras, ``stddev`` is that of the normal before truncation; the values' standard
    deviation is about ``0.88 * stddev``.

    >>> w = TruncatedNormal(stddev=1.0, seed=0)((100, 100))
    >>> bool(abs(w).max() <= 2.0)
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean = _check_number(mean, "mean", "TruncatedNormal")
        self.stddev = _check_number(stddev, "stddev", "TruncatedNormal", non_negative=True)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _standardize_dtype(dtype, "TruncatedNormal", float_only=True)
        z = _truncated_standard_normal(self._generator(), _standardize_shape(shape))
        return (self.mean + self.stddev * z).astype(dtype)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_RandomInitializer):
    """Draws with variance ``scale / n``, where ``n`` is ``fan_in``, ``fan_out`` or
    ``(fan_in + fan_out) / 2`` as ``mode`` says (fans from ``compute_fans``):

    - ``"truncated_normal"``: normal within 2 standard deviations, with
      ``stddev = sqrt(scale / n) / 0.87962566103423978`` so the truncated values have variance
      ``scale / n``;
    - ``"untruncated_normal"``: ``N(0, scale / n)``;
    - ``"uniform"``: ``U[-limit, limit)`` with ``limit = sqrt(3 * scale / n)``.

    ``"normal"`` is accepted for ``"truncated_normal"``, as in Keras. Glorot, He and Lecun
    initializers are this class with fixed arguments.

    >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=0)
    >>> w = init((50, 10))  # limit = sqrt(3 * 2 / 50)
    >>> bool(abs(w).max() < (6 / 50) ** 0.5)
    True
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ):
        who = type(self).__name__
        self.scale = _check_number(scale, "scale", who, positive=True)
        mode = mode.lower() if isinstance(mode, str) else mode
        if mode not in _MODES:
            raise ValueError(f"{who} mode must be one of {', '.join(_MODES)}; got {mode!r}")
        distribution = distribution.lower() if isinstance(distribution, str) else distribution
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"{who} distribution must be one of {', '.join(_DISTRIBUTIONS)}; "
                f"got {distribution!r}"
            )
        self.mode = mode
        self.distribution = distribution
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(shape)
        dtype = _standardize_dtype(dtype, type(self).__name__, float_only=True)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)  # max: zero-size weights must not divide by zero
        gen = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            w = _uniform(gen, shape, -limit, limit)
        elif self.distribution == "truncated_normal":
            w = math.sqrt(variance) / _TRUNCATED_STDDEV * _truncated_standard_normal(gen, shape)
        else:
            w = math.sqrt(variance) * gen.standard_normal(size=shape)
        return w.astype(dtype)

    def get_config(self) -> dict:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset: only the seed is configurable."""

    _preset: tuple = ()

    def __init__(self, seed: int | None = None):
        super().__init__(*self._preset, seed=seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform, the default for kernels: ``U[-limit, limit)`` with
    ``limit = sqrt(6 / (fan_in + fan_out))``.

    >>> w = GlorotUniform(seed=0)((64, 32))
    >>> bool(abs(w).max() < (6 / (64 + 32)) ** 0.5)
    True
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with variance ``2 / (fan_in + fan_out)``, i.e.
    ``stddev = sqrt(2 / (fan_in + fan_out)) / 0.87962566103423978`` before truncation.

    >>> w = GlorotNormal(seed=0)((300, 100))
    >>> round(float(w.std() ** 2 * (300 + 100) / 2), 1)
    1.0
    """

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_FixedVarianceScaling):
    """He (Kaiming) normal, for ReLU networks: truncated normal with variance ``2 / fan_in``,
    i.e. ``stddev = sqrt(2 / fan_in) / 0.87962566103423978`` before truncation.

    >>> w = HeNormal(seed=0)((200, 100))
    >>> round(float(w.std() ** 2 * 200 / 2), 1)
    1.0
    """

    _preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He (Kaiming) uniform: ``U[-limit, limit)`` with ``limit = sqrt(6 / fan_in)``.

    >>> w = HeUniform(seed=0)((24, 10))
    >>> bool(abs(w).max() < 0.5)
    True
    """

    _preset = (2.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal, for SELU networks: truncated normal with variance ``1 / fan_in``, i.e.
    ``stddev = sqrt(1 / fan_in) / 0.87962566103423978`` before truncation.

    >>> w = LecunNormal(seed=0)((100, 200))
    >>> round(float(w.std() ** 2 * 100), 1)
    1.0
    """

    _preset = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: ``U[-limit, limit)`` with ``limit = sqrt(3 / fan_in)``.

    >>> w = LecunUniform(seed=0)((12, 10))
    >>> bool(abs(w).max() < 0.5)
    True
    """

    _preset = (1.0, "fan_in", "uniform")


class Orthogonal(_RandomInitializer):
    """``gain * Q`` where ``Q`` comes from the QR factorization of a normal random matrix.

    The weight is viewed as a matrix ``(prod(shape[:-1]), shape[-1])``: with at least as many rows
    as columns its columns are orthonormal (``W^T W = gain^2 I``), otherwise its rows are
    (``W W^T = gain^2 I``). Signs are fixed by ``diag(R)`` so ``Q`` is uniformly distributed.

    >>> w = Orthogonal(gain=2.0, seed=0)((5, 3))
    >>> bool(abs(w.T @ w - 4 * xp.eye(3)).max() < 1e-5)  # W^T W = gain^2 I
    True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain = _check_number(gain, "gain", "Orthogonal")
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializes weights of rank 2 or more, got shape {shape}")
        dtype = _standardize_dtype(dtype, "Orthogonal", float_only=True)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        if rows * cols == 0:
            return xp.zeros(shape, dtype=dtype)
        a = self._generator().standard_normal(size=(max(rows, cols), min(rows, cols)))
        q, r = xp.linalg.qr(a)
        q = q * xp.sign(xp.diag(r))
        if rows < cols:
            q = q.T
        return xp.ascontiguousarray((self.gain * q).reshape(shape), dtype=dtype)

    def get_config(self) -> dict:
        return {"gain": self.gain, "seed": self.seed}


# Keras 3 alias names
OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity


# ----- lookup by name and config -----

_CLASSES = (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
)
_SNAKE_NAMES = {
    Constant: "constant",
    GlorotNormal: "glorot_normal",
    GlorotUniform: "glorot_uniform",
    HeNormal: "he_normal",
    HeUniform: "he_uniform",
    Identity: "identity",
    LecunNormal: "lecun_normal",
    LecunUniform: "lecun_uniform",
    Ones: "ones",
    Orthogonal: "orthogonal",
    RandomNormal: "random_normal",
    RandomUniform: "random_uniform",
    TruncatedNormal: "truncated_normal",
    VarianceScaling: "variance_scaling",
    Zeros: "zeros",
}
_ALIASES = {
    "uniform": RandomUniform,
    "normal": RandomNormal,
    "one": Ones,
    "zero": Zeros,
    "orthogonal_initializer": Orthogonal,
    "identity_initializer": Identity,
}


def _key(name: str) -> str:
    return name.lower().replace("_", "")


_REGISTRY = {_key(cls.__name__): cls for cls in _CLASSES}
_REGISTRY.update({_key(name): cls for name, cls in _ALIASES.items()})


def _lookup(name: str, custom_objects: dict | None = None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    cls = _REGISTRY.get(_key(name))
    if cls is None:
        valid = ", ".join(sorted(_SNAKE_NAMES.values()))
        raise ValueError(
            f"Unknown initializer {name!r}. Valid names: {valid} (or their Keras class names, "
            "e.g. 'GlorotUniform'); pass an Initializer instance for anything else"
        )
    return cls


def serialize(initializer: Initializer) -> dict:
    """``{"class_name": ..., "config": ...}``, the form ``get`` and ``deserialize`` read back.

    >>> serialize(RandomNormal(stddev=0.1, seed=1))
    {'class_name': 'RandomNormal', 'config': {'mean': 0.0, 'stddev': 0.1, 'seed': 1}}
    """
    if not hasattr(initializer, "get_config"):
        raise TypeError(
            f"cannot serialize {initializer!r}: it has no get_config(); subclass "
            "lamina.initializers.Initializer to make a custom initializer saveable"
        )
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config: dict | str, custom_objects: dict | None = None) -> Initializer:
    """Rebuild an initializer from ``serialize``'s dict (or a name). ``custom_objects`` maps class
    names to your own Initializer subclasses.

    >>> deserialize({"class_name": "HeUniform", "config": {"seed": 7}})
    HeUniform(seed=7)
    """
    if isinstance(config, str):
        return _lookup(config, custom_objects)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"an initializer config is a dict with 'class_name' and 'config', got {config!r}"
        )
    cls = _lookup(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """Turn ``identifier`` into an initializer: a name (case-insensitive, e.g.
    ``"glorot_uniform"``, ``"he_normal"``, ``"zeros"``, ``"orthogonal"``, or a Keras class name),
    a config dict, an Initializer class or instance, or any callable ``f(shape, dtype=None)``.
    ``None`` gives ``None``.

    >>> get("GLOROT_uniform")
    GlorotUniform(seed=None)
    >>> get({"class_name": "Constant", "config": {"value": 3.0}})((2,))
    array([3., 3.], dtype=float32)
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret initializer identifier {identifier!r}: pass a name such as "
        "'glorot_uniform', a config dict, an Initializer, or a callable f(shape, dtype=None)"
    )


__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "IdentityInitializer", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
    "OrthogonalInitializer", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "Zeros", "compute_fans", "deserialize", "get", "serialize",
]  # fmt: skip
