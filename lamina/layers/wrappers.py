"""Layer wrappers: ``Bidirectional`` (a recurrent layer run both ways), ``TimeDistributed``
(one layer applied to every time step) and ``SpectralNormalization`` (a layer's kernel kept at
spectral norm 1, for GAN discriminators).

>>> import numpy as np
>>> from lamina.layers import LSTM, Bidirectional, Dense, TimeDistributed
>>> x = np.zeros((2, 5, 3), np.float32)
>>> Bidirectional(LSTM(4))(x).shape, TimeDistributed(Dense(6))(x).shape
((2, 8), (2, 5, 6))
"""

from __future__ import annotations

from lamina import initializers, ops
from lamina.backend import xp
from lamina.layers.layer import Layer, _serialize, deserialize_layer

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _layer_from_spec(spec):
    if isinstance(spec, Layer):
        return spec
    return deserialize_layer(spec)


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it backwards over the sequence and merge the
    two (``merge_mode`` "concat", "sum", "mul", "ave", or None for a list of both).

    With ``return_sequences`` the backward outputs are reversed back, so step t of the output
    holds both directions' views of step t. ``return_state`` appends the forward then the
    backward final states.
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        layer = _layer_from_spec(layer)
        if not hasattr(layer, "go_backwards") or not hasattr(layer, "return_sequences"):
            raise ValueError(
                f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU), got "
                f"{type(layer).__name__}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"merge_mode must be one of {_MERGE_MODES}, got {merge_mode!r}")
        if "input_shape" not in kwargs and layer._batch_input_shape is not None:
            kwargs["batch_input_shape"] = layer._batch_input_shape
        super().__init__(**kwargs)
        config = layer.get_config()
        config.pop("batch_input_shape", None)
        prefix = "" if layer.name.startswith("forward_") else "forward_"
        config["name"] = f"{prefix}{layer.name}"
        self.forward_layer = type(layer).from_config(config)
        if backward_layer is None:
            name = "backward_" + config["name"].removeprefix("forward_")
            config = dict(config, name=name, go_backwards=not layer.go_backwards)
            self.backward_layer = type(layer).from_config(config)
        else:
            self.backward_layer = _layer_from_spec(backward_layer)
            if self.backward_layer.go_backwards == self.forward_layer.go_backwards:
                raise ValueError("backward_layer must have the opposite go_backwards of layer")
        for direction in (self.forward_layer, self.backward_layer):
            # padded steps must give zeros, or reversing would misalign the two directions
            direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self._initial_weights = weights

    def build(self, input_shape):
        self.forward_layer._maybe_build(tuple(input_shape))
        self.backward_layer._maybe_build(tuple(input_shape))
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs, training=False, mask=None, initial_state=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        forward = self.forward_layer(
            inputs, training=training, mask=mask, initial_state=forward_state
        )
        backward = self.backward_layer(
            inputs, training=training, mask=mask, initial_state=backward_state
        )
        states = []
        if self.return_state:
            forward, *forward_states = forward
            backward, *backward_states = backward
            states = forward_states + backward_states
        if self.return_sequences:
            backward = backward[:, ::-1]
        if self.merge_mode == "concat":
            output = ops.concatenate([forward, backward], axis=-1)
        elif self.merge_mode == "sum":
            output = forward + backward
        elif self.merge_mode == "mul":
            output = forward * backward
        elif self.merge_mode == "ave":
            output = (forward + backward) * 0.5
        else:
            output = [forward, backward]
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        outputs = 2 if self.merge_mode is None else 1
        if self.return_state:
            return [output_mask] * outputs + [None] * (2 * self.forward_layer._state_count)
        return [output_mask] * 2 if outputs == 2 else output_mask

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        state_shapes = []
        if self.return_state:
            shape, *state_shapes = shape
            state_shapes = state_shapes * 2
        if self.merge_mode == "concat":
            shape = (*shape[:-1], 2 * shape[-1])
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return outputs + state_shapes
        return outputs if self.merge_mode is None else shape

    def reset_states(self, states=None):
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def get_config(self):
        return {
            **super().get_config(),
            "layer": _serialize(self.forward_layer),
            "backward_layer": _serialize(self.backward_layer),
            "merge_mode": self.merge_mode,
        }


class TimeDistributed(Layer):
    """Apply ``layer`` to every step of ``(batch, time, ...)`` independently (one call on the
    batch and time axes folded together, so it costs one call, not one per step)."""

    supports_masking = True

    def __init__(self, layer, **kwargs):
        layer = _layer_from_spec(layer)
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed wraps a Layer, got {type(layer).__name__}")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(
                f"{self.name} expects input of shape (batch, time, ...), got shape "
                f"{tuple(input_shape)}"
            )
        self.layer._maybe_build((None, *input_shape[2:]))

    def call(self, inputs, training=False, mask=None):
        if inputs.ndim < 3:
            raise ValueError(
                f"{self.name} expects input of shape (batch, time, ...), got shape {inputs.shape}"
            )
        batch, steps = inputs.shape[:2]
        folded = ops.reshape(inputs, (batch * steps, *inputs.shape[2:]))
        out = self.layer(folded, training=training)
        return ops.reshape(out, (batch, steps, *out.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None, *input_shape[2:]))
        return (input_shape[0], input_shape[1], *inner[1:])

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.layer)}


class SpectralNormalization(Layer):
    """Divide the wrapped layer's ``kernel`` (or ``embeddings``) by its largest singular value
    before every training call, which bounds the layer's Lipschitz constant and steadies a GAN's
    discriminator (Miyato et al., 2018). As Keras 3: with W the kernel as a ``(-1, out)`` matrix
    and a persistent non-trainable ``vector_u`` (1, out), ``power_iterations`` times

        v = normalize(u W^T),  u = normalize(v W);   then  sigma = v W u^T,  kernel <- W / sigma

    in place (no gradient flows through sigma; an all-zero kernel is left alone). Inference uses
    the kernel as it is.

    >>> import numpy as np
    >>> from lamina.layers import Dense
    >>> layer = SpectralNormalization(Dense(3, kernel_initializer="ones"), power_iterations=5)
    >>> _ = layer(np.ones((2, 4), np.float32), training=True)
    >>> round(float(np.linalg.norm(layer.layer.kernel.numpy(), 2)), 4)
    1.0
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        layer = _layer_from_spec(layer)
        if not isinstance(layer, Layer):
            raise ValueError(f"SpectralNormalization wraps a Layer, got {type(layer).__name__}")
        if (
            isinstance(power_iterations, bool)
            or not isinstance(power_iterations, int)
            or (power_iterations <= 0)
        ):
            raise ValueError(
                f"power_iterations must be a positive integer, got {power_iterations!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.power_iterations = power_iterations

    def _kernel(self):
        for name in ("kernel", "embeddings"):
            weight = getattr(self.layer, name, None)
            if weight is not None:
                return weight
        raise ValueError(
            f"{self.name}: {type(self.layer).__name__} has neither a kernel nor embeddings to "
            "normalize"
        )

    def build(self, input_shape):
        self.layer._maybe_build(tuple(input_shape))
        kernel = self._kernel()
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
        )

    def normalize_kernel(self):
        """One normalization step: the power iteration, then ``kernel <- kernel / sigma``."""
        kernel = self._kernel()
        weights = kernel.data.reshape(-1, kernel.shape[-1])
        if not weights.any():
            return
        u = self.vector_u.data
        for _ in range(self.power_iterations):
            v = u @ weights.T
            v = v / xp.maximum(xp.linalg.norm(v), 1e-12)
            u = v @ weights
            u = u / xp.maximum(xp.linalg.norm(u), 1e-12)
        sigma = (v @ weights @ u.T).item()
        self.vector_u.assign(u)
        kernel.assign(kernel.data / sigma)

    def call(self, inputs, training=False):
        if training:
            self.normalize_kernel()
        return self.layer(inputs, training=training)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "layer": _serialize(self.layer),
            "power_iterations": self.power_iterations,
        }
