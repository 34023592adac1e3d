"""Models: ``Sequential``, functional ``Model(inputs, outputs)``, the ``Model`` base with
compile/fit/evaluate/predict, loading and cloning."""

from lamina.models.cloning import clone_model
from lamina.models.functional import Functional
from lamina.models.model import Model, load_model
from lamina.models.model_json import model_from_json
from lamina.models.sequential import Sequential
from lamina.saving.model_file import save_model  # keras.models.save_model

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]
