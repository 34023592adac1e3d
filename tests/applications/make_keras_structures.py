"""Write ``keras_structures.json``: the layers (name, class, weight shapes) of Keras's
applications, which the lamina versions must match one to one so that Keras's published weight
files load into them.

Run by hand (needs keras 3.15 and torch; the tests only read the JSON)::

    KERAS_BACKEND=torch python tests/applications/make_keras_structures.py
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

# (key, constructor name, keyword arguments); lamina's tests build the same
CASES = [
    ("mobilenet_v2_default", "MobileNetV2", {}),
    ("mobilenet_v2_035_96_notop", "MobileNetV2",
     {"alpha": 0.35, "input_shape": [96, 96, 3], "include_top": False}),
    ("mobilenet_v2_14_160_avg", "MobileNetV2",
     {"alpha": 1.4, "input_shape": [160, 160, 3], "include_top": False, "pooling": "avg"}),
    ("mobilenet_v2_05_odd_top", "MobileNetV2",
     {"alpha": 0.5, "input_shape": [75, 90, 3], "classes": 7}),
    ("vgg16_default", "VGG16", {}),
    ("vgg16_32_notop_max", "VGG16",
     {"input_shape": [32, 32, 3], "include_top": False, "pooling": "max"}),
    ("resnet50_default", "ResNet50", {}),
    ("resnet50_64_notop_avg", "ResNet50",
     {"input_shape": [64, 64, 3], "include_top": False, "pooling": "avg"}),
]  # fmt: skip


def structure(model) -> dict:
    return {
        "name": model.name,
        "output_shape": list(model.output.shape),
        "count_params": int(model.count_params()),
        "layers": [
            [layer.name, type(layer).__name__, [list(w.shape) for w in layer.weights]]
            for layer in model.layers
        ],
    }


# outputs compared numerically: every weight and the input set by formula (fill below)
OUTPUT_CASES = [
    ("mobilenet_v2", "MobileNetV2",
     {"alpha": 0.35, "input_shape": [96, 96, 3], "include_top": False, "pooling": "avg"}),
    ("vgg16", "VGG16", {"input_shape": [32, 32, 3], "include_top": False, "pooling": "avg"}),
    ("resnet50", "ResNet50", {"input_shape": [32, 32, 3], "include_top": False,
                              "pooling": "avg"}),
]  # fmt: skip


def fill(layer_name, index, weight_name, shape):
    """A deterministic array for weight ``index`` of layer ``layer_name`` (the tests use the
    same formula); variances and scales stay near 1."""
    n = 1
    for d in shape:
        n *= d
    phase = sum(map(ord, layer_name)) + index
    value = 0.05 * np.cos(np.arange(n) * 0.37 + phase)
    if weight_name in ("gamma", "moving_variance"):
        value = 1.0 + value
    return value.reshape(shape).astype("float32")


def sample_input(shape):
    n = int(np.prod(shape))
    return (np.sin(np.arange(n) * 0.1) * 2.0).reshape(shape).astype("float32")


def main():
    out = {}
    for key, builder, kwargs in CASES:
        model = getattr(keras.applications, builder)(weights=None, **kwargs)
        out[key] = {"builder": builder, "kwargs": kwargs, **structure(model)}
    outputs = {}
    for key, builder, kwargs in OUTPUT_CASES:
        model = getattr(keras.applications, builder)(weights=None, **kwargs)
        for layer in model.layers:
            layer.set_weights(
                [fill(layer.name, i, w.name, tuple(w.shape)) for i, w in enumerate(layer.weights)]
            )
        x = sample_input((1, *kwargs["input_shape"]))
        y = keras.ops.convert_to_numpy(model(x, training=False))
        outputs[key] = {"builder": builder, "kwargs": kwargs,
                        "output": [float(f"{v:.7g}") for v in y.ravel()]}  # fmt: skip
    out["_outputs"] = outputs
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_structures.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
