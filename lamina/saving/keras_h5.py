"""Importing Keras weights from HDF5 files (needs ``h5py``: ``pip install "lamina[keras]"``).

Two layouts are read:

- Keras 3 ``.weights.h5`` (``model.save_weights``): a layer's arrays live in
  ``layers/<path>/vars/0, 1, ...`` (and ``.../cell/vars`` for recurrent layers,
  ``forward_layer``/``backward_layer`` for ``Bidirectional``), where ``<path>`` is not the
  layer's name but its class in snake case, numbered per model: ``dense``, ``dense_1``, ...
  The same rule applied to the lamina model finds each layer's arrays, so the architectures must
  match (same layer classes in the same order), not the layer names.
- Keras 2 HDF5 (``save_weights("w.h5")`` in TensorFlow 2): the root lists ``layer_names`` and
  each layer group its ``weight_names``; layers with weights are matched in order.

Keras and lamina store every weight in the same layout and order (Dense kernel ``(in, out)``,
Conv kernels ``(kh, kw, in, out)``, LSTM gates i, f, c, o, GRU z, r, h), so arrays are copied
as they are.
"""

from __future__ import annotations

import os

import numpy as np

from lamina.layers.layer import _dotted, _snake


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError(
            'reading Keras .h5 weights needs h5py: pip install "lamina[keras]"'
        ) from None
    return h5py


def keras_weights_for(model, filepath) -> dict:
    """The weights of a Keras HDF5 file, named as ``model.state_dict()`` names them."""
    h5py = _h5py()
    what = os.fspath(filepath)
    try:
        f = h5py.File(filepath, "r")
    except OSError as exc:
        raise ValueError(f"{what} is not a readable HDF5 file: {exc}") from None
    with f:
        if "layer_names" in f.attrs or (
            "model_weights" in f and "layer_names" in f["model_weights"].attrs
        ):
            weights = _legacy(model, f["model_weights"] if "model_weights" in f else f, what)
        elif "layers" not in f:
            raise ValueError(f"{what} is not a Keras weights file (no 'layers' group)")
        else:
            weights = _by_path(model, f["layers"], what)
    # read under the weights' own (unique) names, then named as model.state_dict() names them
    rename = {_dotted(v.name): key for key, v in model._state_names()}
    return {rename.get(k, k): array for k, array in weights.items()}


def _names(layer) -> list:
    """The unique names of a layer's weights (``dense_1.kernel``), whatever its state_dict keys."""
    return [_dotted(v.name) for v in layer._all_variables()]


def _by_path(container, group, what) -> dict:
    weights, counts = {}, {}
    for layer in _children(container):
        name = _snake(type(layer).__name__)
        counts[name] = counts.get(name, -1) + 1
        path = name if counts[name] == 0 else f"{name}_{counts[name]}"
        own = _names(layer) if layer.built else []
        if not own:
            continue
        if path not in group:
            raise ValueError(
                f"{what} has no weights for layer {layer.name!r} (Keras path {path!r})"
            )
        arrays = _arrays(layer, group[path], what)
        if len(arrays) != len(own):
            raise ValueError(
                f"{what}: layer {layer.name!r} has {len(own)} weights, the file's {path!r} has "
                f"{len(arrays)}"
            )
        weights.update(zip(own, arrays))
    return weights


def _children(container) -> list:
    layers = getattr(container, "layers", None)
    if layers is None:
        return []
    return [layer for layer in layers if type(layer).__name__ != "InputLayer"]


def _arrays(layer, group, what) -> list:
    """The arrays under one layer's group, in lamina's order of that layer's weights."""
    if hasattr(layer, "forward_layer"):  # Bidirectional
        return _arrays(layer.forward_layer, group["forward_layer"], what) + _arrays(
            layer.backward_layer, group["backward_layer"], what
        )
    if hasattr(layer, "layer") and "layer" in group:  # TimeDistributed and other wrappers
        return _arrays(layer.layer, group["layer"], what)
    if hasattr(layer, "layers") and "layers" in group:  # a nested model
        nested = _by_path(layer, group["layers"], what)
        return [nested[k] for k in _names(layer)]
    arrays = _vars(group)
    if "cell" in group:
        arrays += _vars(group["cell"])
    return arrays


def _vars(group) -> list:
    if "vars" not in group:
        return []
    items = group["vars"]
    return [np.asarray(items[k]) for k in sorted(items, key=int)]


def _legacy(model, root, what) -> dict:
    names = [n.decode() if isinstance(n, bytes) else n for n in root.attrs["layer_names"]]
    stored = []
    for name in names:
        group = root[name]
        weight_names = [w.decode() if isinstance(w, bytes) else w
                        for w in group.attrs.get("weight_names", [])]  # fmt: skip
        if weight_names:
            stored.append((name, [np.asarray(group[w]) for w in weight_names]))
    ours = [layer for layer in model._flatten_layers() if layer._variables]
    ours = [layer for layer in ours if layer is not model]
    if len(ours) != len(stored):
        raise ValueError(
            f"{what} has weights for {len(stored)} layers ({[n for n, _ in stored]}), the model "
            f"has {len(ours)} layers with weights"
        )
    weights = {}
    for layer, (name, arrays) in zip(ours, stored):
        own = _names(layer)
        if len(own) != len(arrays):
            raise ValueError(
                f"{what}: layer {name!r} has {len(arrays)} weights, {layer.name!r} has {len(own)}"
            )
        weights.update(zip(own, arrays))
    return weights
