"""Ready-made image models with Keras's architectures and layer names, so that Keras's
published ImageNet weights load into them (``keras.applications``).

>>> from lamina import applications
>>> applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)).output.shape
(None, 1, 1, 512)
"""

from lamina.applications import imagenet_utils, mobilenet_v2, resnet50, vgg16
from lamina.applications.mobilenet_v2 import MobileNetV2
from lamina.applications.resnet50 import ResNet50
from lamina.applications.vgg16 import VGG16

__all__ = [
    "MobileNetV2",
    "ResNet50",
    "VGG16",
    "imagenet_utils",
    "mobilenet_v2",
    "resnet50",
    "vgg16",
]
