"""ResNet50 (He et al. 2015) with Keras's layer names and weight shapes, so Keras's published
ImageNet weights load into it one to one.

>>> model = ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
>>> model.output.shape, model.count_params()
((None, 2048), 23587712)
"""

from __future__ import annotations

from lamina import layers
from lamina.applications import imagenet_utils
from lamina.models import Model

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
}
_EPSILON = 1.001e-5


def ResNet50(  # noqa: N802 - Keras's name
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50",
):
    """ResNet50 as ``keras.applications.ResNet50``: a 7x7 stem, then 3, 4, 6 and 3 bottleneck
    residual blocks. Inputs are RGB images (0-255) passed through ``preprocess_input``."""
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, 224, 32, require_flatten=include_top, weights=weights
    )
    image, inputs = imagenet_utils.model_input(input_tensor, input_shape)

    x = layers.ZeroPadding2D(((3, 3), (3, 3)), name="conv1_pad")(image)
    x = layers.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = _stack(x, 64, 3, stride1=1, name="conv2")
    x = _stack(x, 128, 4, name="conv3")
    x = _stack(x, 256, 6, name="conv4")
    x = _stack(x, 512, 3, name="conv5")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    model = Model(inputs, x, name=name)
    top = "" if include_top else "_notop"
    fname = f"resnet50_weights_tf_dim_ordering_tf_kernels{top}.h5"
    file_hash = WEIGHTS_HASHES["resnet50"][0 if include_top else 1]
    imagenet_utils.load_weights(model, weights, fname, BASE_WEIGHTS_PATH + fname, file_hash)
    return model


def _block(x, filters, stride=1, conv_shortcut=True, name=None):
    """A bottleneck residual block: 1x1, 3x3, 1x1 (4 * filters) convolutions plus a shortcut."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_0_bn")(
            shortcut
        )
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def _stack(x, filters, blocks, stride1=2, name=None):
    x = _block(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = _block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to BGR minus the ImageNet mean of each channel ("caffe" mode),
    as ResNet50's ImageNet weights expect.

    >>> import numpy as np
    >>> preprocess_input(np.array([[0.0, 0.0, 255.0]]))
    array([[ 151.061, -116.779, -123.68 ]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")
