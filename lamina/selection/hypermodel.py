"""``HyperModel``: KerasTuner's two-method form of a search space, for tuning ``fit`` too.

A ``build_model(hp)`` function only shapes the model. To tune an argument of ``fit`` (the batch
size, the number of epochs, class weights) subclass ``HyperModel``: ``build(hp)`` returns the
compiled model and ``fit(hp, model, *args, **kwargs)`` trains it, changing the arguments as
it likes. Declare every hyperparameter in ``build`` (read them in ``fit`` with ``hp[name]``)
so that a grid search sees them all.

>>> import numpy as np
>>> from lamina.layers import Dense
>>> from lamina.models import Sequential
>>> class MyHyperModel(HyperModel):
...     def build(self, hp):
...         hp.choice("batch_size", [16, 32])
...         model = Sequential([Dense(1, input_shape=(2,))])
...         model.compile(optimizer="sgd", loss="mse")
...         return model
...     def fit(self, hp, model, *args, **kwargs):
...         return model.fit(*args, batch_size=hp["batch_size"], **kwargs)
>>> from lamina.selection import HyperParameters
>>> hp, hypermodel = HyperParameters(), MyHyperModel()
>>> model = hypermodel.build(hp)
>>> history = hypermodel.fit(hp, model, np.zeros((64, 2)), np.zeros((64, 1)), verbose=0)
>>> model.optimizer.iterations  # 64 samples in batches of 16
4
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class HyperModel:
    """Subclass it and define ``build(hp)``; override ``fit`` to tune training arguments.

    Args:
        name: a name for the search space (informative only).
        tunable: accepted for KerasTuner code.
    """

    def __init__(self, name: str | None = None, tunable: bool = True) -> None:
        self.name = name
        self.tunable = tunable

    def build(self, hp) -> Any:
        """Return a compiled model for the hyperparameters ``hp``."""
        raise NotImplementedError(f"{type(self).__name__} must define build(self, hp)")

    def fit(self, hp, model, *args, **kwargs):
        """Train ``model``; the Tuner passes the data and ``search``'s fit arguments. Returns
        the ``History``."""
        return model.fit(*args, **kwargs)


class FunctionHyperModel(HyperModel):
    """A ``build_model(hp)`` function as a HyperModel."""

    def __init__(self, build_model: Callable) -> None:
        super().__init__(name=getattr(build_model, "__name__", None))
        self.build_model = build_model

    def build(self, hp):
        return self.build_model(hp)


def as_hypermodel(spec) -> HyperModel:
    """A HyperModel from a HyperModel (or any object with KerasTuner's ``build``/``fit``), or
    from a ``build_model(hp)`` function."""
    if callable(getattr(spec, "build", None)) and callable(getattr(spec, "fit", None)):
        return spec
    if callable(spec):
        return FunctionHyperModel(spec)
    raise TypeError(
        f"the Tuner needs a build_model(hp) function or a HyperModel, got {type(spec).__name__}"
    )
