"""Copies of a lamina model for the scikit-learn wrappers: a fresh clone (same architecture and
compile settings, new weights) and ``SavedModel``, the form in which a pickled wrapper carries a
model.

A model is never pickled as Python objects: a built model travels as the bytes of its
``.lamina`` file (``lamina/saving/model_file.py``: architecture as JSON, weights, compile
settings, optimizer state, checksum), an unbuilt one as its config and compile settings (JSON).
Unpickling rebuilds it through ``load_model``/``from_config``, so custom layers must be
registered with ``@register_layer``, as for loading a saved file.

>>> import pickle, lamina
>>> from lamina.layers import Dense, Input
>>> model = lamina.models.Sequential([Input(shape=(3,)), Dense(2)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> copy = pickle.loads(pickle.dumps(SavedModel(model))).load()
>>> bool((copy.get_weights()[0] == model.get_weights()[0]).all()), copy.compiled
(True, True)
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings

from lamina import models
from lamina.layers.layer import deserialize_layer
from lamina.saving import load_model, save_model
from lamina.saving.model_file import _compile, _compile_config


def clone_model(model):
    """A new model with ``model``'s architecture and compile settings and freshly initialized
    weights (Keras's ``clone_model`` followed by ``compile``)."""
    if not getattr(model, "compiled", False):
        raise ValueError(
            f"{model.name} is not compiled: compile it before wrapping it, or pass a function "
            "that builds and compiles a model"
        )
    clone = models.clone_model(model)
    _compile(clone, _compile_settings(model), {}, None, model.name)
    return clone


class SavedModel:
    """A model as plain data: its ``.lamina`` file bytes (built) or its config (not built)."""

    def __init__(self, model):
        self.name = model.name
        if model.built:
            self.file_bytes = _to_bytes(model)
            self.architecture = self.compile_settings = None
        else:
            self.file_bytes = None
            self.architecture = json.dumps(_architecture(model))
            compiled = getattr(model, "compiled", False)
            self.compile_settings = json.dumps(_compile_settings(model)) if compiled else None

    def load(self):
        """The model again (weights, compile settings and optimizer state included)."""
        if self.file_bytes is not None:
            return _from_bytes(self.file_bytes, self.name)
        model = _from_config(json.loads(self.architecture))
        if self.compile_settings is not None:
            _compile(model, json.loads(self.compile_settings), {}, None, self.name)
        return model


def _architecture(model) -> dict:
    return {"class_name": type(model).__name__, "config": model.get_config()}


def _from_config(spec):
    try:
        return deserialize_layer(spec)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(
            f"cannot rebuild {spec['class_name']} from its config ({exc}): a custom model or "
            "layer class needs get_config() and @register_layer"
        ) from exc


def _compile_settings(model) -> dict:
    """The compile arguments as JSON-ready data; an error when a custom function cannot be
    written down (the clone would silently lose it)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        settings = _compile_config(model)
    if settings is None:
        reason = caught[0].message if caught else "no compile settings"
        raise ValueError(
            f"cannot copy the compile settings of {model.name} ({reason}): use built-in or "
            "registered losses and metrics, or pass a function that builds and compiles a model"
        )
    return settings


def _to_bytes(model) -> bytes:
    # save_model writes files only (atomically), so the bytes go through a private temp folder
    with tempfile.TemporaryDirectory(prefix="lamina-") as folder:
        path = os.path.join(folder, "model.lamina")
        save_model(model, path)  # warns if a custom loss leaves the compile settings out
        with open(path, "rb") as f:
            return f.read()


def _from_bytes(data: bytes, name: str):
    with tempfile.TemporaryDirectory(prefix="lamina-") as folder:
        path = os.path.join(folder, f"{name}.lamina")
        with open(path, "wb") as f:
            f.write(data)
        return load_model(path)
