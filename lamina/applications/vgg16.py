"""VGG16 (Simonyan & Zisserman 2014) with Keras's layer names and weight shapes, so Keras's
published ImageNet weights load into it one to one.

>>> model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
>>> model.output.shape, model.count_params()
((None, 512), 14714688)
"""

from __future__ import annotations

from lamina import layers
from lamina.applications import imagenet_utils
from lamina.models import Model

WEIGHTS_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/"
    "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5"
)
WEIGHTS_PATH_NO_TOP = (
    "https://storage.googleapis.com/tensorflow/"
    "keras-applications/vgg16/"
    "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
)
_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (filters, convolutions)


def VGG16(  # noqa: N802 - Keras's name
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg16",
):
    """VGG16 as ``keras.applications.VGG16``: five blocks of 3x3 convolutions and max pooling,
    then (``include_top=True``) two 4096-unit layers and the classifier. Inputs are RGB images
    (0-255) passed through ``preprocess_input``."""
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, 224, 32, require_flatten=include_top, weights=weights
    )
    image, inputs = imagenet_utils.model_input(input_tensor, input_shape)
    x = image
    for b, (filters, convs) in enumerate(_BLOCKS, start=1):
        for c in range(1, convs + 1):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same", name=f"block{b}_conv{c}"
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{b}_pool")(x)

    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    model = Model(inputs, x, name=name)
    if include_top:
        fname, origin = "vgg16_weights_tf_dim_ordering_tf_kernels.h5", WEIGHTS_PATH
        file_hash = "64373286793e3c8b2b4e3219cbf3544b"
    else:
        fname, origin = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", WEIGHTS_PATH_NO_TOP
        file_hash = "6d6bbae143d832006294945121d1f1fc"
    imagenet_utils.load_weights(model, weights, fname, origin, file_hash)
    return model


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to BGR minus the ImageNet mean of each channel ("caffe" mode),
    as VGG16's ImageNet weights expect.

    >>> import numpy as np
    >>> preprocess_input(np.array([[255.0, 0.0, 0.0]]))
    array([[-103.939, -116.779,  131.32 ]])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")
