"""What Keras's ImageNet models share: input-shape checks, ``preprocess_input`` modes and
the loading of the ``weights`` argument (``None``, ``"imagenet"`` or a file path).

>>> import numpy as np
>>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]]), mode="tf")
array([[[-1.,  0.,  1.]]])
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from lamina import activations, ops
from lamina.layers.symbolic import SymbolicTensor

_CAFFE_MEAN = (103.939, 116.779, 123.68)  # ImageNet channel means, BGR order
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scale a batch of RGB images (0-255) as a model's ImageNet weights expect.

    ``mode="tf"``: to [-1, 1]; ``"torch"``: to [0, 1] then ImageNet mean/std per channel;
    ``"caffe"``: RGB to BGR, then minus the ImageNet mean of each channel. Unlike Keras, a
    float NumPy input is never modified in place: a new array is returned.
    """
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(f"preprocess_input mode must be 'caffe', 'tf' or 'torch', got {mode!r}")
    if data_format not in {None, "channels_last"}:
        raise ValueError(
            f"lamina computes images in 'channels_last' only, got data_format={data_format!r}"
        )
    if isinstance(x, np.ndarray) or not hasattr(x, "shape"):
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype("float32")
        if mode == "tf":
            return x / 127.5 - 1.0
        if mode == "torch":
            return ((x / 255.0 - np.asarray(_TORCH_MEAN)) / np.asarray(_TORCH_STD)).astype(x.dtype)
        return (x[..., ::-1] - np.asarray(_CAFFE_MEAN)).astype(x.dtype)
    # a lamina tensor (for example inside a Lambda layer): the same formulas with ops
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        return (x / 255.0 - np.asarray(_TORCH_MEAN, "float32")) / np.asarray(_TORCH_STD, "float32")
    return ops.flip(x, axis=-1) - np.asarray(_CAFFE_MEAN, "float32")


def check_weights(weights, include_top: bool, classes: int) -> None:
    """Keras's checks of the ``weights`` argument."""
    if not (weights in {"imagenet", None} or os.path.exists(os.fspath(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded. Received: weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000. "
            f"Received classes={classes}"
        )


def obtain_input_shape(input_shape, default_size, min_size, require_flatten, weights=None):
    """The per-image input shape ``(rows, cols, channels)`` a model is built for (Keras's rules:
    the default size when ``input_shape`` is None and a static shape is needed, at least
    ``min_size`` pixels, 3 channels for ImageNet weights).

    >>> obtain_input_shape(None, 224, 32, require_flatten=False)
    (None, None, 3)
    """
    if input_shape is not None:
        input_shape = tuple(input_shape)
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if input_shape[-1] not in {1, 3}:
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed an "
                f"input_shape with {input_shape[-1]} input channels.",
                stacklevel=3,
            )
        default_shape = (default_size, default_size, input_shape[-1])
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, `input_shape` "
                f"should be {default_shape}. Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"`input_shape` must be a tuple of three integers, got input_shape={input_shape}"
            )
        if input_shape[-1] != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received input_shape={input_shape}")
        if any(n is not None and n < min_size for n in input_shape[:2]):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}; Received: "
                f"input_shape={input_shape}"
            )
    else:
        input_shape = default_shape if require_flatten else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def model_input(input_tensor, input_shape):
    """``(image input, model inputs)``: a new ``Input`` of ``input_shape``, or ``input_tensor``
    (a symbolic tensor) and the ``Input`` tensors it comes from."""
    from lamina.layers import Input

    if input_tensor is None:
        image = Input(shape=input_shape)
        return image, image
    if not isinstance(input_tensor, SymbolicTensor):
        raise ValueError(
            "input_tensor must be a symbolic tensor (from keras.Input or a layer called on "
            f"one); Received input_tensor={input_tensor!r} of type {type(input_tensor).__name__}"
        )
    return input_tensor, _source_inputs(input_tensor)


def _source_inputs(tensor) -> list:
    sources, stack, seen = [], [tensor], set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        node = t.node
        if node is None or type(node.layer).__name__ == "InputLayer":
            sources.append(t)
        else:
            stack.extend(u for u in node.input_tensors if isinstance(u, SymbolicTensor))
    return sources[0] if len(sources) == 1 else sources


def correct_pad(inputs, kernel_size):
    """The ``((top, bottom), (left, right))`` zero padding before a strided "valid" conv that
    downsamples as TensorFlow's "same" does.

    >>> from lamina.layers import Input
    >>> correct_pad(Input((96, 95, 3)), 3)
    ((0, 1), (1, 1))
    """
    size = inputs.shape[1:3]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights) -> None:
    """Pretrained weights allow only a ``softmax`` or no classifier activation."""
    if weights is None:
        return
    fn = activations.get(classifier_activation)
    if fn not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the `classifier_activation` "
            "argument when using pretrained weights, with `include_top=True`; Received: "
            f"classifier_activation={classifier_activation}"
        )


def load_weights(model, weights, fname=None, origin=None, file_hash=None) -> None:
    """Load ``weights``: a file path, or ``"imagenet"`` (Keras's file ``fname``, downloaded
    once from ``origin`` into ``~/.lamina/models``).

    Keras's published files (Keras 2 HDF5 layout) are read by layer name, which the
    applications share with Keras; other files go through ``model.load_weights``.
    """
    if weights is None:
        return
    if weights == "imagenet":
        from lamina.file_utils import get_file

        weights = get_file(fname, origin, cache_subdir="models", file_hash=file_hash)
    if not _load_legacy_by_name(model, weights):
        model.load_weights(weights)


def _load_legacy_by_name(model, path) -> bool:
    """Load a Keras 2 HDF5 weights file layer by layer name; False if it is not one."""
    from lamina.saving.keras_h5 import _h5py
    from lamina.saving.weights import _is_hdf5

    if not _is_hdf5(path):
        return False
    h5py = _h5py()
    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in root.attrs:
            return False
        stored = {}
        for name in (_text(n) for n in root.attrs["layer_names"]):
            names = [_text(w) for w in root[name].attrs.get("weight_names", [])]
            if names:
                stored[name] = [np.asarray(root[name][w]) for w in names]
    ours = {layer.name: layer for layer in model.layers if layer.weights}
    if set(ours) != set(stored):
        raise ValueError(
            f"{os.fspath(path)} does not hold the weights of {model.name}: layers missing from "
            f"the file: {sorted(set(ours) - set(stored))}, layers not in the model: "
            f"{sorted(set(stored) - set(ours))}"
        )
    shapes = {name: [tuple(w.shape) for w in layer.weights] for name, layer in ours.items()}
    wrong = [
        f"{name}: file {[a.shape for a in arrays]}, model {shapes[name]}"
        for name, arrays in stored.items()
        if [a.shape for a in arrays] != shapes[name]
    ]
    if wrong:
        raise ValueError(f"{os.fspath(path)}: weight shapes do not match: {wrong}")
    for name, arrays in stored.items():
        ours[name].set_weights(arrays)
    return True


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
