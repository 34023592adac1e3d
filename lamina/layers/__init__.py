"""Layers with the Keras contract. ``from lamina.layers import Dense, Dropout, ...``"""

from lamina.layers.activation import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from lamina.layers.dense import Dense
from lamina.layers.dropout import Dropout
from lamina.layers.input_layer import Input, InputLayer, SymbolicTensor
from lamina.layers.layer import Layer, get_layer_class, register_layer
from lamina.layers.normalization import BatchNormalization, LayerNormalization
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
    "ELU",
    "Activation",
    "BatchNormalization",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Dense",
    "Dropout",
    "Flatten",
    "Input",
    "InputLayer",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
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
