"""``onnx(model, path)``: write a ``Sequential`` or functional model as an ONNX file.

The graph keeps lamina's layout at its edges: its input and output are what ``model.predict``
takes and returns (images channels-last, ``(batch, height, width, channels)``; sequences
``(batch, time, features)``), float32 with a dynamic batch axis. Inside, convolution and pooling
run channels-first as ONNX defines them: a ``Transpose`` enters a run of such layers and one
leaves it where a layer needs lamina's layout (``Flatten``, ``Dense``, a recurrent layer, the
graph's output); elementwise layers, batch normalization and merges work in either layout, so a
conv - batch norm - relu - pool stack has no transposes inside it.

Each layer class has one small converter, ``fn(graph, layer, x, shape) -> value``, listed in
``CONVERTERS`` (an exact class match: a subclass may compute something else). A layer, an
activation or an option without a converter raises ``NotImplementedError`` naming the layer.
docs/export.md lists what is supported.

>>> from lamina.layers import LSTM, MultiHeadAttention
>>> LSTM in CONVERTERS, MultiHeadAttention in CONVERTERS
(True, False)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

import numpy as np

from lamina import activations, backend
from lamina.files import write_atomic
from lamina.layers import (
    ELU,
    GRU,
    LSTM,
    Activation,
    ActivityRegularization,
    Add,
    AlphaDropout,
    Average,
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    BaseRNN,
    BatchNormalization,
    Concatenate,
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Dense,
    DepthwiseConv1D,
    DepthwiseConv2D,
    Dropout,
    Embedding,
    Flatten,
    GaussianDropout,
    GaussianNoise,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    GroupNormalization,
    Identity,
    InputLayer,
    LayerNormalization,
    LeakyReLU,
    Maximum,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    Minimum,
    Multiply,
    Permute,
    PReLU,
    ReLU,
    RepeatVector,
    Reshape,
    SeparableConv1D,
    SeparableConv2D,
    SimpleRNN,
    Softmax,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    SpectralNormalization,
    Subtract,
    UnitNormalization,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from lamina.layers.symbolic import map_structure
from lamina.models import Functional, Sequential
from lamina.ops.activations import SELU_ALPHA, SELU_SCALE
from lamina.ops.conv import conv_transpose_output_length

MIN_OPSET = 17  # LayerNormalization
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


def _import_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError('ONNX export needs the onnx package: pip install "lamina[onnx]"') from exc
    return onnx


def _unsupported(layer, why=None) -> NotImplementedError:
    message = f"cannot export layer {layer.name!r} ({type(layer).__name__}) to ONNX yet"
    return NotImplementedError(message + (f": {why}" if why else ""))


# ----- the graph under construction -----
@dataclass(frozen=True)
class _Value:
    """A tensor of the ONNX graph: its name, its shape in lamina's layout (batch ``None``),
    whether it is held channels-first (lamina's last axis moved to axis 1) and its dtype."""

    name: str
    shape: tuple
    channels_first: bool = False
    dtype: str = "float32"

    @property
    def rank(self) -> int:
        return len(self.shape)


class _Graph:
    """Nodes, weights (initializers), inputs and outputs, with unique names."""

    def __init__(self, onnx_module, opset: int):
        self.onnx, self.opset = onnx_module, opset
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        self._names = set()
        self._layouts = {}  # (tensor name, channels_first) -> that tensor in that layout

    def fresh(self, hint: str) -> str:
        name, k = hint, 0
        while name in self._names:
            k += 1
            name = f"{hint}_{k}"
        self._names.add(name)
        return name

    def const(self, hint: str, array, dtype=np.float32) -> str:
        name = self.fresh(hint)
        array = np.ascontiguousarray(np.asarray(array, dtype=dtype))
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, hint: str, values) -> str:
        return self.const(hint, values, np.int64)

    def op(self, op_type: str, inputs, hint: str, outputs: int = 1, **attributes):
        """Add one node; return its output name (a list of names when ``outputs > 1``).
        An input ``""`` is an omitted optional input."""
        inputs = list(inputs)
        while inputs and inputs[-1] == "":
            inputs.pop()
        names = [self.fresh(hint) for _ in range(outputs)]
        node = self.onnx.helper.make_node(op_type, inputs, names, name=names[0], **attributes)
        self.nodes.append(node)
        return names[0] if outputs == 1 else names

    def value_info(self, name, shape, dtype):
        dims = ["batch" if i == 0 else s for i, s in enumerate(shape)]
        elem = self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        return self.onnx.helper.make_tensor_value_info(name, elem, dims)

    def add_input(self, name: str, shape, dtype) -> _Value:
        name = self.fresh(name)
        dtype = "float32" if np.dtype(dtype).kind == "f" else np.dtype(dtype).name
        self.inputs.append(self.value_info(name, shape, dtype))
        return _Value(name, tuple(shape), dtype=dtype)

    def add_output(self, value: _Value, name: str) -> None:
        """Name ``value`` (in lamina's layout) ``name``, reserved with ``fresh`` beforehand."""
        value = channels_last(self, value)
        self.nodes.append(self.onnx.helper.make_node("Identity", [value.name], [name], name=name))
        self.outputs.append(self.value_info(name, value.shape, value.dtype))

    def model(self, name: str):
        helper = self.onnx.helper
        graph = helper.make_graph(self.nodes, name, self.inputs, self.outputs, self.initializers)
        opsets = [helper.make_opsetid("", self.opset)]
        return helper.make_model(
            graph,
            opset_imports=opsets,
            ir_version=helper.find_min_ir_version_for(opsets),  # what older runtimes read
            producer_name="lamina",
            producer_version=_lamina_version(),
        )


def _lamina_version() -> str:
    import lamina

    return getattr(lamina, "__version__", "")


def _weight(variable) -> np.ndarray:
    return np.asarray(backend.to_numpy(variable.data), dtype=np.float32)


# ----- layouts -----
def _axis(x: _Value, axis: int) -> int:
    """Where lamina's ``axis`` of ``x`` lies in the ONNX tensor."""
    axis %= x.rank
    if not x.channels_first or axis == 0:
        return axis
    return 1 if axis == x.rank - 1 else axis + 1


def _to_layout(g: _Graph, x: _Value, first: bool) -> _Value:
    if x.channels_first == first or (first and x.rank < 3):
        return x
    key = (x.name, first)
    if key not in g._layouts:
        rank = x.rank
        perm = [0, rank - 1, *range(1, rank - 1)] if first else [0, *range(2, rank), 1]
        hint = f"{x.name}/{'channels_first' if first else 'channels_last'}"
        name = g.op("Transpose", [x.name], hint, perm=perm)
        g._layouts[key] = replace(x, name=name, channels_first=first)
    return g._layouts[key]


def channels_last(g: _Graph, x: _Value) -> _Value:
    """``x`` in lamina's layout (a Transpose when it is held channels-first)."""
    return _to_layout(g, x, False)


def channels_first(g: _Graph, x: _Value) -> _Value:
    """``x`` with its channels (lamina's last axis) at axis 1, as ONNX's Conv and pools want."""
    return _to_layout(g, x, True)


def _like(x: _Value, name: str, shape) -> _Value:
    """A new value in the layout of ``x`` (rank < 3 has only one layout)."""
    return _Value(name, tuple(shape), x.channels_first and len(shape) >= 3)


def _reduce(g: _Graph, op_type: str, x: str, axes, keepdims: bool, hint: str) -> str:
    if g.opset >= 18:  # the axes became an input
        return g.op(op_type, [x, g.ints(f"{hint}/axes", axes)], hint, keepdims=int(keepdims))
    return g.op(op_type, [x], hint, axes=list(axes), keepdims=int(keepdims))


# ----- activations (by the name lamina.activations knows them by) -----
def _unary(op_type: str, **attributes):
    return lambda g, x, hint: g.op(op_type, [x.name], hint, **attributes)


def _softmax(op_type: str):
    return lambda g, x, hint: g.op(op_type, [x.name], hint, axis=_axis(x, -1))


def _silu(g, x, hint):
    """``x * sigmoid(x)``."""
    return g.op("Mul", [x.name, g.op("Sigmoid", [x.name], f"{hint}/sigmoid")], hint)


def _gelu(g, x, hint):
    """Exact GELU: the Gelu op from opset 20, else ``x * (1 + erf(x / sqrt(2))) / 2``."""
    if g.opset >= 20:
        return g.op("Gelu", [x.name], hint)
    scaled = g.op("Mul", [x.name, g.const(f"{hint}/c", 1 / math.sqrt(2))], f"{hint}/scaled")
    erf = g.op("Erf", [scaled], f"{hint}/erf")
    cdf = g.op("Add", [erf, g.const(f"{hint}/one", 1.0)], f"{hint}/cdf")
    half = g.op("Mul", [x.name, g.const(f"{hint}/half", 0.5)], f"{hint}/half_x")
    return g.op("Mul", [half, cdf], hint)


ACTIVATIONS = {
    "relu": _unary("Relu"),
    "leaky_relu": _unary("LeakyRelu", alpha=0.2),  # lamina.ops.leaky_relu's default slope
    "elu": _unary("Elu", alpha=1.0),
    "selu": _unary("Selu", alpha=SELU_ALPHA, gamma=SELU_SCALE),
    "gelu": _gelu,
    "sigmoid": _unary("Sigmoid"),
    "hard_sigmoid": _unary("HardSigmoid", alpha=1 / 6, beta=0.5),
    "tanh": _unary("Tanh"),
    "softplus": _unary("Softplus"),
    "softsign": _unary("Softsign"),
    "silu": _silu,
    "swish": _silu,
    "softmax": _softmax("Softmax"),
    "log_softmax": _softmax("LogSoftmax"),
    "exponential": _unary("Exp"),
}


def _activation(g: _Graph, layer, x: _Value) -> _Value:
    """``layer.activation`` applied to ``x`` (nothing for ``linear``)."""
    fn = layer.activation
    name = activations.serialize(fn)
    if name == "linear":
        return x
    if name not in ACTIVATIONS or activations.get(name) is not fn:
        raise _unsupported(layer, f"activation {name!r} (custom activations cannot be exported)")
    return replace(x, name=ACTIVATIONS[name](g, x, f"{layer.name}/{name}"))


# ----- core layers -----
def _identity(g, layer, x, shape):
    """InputLayer, Identity, ActivityRegularization, and the dropout and noise layers (the
    identity at inference)."""
    return x


def _dense(g, layer, x, shape):
    """``x @ kernel + bias``: Gemm for (batch, features), MatMul + Add for higher ranks."""
    x = channels_last(g, x)
    kernel = g.const(f"{layer.name}/kernel", _weight(layer.kernel))
    bias = None if layer.bias is None else g.const(f"{layer.name}/bias", _weight(layer.bias))
    if x.rank == 2:
        y = g.op("Gemm", [x.name, kernel] + ([bias] if bias else []), f"{layer.name}/gemm")
    else:
        y = g.op("MatMul", [x.name, kernel], f"{layer.name}/matmul")
        if bias:
            y = g.op("Add", [y, bias], f"{layer.name}/add")
    return _activation(g, layer, _Value(y, shape))


def _activation_layer(g, layer, x, shape):
    return _activation(g, layer, x)


def _relu(g, layer, x, shape):
    """Relu, then a Clip for ``max_value``; the thresholded and leaky forms are not exported."""
    if layer.negative_slope or layer.threshold:
        raise _unsupported(layer, "ReLU with negative_slope or threshold")
    y = g.op("Relu", [x.name], layer.name)
    if layer.max_value is not None:
        low, high = g.const(f"{layer.name}/min", 0.0), g.const(f"{layer.name}/max", layer.max_value)
        y = g.op("Clip", [y, low, high], f"{layer.name}/clip")
    return replace(x, name=y)


def _leaky_relu(g, layer, x, shape):
    return replace(x, name=g.op("LeakyRelu", [x.name], layer.name, alpha=layer.negative_slope))


def _elu(g, layer, x, shape):
    return replace(x, name=g.op("Elu", [x.name], layer.name, alpha=layer.alpha))


def _prelu(g, layer, x, shape):
    """PRelu with ``alpha`` (shape ``x.shape[1:]``, 1 on shared axes) moved to ``x``'s layout."""
    alpha = _weight(layer.alpha)
    if x.channels_first:
        alpha = np.moveaxis(alpha, -1, 0)
    slope = g.const(f"{layer.name}/alpha", alpha)
    return replace(x, name=g.op("PRelu", [x.name, slope], layer.name))


def _softmax_layer(g, layer, x, shape):
    if not isinstance(layer.axis, int):
        raise _unsupported(layer, f"softmax over several axes {layer.axis}")
    return replace(x, name=g.op("Softmax", [x.name], layer.name, axis=_axis(x, layer.axis)))


def _flatten(g, layer, x, shape):
    x = channels_last(g, x)  # lamina's order of the flattened values
    return _Value(g.op("Flatten", [x.name], layer.name, axis=1), shape)


def _reshape(g, layer, x, shape):
    x = channels_last(g, x)
    target = g.ints(f"{layer.name}/shape", [0, *layer.target_shape])  # 0: keep the batch size
    return _Value(g.op("Reshape", [x.name, target], layer.name), shape)


def _permute(g, layer, x, shape):
    x = channels_last(g, x)
    return _Value(g.op("Transpose", [x.name], layer.name, perm=[0, *layer.dims]), shape)


def _repeat_vector(g, layer, x, shape):
    """(batch, features) -> (batch, 1, features), tiled ``n`` times along axis 1."""
    steps = g.op("Unsqueeze", [x.name, g.ints(f"{layer.name}/axes", [1])], f"{layer.name}/step")
    repeats = g.ints(f"{layer.name}/repeats", [1, layer.n, 1])
    return _Value(g.op("Tile", [steps, repeats], layer.name), shape)


# ----- convolution and pooling (channels-first inside the graph) -----
def _window(spatial, kernel_size, strides, dilation, padding) -> dict:
    """Kernel, strides and explicit pads of a conv or pool. lamina's "same" (TensorFlow's rule)
    puts an odd pad at the end, as ONNX's SAME_UPPER, used when a spatial size is unknown."""
    window = {"kernel_shape": list(kernel_size), "strides": list(strides)}
    begins, ends = [], []
    for size, k, s, d in zip(spatial, kernel_size, strides, dilation):
        span = (k - 1) * d + 1
        if padding == "valid":
            before = after = 0
        elif padding == "causal":  # the whole span before: step t sees only steps <= t
            before, after = span - 1, 0
        elif size is None:
            return {**window, "auto_pad": "SAME_UPPER"}
        else:
            total = max((-(-size // s) - 1) * s + span - size, 0)
            before, after = total // 2, total - total // 2
        begins.append(before)
        ends.append(after)
    return {**window, "pads": begins + ends}


def _conv_node(g, layer, x, weight, group, shape):
    x = channels_first(g, x)
    inputs = [x.name, g.const(f"{layer.name}/kernel", weight)]
    if layer.bias is not None:
        inputs.append(g.const(f"{layer.name}/bias", _weight(layer.bias)))
    dilation = list(layer.dilation_rate)
    window = _window(x.shape[1:-1], layer.kernel_size, layer.strides, dilation, layer.padding)
    y = g.op("Conv", inputs, f"{layer.name}/conv", dilations=dilation, group=group, **window)
    return _activation(g, layer, _Value(y, shape, channels_first=True))


def _conv(g, layer, x, shape):
    """Conv1D/2D/3D: lamina's kernel ``(*k, in / groups, out)`` is ONNX's
    ``(out, in / groups, *k)``, with the same groups (output block g sees input block g)."""
    kernel = _weight(layer.kernel)
    rank = kernel.ndim - 2
    weight = kernel.transpose(rank + 1, rank, *range(rank))
    return _conv_node(g, layer, x, weight, layer.groups, shape)


def _depthwise_conv(g, layer, x, shape):
    """A grouped Conv, one group per input channel: lamina's kernel ``(*k, in, multiplier)``
    gives output channel ``c * multiplier + m``, ONNX's ``(in * multiplier, 1, *k)``."""
    kernel = _weight(layer.kernel)
    channels = kernel.shape[-2]
    weight = np.moveaxis(kernel.reshape(*kernel.shape[:-2], -1), -1, 0)[:, None]
    return _conv_node(g, layer, x, weight, channels, shape)


def _separable_conv(g, layer, x, shape):
    """The depthwise Conv (one group per input channel, no bias), then a 1x1 Conv with the
    pointwise kernel and the bias."""
    x = channels_first(g, x)
    depthwise = _weight(layer.depthwise_kernel)
    channels = depthwise.shape[-2]
    weight = np.moveaxis(depthwise.reshape(*depthwise.shape[:-2], -1), -1, 0)[:, None]
    dilation = list(layer.dilation_rate)
    window = _window(x.shape[1:-1], layer.kernel_size, layer.strides, dilation, layer.padding)
    inputs = [x.name, g.const(f"{layer.name}/depthwise_kernel", weight)]
    y = g.op(
        "Conv", inputs, f"{layer.name}/depthwise", dilations=dilation, group=channels, **window
    )
    pointwise = _weight(layer.pointwise_kernel)
    rank = pointwise.ndim - 2
    inputs = [
        y,
        g.const(
            f"{layer.name}/pointwise_kernel", pointwise.transpose(rank + 1, rank, *range(rank))
        ),
    ]
    if layer.bias is not None:
        inputs.append(g.const(f"{layer.name}/bias", _weight(layer.bias)))
    y = g.op("Conv", inputs, f"{layer.name}/pointwise")
    return _activation(g, layer, _Value(y, shape, channels_first=True))


def _conv_transpose(g, layer, x, shape):
    """Conv1DTranspose/2D/3D: lamina's kernel ``(*k, out, in)`` is ONNX's ``(in, out, *k)``.
    lamina crops its output from the full transposed convolution (TensorFlow's rule): explicit
    ``pads`` at the start and end, and ``output_padding`` where the output reaches past the full
    one (a stride above the kernel's span). Both are independent of the input's size."""
    x = channels_first(g, x)
    kernel = _weight(layer.kernel)
    rank = kernel.ndim - 2
    output_padding = layer.output_padding or (None,) * rank
    begins, ends, extra = [], [], []
    for k, s, d, op in zip(layer.kernel_size, layer.strides, layer.dilation_rate, output_padding):
        full = (k - 1) * d + 1  # the full output of an input of size 1
        length = conv_transpose_output_length(1, k, s, layer.padding, op, d)
        start = max(full - length, 0) // 2 if layer.padding == "same" else 0
        begins.append(start)
        ends.append(max(full - start - length, 0))
        extra.append(max(start + length - full, 0))
    weight = kernel.transpose(rank + 1, rank, *range(rank))
    inputs = [x.name, g.const(f"{layer.name}/kernel", weight)]
    if layer.bias is not None:
        inputs.append(g.const(f"{layer.name}/bias", _weight(layer.bias)))
    y = g.op(
        "ConvTranspose",
        inputs,
        f"{layer.name}/conv_transpose",
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        pads=begins + ends,
        output_padding=extra,
    )
    return _activation(g, layer, _Value(y, shape, channels_first=True))


def _pooling(op_type: str):
    def convert(g, layer, x, shape):
        x = channels_first(g, x)
        ones = (1,) * len(layer.pool_size)
        window = _window(x.shape[1:-1], layer.pool_size, layer.strides, ones, layer.padding)
        # AveragePool's default count_include_pad=0 leaves the padding out, as lamina does
        y = g.op(op_type, [x.name], f"{layer.name}/{op_type.lower()}", **window)
        return _Value(y, shape, channels_first=True)

    convert.__doc__ = f"{op_type} over ``pool_size`` windows, channels-first."
    return convert


def _global_pooling(op_type: str):
    def convert(g, layer, x, shape):
        axes = [_axis(x, a) for a in range(1, x.rank - 1)]
        y = _reduce(g, op_type, x.name, axes, layer.keepdims, layer.name)
        return _like(x, y, shape)

    convert.__doc__ = f"{op_type} over every spatial axis, in either layout."
    return convert


# ----- normalization -----
def _batch_norm(g, layer, x, shape):
    """Inference with the moving statistics: ONNX's BatchNormalization when the channels are
    at axis 1 (after a conv, or on (batch, features)), else ``(x - mean) * s + beta`` with
    ``s = gamma / sqrt(variance + epsilon)`` broadcast along the channel axis."""
    axis, name = _axis(x, layer.axis), layer.name
    mean, variance = _weight(layer.moving_mean), _weight(layer.moving_variance)
    gamma = np.ones_like(mean) if layer.gamma is None else _weight(layer.gamma)
    beta = np.zeros_like(mean) if layer.beta is None else _weight(layer.beta)
    if axis == 1:
        parameters = {"gamma": gamma, "beta": beta, "mean": mean, "variance": variance}
        inputs = [x.name] + [g.const(f"{name}/moving_{k}", v) for k, v in parameters.items()]
        y = g.op("BatchNormalization", inputs, name, epsilon=layer.epsilon)
        return replace(x, name=y)
    along = (-1,) + (1,) * (x.rank - 1 - axis)  # broadcasts along the channel axis
    scale = gamma / np.sqrt(variance.astype(np.float64) + layer.epsilon)
    y = g.op("Sub", [x.name, g.const(f"{name}/moving_mean", mean.reshape(along))], f"{name}/sub")
    y = g.op("Mul", [y, g.const(f"{name}/scale", scale.reshape(along))], f"{name}/mul")
    y = g.op("Add", [y, g.const(f"{name}/beta", beta.reshape(along))], name)
    return replace(x, name=y)


def _layer_norm(g, layer, x, shape):
    """ONNX's LayerNormalization, which normalizes over the last axes from ``axis`` on."""
    x = channels_last(g, x)
    axes = layer.axis if isinstance(layer.axis, list) else [layer.axis]
    axes = sorted({a % x.rank for a in axes})
    if axes != list(range(axes[0], x.rank)):
        raise _unsupported(layer, f"axis {layer.axis} (ONNX normalizes only the last axes)")
    param_shape = tuple(x.shape[a] for a in axes)
    gamma = np.ones(param_shape) if layer.gamma is None else _weight(layer.gamma)
    beta = np.zeros(param_shape) if layer.beta is None else _weight(layer.beta)
    inputs = [x.name, g.const(f"{layer.name}/gamma", gamma), g.const(f"{layer.name}/beta", beta)]
    y = g.op("LayerNormalization", inputs, layer.name, axis=axes[0], epsilon=layer.epsilon)
    return replace(x, name=y)


def _group_norm(g, layer, x, shape):
    """Channels-first, the groups are runs of consecutive channels right after the batch axis:
    reshaped to (batch, groups, -1), normalized over the last axis, reshaped back, then
    ``gamma * y + beta`` per channel."""
    if layer.axis % x.rank != x.rank - 1:
        raise _unsupported(layer, f"axis {layer.axis} (only the channels axis, -1, is exported)")
    x = channels_first(g, x)
    name = layer.name
    grouped = g.op("Reshape", [x.name, g.ints(f"{name}/groups", [0, layer._groups, -1])], name)
    mean = _reduce(g, "ReduceMean", grouped, [2], True, f"{name}/mean")
    centered = g.op("Sub", [grouped, mean], f"{name}/centered")
    squares = g.op("Mul", [centered, centered], f"{name}/squares")
    variance = _reduce(g, "ReduceMean", squares, [2], True, f"{name}/variance")
    shifted = g.op("Add", [variance, g.const(f"{name}/epsilon", layer.epsilon)], f"{name}/shifted")
    std = g.op("Sqrt", [shifted], f"{name}/std")
    normalized = g.op("Div", [centered, std], f"{name}/normalized")
    y = g.op("Reshape", [normalized, g.op("Shape", [x.name], f"{name}/shape")], f"{name}/back")
    channel = (-1, *(1,) * (x.rank - 2))  # broadcast over the spatial axes, channels-first
    if layer.gamma is not None:
        gamma = g.const(f"{name}/gamma", _weight(layer.gamma).reshape(channel))
        y = g.op("Mul", [y, gamma], f"{name}/scaled")
    if layer.beta is not None:
        beta = g.const(f"{name}/beta", _weight(layer.beta).reshape(channel))
        y = g.op("Add", [y, beta], f"{name}/shifted_by_beta")
    return replace(x, name=y)


def _unit_norm(g, layer, x, shape):
    """``x / max(||x||, 1e-12)`` over ``axis``, as ``lamina.ops.l2_normalize``."""
    axes = layer.axis if isinstance(layer.axis, list) else [layer.axis]
    axes = sorted({_axis(x, a) for a in axes})
    norm = _reduce(g, "ReduceL2", x.name, axes, True, f"{layer.name}/norm")
    floor = g.op("Max", [norm, g.const(f"{layer.name}/epsilon", 1e-12)], f"{layer.name}/floor")
    return replace(x, name=g.op("Div", [x.name, floor], layer.name))


# ----- embeddings and recurrent layers -----
def _embedding(g, layer, x, shape):
    """Gather rows of the table; float ids are cast to int64 first."""
    if layer.mask_zero:
        raise _unsupported(layer, "mask_zero=True (masks are not exported)")
    x = channels_last(g, x)
    ids = x.name
    if np.dtype(x.dtype).kind == "f":
        ids = g.op("Cast", [ids], f"{layer.name}/ids", to=g.onnx.TensorProto.INT64)
    table = g.const(f"{layer.name}/embeddings", _weight(layer.embeddings))
    return _Value(g.op("Gather", [table, ids], layer.name, axis=0), shape)


# ONNX's name, alpha and beta of each activation the recurrent ops of lamina support
_RNN_ACTIVATIONS = {
    "tanh": ("Tanh",),
    "sigmoid": ("Sigmoid",),
    "relu": ("Relu",),
    "hard_sigmoid": ("HardSigmoid", 1 / 6, 0.5),
    "linear": ("Affine", 1.0, 0.0),
}


def _rnn_activations(names) -> dict:
    """The ``activations`` attribute; alphas and betas listed in order for the functions
    that take them (as onnxruntime reads them)."""
    specs = [_RNN_ACTIVATIONS[name] for name in names]
    attributes = {"activations": [spec[0] for spec in specs]}
    if any(len(spec) > 1 for spec in specs):
        attributes["activation_alpha"] = [spec[1] for spec in specs if len(spec) > 1]
        attributes["activation_beta"] = [spec[2] for spec in specs if len(spec) > 1]
    return attributes


def _by_gate(w: np.ndarray, order) -> np.ndarray:
    """Keras's ``(n, G * units)`` columns with the gate blocks put in ``order``."""
    return w.reshape(w.shape[0], len(order), -1)[:, list(order)].reshape(w.shape[0], -1)


def _simple_rnn_op(layer):
    """RNN: ``h = act(x W + h R + b)``, one gate."""
    return "RNN", (0,), _rnn_activations([layer.activation])


def _lstm_op(layer):
    """LSTM: lamina's (Keras's) gates i, f, c, o are ONNX's i, o, f, c; activations f (gates),
    g (cell candidate), h (cell output)."""
    names = [layer.recurrent_activation, layer.activation, layer.activation]
    return "LSTM", (0, 3, 1, 2), _rnn_activations(names)


def _gru_op(layer):
    """GRU: gates z, r, h in both; ``reset_after=True`` (reset applied to ``h R + b_R``) is
    ``linear_before_reset=1``."""
    attributes = _rnn_activations([layer.recurrent_activation, layer.activation])
    return "GRU", (0, 1, 2), {**attributes, "linear_before_reset": int(layer.reset_after)}


_RNN_OPS = {SimpleRNN: _simple_rnn_op, LSTM: _lstm_op, GRU: _gru_op}


def _rnn_bias(bias: np.ndarray, order) -> np.ndarray:
    """ONNX's B ``(1, 2 * G * units)``: the input bias then the recurrent one (zeros but for a
    GRU with ``reset_after``, whose bias rows are these two), gates in ``order``."""
    rows = bias if bias.ndim == 2 else [bias, np.zeros_like(bias)]
    return np.concatenate([_by_gate(row[None], order)[0] for row in rows])[None]


def _recurrent(g, layer, x, shape, initial_state=None):
    """SimpleRNN, LSTM, GRU: the ONNX op on the time-major sequence (onnxruntime has no
    batch-major ``layout=1``), its outputs back to (batch, time, units) or (batch, units)."""
    if layer.stateful:
        raise _unsupported(layer, "stateful=True (an ONNX graph starts every call from zeros)")
    name = layer.name
    x = channels_last(g, x)
    sequence = x.name
    if layer.go_backwards:
        slicing = {"start": -1, "end": _INT64_MIN, "axis": 1, "step": -1}  # time, reversed
        reverse = [g.ints(f"{name}/{k}", [v]) for k, v in slicing.items()]
        sequence = g.op("Slice", [sequence, *reverse], f"{name}/reversed")
    op, order, attributes = _RNN_OPS[type(layer)](layer)
    attributes["hidden_size"] = layer.units
    axis0, axis1 = g.ints(f"{name}/axis0", [0]), g.ints(f"{name}/axis1", [1])
    states = [""] * (2 if op == "LSTM" else 1)  # initial h (and c): zeros unless given
    if initial_state is not None:
        initial = initial_state if isinstance(initial_state, list) else [initial_state]
        if len(initial) != len(states):
            raise _unsupported(layer, f"{len(initial)} initial states for {len(states)}")
        states = [g.op("Unsqueeze", [s.name, axis0], f"{name}/initial_state") for s in initial]
    bias = "" if layer.bias is None else g.const(f"{name}/B", _rnn_bias(_weight(layer.bias), order))
    inputs = [
        g.op("Transpose", [sequence], f"{name}/time_major", perm=[1, 0, 2]),
        g.const(f"{name}/W", _by_gate(_weight(layer.kernel), order).T[None]),
        g.const(f"{name}/R", _by_gate(_weight(layer.recurrent_kernel), order).T[None]),
        bias,
        "",  # sequence_lens: every sequence is whole
        *states,
    ]
    y, *finals = g.op(op, inputs, f"{name}/{op.lower()}", outputs=1 + len(states), **attributes)
    finals = [g.op("Squeeze", [s, axis0], f"{name}/state") for s in finals]  # (batch, units)
    output = finals[0]
    if layer.return_sequences:  # y: (time, 1, batch, units)
        y = g.op("Squeeze", [y, axis1], f"{name}/sequence_time_major")
        output = g.op("Transpose", [y], f"{name}/sequence", perm=[1, 0, 2])
    if not layer.return_state:
        return _Value(output, shape)
    return [_Value(n, s) for n, s in zip([output, *finals], shape)]


# ----- merging -----
def _aligned(g, xs):
    """The inputs in one layout and one rank: lower-rank inputs get size-1 axes after the batch
    axis, as lamina's merge layers give them."""
    rank = max(x.rank for x in xs)
    if all(x.channels_first and x.rank == rank for x in xs):
        return xs
    out = []
    for x in xs:
        x = channels_last(g, x)
        if x.rank < rank:
            ones = (1,) * (rank - x.rank)
            axes = g.ints(f"{x.name}/axes", list(range(1, 1 + len(ones))))
            y = g.op("Unsqueeze", [x.name, axes], f"{x.name}/expanded")
            x = _Value(y, (x.shape[0], *ones, *x.shape[1:]))
        out.append(x)
    return out


def _merge(op_type: str, variadic: bool = True):
    def convert(g, layer, xs, shape):
        xs = _aligned(g, xs)
        names = [x.name for x in xs]
        if variadic:
            y = g.op(op_type, names, layer.name)
        else:  # a binary op, applied left to right
            y = names[0]
            for other in names[1:]:
                y = g.op(op_type, [y, other], layer.name)
        return _like(xs[0], y, shape)

    convert.__doc__ = f"Elementwise {op_type} of the inputs."
    return convert


def _average(g, layer, xs, shape):
    xs = _aligned(g, xs)
    total = g.op("Sum", [x.name for x in xs], f"{layer.name}/sum")
    count = g.const(f"{layer.name}/count", float(len(xs)))
    return _like(xs[0], g.op("Div", [total, count], layer.name), shape)


def _concatenate(g, layer, xs, shape):
    xs = _aligned(g, xs)
    y = g.op("Concat", [x.name for x in xs], layer.name, axis=_axis(xs[0], layer.axis))
    return _like(xs[0], y, shape)


# ----- padding, cropping, upsampling -----
def _spatial_axes(x, layer):
    """The ONNX axes of ``layer``'s spatial axes of ``x``."""
    first = 1 if layer.data_format == "channels_last" else 2
    return [_axis(x, a) for a in range(first, first + layer.rank)]


def _zero_padding(g, layer, x, shape):
    begins, ends = [0] * x.rank, [0] * x.rank
    for axis, (before, after) in zip(_spatial_axes(x, layer), layer.padding):
        begins[axis], ends[axis] = before, after
    pads = g.ints(f"{layer.name}/pads", begins + ends)
    return _like(x, g.op("Pad", [x.name, pads], layer.name), shape)


def _cropping(g, layer, x, shape):
    starts = [before for before, _ in layer.cropping]
    ends = [-after if after else _INT64_MAX for _, after in layer.cropping]
    axes = _spatial_axes(x, layer)
    slicing = {"starts": starts, "ends": ends, "axes": axes}
    inputs = [x.name] + [g.ints(f"{layer.name}/{k}", v) for k, v in slicing.items()]
    return _like(x, g.op("Slice", inputs, layer.name), shape)


def _upsampling(g, layer, x, shape):
    """Resize: nearest repeats each value (input index ``floor(j / size)``); linear samples
    at half-pixel centers, clamped at the edges, as lamina's ``upsample``."""
    x = channels_first(g, x) if layer.data_format == "channels_last" else channels_last(g, x)
    scales = [1.0] * x.rank
    for axis, size in zip(_spatial_axes(x, layer), layer.size):
        scales[axis] = float(size)
    if layer.interpolation == "nearest":
        mode = {
            "mode": "nearest",
            "nearest_mode": "floor",
            "coordinate_transformation_mode": "asymmetric",
        }
    else:
        mode = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    inputs = [x.name, "", g.const(f"{layer.name}/scales", scales)]
    return _like(x, g.op("Resize", inputs, layer.name, **mode), shape)


# ----- models -----
def _sequential(g, model, x, shape):
    for layer in model.layers:
        x = convert_layer(g, layer, x)
    return x


def _call_arguments(node, values) -> dict:
    """The extra arguments of a functional call that the converter gets (an RNN's
    ``initial_state``); any other is unsupported."""
    layer = node.layer
    if node.kwargs.get("training"):
        raise _unsupported(layer, "a call with training=True (ONNX graphs run inference)")
    extra = {k: v for k, v in node.kwargs.items() if k != "training"}
    allowed = {"initial_state"} if isinstance(layer, BaseRNN) else set()
    if node.args or not set(extra) <= allowed:
        raise _unsupported(layer, f"a call with extra arguments {sorted(extra) or node.args}")
    return map_structure(lambda t: values[id(t)], extra)


def _functional(g, model, inputs, shape):
    """Replay the model's nodes (each after the nodes it reads) on ONNX values."""
    inputs = inputs if isinstance(inputs, list) else [inputs]
    values = {id(t): v for t, v in zip(model.inputs, inputs)}
    for node in model._nodes:
        extra = _call_arguments(node, values)
        x = map_structure(lambda t: values[id(t)], node.inputs)
        if isinstance(x, tuple):
            x = list(x)
        out = convert_layer(g, node.layer, x, **extra)
        for symbol, value in zip(node.output_tensors, out if isinstance(out, list) else [out]):
            values[id(symbol)] = value
    outputs = [values[id(t)] for t in model.outputs]
    return outputs if len(outputs) > 1 else outputs[0]


CONVERTERS = {
    InputLayer: _identity,
    Identity: _identity,
    ActivityRegularization: _identity,
    Dropout: _identity,
    SpatialDropout1D: _identity,
    SpatialDropout2D: _identity,
    SpatialDropout3D: _identity,
    GaussianNoise: _identity,
    GaussianDropout: _identity,
    AlphaDropout: _identity,
    Permute: _permute,
    RepeatVector: _repeat_vector,
    Dense: _dense,
    Activation: _activation_layer,
    ReLU: _relu,
    LeakyReLU: _leaky_relu,
    PReLU: _prelu,
    ELU: _elu,
    Softmax: _softmax_layer,
    Flatten: _flatten,
    Reshape: _reshape,
    Conv1D: _conv,
    Conv2D: _conv,
    Conv3D: _conv,
    Conv1DTranspose: _conv_transpose,
    Conv2DTranspose: _conv_transpose,
    Conv3DTranspose: _conv_transpose,
    DepthwiseConv1D: _depthwise_conv,
    DepthwiseConv2D: _depthwise_conv,
    SeparableConv1D: _separable_conv,
    SeparableConv2D: _separable_conv,
    MaxPooling1D: _pooling("MaxPool"),
    MaxPooling2D: _pooling("MaxPool"),
    AveragePooling1D: _pooling("AveragePool"),
    AveragePooling2D: _pooling("AveragePool"),
    MaxPooling3D: _pooling("MaxPool"),
    AveragePooling3D: _pooling("AveragePool"),
    GlobalAveragePooling1D: _global_pooling("ReduceMean"),
    GlobalAveragePooling2D: _global_pooling("ReduceMean"),
    GlobalMaxPooling1D: _global_pooling("ReduceMax"),
    GlobalMaxPooling2D: _global_pooling("ReduceMax"),
    GlobalAveragePooling3D: _global_pooling("ReduceMean"),
    GlobalMaxPooling3D: _global_pooling("ReduceMax"),
    BatchNormalization: _batch_norm,
    LayerNormalization: _layer_norm,
    GroupNormalization: _group_norm,
    UnitNormalization: _unit_norm,
    Embedding: _embedding,
    SimpleRNN: _recurrent,
    LSTM: _recurrent,
    GRU: _recurrent,
    Add: _merge("Sum"),
    Subtract: _merge("Sub", variadic=False),
    Multiply: _merge("Mul", variadic=False),
    Average: _average,
    Maximum: _merge("Max"),
    Minimum: _merge("Min"),
    Concatenate: _concatenate,
    ZeroPadding1D: _zero_padding,
    ZeroPadding2D: _zero_padding,
    ZeroPadding3D: _zero_padding,
    Cropping1D: _cropping,
    Cropping2D: _cropping,
    Cropping3D: _cropping,
    UpSampling1D: _upsampling,
    UpSampling2D: _upsampling,
    UpSampling3D: _upsampling,
    Sequential: _sequential,
    Functional: _functional,
    # at inference the wrapper is its layer with the kernel it holds
    SpectralNormalization: lambda g, layer, x, shape: convert_layer(g, layer.layer, x),
}


def convert_layer(g: _Graph, layer, x, **call_arguments):
    """The ONNX value(s) of ``layer`` called on ``x`` (a value, or a list for merges)."""
    convert = CONVERTERS.get(type(layer))
    if convert is None:
        raise _unsupported(layer, "docs/export.md lists the layers that can be exported")
    shapes = [v.shape for v in x] if isinstance(x, list) else x.shape
    return convert(g, layer, x, layer.compute_output_shape(shapes), **call_arguments)


def _graph_inputs(g: _Graph, model) -> list:
    """The graph's inputs: "input", or the ``Input`` layers' names when there are several."""
    if isinstance(model, Functional):
        several = len(model.inputs) > 1
        return [
            g.add_input(t.layer.name if several else "input", t.shape, t.dtype)
            for t in model.inputs
        ]
    if isinstance(model, Sequential):
        shape = model._batch_input_shape or model._build_input_shape
        if shape is None or not model.layers:
            raise ValueError(
                f"{model.name} has no known input shape: give its first layer input_shape=... "
                "(or start it with Input(shape)) before exporting it"
            )
        ids = isinstance(model.layers[0], Embedding)
        return [g.add_input("input", (None, *shape[1:]), "int64" if ids else "float32")]
    raise NotImplementedError(
        f"cannot export model {model.name!r} ({type(model).__name__}) to ONNX: only Sequential "
        "and functional Model(inputs, outputs) models can be exported"
    )


def onnx(model, path, opset: int = MIN_OPSET) -> str:
    """Write ``model`` (``Sequential`` or ``Model(inputs, outputs)``) to ``path`` as an ONNX
    model checked by ``onnx.checker``, and return the path.

    The graph's input is named "input" (for several inputs: the ``Input`` layers' names) and its
    output "output" (for several: the output layers' names); both are float32 in lamina's layout
    with a dynamic batch axis (integer ids for a model that starts with ``Embedding``). Layers run
    as in inference (``Dropout`` is the identity, ``BatchNormalization`` uses its moving
    statistics). ``opset`` from 17 (``LayerNormalization``) to the newest the installed onnx
    knows. Needs the ``onnx`` package (``pip install "lamina[onnx]"``).

    >>> from lamina.export import onnx
    >>> from lamina.cnn import mnist_cnn
    >>> onnx(mnist_cnn(), "mnist_cnn.onnx")  # doctest: +SKIP
    'mnist_cnn.onnx'
    """
    onnx_module = _import_onnx()
    newest = onnx_module.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must be an integer from {MIN_OPSET} to {newest}, got {opset!r}")
    path = os.fspath(path)
    g = _Graph(onnx_module, opset)
    inputs = _graph_inputs(g, model)
    several = isinstance(model, Functional) and len(model.outputs) > 1
    names = [g.fresh(name) for name in (model.output_names if several else ["output"])]
    outputs = convert_layer(g, model, inputs if len(inputs) > 1 else inputs[0])
    for value, name in zip(outputs if several else [outputs], names):
        g.add_output(value, name)
    proto = g.model(model.name)
    onnx_module.checker.check_model(proto)
    write_atomic(path, proto.SerializeToString())
    return path
