"""Wrappers that let a lamina model live inside another library's API.

- ``SKLearnClassifier``, ``SKLearnRegressor``, ``SKLearnTransformer``: scikit-learn estimators
  around a lamina model (``lamina/wrappers/sklearn_wrapper.py``, ``docs/sklearn.md``). They need
  scikit-learn (``pip install "lamina[sklearn]"``), imported when a wrapper is first used, so
  ``import lamina.wrappers`` works without it.

(``Bidirectional`` and ``TimeDistributed``, Keras's layer wrappers, are in ``lamina.layers``.)

>>> from lamina.wrappers import SKLearnClassifier
>>> SKLearnClassifier(model=None).get_params()["warm_start"]
False
"""

_SKLEARN = ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer")


def __getattr__(name):
    if name in _SKLEARN:
        from lamina.wrappers import sklearn_wrapper

        return getattr(sklearn_wrapper, name)
    raise AttributeError(f"module 'lamina.wrappers' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_SKLEARN])


__all__ = list(_SKLEARN)
