"""``BatchNormalization``, ``LayerNormalization``, ``GroupNormalization`` and
``UnitNormalization``, with Keras's arguments and defaults.

>>> import lamina
>>> from lamina.layers.normalization import BatchNormalization
>>> bn = BatchNormalization()
>>> y = bn(lamina.tensor([[0.0, 1.0], [2.0, 3.0]]), training=True)
>>> [round(v, 3) for v in bn.moving_mean.tolist()], len(bn.trainable_weights)
([0.01, 0.02], 2)
"""

from __future__ import annotations

from lamina import initializers, ops, regularizers
from lamina.backend import xp
from lamina.layers.layer import Layer, _serialize
from lamina.ops.normalization import batch_norm, group_norm, l2_normalize, layer_norm


def _add_gamma_beta(layer, shape) -> None:
    """The scale ``gamma`` (with ``layer.scale``) and offset ``beta`` (with ``layer.center``) of
    a normalization layer, from its initializers, regularizers and constraints; None when off."""
    layer.gamma = layer.beta = None
    if layer.scale:
        layer.gamma = layer.add_weight(
            shape=shape,
            initializer=layer.gamma_initializer,
            regularizer=layer.gamma_regularizer,
            constraint=layer.gamma_constraint,
            name="gamma",
        )
    if layer.center:
        layer.beta = layer.add_weight(
            shape=shape,
            initializer=layer.beta_initializer,
            regularizer=layer.beta_regularizer,
            constraint=layer.beta_constraint,
            name="beta",
        )


def _check_epsilon(epsilon, who):
    epsilon = float(epsilon)
    if not epsilon > 0:
        raise ValueError(f"{who} epsilon must be positive, got {epsilon}")
    return epsilon


class BatchNormalization(Layer):
    """Normalize each channel (the entries along ``axis``, channels-last by default) to zero
    mean and unit variance, then scale by ``gamma`` and shift by ``beta``.

    With ``training=True`` it uses the batch's statistics and updates the moving averages
    (``moving = moving * momentum + batch * (1 - momentum)``, the biased batch variance, as Keras
    3); otherwise it uses the moving averages. In training, a mask (from
    ``Embedding(mask_zero=True)`` or ``Masking``) leaves the masked steps out of the batch
    statistics, as in Keras; every step is still normalized. A frozen layer
    (``trainable = False``) always runs in inference mode and leaves its moving averages alone,
    as in Keras. Weights: ``gamma``, ``beta`` (trainable), ``moving_mean``, ``moving_variance``
    (non-trainable).
    """

    supports_masking = True

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            raise TypeError(f"BatchNormalization axis must be one integer, got {axis!r}")
        self.axis = int(axis)
        self.momentum = float(momentum)
        if not 0.0 <= self.momentum <= 1.0:
            raise ValueError(f"BatchNormalization momentum must be in [0, 1], got {momentum}")
        self.epsilon = _check_epsilon(epsilon, "BatchNormalization")
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(
                f"{self.name} axis {self.axis} is out of range for inputs of shape "
                f"{tuple(input_shape)}"
            )
        self._channel_axis = self.axis % ndim
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"{self.name} needs a known size along axis {self.axis}")
        self._input_ndim = ndim
        _add_gamma_beta(self, (channels,))
        self.moving_mean = self.add_weight(
            shape=(channels,),
            initializer=self.moving_mean_initializer,
            trainable=False,
            name="moving_mean",
        )
        self.moving_variance = self.add_weight(
            shape=(channels,),
            initializer=self.moving_variance_initializer,
            trainable=False,
            name="moving_variance",
        )

    def call(self, inputs, training=False, mask=None):
        if inputs.ndim != self._input_ndim or (
            inputs.shape[self._channel_axis] != self.moving_mean.shape[0]
        ):
            raise ValueError(
                f"{self.name} expected {self._input_ndim}-D input with {self.moving_mean.shape[0]} "
                f"channels along axis {self.axis}, got shape {inputs.shape}"
            )
        if not (training and self.trainable):
            return batch_norm(
                inputs,
                self.gamma,
                self.beta,
                self.moving_mean,
                self.moving_variance,
                axis=self._channel_axis,
                epsilon=self.epsilon,
            )
        if mask is None:
            out, mean, variance = batch_norm(
                inputs,
                self.gamma,
                self.beta,
                axis=self._channel_axis,
                epsilon=self.epsilon,
                return_moments=True,
            )
        else:
            mean, variance = self._masked_moments(inputs, mask)
            out = batch_norm(
                inputs,
                self.gamma,
                self.beta,
                mean,
                variance,
                axis=self._channel_axis,
                epsilon=self.epsilon,
            )
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            moving.assign(moving.data * self.momentum + batch.data * (1.0 - self.momentum))
        return out

    def _masked_moments(self, inputs, mask):
        """Keras's batch statistics over the unmasked entries only (``mask``: the inputs' shape
        without the last axis), each divided by its count + 1e-7; gradients flow through them."""
        keep = xp.asarray(mask)
        if keep.ndim != inputs.ndim - 1:
            raise ValueError(
                f"{self.name}: the mask must have one axis fewer than the inputs, got mask shape "
                f"{keep.shape} for inputs of shape {tuple(inputs.shape)}"
            )
        weights = xp.broadcast_to(keep[..., None], inputs.shape).astype(inputs.dtype)
        axes = tuple(a for a in range(inputs.ndim) if a != self._channel_axis)
        shape = [1] * inputs.ndim
        shape[self._channel_axis] = inputs.shape[self._channel_axis]
        count = weights.sum(axis=axes) + 1e-7
        mean = (inputs * weights).sum(axis=axes) / count
        centered = (inputs - ops.reshape(mean, tuple(shape))) * weights
        return mean, (centered * centered).sum(axis=axes) / count

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _serialize(self.beta_initializer),
            "gamma_initializer": _serialize(self.gamma_initializer),
            "moving_mean_initializer": _serialize(self.moving_mean_initializer),
            "moving_variance_initializer": _serialize(self.moving_variance_initializer),
            "beta_regularizer": _serialize(self.beta_regularizer),
            "gamma_regularizer": _serialize(self.gamma_regularizer),
        }


class LayerNormalization(Layer):
    """Normalize each sample over ``axis`` (an int or a list; default the last) to zero mean and
    unit variance, then scale by ``gamma`` and shift by ``beta``, which span those axes (Keras).
    The same in training and inference.
    """

    supports_masking = True

    def __init__(
        self,
        axis=-1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis:
                raise ValueError("LayerNormalization axis must name at least one axis")
            self.axis = [int(a) for a in axis]
        else:
            self.axis = int(axis)
        self.epsilon = _check_epsilon(epsilon, "LayerNormalization")
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint

    def build(self, input_shape):
        ndim = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -ndim <= a < ndim for a in axes) or any(a % ndim == 0 for a in axes):
            raise ValueError(
                f"{self.name} axis {self.axis} must name non-batch axes of inputs of shape "
                f"{tuple(input_shape)}"
            )
        self._axes = tuple(sorted({a % ndim for a in axes}))
        shape = tuple(input_shape[a] for a in self._axes)
        if None in shape:
            raise ValueError(f"{self.name} needs known sizes along axis {self.axis}")
        self._input_ndim = ndim
        _add_gamma_beta(self, shape)
        self._param_shape = shape

    def call(self, inputs, training=False):
        if inputs.ndim != self._input_ndim or (
            tuple(inputs.shape[a] for a in self._axes) != self._param_shape
        ):
            raise ValueError(
                f"{self.name} expected {self._input_ndim}-D input with sizes {self._param_shape} "
                f"along axes {list(self._axes)}, got shape {inputs.shape}"
            )
        return layer_norm(inputs, self.gamma, self.beta, axis=self._axes, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _serialize(self.beta_initializer),
            "gamma_initializer": _serialize(self.gamma_initializer),
            "beta_regularizer": _serialize(self.beta_regularizer),
            "gamma_regularizer": _serialize(self.gamma_regularizer),
        }


class GroupNormalization(Layer):
    """Group normalization (Wu and He, 2018), as Keras's: the ``C`` channels along ``axis``
    (channels-last by default) are split into ``groups`` groups of ``C / groups`` consecutive
    channels, and each sample's group is normalized over its channels and every other
    non-batch axis, then scaled and shifted per channel:

        y = gamma * (x - mean_group) / sqrt(var_group + epsilon) + beta

    with the biased variance, the same in training and inference. ``groups=1`` normalizes each
    sample as a whole; ``groups=-1`` makes one group per channel (instance normalization).
    ``groups`` must divide the channel count. Weights, in order: ``gamma``, ``beta``, each
    ``(C,)``.

    >>> import numpy as np
    >>> gn = GroupNormalization(groups=2)
    >>> y = gn(np.array([[1.0, 3.0, 10.0, 30.0]], np.float32))
    >>> np.round(y.numpy(), 2).tolist(), gn.gamma.shape
    ([[-1.0, 1.0, -1.0, 1.0]], (4,))
    """

    supports_masking = True

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if (
            isinstance(groups, bool)
            or not isinstance(groups, int)
            or not (groups > 0 or groups == -1)
        ):
            raise ValueError(
                "GroupNormalization groups must be a positive integer, or -1 for one group per "
                f"channel, got {groups!r}"
            )
        if isinstance(axis, (list, tuple)):
            raise TypeError(f"GroupNormalization axis must be one integer, got {axis!r}")
        self.groups = groups
        self.axis = int(axis)
        self.epsilon = _check_epsilon(epsilon, "GroupNormalization")
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint

    def build(self, input_shape):
        ndim, shape = len(input_shape), tuple(input_shape)
        if not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(
                f"{self.name} axis {self.axis} must name a non-batch axis of inputs of shape "
                f"{shape}"
            )
        self._channel_axis = self.axis % ndim
        channels = shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"{self.name} needs a known size along axis {self.axis}, got {shape}")
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            divisors = [d for d in range(1, channels + 1) if channels % d == 0]
            raise ValueError(
                f"{self.name}: {channels} channels (axis {self.axis} of shape {shape}) cannot be "
                f"split into groups={self.groups} equal groups: use a divisor of {channels} "
                f"({', '.join(map(str, divisors))}) or groups=-1 for one group per channel"
            )
        self._groups, self._input_ndim, self._channels = groups, ndim, channels
        _add_gamma_beta(self, (channels,))

    def call(self, inputs, training=False):
        if inputs.ndim != self._input_ndim or inputs.shape[self._channel_axis] != self._channels:
            raise ValueError(
                f"{self.name} expected {self._input_ndim}-D input with {self._channels} channels "
                f"along axis {self.axis}, got shape {inputs.shape}"
            )
        return group_norm(
            inputs,
            self._groups,
            self.gamma,
            self.beta,
            axis=self._channel_axis,
            epsilon=self.epsilon,
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _serialize(self.beta_initializer),
            "gamma_initializer": _serialize(self.gamma_initializer),
            "beta_regularizer": _serialize(self.beta_regularizer),
            "gamma_regularizer": _serialize(self.gamma_regularizer),
        }


class UnitNormalization(Layer):
    """Scale each sample to unit L2 norm over ``axis`` (an int or a list; default the last), as
    Keras 3: ``y = x / max(||x||, 1e-12)``, so zero vectors stay zero. No weights.

    >>> import numpy as np
    >>> UnitNormalization(dtype="float64")(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6, 0.8], [0.0, 0.0]]
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis:
                raise ValueError("UnitNormalization axis must name at least one axis")
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                f"UnitNormalization axis must be an integer or a list of integers, got {axis!r}"
            )

    def build(self, input_shape):
        ndim = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -ndim <= a < ndim for a in axes):
            raise ValueError(
                f"{self.name} axis {self.axis} is out of range for inputs of shape "
                f"{tuple(input_shape)}"
            )

    def call(self, inputs, training=False):
        return l2_normalize(inputs, axis=self.axis, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
