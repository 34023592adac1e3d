"""Models: ``Sequential``, the ``Model`` base with compile/fit/evaluate/predict, and loading."""

from lamina.models.model import Model, load_model
from lamina.models.sequential import Sequential

__all__ = ["Model", "Sequential", "load_model"]
