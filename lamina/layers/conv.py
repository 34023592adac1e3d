"""Convolution layers, channels-last as in Keras: ``Conv1D``, ``Conv2D``, ``Conv3D``,
``Conv1DTranspose``, ``Conv2DTranspose``, ``Conv3DTranspose``, ``DepthwiseConv1D``,
``DepthwiseConv2D``, ``SeparableConv1D``, ``SeparableConv2D``.

Each family is one rank-generic base (``BaseConv``, ``BaseConvTranspose``,
``BaseDepthwiseConv``, ``BaseSeparableConv``: a depthwise one with a pointwise kernel) with thin
subclasses that fix the rank. Inputs are ``(batch, steps, channels)`` (1-D),
``(batch, height, width, channels)`` (2-D) or ``(batch, depth, height, width, channels)``
(3-D: ``Conv3D`` and ``Conv3DTranspose``); integer ``kernel_size``, ``strides`` and
``dilation_rate`` mean the same value on every axis.

>>> import numpy as np
>>> from lamina.layers.conv import Conv2D
>>> layer = Conv2D(8, 3, padding="same", activation="relu")
>>> layer(np.zeros((2, 5, 5, 1), np.float32)).shape, layer.kernel.shape
((2, 5, 5, 8), (3, 3, 1, 8))
"""

from __future__ import annotations

import numbers

from lamina import activations, initializers, ops, regularizers
from lamina.layers.layer import Layer, _serialize, activation_property
from lamina.ops import conv as conv_ops


def normalize_data_format(data_format) -> str:
    """Only channels-last is supported; say how to get there from channels-first."""
    if data_format is None or data_format == "channels_last":
        return "channels_last"
    if data_format == "channels_first":
        raise ValueError(
            "data_format='channels_first' is not supported: lamina is channels-last like "
            "Keras's default; transpose inputs to (batch, ..., channels), e.g. "
            "lamina.ops.permute(x, (0, 2, 3, 1)) for images, and drop data_format"
        )
    raise ValueError(f"data_format must be 'channels_last', got {data_format!r}")


def check_input(layer, shape, rank, channels=None):
    """An input shape's rank (and channel count, once built) against what the layer expects."""
    shape = tuple(shape)
    if len(shape) != rank + 2:
        layout = {
            1: "(batch, steps, channels)",
            2: "(batch, height, width, channels)",
            3: "(batch, depth, height, width, channels)",
        }.get(rank, f"(batch, {rank} spatial axes, channels)")
        raise ValueError(f"{layer.name} expects inputs of shape {layout}, got shape {shape}")
    if channels is not None and shape[-1] != channels:
        raise ValueError(
            f"{layer.name} was built for inputs with {channels} channels (last axis), got "
            f"shape {shape}"
        )


def _check_positive_int(value, what) -> int:
    """``value`` as a Python int (NumPy integers accepted, so configs stay JSON)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


class _ConvBase(Layer):
    """What every convolution layer shares: geometry, activation, bias, and their config."""

    activation = activation_property

    def __init__(
        self,
        rank,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        bias_initializer="zeros",
        bias_regularizer=None,
        activity_regularizer=None,
        bias_constraint=None,
        allow_causal=False,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.kernel_size = conv_ops.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_ops.normalize_tuple(strides, rank, "strides")
        self.dilation_rate = conv_ops.normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = conv_ops.normalize_padding(padding, allow_causal=allow_causal)
        self.data_format = normalize_data_format(data_format)
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = bias_constraint

    def _add_bias(self, channels):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(channels,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def _check_build_shape(self, input_shape):
        check_input(self, input_shape, self.rank)
        if input_shape[-1] is None:
            raise ValueError(f"{self.name} needs a known channel count, got shape {input_shape}")
        spatial = self.compute_output_shape(tuple(input_shape))[1:-1]
        if any(s is not None and s < 1 for s in spatial):
            raise ValueError(
                f"{self.name}: input of shape {tuple(input_shape)} is too small for kernel "
                f"{self.kernel_size} with padding {self.padding!r}"
            )

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": _serialize(self.bias_initializer),
            "bias_regularizer": _serialize(self.bias_regularizer),
        }


class BaseConv(_ConvBase):
    """N-D convolution (cross-correlation, as in every framework): ``activation(conv(x, kernel)
    + bias)``, with a kernel of shape ``kernel_size + (in_channels // groups, filters)``.

    Arguments as Keras's: ``filters``, ``kernel_size``, ``strides=1``, ``padding`` ("valid",
    "same", and "causal" for rank 1), ``data_format`` (channels-last only),
    ``dilation_rate=1``, ``groups=1``, ``activation``, ``use_bias``,
    ``kernel_initializer="glorot_uniform"``, ``bias_initializer="zeros"``, the regularizers and
    constraints. Unlike Keras, strides and dilation above 1 may be combined.

    ``groups`` G (PyTorch's ``groups`` too) splits the C input channels and the F filters into G
    consecutive blocks, both divisible by G: output block g, ``y[..., g*F/G : (g+1)*F/G]``, is
    ``conv(x[..., g*C/G : (g+1)*C/G], kernel[..., g*F/G : (g+1)*F/G])`` (ResNeXt; G = C = F is
    a depthwise convolution), with G times fewer weights and multiplications.

    >>> import numpy as np
    >>> layer = Conv2D(6, 3, groups=3, padding="same")
    >>> x = np.random.default_rng(0).normal(size=(1, 5, 5, 9)).astype("float32")
    >>> y = layer(x).numpy()
    >>> layer.kernel.shape
    (3, 3, 3, 6)
    >>> x[..., 3:] = 0  # only the first group's channels left: only its 2 outputs are unchanged
    >>> z = layer(x).numpy()
    >>> np.allclose(z[..., :2], y[..., :2]), np.allclose(z[..., 2:], y[..., 2:])
    (True, False)
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint,
            allow_causal=rank == 1,
            **kwargs,
        )
        filters = _check_positive_int(filters, f"{type(self).__name__} filters")
        groups = _check_positive_int(groups, f"{type(self).__name__} groups")
        if filters % groups:
            raise ValueError(
                f"{self.name}: filters={filters} must be divisible by groups={groups} (each "
                "group computes filters / groups output channels)"
            )
        self.filters = filters
        self.groups = groups
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = kernel_constraint

    def build(self, input_shape):
        self._check_build_shape(input_shape)
        if input_shape[-1] % self.groups:
            raise ValueError(
                f"{self.name}: groups={self.groups} must divide the input's {input_shape[-1]} "
                f"channels (last axis of shape {tuple(input_shape)}): each group convolves "
                "in_channels / groups of them"
            )
        self.input_channels = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, input_shape[-1] // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self._add_bias(self.filters)

    def call(self, inputs, training=False):
        check_input(self, inputs.shape, self.rank, self.input_channels)
        fused = self.activation is ops.relu  # applied inside the conv node: one pass fewer
        out = conv_ops.Conv.apply(
            inputs,
            self.kernel,
            self.bias,
            strides=self.strides,
            padding=self.padding,
            dilation=self.dilation_rate,
            activation="relu" if fused else None,
        )
        return out if fused else self.activation(out)

    def compute_output_shape(self, input_shape):
        spatial = [
            conv_ops.conv_output_length(size, k, s, self.padding, d)
            for size, k, s, d in zip(
                input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate
            )
        ]
        return (input_shape[0], *spatial, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "groups": self.groups,
            "kernel_initializer": _serialize(self.kernel_initializer),
            "kernel_regularizer": _serialize(self.kernel_regularizer),
        }


class Conv1D(BaseConv):
    """1-D convolution over ``(batch, steps, channels)``; kernel ``(kernel_size, in, filters)``.
    ``padding="causal"`` pads only the start, so step t sees only steps <= t (WaveNet).

    >>> import numpy as np
    >>> Conv1D(4, 3, padding="causal")(np.zeros((2, 10, 3), np.float32)).shape
    (2, 10, 4)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class Conv2D(BaseConv):
    """2-D convolution over ``(batch, height, width, channels)``; kernel
    ``(kh, kw, in, filters)``.

    >>> import numpy as np
    >>> Conv2D(32, (3, 3), strides=2, padding="same")(np.zeros((1, 28, 28, 1), np.float32)).shape
    (1, 14, 14, 32)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class BaseConvTranspose(_ConvBase):
    """N-D transposed convolution (the gradient of a convolution w.r.t. its input, used to
    upsample): kernel ``kernel_size + (filters, in_channels)``, as Keras. Output length per
    axis: ``size * stride`` for "same", ``(size - 1) * stride + max(kernel, stride)`` for
    "valid"; ``output_padding`` (each < its stride) sets it to ``(size - 1) * stride + kernel +
    output_padding`` ("valid") or ``(size - 1) * stride + kernel % 2 + output_padding`` ("same").
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        filters = _check_positive_int(filters, f"{type(self).__name__} filters")
        self.filters = filters
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = conv_ops.normalize_tuple(
                output_padding, rank, "output_padding", allow_zero=True
            )
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"output_padding {self.output_padding} must be smaller than strides "
                    f"{self.strides} on every axis"
                )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = kernel_constraint

    def build(self, input_shape):
        self._check_build_shape(input_shape)
        self.input_channels = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, input_shape[-1]),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self._add_bias(self.filters)

    def call(self, inputs, training=False):
        check_input(self, inputs.shape, self.rank, self.input_channels)
        out = conv_ops.ConvTranspose.apply(
            inputs,
            self.kernel,
            self.bias,
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            dilation=self.dilation_rate,
        )
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        output_padding = self.output_padding or (None,) * self.rank
        spatial = [
            conv_ops.conv_transpose_output_length(size, k, s, self.padding, op, d)
            for size, k, s, op, d in zip(
                input_shape[1:-1],
                self.kernel_size,
                self.strides,
                output_padding,
                self.dilation_rate,
            )
        ]
        return (input_shape[0], *spatial, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "output_padding": None if self.output_padding is None else list(self.output_padding),
            "kernel_initializer": _serialize(self.kernel_initializer),
            "kernel_regularizer": _serialize(self.kernel_regularizer),
        }


class Conv1DTranspose(BaseConvTranspose):
    """Transposed 1-D convolution; kernel ``(kernel_size, filters, in)``.

    >>> import numpy as np
    >>> Conv1DTranspose(4, 3, strides=2, padding="same")(np.zeros((2, 5, 3), np.float32)).shape
    (2, 10, 4)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class Conv2DTranspose(BaseConvTranspose):
    """Transposed 2-D convolution; kernel ``(kh, kw, filters, in)``.

    >>> import numpy as np
    >>> layer = Conv2DTranspose(16, 3, strides=2, padding="same")
    >>> layer(np.zeros((1, 7, 7, 32), np.float32)).shape, layer.kernel.shape
    ((1, 14, 14, 16), (3, 3, 16, 32))
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class BaseDepthwiseConv(_ConvBase):
    """N-D depthwise convolution: each input channel convolved with its own
    ``depth_multiplier`` filters (no mixing across channels); kernel
    ``kernel_size + (in_channels, depth_multiplier)``, output channels
    ``in_channels * depth_multiplier`` (channel ``c * depth_multiplier + m``).
    """

    def __init__(
        self,
        rank,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint,
            allow_causal=rank == 1,
            **kwargs,
        )
        depth_multiplier = _check_positive_int(depth_multiplier, "depth_multiplier")
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = depthwise_constraint

    def build(self, input_shape):
        self._check_build_shape(input_shape)
        self.input_channels = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, input_shape[-1], self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="kernel",
        )
        self._add_bias(input_shape[-1] * self.depth_multiplier)

    @property
    def depthwise_kernel(self):
        """The kernel under its Keras 2 name."""
        return self.kernel

    def call(self, inputs, training=False):
        check_input(self, inputs.shape, self.rank, self.input_channels)
        out = conv_ops.DepthwiseConv.apply(
            inputs,
            self.kernel,
            self.bias,
            strides=self.strides,
            padding=self.padding,
            dilation=self.dilation_rate,
        )
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        spatial = [
            conv_ops.conv_output_length(size, k, s, self.padding, d)
            for size, k, s, d in zip(
                input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate
            )
        ]
        channels = None if input_shape[-1] is None else input_shape[-1] * self.depth_multiplier
        return (input_shape[0], *spatial, channels)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": _serialize(self.depthwise_initializer),
            "depthwise_regularizer": _serialize(self.depthwise_regularizer),
        }


class DepthwiseConv1D(BaseDepthwiseConv):
    """Depthwise 1-D convolution; kernel ``(kernel_size, in, depth_multiplier)``.

    >>> import numpy as np
    >>> DepthwiseConv1D(3, depth_multiplier=2)(np.zeros((2, 10, 3), np.float32)).shape
    (2, 8, 6)
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, **kwargs):
        super().__init__(
            1, kernel_size, strides=strides, padding=padding, depth_multiplier=depth_multiplier,
            **kwargs,
        )  # fmt: skip


class DepthwiseConv2D(BaseDepthwiseConv):
    """Depthwise 2-D convolution; kernel ``(kh, kw, in, depth_multiplier)``.

    >>> import numpy as np
    >>> DepthwiseConv2D(3, padding="same")(np.zeros((1, 8, 8, 5), np.float32)).shape
    (1, 8, 8, 5)
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, **kwargs):
        super().__init__(
            2, kernel_size, strides=strides, padding=padding, depth_multiplier=depth_multiplier,
            **kwargs,
        )  # fmt: skip


class BaseSeparableConv(BaseDepthwiseConv):
    """N-D depthwise separable convolution: ``BaseDepthwiseConv``'s depthwise convolution
    (``kernel_size``, ``strides``, ``padding``, ``dilation_rate``, ``depth_multiplier``;
    without a bias), then a pointwise (1x1) convolution to ``filters`` channels, plus the bias,
    then the activation. Keras's arguments, and its weights in its order: ``depthwise_kernel``
    ``kernel_size + (in, depth_multiplier)``, ``pointwise_kernel``
    ``(1,) * rank + (in * depth_multiplier, filters)``, ``bias`` ``(filters,)``.
    """

    depthwise_kernel = None  # a weight of its own here, not an alias of ``kernel``

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank,
            kernel_size,
            strides=strides,
            padding=padding,
            depth_multiplier=depth_multiplier,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        filters = _check_positive_int(filters, f"{type(self).__name__} filters")
        self.filters = filters
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = pointwise_constraint

    def build(self, input_shape):
        self._check_build_shape(input_shape)
        channels = self.input_channels = input_shape[-1]
        self.depthwise_kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="depthwise_kernel",
        )
        self.pointwise_kernel = self.add_weight(
            shape=((1,) * self.rank + (channels * self.depth_multiplier, self.filters)),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            name="pointwise_kernel",
        )
        self._add_bias(self.filters)

    def call(self, inputs, training=False):
        check_input(self, inputs.shape, self.rank, self.input_channels)
        fused = self.activation is ops.relu  # applied inside the pointwise conv node
        out = conv_ops.separable_conv(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            self.bias,
            strides=self.strides,
            padding=self.padding,
            dilation=self.dilation_rate,
            activation="relu" if fused else None,
        )
        return out if fused else self.activation(out)

    def compute_output_shape(self, input_shape):
        return (*super().compute_output_shape(input_shape)[:-1], self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "pointwise_initializer": _serialize(self.pointwise_initializer),
            "pointwise_regularizer": _serialize(self.pointwise_regularizer),
        }


class SeparableConv1D(BaseSeparableConv):
    """Depthwise separable 1-D convolution; weights ``depthwise_kernel``
    ``(kernel_size, in, depth_multiplier)``, ``pointwise_kernel``
    ``(1, in * depth_multiplier, filters)``, ``bias``. ``padding`` may be "causal".

    >>> import numpy as np
    >>> layer = SeparableConv1D(4, 3, depth_multiplier=2)
    >>> layer(np.zeros((2, 10, 3), np.float32)).shape, layer.pointwise_kernel.shape
    ((2, 8, 4), (1, 6, 4))
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class SeparableConv2D(BaseSeparableConv):
    """Depthwise separable 2-D convolution (MobileNet, Xception); weights ``depthwise_kernel``
    ``(kh, kw, in, depth_multiplier)``, ``pointwise_kernel`` ``(1, 1, in * depth_multiplier,
    filters)``, ``bias`` ``(filters,)``: far fewer than ``Conv2D``'s ``kh * kw * in * filters``.

    >>> import numpy as np
    >>> layer = SeparableConv2D(16, 3, padding="same", activation="relu")
    >>> layer(np.zeros((1, 8, 8, 4), np.float32)).shape, layer.count_params()
    ((1, 8, 8, 16), 116)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class Conv3D(BaseConv):
    """3-D convolution over volumes ``(batch, depth, height, width, channels)``; kernel
    ``(kd, kh, kw, in, filters)``.

    >>> import numpy as np
    >>> layer = Conv3D(4, 3, padding="same", strides=(1, 2, 2))
    >>> layer(np.zeros((1, 6, 8, 8, 2), np.float32)).shape, layer.kernel.shape
    ((1, 6, 4, 4, 4), (3, 3, 3, 2, 4))
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", **kwargs):
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class Conv3DTranspose(BaseConvTranspose):
    """Transposed 3-D convolution (upsampling volumes); kernel ``(kd, kh, kw, filters, in)``.

    >>> import numpy as np
    >>> layer = Conv3DTranspose(2, 3, strides=2, padding="same")
    >>> layer(np.zeros((1, 4, 5, 6, 8), np.float32)).shape, layer.kernel.shape
    ((1, 8, 10, 12, 2), (3, 3, 3, 2, 8))
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", **kwargs):
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding, **kwargs)


# Keras's aliases
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
