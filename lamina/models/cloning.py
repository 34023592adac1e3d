"""``clone_model``: the same architecture with fresh weights, as ``keras.models.clone_model``.

>>> import lamina
>>> from lamina.layers import Dense, Input
>>> model = lamina.Sequential([Input((3,)), Dense(2)])
>>> copy = clone_model(model)
>>> copy.built, bool((copy.get_weights()[0] == model.get_weights()[0]).all())
(True, False)
"""

from __future__ import annotations

from lamina.layers.layer import deserialize_layer


def clone_model(model):
    """A new, uncompiled model built from ``model.get_config()``: same layers and shapes,
    newly initialized weights, nothing shared with ``model``. Copy the weights with
    ``clone.set_weights(model.get_weights())`` when you want them too. A subclassed model needs
    ``get_config`` and ``@register_layer``, as for saving."""
    try:
        clone = deserialize_layer(
            {"class_name": type(model).__name__, "config": model.get_config()}
        )
    except (NotImplementedError, TypeError, ValueError, KeyError) as exc:
        raise ValueError(
            f"cannot clone {model.name}: its class {type(model).__name__} must implement "
            f"get_config() and be registered with @register_layer ({exc})"
        ) from exc
    shape = getattr(model, "_build_input_shape", None)
    if model.built and not clone.built and shape is not None:
        clone.build(shape)
    return clone
