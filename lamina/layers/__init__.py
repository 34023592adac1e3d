"""Layers with the Keras contract. ``from lamina.layers import Dense, Dropout, ...``"""

from lamina.layers.activation import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from lamina.layers.attention import MultiHeadAttention
from lamina.layers.conv import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
)
from lamina.layers.dense import Dense
from lamina.layers.dropout import Dropout
from lamina.layers.embedding import Embedding
from lamina.layers.input_layer import Input, InputLayer, SymbolicTensor
from lamina.layers.layer import Layer, get_layer_class, get_mask, register_layer, set_mask
from lamina.layers.masking import Masking
from lamina.layers.normalization import BatchNormalization, LayerNormalization
from lamina.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from lamina.layers.recurrent import GRU, LSTM, BaseRNN, SimpleRNN
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
from lamina.layers.text_vectorization import TextVectorization
from lamina.layers.transformer import (
    PositionEmbedding,
    SinePositionEncoding,
    TokenAndPositionEmbedding,
    TransformerEncoder,
)
from lamina.layers.variable import Variable
from lamina.layers.wrappers import Bidirectional, TimeDistributed

__all__ = [
    "Activation",
    "AveragePooling1D",
    "AveragePooling2D",
    "AvgPool1D",
    "AvgPool2D",
    "BaseRNN",
    "BatchNormalization",
    "Bidirectional",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "get_layer_class",
    "get_mask",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GRU",
    "Input",
    "InputLayer",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "LSTM",
    "Masking",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MultiHeadAttention",
    "PositionEmbedding",
    "PReLU",
    "register_layer",
    "ReLU",
    "Reshape",
    "set_mask",
    "SimpleRNN",
    "SinePositionEncoding",
    "Softmax",
    "SymbolicTensor",
    "TextVectorization",
    "TimeDistributed",
    "TokenAndPositionEmbedding",
    "TransformerEncoder",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "Variable",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]
