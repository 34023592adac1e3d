"""``Lambda``: a function of tensors used as a layer, in ``Sequential`` and functional models.

>>> import lamina
>>> from lamina.layers import Input, Lambda
>>> def double(x):
...     return x * 2
>>> Lambda(double)(lamina.tensor([[1.0, 2.0]])).tolist()
[[2.0, 4.0]]
>>> Lambda(lambda x: lamina.ops.sum(x, axis=-1))(Input(shape=(3,))).shape
(None,)

Saving. A file never holds code, and loading never imports a module it names: a ``Lambda``
is saved as its function's module and qualified name, and ``load_model`` finds the function
only in its ``custom_objects`` or among functions registered with
``@lamina.saving.register_keras_serializable()``. A lambda expression has no name to save by,
so saving a model that holds one is an error: define the function with ``def``, or write a
custom ``Layer``.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import threading
from collections.abc import Callable

from lamina.backend import xp
from lamina.layers.layer import Layer

_FUNCTIONS: dict[str, Callable] = {}


def register_function(fn: Callable) -> Callable:
    """Make ``fn`` findable by name when a saved ``Lambda`` is loaded (what
    ``@lamina.saving.register_keras_serializable()`` does to a function)."""
    _FUNCTIONS[fn.__qualname__] = fn
    return fn


class _Scope(threading.local):
    stack = ()  # the custom_objects of the load_model calls in progress in this thread


_scope = _Scope()


@contextlib.contextmanager
def custom_functions(custom_objects):
    """Inside this block, saved ``Lambda`` layers may name the callables of
    ``custom_objects`` (``load_model`` opens it with its own ``custom_objects``)."""
    objects = {k: v for k, v in (custom_objects or {}).items() if callable(v)}
    saved = _scope.stack
    _scope.stack = (*saved, objects)
    try:
        yield
    finally:
        _scope.stack = saved


class _FunctionRef(dict):
    """``{"module", "name"}``: a function as a file stores it. In memory it also keeps the
    function, so ``from_config(get_config())`` (``clone_model``) needs no registration; a
    reference read from a file is a plain dict and is looked up by name."""

    def __init__(self, fn):
        super().__init__(module=getattr(fn, "__module__", None), name=fn.__qualname__)
        self.function = fn

    def __hash__(self):  # so that code looking names up in a table can ask about it too
        return hash((self["module"], self["name"]))


class _Unsavable:
    """A lambda expression in a config: usable in memory (``clone_model``), but a file cannot
    hold it. ``save_model`` raises ``reason`` when it meets one, before writing anything."""

    def __init__(self, fn, reason):
        self.function = fn
        self.reason = reason


def _reference(fn, layer_name, role):
    name = getattr(fn, "__qualname__", None)
    if not isinstance(name, str) or "<lambda>" in name:
        what = "a lambda expression" if isinstance(name, str) else f"{fn!r}, which has no name"
        return _Unsavable(
            fn,
            f"cannot save Lambda layer {layer_name!r}: its {role} is {what}, and lamina saves "
            "functions by name, never as code. Define it with `def` and pass it to load_model "
            "in custom_objects (or register it with "
            "@lamina.saving.register_keras_serializable()), or write a custom Layer",
        )
    return _FunctionRef(fn)


def find_function(name: str, module: str | None = None) -> Callable | None:
    """The function a file names: from the ``custom_objects`` of the ``load_model`` calls in
    progress, else from the registered ones (``"module.name"``, the qualified name, or the
    bare name); None when unknown. Never imports anything."""
    keys = (f"{module}.{name}", name, name.rsplit(".", 1)[-1])
    for objects in (*reversed(_scope.stack), _FUNCTIONS):
        for key in keys:
            if callable(objects.get(key)):
                return objects[key]
    return None


def _resolve(ref, layer_name, role):
    if isinstance(ref, (_FunctionRef, _Unsavable)):
        return ref.function
    if not (isinstance(ref, dict) and isinstance(ref.get("name"), str)):
        raise ValueError(f"Lambda layer {layer_name!r}: malformed {role} reference {ref!r}")
    name, module = ref["name"], ref.get("module")
    fn = find_function(name, module)
    if fn is not None:
        return fn
    short = name.rsplit(".", 1)[-1]
    raise ValueError(
        f"Lambda layer {layer_name!r} calls the {role} {f'{module}.{name}'!r}, which is unknown "
        f"here: pass it to load_model as custom_objects={{{short!r}: {short}}}, or register it "
        "with @lamina.saving.register_keras_serializable() (lamina never imports modules named "
        "in a file)"
    )


def _as_shape(shape):
    """A tuple for one shape, a list of tuples for several (lists come back from JSON)."""
    if shape and all(isinstance(s, (list, tuple)) for s in shape):
        return [tuple(s) for s in shape]
    return tuple(shape)


def _plain(shape):
    """``_as_shape``'s result as JSON lists."""
    return [list(s) for s in shape] if isinstance(shape, list) else list(shape)


def _takes(fn, name) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


class Lambda(Layer):
    """``y = function(x, **arguments)``, with ``mask`` and ``training`` passed to a function
    that names them. Shapes come from a dry run of ``function`` unless ``output_shape`` (the
    shape without the batch axis, or a function of the input shape) is given. ``mask`` is a
    function ``(inputs, mask) -> mask`` or a fixed mask. Prefer a custom ``Layer`` for anything
    with weights."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda expects a callable, got {type(function).__name__}")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda arguments must be a dict, got {type(arguments).__name__}")
        self.function = function
        self.arguments = dict(arguments or {})
        if output_shape is not None and not callable(output_shape):
            output_shape = _as_shape(output_shape)
        self._output_shape = output_shape
        self.mask = mask if mask is None or callable(mask) else xp.asarray(mask, dtype=bool)
        self.supports_masking = mask is not None
        self._takes_mask = _takes(function, "mask")
        self._takes_training = _takes(function, "training")

    def call(self, inputs, mask=None, training=False):
        kwargs = dict(self.arguments)
        if self._takes_mask:
            kwargs["mask"] = mask
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape[0]
        batch = first[0] if isinstance(first, (list, tuple)) else first
        if isinstance(self._output_shape, list):
            return [(batch, *s) for s in self._output_shape]
        return (batch, *self._output_shape)

    def get_config(self):
        config = {
            **super().get_config(),
            "function": _reference(self.function, self.name, "function"),
        }
        if self._output_shape is not None:
            config["output_shape"] = (
                _reference(self._output_shape, self.name, "output_shape")
                if callable(self._output_shape)
                else _plain(self._output_shape)
            )
        if self.mask is not None:
            config["mask"] = (
                _reference(self.mask, self.name, "mask")
                if callable(self.mask)
                else self.mask.tolist()
            )
        try:
            json.dumps(self.arguments)
        except (TypeError, ValueError):
            raise ValueError(
                f"cannot save Lambda layer {self.name!r}: its arguments {self.arguments!r} are "
                "not plain JSON values (numbers, strings, lists, dicts)"
            ) from None
        config["arguments"] = dict(self.arguments)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        name = config.get("name")
        config["function"] = _resolve(config.get("function"), name, "function")
        if isinstance(config.get("output_shape"), (dict, _Unsavable)):
            config["output_shape"] = _resolve(config["output_shape"], name, "output_shape")
        if isinstance(config.get("mask"), (dict, _Unsavable)):
            config["mask"] = _resolve(config["mask"], name, "mask")
        return cls(**config)
