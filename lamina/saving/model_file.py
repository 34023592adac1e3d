"""The ``.lamina`` model file: architecture, weights, compile settings and optimizer state in
one safetensors file (see ``lamina/saving/safetensors.py``), with a format version and a
checksum.

Layout. The ``__metadata__`` strings hold ``format`` (``"lamina.model"``), ``format_version``,
``lamina_version``, ``model_config`` (the JSON of ``{"class_name", "config"}``),
``build_input_shape``, ``compile_config`` and ``optimizer_state`` (JSON, when the model was
compiled and trained), ``quantization`` (when weights are stored in int8 or float16) and
``sha256``, the SHA-256 of all tensor bytes. Tensors are ``weights/<dotted name>`` (the names of
``model.state_dict()``), ``optimizer/<i>/<slot>`` and, for int8 weights,
``scales/<dotted name>``.

Loading never runs code from the file: the architecture is rebuilt from JSON by looking class
names up in lamina's registries (custom layers register with ``@register_layer``), and every
size in the file is checked before memory is allocated for it.

>>> import lamina, os, tempfile
>>> model = lamina.models.Sequential([lamina.layers.Input(shape=(3,)), lamina.layers.Dense(2)])
>>> path = os.path.join(tempfile.mkdtemp(), "m.lamina")
>>> model.save(path)
>>> loaded = lamina.models.load_model(path)
>>> bool((loaded.get_weights()[0] == model.get_weights()[0]).all())
True
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings

import numpy as np

from lamina import backend
from lamina.files import write_atomic
from lamina.saving.safetensors import FormatError, encode_header, load_file_with_data, pack

FORMAT = "lamina.model"
FORMAT_VERSION = 1
QUANTIZATIONS = ("float16", "int8")
MAX_BUILD_INPUT = 2**26  # values in the one zero sample that builds a model saved without Input


# ----- saving -----
def save_model(model, filepath, include_optimizer: bool = True, weights_dtype=None) -> None:
    """Write ``model`` to ``filepath`` atomically (a failed save leaves the old file whole).

    ``weights_dtype="float16"`` or ``"int8"`` stores the weight matrices smaller (int8: one
    float32 scale per output channel, ``w ≈ scale * q``); loading turns them back into float32.
    """
    from lamina import __version__

    if weights_dtype is not None and weights_dtype not in QUANTIZATIONS:
        raise ValueError(
            f"weights_dtype must be one of {QUANTIZATIONS} or None, got {weights_dtype}"
        )
    if not model.built:
        raise ValueError(
            f"{model.name} is not built, so it has no weights to save: call it on data, fit it "
            "or give its first layer an input shape"
        )
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "lamina_version": __version__,
        "model_config": json.dumps(_model_config(model), default=_unsavable),
        "build_input_shape": json.dumps(_build_shape(model)),
    }
    tensors = {}
    for name, value in model.state_dict().items():
        tensors.update(_stored(name, value, weights_dtype))
    if weights_dtype is not None:
        metadata["quantization"] = weights_dtype
    compile_config = _compile_config(model) if getattr(model, "compiled", False) else None
    if compile_config is not None:
        metadata["compile_config"] = json.dumps(compile_config)
        optimizer = model.optimizer
        if include_optimizer and optimizer is not None and optimizer.iterations > 0:
            state = optimizer.get_state()
            scalars = {k: v for k, v in state.items() if "/" not in k}
            metadata["optimizer_state"] = json.dumps(scalars)
            for key, value in state.items():
                if "/" in key:
                    tensors[f"optimizer/{key}"] = np.asarray(value)
    entries, data = pack(tensors)
    metadata["sha256"] = hashlib.sha256(data).hexdigest()
    write_atomic(filepath, encode_header(entries, metadata), data)


def _model_config(model) -> dict:
    from lamina.layers.layer import Layer

    if type(model).get_config is Layer.get_config and type(model).__name__ not in (
        "Sequential", "Functional", "Model",
    ):  # fmt: skip
        warnings.warn(
            f"{type(model).__name__} does not override get_config(): it will be rebuilt with "
            "its constructor's defaults when loaded; register it with @register_layer",
            stacklevel=3,
        )
    return {"class_name": type(model).__name__, "config": model.get_config()}


def _unsavable(value):
    """``json.dumps``'s hook for what a config cannot hold: the value's own reason (a Lambda's
    lambda expression), or a TypeError naming the type."""
    reason = getattr(value, "reason", None)
    if isinstance(reason, str):
        raise ValueError(reason)
    raise TypeError(f"a model config cannot hold a {type(value).__name__}: {value!r}")


def _build_shape(model):
    shape = getattr(model, "_build_input_shape", None)
    if shape is None:
        return None
    if shape and isinstance(shape[0], (list, tuple)):
        return [list(s) for s in shape]
    return list(shape)


def _stored(name, value, weights_dtype) -> dict:
    """The tensors that store one weight, quantized when asked and worthwhile (a matrix)."""
    value = backend.to_numpy(value)
    if weights_dtype is None or value.dtype.kind != "f" or value.ndim < 2:
        return {f"weights/{name}": value}
    if weights_dtype == "float16":
        return {f"weights/{name}": value.astype(np.float16)}
    axes = tuple(range(value.ndim - 1))  # one scale per output channel (the last axis)
    scale = np.abs(value).max(axis=axes) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    q = np.clip(np.rint(value / scale), -127, 127).astype(np.int8)
    return {f"weights/{name}": q, f"scales/{name}": scale}


def _compile_config(model):
    """The compile arguments as JSON-ready data, or None (with a warning) when a custom
    function cannot be written down."""
    from lamina import losses, metrics, optimizers

    def loss_spec(loss):
        if loss is None or isinstance(loss, str):
            return loss
        return losses.serialize(losses.get(loss))

    def metric_spec(metric):
        if isinstance(metric, str):
            return metric
        if isinstance(metric, (list, tuple)):
            return [metric_spec(m) for m in metric]
        if isinstance(metric, dict):
            return {k: metric_spec(v) for k, v in metric.items()}
        metric = metrics.get(metric)
        if type(metric).__name__ == "MeanMetricWrapper":
            raise ValueError(f"a metric function ({metric.name}) has no config")
        return {"class_name": type(metric).__name__, "config": metric.get_config()}

    args = getattr(model, "_compile_args", None)
    if args is None:
        return None
    try:
        loss = args["loss"]
        if isinstance(loss, dict):
            loss_config = {k: loss_spec(v) for k, v in loss.items()}
        elif isinstance(loss, (list, tuple)):
            loss_config = [loss_spec(v) for v in loss]
        else:
            loss_config = loss_spec(loss)
        return {
            "optimizer": optimizers.serialize(model.optimizer),
            "loss": loss_config,
            "metrics": metric_spec(args["metrics"]) if args["metrics"] is not None else None,
            "loss_weights": args["loss_weights"],
            "weighted_metrics": metric_spec(args["weighted_metrics"])
            if args["weighted_metrics"] is not None
            else None,
        }
    except (ValueError, TypeError) as exc:
        warnings.warn(
            f"the model is saved without its compile settings ({exc}); compile it again after "
            "loading",
            stacklevel=3,
        )
        return None


# ----- loading -----
def read_model_file(filepath):
    """``(tensors, metadata)`` of a ``.lamina`` file after checking its format, version and
    checksum; raises ``FormatError`` naming what is wrong."""
    what = os.fspath(filepath)
    tensors, metadata, data = load_file_with_data(filepath, what)
    check_model_file(metadata, data, what)
    return tensors, metadata


def check_model_file(metadata, data, what) -> None:
    """Refuse (``FormatError``) a file whose format, version or checksum is not right."""
    if metadata.get("format") != FORMAT:
        found = metadata.get("format")
        raise FormatError(
            f"{what} is not a lamina model file (format {found!r}, expected {FORMAT!r})"
            if found
            else f"{what} is a safetensors file without lamina's model metadata"
        )
    try:
        version = int(metadata.get("format_version", ""))
    except ValueError:
        found = metadata.get("format_version")
        raise FormatError(f"{what}: invalid format_version {found!r}") from None
    if version > FORMAT_VERSION or version < 1:
        raise FormatError(
            f"{what} has format version {version}; this lamina reads versions 1 to "
            f"{FORMAT_VERSION} (upgrade lamina to read newer files)"
        )
    if hashlib.sha256(data).hexdigest() != metadata.get("sha256"):
        raise FormatError(
            f"{what}: checksum mismatch: the tensor data was corrupted or tampered with"
        )


def _json(metadata, key, what):
    text = metadata.get(key)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"{what}: {key} is not valid JSON ({type(exc).__name__})") from None


def weights_from(tensors, metadata, what) -> dict:
    """The ``weights/`` tensors by dotted name, de-quantized to float32 when stored small."""
    quantization = metadata.get("quantization")
    if quantization not in (None, *QUANTIZATIONS):
        raise FormatError(f"{what}: unknown quantization {quantization!r}")
    weights = {}
    for key, value in tensors.items():
        if not key.startswith("weights/"):
            continue
        name = key[len("weights/") :]
        scale = tensors.get(f"scales/{name}")
        if scale is not None:
            if value.dtype != np.int8 or scale.shape != value.shape[-1:]:
                raise FormatError(f"{what}: int8 weight {name} does not match its scales")
            value = value.astype(np.float32) * scale
        elif value.dtype == np.float16:
            value = value.astype(np.float32)
        weights[name] = value
    return weights


def load_model(filepath, custom_objects=None, compile: bool = True):  # noqa: A002 - Keras's name
    """Rebuild a model saved by ``model.save``: architecture, weights and, with ``compile``,
    its compile settings and optimizer state (training resumes where it stopped).

    ``custom_objects`` maps class names to custom layer classes not registered with
    ``@register_layer``, and names to functions (of ``Lambda`` layers, custom activations).
    Weights load by name; when the names differ (a subclassed model rebuilt in the same process
    gets new automatic layer names) but the tensors match the model's one to one in order and
    shape, by position. Loading draws no random numbers from lamina's generator.
    """
    from lamina.layers.lambda_layer import custom_functions
    from lamina.layers.layer import deserialize_layer, register_layer, weight_budget

    what = os.fspath(filepath)
    tensors, metadata = read_model_file(filepath)
    spec = _json(metadata, "model_config", what)
    if not isinstance(spec, dict) or "class_name" not in spec or "config" not in spec:
        raise FormatError(f"{what}: model_config is missing or malformed")
    for obj in (custom_objects or {}).values():
        if isinstance(obj, type):
            register_layer(obj)
    weights = weights_from(tensors, metadata, what)
    # every weight must come from the file, so the file bounds what the architecture may ask
    # for (twice, for layers that build twice, plus room for small unsaved ones)
    budget = 2 * sum(int(v.size) for v in weights.values()) + 2**16
    with backend.isolated_rng(), custom_functions(custom_objects), weight_budget(budget):
        try:
            model = deserialize_layer(spec)
        except (ValueError, TypeError, KeyError) as exc:
            hint = (
                "; pass the class to load_model in custom_objects, or decorate it with "
                "@lamina.saving.register_keras_serializable()"
                if "unknown layer class" in str(exc)
                else ""
            )
            raise ValueError(f"{what}: cannot rebuild the architecture: {exc}{hint}") from exc
        try:
            _build(model, _json(metadata, "build_input_shape", what), bool(weights))
        except FormatError as exc:
            raise FormatError(f"{what}: {exc}") from None
    _assign(model, weights, what)
    compile_config = _json(metadata, "compile_config", what)
    if compile and compile_config is not None:
        _compile(model, compile_config, tensors, _json(metadata, "optimizer_state", what), what)
    return model


def _build(model, shape, has_weights):
    if model.built and (model.weights or not has_weights):
        return
    if shape is None:
        if has_weights:
            raise FormatError("the file holds weights but no input shape to build the model with")
        return
    from lamina.autograd.grad_mode import no_grad

    def zeros(s):
        s = tuple(1 if d is None else d for d in s)
        if (
            not all(isinstance(d, int) and d > 0 for d in s)
            or np.prod(s, dtype=object) > MAX_BUILD_INPUT
        ):
            raise FormatError(
                f"the file's input shape {s} is not a plausible sample shape (positive integers, "
                f"at most {MAX_BUILD_INPUT:,} values)"
            )
        return backend.xp.zeros(s, dtype=backend.floatx())

    with no_grad():  # one call on zeros builds any model (Sequential's build runs inside it)
        model(
            [zeros(s) for s in shape] if shape and isinstance(shape[0], list) else zeros(shape),
            training=False,  # augmentation layers default to training=True: no draw here
        )


def _assign(model, weights, what):
    from lamina.saving.weights import _same_layout

    own = model.state_dict()
    if set(own) != set(weights) and _same_layout(own, weights):
        # the same architecture whose automatic layer names differ (a subclassed model built
        # again in the same process: dense_4 instead of dense_1): match by position
        weights = dict(zip(own, weights.values()))
    missing = [k for k in own if k not in weights]
    unexpected = [k for k in weights if k not in own]
    if missing or unexpected:
        raise FormatError(
            f"{what}: the weights do not match the architecture: missing tensors {missing}, "
            f"unexpected tensors {unexpected}"
        )
    for key, value in weights.items():
        if tuple(value.shape) != own[key].shape:
            layer = key.rsplit(".", 1)[0]
            raise FormatError(
                f"{what}: weight {key} of layer {layer!r} has shape {tuple(value.shape)} in the "
                f"file, but the architecture needs {own[key].shape}"
            )
    model.load_state_dict(weights)


def _compile(model, config, tensors, optimizer_state, what):
    from lamina import optimizers

    try:
        for spec in (config.get("metrics"), config.get("weighted_metrics")):
            _check_metrics(spec)
        model.compile(
            optimizer=optimizers.deserialize(config["optimizer"]),
            loss=_loss_objects(config.get("loss")),
            metrics=config.get("metrics"),
            loss_weights=config.get("loss_weights"),
            weighted_metrics=config.get("weighted_metrics"),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{what}: cannot restore the compile settings: {exc}") from exc
    if optimizer_state is None:
        return
    state = dict(optimizer_state)
    state.update(
        {k[len("optimizer/") :]: v for k, v in tensors.items() if k.startswith("optimizer/")}
    )
    model.optimizer.build(model.trainable_weights)
    try:
        model.optimizer.set_state(state)
    except (ValueError, KeyError) as exc:
        raise FormatError(f"{what}: the optimizer state does not fit the model: {exc}") from exc


def _loss_objects(spec):
    """The saved ``loss`` with every ``{"class_name", "config"}`` entry turned back into its
    ``Loss`` (settings included), whether it is one loss, a list, or a dict by output name."""
    from lamina import losses
    from lamina.models.model import is_serialized

    if is_serialized(spec):
        return losses.get(spec)
    if isinstance(spec, dict):
        return {k: _loss_objects(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_loss_objects(v) for v in spec]
    return spec


def _check_metrics(spec):
    """Raise now, naming it, if a saved metric is unknown. The specs themselves go to compile,
    which makes each output its own metric objects from them."""
    from lamina import metrics
    from lamina.models.model import is_serialized

    if is_serialized(spec):
        metrics.get(spec)
    elif isinstance(spec, dict):
        for value in spec.values():
            _check_metrics(value)
    elif isinstance(spec, list):
        for value in spec:
            _check_metrics(value)
