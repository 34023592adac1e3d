"""Grad-CAM (Selvaraju et al., 2017, "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization"): where in the image a convolutional layer's features argue for
the class.

With ``A`` the activations of a conv layer (``(h', w', k)`` per image) and ``s`` the class
score, each channel gets the weight ``alpha_k = mean over (i, j) of ds/dA_ijk``; the map is
``relu(sum_k alpha_k A_k)``, resized to the input (bilinear) and scaled to [0, 1] per image.

>>> import numpy as np
>>> from lamina.models import Sequential
>>> from lamina.layers import Conv2D, Dense, Flatten
>>> model = Sequential([Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), Flatten(),
...                     Dense(3, activation="softmax")])
>>> heatmap = grad_cam(model, np.random.default_rng(0).random((2, 8, 8, 1)))
>>> heatmap.shape, bool(heatmap.min() >= 0 and heatmap.max() <= 1)
((2, 8, 8), True)
"""

from __future__ import annotations

import numpy as np

from lamina import backend
from lamina.autograd.tape import GradientTape
from lamina.autograd.tensor import Tensor
from lamina.explain._common import as_inputs, check_batch_size, class_score


def find_conv_layer(model, layer=None):
    """The layer to explain: ``layer`` itself, the layer of that name, or (None) the last 2-D
    convolution in the model."""
    from lamina.layers.conv import _ConvBase
    from lamina.layers.layer import Layer

    if isinstance(layer, Layer):
        return layer
    layers = model._flatten_layers()[1:]
    if layer is not None:
        for candidate in layers:
            if candidate.name == layer:
                return candidate
        raise ValueError(f"no layer named {layer!r}; layers are {[l.name for l in layers]}")
    convs = [l for l in layers if isinstance(l, _ConvBase) and l.rank == 2]
    if not convs:
        raise ValueError(
            "grad_cam needs a 2-D convolution layer and the model has none: pass layer= (a "
            "layer with outputs of shape (n, h, w, channels))"
        )
    return convs[-1]


def resize_bilinear(maps: np.ndarray, size) -> np.ndarray:
    """Resize ``(n, h, w)`` maps to ``(n, *size)``, half-pixel centers (as ``tf.image.resize``).

    >>> resize_bilinear(np.array([[[0.0, 1.0]]]), (1, 4)).round(3).tolist()
    [[[0.0, 0.25, 0.75, 1.0]]]
    """
    n, h, w = maps.shape
    out_h, out_w = size

    def axis(inp, out):
        pos = np.clip((np.arange(out) + 0.5) * inp / out - 0.5, 0, inp - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, inp - 1)
        return lo, hi, pos - lo

    y0, y1, fy = axis(h, out_h)
    x0, x1, fx = axis(w, out_w)
    top = maps[:, y0][:, :, x0] * (1 - fx) + maps[:, y0][:, :, x1] * fx
    bottom = maps[:, y1][:, :, x0] * (1 - fx) + maps[:, y1][:, :, x1] * fx
    return top * (1 - fy)[None, :, None] + bottom * fy[None, :, None]


def grad_cam(model, x, target=None, layer=None, batch_size: int = 64) -> np.ndarray:
    """Grad-CAM heatmaps of shape ``(n, height, width)`` in [0, 1] for images ``x`` of shape
    ``(n, height, width, channels)``.

    ``target`` as in ``saliency`` (None: the predicted class); ``layer`` a conv layer or its
    name (default: the last ``Conv2D``). A map that is zero everywhere (no feature argues for
    the class) stays zero.
    """
    x = as_inputs(x, "grad_cam")
    if x.ndim != 4:
        raise ValueError(f"grad_cam needs images of shape (n, h, w, channels), got {x.shape}")
    conv = find_conv_layer(model, layer)
    batch_size = check_batch_size(batch_size)
    per_target = target is not None and np.ndim(target) > 0
    target = np.asarray(target).reshape(-1) if per_target else target
    maps = []
    for start in range(0, len(x), batch_size):
        chunk = Tensor(x[start : start + batch_size])
        part = target[start : start + batch_size] if per_target else target
        with GradientTape() as tape:
            score, _, _, activations = class_score(model, chunk, part, capture=conv)
        if activations is None or activations.ndim != 4:
            raise ValueError(
                f"grad_cam needs {conv.name} to output (n, h, w, channels) during the forward "
                f"pass, got {None if activations is None else tuple(activations.shape)}"
            )
        grads = tape.gradient(score, activations, unconnected_gradients="zero")
        a, g = backend.to_numpy(activations.data), backend.to_numpy(grads)
        if getattr(conv, "data_format", "channels_last") == "channels_first":
            a, g = np.moveaxis(a, 1, -1), np.moveaxis(g, 1, -1)
        weights = g.mean(axis=(1, 2))  # (n, k): each channel's importance
        cam = np.maximum(np.einsum("nhwk,nk->nhw", a, weights), 0)
        maps.append(cam)
    cam = resize_bilinear(np.concatenate(maps).astype(np.float64), x.shape[1:3])
    peak = cam.reshape(len(cam), -1).max(axis=1).reshape(-1, 1, 1)
    return (cam / np.where(peak > 0, peak, 1)).astype(x.dtype)
