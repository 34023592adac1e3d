"""Models: ``Sequential``, functional ``Model(inputs, outputs)``, the ``Model`` base with
compile/fit/evaluate/predict, and loading."""

from lamina.models.functional import Functional
from lamina.models.model import Model, load_model
from lamina.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "load_model"]
