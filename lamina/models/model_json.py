"""A model's architecture as JSON: ``model.to_json()`` and ``model_from_json`` (Keras's names).

The JSON holds the config only, ``{"class_name", "config", "build_config"}``: no weights, no
compile settings. Reading it never runs code: classes are looked up by name in lamina's
registries (custom layers register with ``@register_layer`` or come in ``custom_objects``),
exactly as ``load_model`` does. The rebuilt model has freshly initialized weights.

>>> import lamina
>>> from lamina import layers
>>> model = lamina.Sequential([layers.Input((3,)), layers.Dense(2, name="out")])
>>> clone = model_from_json(model.to_json())
>>> [layer.name for layer in clone.layers], clone.layers[0].kernel.shape
(['out'], (3, 2))
"""

from __future__ import annotations

import json


def to_json(model, **kwargs) -> str:
    """The JSON of ``model``'s architecture; ``kwargs`` go to ``json.dumps`` (``indent=2``)."""
    from lamina.saving.model_file import _build_shape, _model_config, _unsavable

    spec = _model_config(model)
    shape = _build_shape(model)
    if shape is not None:
        spec["build_config"] = {"input_shape": shape}
    return json.dumps(spec, default=_unsavable, **kwargs)


def model_from_json(json_string: str, custom_objects: dict | None = None):
    """Rebuild a model (untrained: new weights) from ``to_json``'s string. ``custom_objects``
    maps class names to custom layer or model classes, and names to the functions of ``Lambda``
    layers."""
    from lamina.layers.lambda_layer import custom_functions
    from lamina.layers.layer import deserialize_layer, register_layer
    from lamina.saving.model_file import _build

    if not isinstance(json_string, (str, bytes, bytearray)):
        raise TypeError(f"model_from_json expects a JSON string, got {type(json_string).__name__}")
    try:
        spec = json.loads(json_string)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"model_from_json: not valid JSON ({type(exc).__name__}: {exc})") from None
    if not (isinstance(spec, dict) and isinstance(spec.get("class_name"), str)
            and isinstance(spec.get("config"), dict)):  # fmt: skip
        raise ValueError(
            "model_from_json expects the JSON of model.to_json(): an object with 'class_name' "
            f"and 'config', got {str(json_string)[:80]!r}"
        )
    for obj in (custom_objects or {}).values():
        if isinstance(obj, type):
            register_layer(obj)
    build_config = spec.get("build_config") or {}
    with custom_functions(custom_objects):
        try:
            model = deserialize_layer({"class_name": spec["class_name"], "config": spec["config"]})
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"model_from_json: cannot rebuild the architecture: {exc}") from exc
        _build(model, build_config.get("input_shape"), has_weights=False)
    return model


__all__ = ["model_from_json", "to_json"]
