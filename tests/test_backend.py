"""lamina.backend: the float32 policy, choosing the array library, seeding and erf."""

import math
import random
import sys

import numpy as np
import pytest

import lamina
from lamina import backend


def test_python_floats_default_to_float32_and_arrays_keep_their_dtype():
    assert lamina.tensor([1.0]).dtype == np.float32
    assert lamina.tensor(2.5).dtype == np.float32
    assert lamina.tensor(np.array([1.0])).dtype == np.float64
    assert lamina.tensor(np.float64(1.0)).dtype == np.float64
    assert lamina.tensor(np.array([1.0], np.float16)).dtype == np.float16
    assert lamina.tensor([1, 2]).dtype.kind == "i"
    assert lamina.tensor(np.array([1.0]), dtype="float32").dtype == np.float32


def test_set_floatx():
    assert lamina.floatx() == "float32"
    lamina.set_floatx("float64")
    try:
        assert lamina.tensor([1.0]).dtype == np.float64
    finally:
        lamina.set_floatx("float32")
    with pytest.raises(ValueError, match="got 'float8'"):
        lamina.set_floatx("float8")


def test_set_backend_numpy_and_unknown():
    lamina.set_backend("numpy")
    assert lamina.get_backend() == "numpy"
    assert backend.xp.exp is np.exp
    assert "numpy" in repr(backend.xp)
    with pytest.raises(ValueError, match="'bogus'"):
        lamina.set_backend("bogus")
    assert lamina.get_backend() == "numpy"


def test_set_backend_cupy_without_cupy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes ``import cupy`` fail
    with pytest.raises(ImportError, match=r"lamina\[gpu\]"):
        lamina.set_backend("cupy")
    assert lamina.get_backend() == "numpy"
    assert backend.xp.zeros is np.zeros


def test_seed_makes_every_generator_reproducible():
    def draw():
        return backend.rng().normal(size=3).tolist(), np.random.rand(), random.random()

    lamina.seed(7)
    first = draw()
    lamina.seed(7)
    assert draw() == first
    lamina.seed(8)
    assert draw()[0] != first[0]
    lamina.seed(np.int64(2**40))  # beyond NumPy's legacy 32-bit seed range
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="non-negative integer"):
            lamina.seed(bad)


def test_to_numpy_does_not_copy_numpy_arrays():
    a = np.ones(3)
    assert backend.to_numpy(a) is a


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erf_is_exact_and_keeps_the_dtype(dtype, monkeypatch):
    x = np.linspace(-4, 4, 17).astype(dtype)
    expected = np.array([math.erf(v) for v in x.astype(np.float64)])
    out = backend.erf(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == "float32" else 1e-14)
    monkeypatch.setitem(sys.modules, "scipy.special", None)  # the fallback without SciPy
    out = backend.erf(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == "float32" else 1e-14)
