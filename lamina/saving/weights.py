"""Weights by name: ``save_weights``/``load_weights``, and importing weights from PyTorch
(safetensors) and Keras (``.weights.h5``) for transfer learning.

Every weight is named by its dotted path, as in ``model.state_dict()``: ``"dense_1.kernel"``,
``"conv2d.bias"``. Loading matches names and checks shapes; ``skip_mismatch=True`` loads what
matches and warns about the rest (the layers of a new head, say). Another instance of the same
architecture, whose automatic layer names differ (``dense_7`` instead of ``dense``), loads by
position when every shape lines up, as in Keras.

A file whose names differ (a PyTorch ``state_dict`` exported with ``safetensors.torch.save_file``)
goes through ``mapping``: a dict from the file's names to lamina's, or a function
``mapping(name, array)`` returning ``(lamina_name, array)`` or None to skip the tensor. The
function can also change the layout: PyTorch stores a Linear weight as ``(out, in)`` and a Conv2d
weight as ``(out, in, kh, kw)``; lamina's are ``(in, out)`` and ``(kh, kw, in, out)``.
``torch_to_lamina`` does those two conversions for you.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from lamina.saving import model_file
from lamina.saving.safetensors import FormatError, load_file_with_data, save_file

WEIGHTS_FORMAT = "lamina.weights"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def save_weights(model, filepath) -> None:
    """Write ``model.state_dict()`` to a safetensors file, atomically."""
    from lamina import __version__

    if not model.built:
        raise ValueError(f"{model.name} is not built, so it has no weights to save")
    metadata = {"format": WEIGHTS_FORMAT, "format_version": "1", "lamina_version": __version__}
    save_file(model.state_dict(), filepath, metadata)


def read_weights(filepath, mapping=None) -> dict:
    """The weights in a file, by (mapped) name, as float arrays."""
    what = os.fspath(filepath)
    if _is_hdf5(filepath):
        raise ValueError(f"{what} is a Keras HDF5 file: load it with model.load_weights(path)")
    tensors, metadata, data = load_file_with_data(filepath, what)
    if metadata.get("format") == model_file.FORMAT:  # a whole model: checked, then its weights
        model_file.check_model_file(metadata, data, what)
        tensors = model_file.weights_from(tensors, metadata, what)
    elif metadata.get("format") not in (None, WEIGHTS_FORMAT):
        raise FormatError(f"{what} holds {metadata['format']!r}, not weights")
    return _mapped(tensors, mapping)


def _is_hdf5(filepath) -> bool:
    try:
        with open(filepath, "rb") as f:
            return f.read(8) == HDF5_SIGNATURE
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {os.fspath(filepath)}") from None


def _mapped(tensors: dict, mapping) -> dict:
    if mapping is None:
        return dict(tensors)
    out = {}
    for name, array in tensors.items():
        if callable(mapping):
            result = mapping(name, array)
            if result is None:
                continue
            name, array = result
        elif name in mapping:
            name = mapping[name]
        else:
            continue
        out[name] = np.asarray(array)
    return out


def load_weights(model, filepath, skip_mismatch: bool = False, mapping=None) -> None:
    """Load weights into ``model`` by name (see the module docstring).

    Without ``skip_mismatch`` every weight of the model must be in the file with its shape, and
    every tensor of the file must belong to the model; otherwise nothing is changed and the
    error lists what does not match.
    """
    what = os.fspath(filepath)
    if not model.built:
        raise ValueError(
            f"{model.name} is not built: build it (call it on data, or give it an input shape) "
            "before loading weights into it"
        )
    if _is_hdf5(filepath):
        from lamina.saving.keras_h5 import keras_weights_for

        weights = _mapped(keras_weights_for(model, filepath), mapping)
    else:
        weights = read_weights(filepath, mapping)
    own = model.state_dict()
    if mapping is None and not set(own) <= set(weights) and _same_layout(own, weights):
        # another instance of the same architecture (auto-generated layer names differ):
        # match by position, as Keras does
        weights = dict(zip(own, weights.values()))
    missing = [k for k in own if k not in weights]
    unexpected = [k for k in weights if k not in own]
    wrong = [
        f"{k}: file {tuple(weights[k].shape)}, model {own[k].shape}"
        for k in own
        if k in weights and tuple(weights[k].shape) != own[k].shape
    ]
    problems = []
    if missing:
        problems.append(f"missing from the file: {missing}")
    if unexpected:
        problems.append(f"not in the model: {unexpected}")
    if wrong:
        problems.append(f"shape mismatches: {wrong}")
    if problems and not skip_mismatch:
        raise ValueError(
            f"{what} does not match {model.name}'s weights ("
            + "; ".join(problems)
            + "). Pass skip_mismatch=True to load only the matching ones, or mapping= to rename."
        )
    if problems:
        warnings.warn(f"load_weights skipped: {'; '.join(problems)}", stacklevel=3)
    loadable = {k: v for k, v in weights.items() if k in own and tuple(v.shape) == own[k].shape}
    model.load_state_dict(loadable, strict=False)


def _same_layout(own: dict, weights: dict) -> bool:
    """Same number of weights with the same shapes in the same order."""
    return len(own) == len(weights) and all(
        a.shape == tuple(b.shape) for a, b in zip(own.values(), weights.values())
    )


def torch_to_lamina(names: dict):
    """A ``mapping`` for PyTorch weights: ``names`` maps PyTorch parameter names to lamina's
    (``{"fc1.weight": "dense.kernel", "fc1.bias": "dense.bias"}``); a 2-D weight is transposed
    (Linear ``(out, in)`` -> Dense ``(in, out)``) and a 4-D one reordered (Conv2d
    ``(out, in, kh, kw)`` -> Conv2D ``(kh, kw, in, out)``). Names not listed are skipped.

    >>> import numpy as np
    >>> m = torch_to_lamina({"fc.weight": "dense.kernel"})
    >>> name, w = m("fc.weight", np.zeros((3, 5))); name, w.shape
    ('dense.kernel', (5, 3))
    """

    def mapping(name, array):
        if name not in names:
            return None
        array = np.asarray(array)
        if name.endswith("weight") and array.ndim == 2:
            array = array.T
        elif name.endswith("weight") and array.ndim == 4:
            array = array.transpose(2, 3, 1, 0)
        elif name.endswith("weight") and array.ndim == 3:  # Conv1d (out, in, k) -> (k, in, out)
            array = array.transpose(2, 1, 0)
        return names[name], np.ascontiguousarray(array)

    return mapping
