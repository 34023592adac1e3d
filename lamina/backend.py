"""The one place that knows which array library runs, the default dtype and the random state.

Every op is written against ``xp``, an object that forwards attribute access to the active array
module (NumPy by default, CuPy after ``set_backend("cupy")``). Attributes are cached on first use,
so ``xp.exp`` costs a plain attribute lookup in hot loops.

>>> from lamina.backend import xp, floatx
>>> xp.zeros(2, dtype=floatx()).dtype
dtype('float32')
"""

from __future__ import annotations

import math
import os
import random as _pyrandom

import numpy as _np

_BACKENDS = ("numpy", "cupy")


class _ArrayModule:
    """Forwards ``xp.name`` to the active array module, caching each attribute it resolves."""

    def __init__(self, module):
        object.__setattr__(self, "_module", module)

    def __getattr__(self, name):  # only called on a cache miss
        value = getattr(self._module, name)
        object.__setattr__(self, name, value)
        return value

    def _switch(self, module):
        self.__dict__.clear()
        object.__setattr__(self, "_module", module)

    def __repr__(self):
        return f"<lamina array module: {self._module.__name__}>"


xp = _ArrayModule(_np)
_state = {"backend": "numpy", "floatx": "float32", "epsilon": 1e-7, "rng": _np.random.default_rng()}


def get_backend() -> str:
    """Name of the active array library: ``"numpy"`` or ``"cupy"``."""
    return _state["backend"]


def set_backend(name: str) -> None:
    """Choose the array library: ``"numpy"`` (default) or ``"cupy"`` (needs CuPy and a GPU).

    >>> set_backend("numpy"); get_backend()
    'numpy'
    """
    if name not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}, got {name!r}")
    if name == "cupy":
        try:
            import cupy as module
        except ImportError as exc:
            raise ImportError(
                "set_backend('cupy') needs CuPy and an NVIDIA GPU: pip install 'lamina[gpu]' "
                "(or a cupy wheel matching your CUDA version)"
            ) from exc
    else:
        module = _np
    xp._switch(module)
    _state["backend"] = name
    _state["rng"] = module.random.default_rng()


def floatx() -> str:
    """The default float dtype of weights and inputs (``"float32"`` unless changed)."""
    return _state["floatx"]


def set_floatx(dtype: str) -> None:
    """Set the default float dtype: ``"float16"``, ``"float32"`` or ``"float64"``."""
    if dtype not in ("float16", "float32", "float64"):
        raise ValueError(f"floatx must be 'float16', 'float32' or 'float64', got {dtype!r}")
    _state["floatx"] = dtype


def seed(n: int) -> None:
    """Make runs reproducible: seeds lamina's generator (initializers, dropout, shuffling),
    NumPy's global generator and Python's ``random``.

    >>> seed(0); a = rng().random(); seed(0); a == rng().random()
    True
    """
    if not isinstance(n, (int, _np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"seed must be a non-negative integer, got {n!r}")
    n = int(n)
    module = xp._module
    _state["rng"] = module.random.default_rng(n)
    _np.random.seed(n % 2**32)
    _pyrandom.seed(n)


def epsilon() -> float:
    """The fuzz factor Keras adds to denominators and clips probabilities with, ``1e-7`` unless
    changed by ``set_epsilon`` (``keras.backend.epsilon()``)."""
    return _state["epsilon"]


def set_epsilon(value: float) -> None:
    """Set the fuzz factor that the losses, the weight constraints and ``Normalization`` use.

    >>> set_epsilon(1e-5); epsilon()
    1e-05
    >>> set_epsilon(1e-7)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, _np.floating)):
        raise ValueError(f"epsilon must be a small positive number, got {value!r}")
    if not 0 < value < 1:
        raise ValueError(f"epsilon must be a small positive number in (0, 1), got {value!r}")
    _state["epsilon"] = float(value)


_SESSION_RESETTERS: list = []


def clear_session() -> None:
    """Start afresh, as ``keras.backend.clear_session()``: automatic layer and model names count
    from the beginning again (``dense``, ``dense_1``, ...). Models already built keep working."""
    for reset in _SESSION_RESETTERS:
        reset()


def rng():
    """lamina's random generator (a ``numpy.random.Generator`` or CuPy's equivalent)."""
    return _state["rng"]


class isolated_rng:  # noqa: N801 - used as a statement: ``with isolated_rng():``
    """Inside this block lamina's generator is a throwaway one, so that work which draws random
    numbers without needing them (initializing weights that a file then overwrites) leaves the
    user's random sequence exactly where it was.

    >>> seed(0)
    >>> with isolated_rng():
    ...     _ = rng().random(100)
    >>> a = rng().random(); seed(0); a == rng().random()
    True
    """

    def __enter__(self):
        self._saved = _state["rng"]
        _state["rng"] = xp._module.random.default_rng(0)
        return self

    def __exit__(self, *exc):
        _state["rng"] = self._saved
        return False


def to_numpy(array):
    """A NumPy copy-free view of ``array`` when possible (CuPy arrays are copied to the host)."""
    if isinstance(array, _np.ndarray):
        return array
    get = getattr(array, "get", None)
    return get() if get is not None else _np.asarray(array)


def get_value(x):
    """Keras 2's ``backend.get_value``: the value of a tensor, a weight or an optimizer's
    ``learning_rate``/``iterations`` as NumPy.

    >>> import lamina
    >>> get_value(lamina.optimizers.SGD(learning_rate=0.5).learning_rate)
    np.float32(0.5)
    """
    numpy = getattr(x, "numpy", None)
    return numpy() if numpy is not None else to_numpy(x)


def set_value(x, value) -> None:
    """Keras 2's ``backend.set_value``: ``x.assign(value)`` for a weight or an optimizer's
    ``learning_rate`` (``set_value(model.optimizer.lr, 1e-4)`` in Keras 2 callbacks).

    >>> import lamina
    >>> opt = lamina.optimizers.SGD(learning_rate=0.5)
    >>> set_value(opt.learning_rate, 0.1); opt.learning_rate
    0.1
    """
    assign = getattr(x, "assign", None)
    if assign is None:
        raise TypeError(
            f"set_value needs a weight or an optimizer's learning_rate/iterations (something "
            f"with assign()), got {type(x).__name__}: a plain number cannot be changed in place"
        )
    assign(value)


def _erf_numpy(x):
    try:
        from scipy.special import erf
    except ImportError:  # exact but slower: one call to math.erf per element
        return _np.vectorize(math.erf, otypes=[x.dtype])(x)
    return erf(x).astype(x.dtype, copy=False)


def erf(x):
    """The error function, elementwise, exact to the dtype's precision (used by exact GELU)."""
    if _state["backend"] == "cupy":
        from cupyx.scipy.special import erf as cupy_erf

        return cupy_erf(x)
    return _erf_numpy(x)


_M_TOP_PAD = -2  # glibc's mallopt parameter number (malloc.h)


def keep_freed_heap(megabytes: int = 256) -> bool:
    """Ask glibc's malloc to keep up to ``megabytes`` of freed heap memory for reuse instead of
    handing it back to the OS at every free (``mallopt(M_TOP_PAD)``).

    A conv training step allocates and frees ~100 MB of temporaries at batch 128; with glibc's
    default the heap is trimmed after each step and every page is faulted in again on the next,
    which made training 2x slower (bench/cnn.py). Process-wide, so lamina calls it once at
    import; set ``LAMINA_KEEP_FREED_HEAP=0`` to opt out. Returns False where there is no glibc
    (macOS, Windows, musl): nothing changes there.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_TOP_PAD, int(megabytes) << 20))


if os.environ.get("LAMINA_KEEP_FREED_HEAP", "1") != "0":
    keep_freed_heap()
