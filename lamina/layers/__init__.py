"""Layers with the Keras contract. ``from lamina.layers import Dense, Dropout, ...``"""

from lamina.layers.activation import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from lamina.layers.conv import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
)
from lamina.layers.dense import Dense
from lamina.layers.dropout import Dropout
from lamina.layers.input_layer import Input, InputLayer, SymbolicTensor
from lamina.layers.layer import Layer, get_layer_class, register_layer
from lamina.layers.normalization import BatchNormalization, LayerNormalization
from lamina.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from lamina.layers.reshaping import Flatten, Reshape
from lamina.layers.resizing import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from lamina.layers.variable import Variable

__all__ = [
    "Activation",
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Dropout",
    "ELU",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Input",
    "InputLayer",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "MaxPooling1D",
    "MaxPooling2D",
    "PReLU",
    "ReLU",
    "Reshape",
    "Softmax",
    "SymbolicTensor",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "Variable",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "get_layer_class",
    "register_layer",
]
