"""Saving and loading: the ``.lamina`` model file, weights by name, and weight import.

- ``save_model``/``load_model``: ``lamina/saving/model_file.py`` (format and checks described
  there);
- ``save_weights``/``load_weights``, ``torch_to_lamina``: ``lamina/saving/weights.py``;
- the safetensors reader and writer: ``lamina/saving/safetensors.py``;
- Keras ``.weights.h5`` import (needs h5py): ``lamina/saving/keras_h5.py``.
"""

from lamina.layers.lambda_layer import register_function
from lamina.layers.layer import register_layer
from lamina.saving.model_file import load_model, save_model
from lamina.saving.safetensors import FormatError
from lamina.saving.weights import load_weights, read_weights, save_weights, torch_to_lamina


def register_keras_serializable(package="Custom", name=None):
    """Keras's decorator name for ``register_layer``: a custom layer (or model) class becomes
    loadable from saved files by its class name, and a function by its name (for the
    ``Lambda`` layers that call it)."""
    del package, name  # lamina's registries are keyed by class and function name

    def decorate(obj):
        return register_layer(obj) if isinstance(obj, type) else register_function(obj)

    return decorate


__all__ = [
    "FormatError",
    "load_model",
    "load_weights",
    "read_weights",
    "register_keras_serializable",
    "register_layer",
    "save_model",
    "save_weights",
    "torch_to_lamina",
]
