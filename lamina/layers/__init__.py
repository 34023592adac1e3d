"""Layers with the Keras contract. ``from lamina.layers import Dense, Dropout, ...``"""

from lamina.layers.activation import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from lamina.layers.dense import Dense
from lamina.layers.dropout import Dropout
from lamina.layers.input_layer import Input, InputLayer, SymbolicTensor
from lamina.layers.layer import Layer, get_layer_class, register_layer
from lamina.layers.reshaping import Flatten, Reshape
from lamina.layers.variable import Variable

__all__ = [
    "ELU",
    "Activation",
    "Dense",
    "Dropout",
    "Flatten",
    "Input",
    "InputLayer",
    "Layer",
    "LeakyReLU",
    "PReLU",
    "ReLU",
    "Reshape",
    "Softmax",
    "SymbolicTensor",
    "Variable",
    "get_layer_class",
    "register_layer",
]
