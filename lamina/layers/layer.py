"""``Layer``: the base of every layer, with the Keras contract.

``__init__`` stores configuration only; ``build(input_shape)`` creates weights with
``add_weight`` the first time the layer sees an input; ``call(inputs, training=False)``
computes with ops; ``get_config()`` returns what ``from_config`` needs.

>>> import lamina
>>> from lamina.layers import Layer
>>> class Scale(Layer):
...     def build(self, input_shape):
...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
...     def call(self, x, training=False):
...         return x * self.w
>>> layer = Scale()
>>> layer(lamina.tensor([[1.0, 2.0]])).tolist(), len(layer.trainable_weights)
([[1.0, 2.0]], 1)
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lamina import backend
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers import symbolic
from lamina.layers.variable import Variable

_LAYER_CLASSES: dict[str, type] = {}
_NAME_COUNTS: dict[str, int] = {}
backend._SESSION_RESETTERS.append(_NAME_COUNTS.clear)  # backend.clear_session()


def register_layer(cls):
    """Make a layer class findable by name in saved configs (``@register_layer`` on custom ones)."""
    _LAYER_CLASSES[cls.__name__] = cls
    return cls


def get_layer_class(name: str) -> type:
    try:
        return _LAYER_CLASSES[name]
    except KeyError:
        raise ValueError(
            f"unknown layer class {name!r}: register custom layers with @register_layer"
        ) from None


def deserialize_layer(spec: dict):
    """A layer from its ``{"class_name": ..., "config": ...}`` entry in a saved config."""
    return get_layer_class(spec["class_name"]).from_config(dict(spec["config"]))


def shape_matches(expected, shape) -> bool:
    """Same rank, and every known (non-None) size after the batch axis equal."""
    return len(expected) == len(shape) and all(
        e is None or e == s for e, s in zip(expected[1:], shape[1:])
    )


def _snake(name: str) -> str:
    """Keras's default layer names: ``Conv2D`` -> ``conv2d``, ``LeakyReLU`` -> ``leaky_re_lu``."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base: str) -> str:
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def to_tensor(x, dtype=None):
    """Layer inputs as tensors; floating inputs are cast to ``dtype`` (default floatx), as
    Keras autocasts to a layer's dtype."""
    dtype = dtype or backend.floatx()
    if isinstance(x, Tensor):
        if x.dtype.kind == "f" and x.dtype != dtype:
            from lamina import ops

            return ops.cast(x, dtype)
        return x
    array = xp.asarray(x)
    if array.dtype.kind == "f" and array.dtype != dtype:
        array = array.astype(dtype)
    return Tensor(array)


def get_mask(x):
    """The mask a layer attached to ``x`` (Keras's ``x._keras_mask``): a boolean array of shape
    ``(batch, time)``, True where a step holds data; None when ``x`` has none."""
    return getattr(x, "_keras_mask", None)


def set_mask(x, mask) -> None:
    """Attach ``mask`` to tensor ``x`` (or to each tensor of a list, given a list of masks)."""
    if isinstance(x, Tensor):
        x._keras_mask = mask
    elif isinstance(x, (list, tuple)):
        masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(x)
        for item, m in zip(x, masks):
            set_mask(item, m)


def _masks_of(inputs):
    if isinstance(inputs, (list, tuple)):
        masks = [get_mask(i) for i in inputs]
        return None if all(m is None for m in masks) else masks
    return get_mask(inputs)


_CALL_TAKES: dict[type, tuple[bool, bool]] = {}


def _call_takes(cls) -> tuple[bool, bool]:
    """Whether ``cls.call`` accepts ``training`` and ``mask``: Keras passes each only to a
    ``call`` that names it (or takes ``**kwargs``)."""
    takes = _CALL_TAKES.get(cls)
    if takes is None:
        params = inspect.signature(cls.call).parameters
        var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        takes = _CALL_TAKES[cls] = ("training" in params or var_kw, "mask" in params)
    return takes


_TRAINING_DEFAULTS: dict[type, Any] = {}


def _training_default(cls):
    """The default of ``training`` in ``cls.call`` (None without one): what a call made
    with no ``training`` value, outside any other layer's call, runs with, as in Keras."""
    try:
        return _TRAINING_DEFAULTS[cls]
    except KeyError:
        param = inspect.signature(cls.call).parameters.get("training")
        default = None if param is None or param.default is param.empty else param.default
        _TRAINING_DEFAULTS[cls] = default
        return default


class _CallContext(threading.local):
    """The ``training`` value of the layer call in progress (per thread): a layer called inside
    another layer's ``call`` without ``training=`` inherits it, as in Keras; and the call hooks
    of this thread (see ``add_call_hook``)."""

    training = None
    hooks = ()


_call_context = _CallContext()


def add_call_hook(hook: Callable[[Layer, Any], None]) -> Callable[[], None]:
    """Run ``hook(layer, outputs)`` after every eager layer call in this thread (inner layers
    before the model that holds them) until the returned ``remove()`` is called: PyTorch's
    forward hooks, for all layers at once. ``lamina.callbacks.Diagnostics`` and
    ``lamina.explain.grad_cam`` read activations this way; a hook must not change ``outputs``.

    >>> import lamina
    >>> from lamina.layers import Dense
    >>> seen = []
    >>> remove = add_call_hook(lambda layer, out: seen.append((layer.name, out.shape)))
    >>> _ = Dense(2, name="probe")(lamina.tensor([[1.0, 2.0, 3.0]])); remove()
    >>> seen
    [('probe', (1, 2))]
    """
    _call_context.hooks = (*_call_context.hooks, hook)

    def remove() -> None:
        _call_context.hooks = tuple(h for h in _call_context.hooks if h is not hook)

    return remove


def _marking_built(build):
    """``build`` that also sets ``built``, so that ``layer.build(shape)`` called by hand (as
    Keras users do) is not repeated by the first call, whatever the subclass's build does."""

    @functools.wraps(build)
    def wrapped(self, *args, **kwargs):
        result = build(self, *args, **kwargs)
        self.built = True
        return result

    wrapped._marks_built = True
    return wrapped


def _get_activation(layer):
    return layer._activation


def _set_activation(layer, value) -> None:
    from lamina import activations

    layer._activation = activations.get(value)


activation_property = property(
    _get_activation,
    _set_activation,
    doc="""The function applied to the layer's output. Setting it takes what the constructor
    takes (a name, a callable, or None for linear), so Grad-CAM's
    ``model.layers[-1].activation = None`` leaves the logits.

    >>> from lamina.layers import Dense
    >>> layer = Dense(2, activation="softmax")
    >>> layer.activation = None
    >>> layer.activation.__name__
    'linear'
    """,
)


def _shapes_of(structure):
    """The shape tuple of a symbolic tensor, or a list of them for a list or tuple."""
    if isinstance(structure, (list, tuple)):
        return [_shapes_of(item) for item in structure]
    if isinstance(structure, dict):
        return {key: _shapes_of(item) for key, item in structure.items()}
    return tuple(structure.shape)


class Layer:
    """Base class of layers (and models).

    Training: a call's ``training`` is the caller's value, else that of the layer call it runs
    inside, else the mode ``train()``/``eval()`` set (PyTorch's), else the default of ``call``'s
    own ``training`` argument (Keras's rule: the augmentation layers default to True, so
    ``RandomFlip()(images)`` flips).

    Masks: a layer whose ``call`` has a ``mask`` parameter receives the mask of its input
    (attached by ``Embedding(mask_zero=True)`` or ``Masking``). A layer with
    ``supports_masking = True`` attaches ``compute_mask(inputs, mask)`` (by default the input's
    mask) to its output; other layers drop the mask, as in Keras.
    """

    supports_masking = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("lamina."):
            register_layer(cls)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            cls.build = _marking_built(build)

    def __init__(
        self,
        trainable=True,
        name=None,
        dtype=None,
        input_shape=None,
        input_dim=None,
        batch_input_shape=None,
        activity_regularizer=None,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected arguments: {sorted(kwargs)}")
        object.__setattr__(self, "_sublayers", [])
        self.name = name or unique_name(_snake(type(self).__name__))
        self._trainable = bool(trainable)
        self.built = False
        self._variables = []
        self._activity_losses = []
        self.dtype = dtype or backend.floatx()
        from lamina import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
            self._batch_input_shape = (None, *shape)
        else:
            self._batch_input_shape = None
        self._build_input_shape = None
        self._inbound_nodes = []  # this layer's calls in functional graphs
        self._added_losses = []  # add_loss() values of the last call

    # ----- tracking -----
    def __setattr__(self, name, value):
        if isinstance(value, Layer) and name != "_parent":
            self._track(value)
        elif isinstance(value, (list, tuple)) and any(isinstance(v, Layer) for v in value):
            for v in value:
                if isinstance(v, Layer):
                    self._track(v)
        object.__setattr__(self, name, value)

    def _track(self, layer):
        if "_sublayers" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before assigning sublayers"
            )
        if all(layer is not other for other in self._sublayers):
            self._sublayers.append(layer)

    @property
    def layers(self) -> list:
        return list(self._sublayers)

    def _flatten_layers(self):
        """This layer and every layer nested in it, depth first, each once."""
        seen, out, stack = set(), [], [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._sublayers))
        return out

    # ----- weights -----
    def add_weight(
        self,
        shape=(),
        initializer=None,
        dtype=None,
        trainable=True,
        regularizer=None,
        constraint=None,
        name=None,
    ):
        """Create a weight of ``shape`` with ``initializer`` and track it. Without an
        initializer (None), float weights start ``"glorot_uniform"`` and others at zero, as in
        Keras."""
        import numbers

        from lamina import constraints, initializers, regularizers

        dtype = dtype or self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype).kind in "fc" else "zeros"
        init = initializers.get(initializer)
        if shape is None:
            shape = ()
        shape = tuple(int(s) for s in ((shape,) if isinstance(shape, numbers.Integral) else shape))
        _spend_weight_budget(self, shape)
        # C order for BLAS and in-place updates; asarray (unlike ascontiguousarray) keeps shape ()
        value = xp.asarray(init(shape, dtype=dtype), order="C")
        var = Variable(
            value,
            trainable=trainable,
            name=f"{self.name}/{name or f'variable_{len(self._variables)}'}",
            dtype=dtype,
            regularizer=regularizers.get(regularizer),
            constraint=constraints.get(constraint),
        )
        var._set_layer_trainable(self._trainable)
        self._variables.append(var)
        return var

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self._flatten_layers():
            layer._trainable = bool(value)
            for v in layer._variables:
                v._set_layer_trainable(value)

    @property
    def weights(self) -> list:
        """All weights, layer by layer, each layer's in creation order (the order of
        ``get_weights``). Keras 3 also goes layer by layer (Keras 2 put the trainable ones
        first); for built-in layers, which create their trainable weights first, the orders
        agree. Freezing a layer does not reorder them, so ``zip(a.weights, b.weights)`` pairs the
        same weights of two copies of a model, one of them frozen."""
        return self._all_variables()

    @property
    def variables(self) -> list:
        return self.weights

    @property
    def trainable_weights(self) -> list:
        return [v for layer in self._flatten_layers() for v in layer._variables if v.requires_grad]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list:
        return [
            v for layer in self._flatten_layers() for v in layer._variables if not v.requires_grad
        ]

    non_trainable_variables = non_trainable_weights

    def _all_variables(self) -> list:
        """Every weight in creation order (the order of get_weights/set_weights)."""
        return [v for layer in self._flatten_layers() for v in layer._variables]

    def get_weights(self) -> list:
        """The weights as NumPy arrays (copies)."""
        return [v.numpy().copy() for v in self._all_variables()]

    def set_weights(self, weights) -> None:
        """Load arrays (same order and shapes as ``get_weights``) into the weights."""
        variables = self._all_variables()
        weights = list(weights)
        if len(weights) != len(variables):
            raise ValueError(
                f"{self.name} has {len(variables)} weights but {len(weights)} arrays were given"
            )
        for var, value in zip(variables, weights):
            value = xp.asarray(value)
            if tuple(value.shape) != var.shape:
                raise ValueError(
                    f"weight {var.name} has shape {var.shape}, the given array {tuple(value.shape)}"
                )
            var.assign(value)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"{self.name} is not built yet: call it on data or build() it first")
        return int(sum(v.size for v in self._all_variables()))

    @property
    def losses(self) -> list:
        """Regularization penalties of this layer's weights plus activity penalties of its last
        call, as scalar tensors (they enter the training loss)."""
        out = []
        for layer in self._flatten_layers():
            for v in layer._variables:
                if v.regularizer is not None and v.requires_grad:
                    out.append(v.regularizer(v))
            out.extend(layer._activity_losses)
            out.extend(layer._added_losses)
        return out

    def add_loss(self, loss) -> None:
        """Add a scalar tensor to the training loss, from inside ``call`` (e.g. a VAE's KL
        term); it is recomputed, not accumulated, at every call."""
        self._added_losses.append(loss)

    # ----- PyTorch-style access to the weights -----
    def parameters(self) -> Parameters:
        """The trainable weights, as a live view (what ``Adam(model.parameters())`` takes).

        The view reads ``trainable_weights`` each time it is used, so an optimizer made before
        the model's first call (which creates the weights of a lazily built model) picks the
        weights up at its first ``step()``.

        >>> import lamina
        >>> from lamina.layers import Dense
        >>> layer = Dense(2)
        >>> params = layer.parameters()
        >>> len(params), layer(lamina.tensor([[1.0, 2.0]])).shape, len(params)
        (0, (1, 2), 2)
        """
        return Parameters(self)

    def named_parameters(self) -> list:
        """``(name, weight)`` pairs of the trainable weights, named as in ``state_dict()``."""
        return [(key, v) for key, v in self._state_names() if v.requires_grad]

    def zero_grad(self) -> None:
        """Clear every weight's ``.grad`` (before a new ``loss.backward()``)."""
        for v in self._all_variables():
            v.grad = None

    def state_dict(self) -> dict:
        """Every weight (trainable or not) as a NumPy copy, in creation order, keyed by name.

        A subclassed model (a class of your own that holds its layers as attributes) names each
        weight by its attribute path, as PyTorch does: ``conv1.kernel``, ``blocks.0.dense.bias``
        (a nested ``Sequential`` or functional model counts its ``layers`` from 0). The keys are
        then the same for every instance, so ``Net().load_state_dict(net.state_dict())`` works.
        Built-in layers, ``Sequential`` and functional models name each weight by its layer's
        name: ``{"dense.kernel": ..., "dense.bias": ...}``.

        >>> import lamina
        >>> from lamina.layers import Dense
        >>> class Net(lamina.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = Dense(3)
        ...         self.out = Dense(1)
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
        >>> net = Net()
        >>> _ = net(lamina.tensor([[1.0, 2.0]]))
        >>> list(net.state_dict())
        ['hidden.kernel', 'hidden.bias', 'out.kernel', 'out.bias']
        """
        state = {}
        for key, v in self._state_names():
            if key in state:
                raise ValueError(f"two weights are named {key!r}: give the layers unique names")
            state[key] = v.numpy().copy()
        return state

    def _state_names(self) -> list:
        """``(state_dict key, weight)`` for every weight, in creation order."""
        variables = self._all_variables()
        if not _keys_by_attribute(self):
            return [(_dotted(v.name), v) for v in variables]
        paths: dict[int, str] = {}
        _attribute_paths(self, "", paths, set())
        return [(paths.get(id(v)) or _dotted(v.name), v) for v in variables]

    def load_state_dict(self, state_dict, strict: bool = True):
        """Load weights by name (shapes must match). With ``strict``, missing or unexpected
        names are an error; otherwise they are returned as ``(missing, unexpected)``.

        A ``state_dict`` whose names differ from this model's only in the automatic numbering
        of layer names (``dense_4.kernel`` for ``dense_1.kernel``: another instance of the same
        architecture) loads by position when it holds the same shapes in the same order. Any
        other difference is reported, never guessed.
        """
        named = self._state_names()
        own = dict(named)
        if set(state_dict) != set(own):
            state_dict = _match_by_position(named, state_dict)
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        if strict and (missing or unexpected):
            raise KeyError(f"state_dict mismatch: missing {missing}, unexpected {unexpected}")
        values = {k: xp.asarray(state_dict[k]) for k in own if k in state_dict}
        for key, value in values.items():  # check every shape before changing any weight
            if tuple(value.shape) != own[key].shape:
                raise ValueError(
                    f"{key} has shape {own[key].shape}, the state_dict holds {tuple(value.shape)}"
                )
        for key, value in values.items():
            own[key].assign(value)
        return missing, unexpected

    # ----- PyTorch's training mode -----
    _train_mode = None  # set by train()/eval(); None: each call uses its own default

    def train(self, mode: bool = True):
        """Put this layer and every layer in it in training mode (``mode=False``: inference),
        as PyTorch's ``module.train()``; returns the layer.

        The mode is what a call runs with when nothing else decides. The precedence is: an
        explicit ``training=`` argument, then the ``training`` of the layer call it runs inside,
        then the ``train()``/``eval()`` mode, then the default of the layer's ``call``.
        ``fit``, ``evaluate`` and ``predict`` pass ``training`` explicitly, so the mode does not
        change them.

        >>> import lamina
        >>> from lamina.layers import Dropout
        >>> x = lamina.tensor([[1.0, 1.0, 1.0, 1.0]])
        >>> drop = Dropout(0.5)
        >>> drop(x).tolist()  # inference by default, as in Keras
        [[1.0, 1.0, 1.0, 1.0]]
        >>> drop.train().training, sorted(set(drop(x).numpy().ravel())) != [1.0]
        (True, True)
        >>> drop.eval()(x).tolist(), drop(x, training=True).shape
        ([[1.0, 1.0, 1.0, 1.0]], (1, 4))
        """
        if not isinstance(mode, bool):
            raise ValueError(f"train(mode) expects True or False, got {mode!r}")
        for layer in self._flatten_layers():
            layer._train_mode = mode
        return self

    def eval(self):
        """Put this layer and every layer in it in inference mode: ``train(False)``."""
        return self.train(False)

    @property
    def training(self) -> bool:
        """Whether ``train()`` put the layer in training mode (False after ``eval()``, and
        before either is called, when each call uses its own default)."""
        return self._train_mode is True

    @training.setter
    def training(self, value: bool) -> None:  # this layer only, as PyTorch's attribute
        self._train_mode = None if value is None else bool(value)

    # ----- the contract -----
    def build(self, input_shape) -> None:
        """Create weights; override it and call ``self.add_weight``."""
        self.built = True

    def call(self, inputs, training=False):
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def compute_output_shape(self, input_shape):
        """Output shape for an input shape (``None`` for unknown sizes), by a dry run."""
        from lamina.autograd.grad_mode import no_grad

        shape = tuple(1 if s is None else s for s in input_shape)
        check_dry_run(shape)
        with no_grad():
            out = self(xp.zeros(shape, dtype=self.dtype), training=False)
        return (input_shape[0], *out.shape[1:])

    def _maybe_build(self, input_shape):
        if not self.built:
            self._check_input_shape(input_shape)
            self.build(input_shape)
            self.built = True
            self._build_input_shape = input_shape

    def _check_input_shape(self, shape):
        expected = self._batch_input_shape
        if expected is None:
            return
        if not shape_matches(expected, shape):
            raise ValueError(
                f"{self.name} expected input of shape {expected}, got shape {tuple(shape)}"
            )

    def compute_mask(self, inputs, mask=None):
        """The mask of this layer's output, given its input and the input's mask."""
        return mask if self.supports_masking else None

    # ----- the functional graph -----
    @property
    def input_dtype(self) -> str:
        """The dtype of the data this layer reads: its ``dtype``, or ``"string"`` for the text
        layers (``TextVectorization``, ``StringLookup``). A custom layer that reads text sets
        the class attribute ``input_dtype = "string"``; other layers refuse strings."""
        return self.dtype

    @property
    def input(self):
        """The symbolic input of the layer's first call on symbolic tensors (Keras): a tensor,
        or a list of them. A functional model's ``input`` is the inputs it was built from.

        >>> from lamina.layers import Dense, Input
        >>> x = Input(shape=(4,))
        >>> dense = Dense(2)
        >>> y = dense(x)
        >>> dense.input is x, dense.output is y
        (True, True)
        """
        own = self.__dict__.get("_input_structure")  # Model(inputs, outputs) keeps its inputs
        if own is not None:
            return own
        node = self._first_node("input")
        tensors = node.input_tensors or node.output_tensors  # an InputLayer reads nothing
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def output(self):
        """The symbolic output of the layer's first call on symbolic tensors (Keras): what
        ``keras.Model(inputs=model.inputs, outputs=model.get_layer(name).output)`` reads to
        expose an inner activation. A functional model's ``output`` is its outputs."""
        own = self.__dict__.get("_output_structure")
        if own is not None:
            return own
        tensors = self._first_node("output").output_tensors
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def input_shape(self):
        """The shape of ``input``, ``None`` for the batch: a tuple, or a list of them for
        several inputs (Keras's ``model.input_shape``; Keras 2's ``layer.input_shape``).

        >>> from lamina.layers import Dense, Input
        >>> dense = Dense(2)
        >>> _ = dense(Input(shape=(4,)))
        >>> dense.input_shape, dense.output_shape
        ((None, 4), (None, 2))
        """
        if "_input_shape_value" in self.__dict__:  # a subclass assigned its own
            return self.__dict__["_input_shape_value"]
        return _shapes_of(self.input)

    @input_shape.setter
    def input_shape(self, value):
        self.__dict__["_input_shape_value"] = value

    @property
    def output_shape(self):
        """The shape of ``output``, as ``input_shape``."""
        if "_output_shape_value" in self.__dict__:
            return self.__dict__["_output_shape_value"]
        return _shapes_of(self.output)

    @output_shape.setter
    def output_shape(self, value):
        self.__dict__["_output_shape_value"] = value

    def _first_node(self, what: str):
        if not self._inbound_nodes:
            raise AttributeError(
                f"The layer {self.name} has never been called and thus has no defined {what}: "
                "call it on an Input(...) first, or put it in a Sequential model whose input "
                "shape is known (an Input first, or input_shape= on its first layer)"
            )
        return self._inbound_nodes[0]

    def __call__(self, inputs, *args, training=None, mask=None, **kwargs):
        if symbolic.is_symbolic(inputs) or (
            (args or kwargs) and symbolic.is_symbolic((args, kwargs))
        ):
            extra = {"training": training} if training is not None else {}
            if mask is not None:
                extra["mask"] = mask
            outer = _call_context.training
            _call_context.training = False  # the dry runs on zeros: no augmentation, no dropout
            try:
                return symbolic.call_symbolically(self, inputs, args, {**kwargs, **extra})
            finally:
                _call_context.training = outer
        if mask is None:
            mask = _masks_of(inputs)
        if isinstance(inputs, (list, tuple)) and _holds_text(inputs):
            inputs = np.asarray(inputs)  # a list of texts is one input, not several
        if not isinstance(inputs, (list, tuple, dict)):
            inputs = to_tensor(inputs, self.dtype)
            if inputs.dtype.kind in "OSU" and not self._sublayers and self.input_dtype != "string":
                raise TypeError(
                    f"{self.name} ({type(self).__name__}) expects numbers, got strings or "
                    f"objects (dtype {inputs.dtype}): encode them as numbers first, or start "
                    "the model with a TextVectorization or StringLookup layer"
                )
        self._maybe_build(_shape_of(inputs))
        # training: the caller's value, else the enclosing call's, else the train()/eval()
        # mode, else this call's default (True for the augmentation layers, as in Keras)
        outer = _call_context.training
        if training is None:
            if outer is not None:
                training = outer
            elif self._train_mode is not None:
                training = self._train_mode
            else:
                training = _training_default(type(self))
        takes_training, takes_mask = _call_takes(type(self))
        if mask is not None and takes_mask:
            kwargs["mask"] = mask
        if takes_training and training is not None:
            kwargs["training"] = training
        self._added_losses = []
        _call_context.training = training
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            _call_context.training = outer
        if self.activity_regularizer is not None:  # each output's penalty, per sample (Keras)
            self._activity_losses = [
                self.activity_regularizer(out) / out.shape[0] for out in symbolic.flatten(outputs)
            ]
        if self.supports_masking and _masks_of(outputs) is None:
            out_mask = self.compute_mask(inputs, mask)
            if out_mask is not None:
                set_mask(outputs, out_mask)
        for hook in _call_context.hooks:  # usually none: add_call_hook
            hook(self, outputs)
        return outputs

    # ----- config -----
    def get_config(self) -> dict:
        from lamina import constraints

        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = _serialize(self.activity_regularizer)
        for arg in _constraint_args(type(self)):  # kernel_constraint=..., as Keras saves them
            if getattr(self, arg, None) is not None:
                config[arg] = constraints.to_layer_config(getattr(self, arg), self.name, arg)
        return config

    @classmethod
    def from_config(cls, config: dict):
        from lamina import constraints

        name = config.get("name")
        config = {k: constraints.from_layer_config(v, name, k) if k.endswith("_constraint") else v
                  for k, v in config.items()}  # fmt: skip
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _dotted(name: str) -> str:
    return name.replace("/", ".")


class Parameters(Sequence):
    """A live view of a layer's trainable weights (``layer.parameters()``): it reads
    ``trainable_weights`` whenever it is iterated, indexed or measured."""

    live_parameters = True  # optimizers re-read a live view while it is empty

    def __init__(self, layer: Layer):
        self._layer = layer

    def __getitem__(self, index):
        return self._layer.trainable_weights[index]

    def __len__(self) -> int:
        return len(self._layer.trainable_weights)

    def __iter__(self):
        return iter(self._layer.trainable_weights)

    def __eq__(self, other):
        if isinstance(other, (Parameters, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    def __add__(self, other) -> list:  # a.parameters() + b.parameters(), as with lists
        return list(self) + list(other)

    def __radd__(self, other) -> list:
        return list(other) + list(self)

    __hash__ = None

    def __repr__(self):
        return f"Parameters({self._layer.trainable_weights!r})"


def _keys_by_attribute(layer) -> bool:
    """Whether ``state_dict`` names ``layer``'s weights by attribute path: a subclassed model,
    or a layer class of the user's own (lamina's built-in layers, ``Sequential`` and functional
    models keep their layer names)."""
    from lamina.models.functional import Functional
    from lamina.models.model import Model
    from lamina.models.sequential import Sequential

    if isinstance(layer, (Functional, Sequential)):
        return False
    return isinstance(layer, Model) or type(layer).__module__.split(".")[0] != "lamina"


def _attribute_paths(layer, prefix: str, paths: dict, seen: set) -> None:
    """``paths[id(weight)] = "<attribute path>.<weight name>"`` for every weight of ``layer``
    reachable through attributes (a list or tuple adds its index), each layer by its first
    path. A nested Sequential or functional model names its layers by position."""
    if id(layer) in seen:
        return
    seen.add(id(layer))
    for v in layer._variables:  # "<layer name>/<weight name>": keep the weight name
        name = v.name or ""
        own = name[len(layer.name) + 1 :] if name.startswith(f"{layer.name}/") else None
        paths.setdefault(id(v), prefix + _dotted(own or name.rsplit("/", 1)[-1]))
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential

    if isinstance(layer, (Functional, Sequential)):
        children = [(str(i), child) for i, child in enumerate(layer.layers)]
    else:
        children = []
        for attr, value in vars(layer).items():
            if attr in ("_sublayers", "_parent"):
                continue
            if isinstance(value, Layer):
                children.append((attr, value))
            elif isinstance(value, (list, tuple)):
                items = enumerate(value)
                children += [(f"{attr}.{i}", v) for i, v in items if isinstance(v, Layer)]
    for path, child in children:
        _attribute_paths(child, f"{prefix}{path}.", paths, seen)


class _WeightBudget(threading.local):
    remaining = None  # values that weights may still take while a file is loaded; None: no limit


_weight_budget = _WeightBudget()


def _spend_weight_budget(layer, shape) -> None:
    """Refuse, before allocating, a weight larger than what the file being loaded holds: a
    crafted architecture (``Dense(units=10**10)``) must not exhaust memory."""
    remaining = _weight_budget.remaining
    if remaining is None:
        return
    size = int(np.prod(shape, dtype=object))
    if size > remaining:
        raise ValueError(
            f"layer {layer.name} asks for a weight of shape {shape} ({size:,} values), more than "
            "the file holds: the architecture does not match its weights"
        )
    _weight_budget.remaining = remaining - size


MAX_LOADED_SAMPLE = 2**26  # values in one zero sample of a dry run while a file is loaded


def check_dry_run(shape) -> None:
    """While a file is loaded, refuse a dry run on zeros larger than ``MAX_LOADED_SAMPLE``
    values per sample: the shapes come from the file, and must not exhaust memory."""
    if _weight_budget.remaining is None:
        return
    per_sample = int(np.prod([1 if s is None else s for s in tuple(shape)[1:]], dtype=object))
    if per_sample > MAX_LOADED_SAMPLE:
        raise ValueError(
            f"the architecture has an input of shape {tuple(shape)}, {per_sample:,} values per "
            f"sample, more than {MAX_LOADED_SAMPLE:,} (lamina.layers.layer.MAX_LOADED_SAMPLE)"
        )


def weight_budget(values: int | None):
    """A context in which layers may create at most ``values`` weight values in all (used
    while a model file is loaded; ``None``: no limit)."""
    import contextlib

    @contextlib.contextmanager
    def scope():
        saved = _weight_budget.remaining
        _weight_budget.remaining = values
        try:
            yield
        finally:
            _weight_budget.remaining = saved

    return scope()


_NUMBERING = re.compile(r"_\d+(?=\.|$)")


def _match_by_position(named: list, state_dict):
    """``state_dict`` renamed to this model's keys when its names differ only in the automatic
    numbering of layer names (``dense_4`` for ``dense_1``) and it holds the same shapes in the
    same order: another instance of the same architecture. Otherwise unchanged, so that a
    wrong name is reported instead of loaded into whichever weight has the same shape."""
    keys, values = list(state_dict), list(state_dict.values())
    if len(keys) != len(named):
        return state_dict
    if any(_NUMBERING.sub("", a) != _NUMBERING.sub("", b) for a, (b, _) in zip(keys, named)):
        return state_dict
    if all(tuple(xp.asarray(value).shape) == v.shape for value, (_, v) in zip(values, named)):
        return {key: value for (key, _), value in zip(named, values)}
    return state_dict


def _holds_text(items) -> bool:
    """Whether a list is one batch of texts, ``(batch,)`` or ``(batch, 1)``, rather than a
    list of inputs."""

    def text(item):
        return isinstance(item, (str, bytes))

    return bool(items) and all(
        text(i) or (isinstance(i, (list, tuple)) and len(i) == 1 and text(i[0])) for i in items
    )


def _shape_of(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_shape_of(i) for i in inputs]
    if isinstance(inputs, dict):
        return {k: _shape_of(v) for k, v in inputs.items()}
    return tuple(inputs.shape)


@functools.cache
def _constraint_args(cls) -> tuple:
    """The ``*_constraint`` arguments a layer class's constructor takes, also through
    ``**kwargs`` passed on to a base class (``Conv2D`` -> ``BaseConv``)."""
    names = []
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or klass is Layer:
            continue
        params = inspect.signature(klass.__init__).parameters.values()
        names += [p.name for p in params if p.name.endswith("_constraint")]
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            break
    return tuple(dict.fromkeys(names))


def _serialize(obj):
    """``{"class_name", "config"}`` for an object with get_config, else its name."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return getattr(obj, "__name__", repr(obj))
