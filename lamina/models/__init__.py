"""Models: ``Sequential``, functional ``Model(inputs, outputs)``, the ``Model`` base with
compile/fit/evaluate/predict, loading and cloning."""

from lamina.models.cloning import clone_model
from lamina.models.functional import Functional
from lamina.models.model import Model, load_model
from lamina.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model"]
