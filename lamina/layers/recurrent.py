"""Recurrent layers: ``SimpleRNN``, ``LSTM`` and ``GRU`` over ``(batch, time, features)``.

Each runs the whole sequence as one fused op (``lamina/ops/recurrent.py``: all gates in one
matmul per step, backpropagation through time in one reverse loop). The gate equations and the
gate order of the weights are in those ops' docstrings.

>>> import numpy as np
>>> from lamina.layers import LSTM
>>> x = np.zeros((2, 5, 3), np.float32)
>>> LSTM(4)(x).shape, LSTM(4, return_sequences=True)(x).shape
((2, 4), (2, 5, 4))
>>> output, h, c = LSTM(4, return_state=True)(x)
>>> h.shape, c.shape
((2, 4), (2, 4))
"""

from __future__ import annotations

import numbers

from lamina import activations, backend, initializers, ops, regularizers
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers.layer import Layer, _serialize, to_tensor
from lamina.ops import recurrent as rnn_ops

_OP_ACTIVATIONS = {"tanh", "sigmoid", "relu", "linear", "hard_sigmoid"}


def _activation_name(identifier, who, what):
    """The name of an activation the fused ops implement (they differentiate it themselves)."""
    name = activations.serialize(activations.get(identifier))
    if name not in _OP_ACTIVATIONS:
        raise ValueError(
            f"{who} {what} must be one of {sorted(_OP_ACTIVATIONS)}, got {identifier!r}"
        )
    return name


class _RecurrentBase(Layer):
    """What the fused layers (``BaseRNN``) and the cells (``rnn_cells._Cell``) share: the
    arguments, the weights ``kernel``, ``recurrent_kernel`` and ``bias``, and their config.

    Subclasses set ``_gates`` (blocks of ``units`` columns in the kernels) and ``_state_count``.
    """

    _gates = 1
    _state_count = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # Keras 2's kernel choice: one fused kernel here
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        if not isinstance(units, numbers.Integral) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{who} units must be a positive integer, got {units!r}")
        for what, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= rate < 1:
                raise ValueError(f"{who} {what} must be in [0, 1), got {rate}")
        self.units = int(units)  # NumPy integers too; JSON configs
        self.activation = _activation_name(activation, who, "activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed

    # ----- weights -----
    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        width = self._gates * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            name="recurrent_kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(),
                initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def get_config(self):
        """The shared keys; subclasses add theirs (``seed`` last, as Keras writes it)."""
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": _serialize(self.kernel_initializer),
            "recurrent_initializer": _serialize(self.recurrent_initializer),
            "bias_initializer": _serialize(self.bias_initializer),
            "kernel_regularizer": _serialize(self.kernel_regularizer),
            "recurrent_regularizer": _serialize(self.recurrent_regularizer),
            "bias_regularizer": _serialize(self.bias_regularizer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }


class _LSTMGates:
    """LSTM's arguments, forget-gate bias and config, for ``LSTM`` and ``LSTMCell`` (mixed in
    before ``BaseRNN``/``_Cell``)."""

    _gates = 4
    _state_count = 2

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        unit_forget_bias=True,
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = _activation_name(
            recurrent_activation, type(self).__name__, "recurrent_activation"
        )
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def forget_bias_one(shape, dtype=None):
            b = xp.asarray(base((4 * units,), dtype=dtype)).copy()
            b[units : 2 * units] = 1
            return b

        return forget_bias_one

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": self.recurrent_activation,
            "unit_forget_bias": self.unit_forget_bias,
        }


class _GRUGates:
    """GRU's arguments, bias shape and config, for ``GRU`` and ``GRUCell`` (mixed in before
    ``BaseRNN``/``_Cell``)."""

    _gates = 3

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        reset_after=True,
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = _activation_name(
            recurrent_activation, type(self).__name__, "recurrent_activation"
        )
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": self.recurrent_activation,
            "reset_after": self.reset_after,
        }


class BaseRNN(_RecurrentBase):
    """What SimpleRNN, LSTM and GRU share: arguments, weights, masks, dropout, states.

    Subclasses set ``_gates`` (blocks of ``units`` columns in the kernels) and ``_state_count``
    and implement ``_run(x, states, op_arguments)`` -> ``(sequence, *final_states)``. The
    arguments shared with the cells are ``_RecurrentBase``'s.
    """

    supports_masking = True

    def __init__(
        self,
        units,
        *args,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        kwargs.pop("time_major", None)
        super().__init__(units, *args, **kwargs)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # accepted for Keras compatibility; the fused op never unrolls
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.name} expects input of shape (batch, time, features), got shape "
                f"{tuple(input_shape)}"
            )
        self.input_features = input_shape[-1]
        super().build(input_shape)

    # ----- the forward pass -----
    def _initial_states(self, initial_state, batch):
        if initial_state is None and self.stateful and self.states is not None:
            initial_state = self.states
        if initial_state is None:
            zeros = xp.zeros((batch, self.units), dtype=self.dtype)
            return [Tensor(zeros) for _ in range(self._state_count)]
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        if len(initial_state) != self._state_count:
            raise ValueError(
                f"{self.name} takes {self._state_count} initial state tensor(s), got "
                f"{len(initial_state)}"
            )
        states = [to_tensor(s, self.dtype) for s in initial_state]
        for s in states:
            if tuple(s.shape) != (batch, self.units):
                raise ValueError(
                    f"{self.name} initial state must have shape ({batch}, {self.units}), got "
                    f"{tuple(s.shape)}"
                )
        return states

    def call(self, inputs, training=False, mask=None, initial_state=None):
        if inputs.ndim != 3 or inputs.shape[-1] != self.input_features:
            raise ValueError(
                f"{self.name} expected input of shape (batch, time, {self.input_features}), got "
                f"shape {inputs.shape}"
            )
        batch = inputs.shape[0]
        states = self._initial_states(initial_state, batch)
        if mask is not None:
            mask = xp.asarray(mask.data if isinstance(mask, Tensor) else mask, dtype=bool)
        x = inputs
        if self.go_backwards:
            x = x[:, ::-1]
            mask = None if mask is None else mask[:, ::-1]
        recurrent_mask = None
        if training and self.dropout > 0:
            x = ops.dropout(x, self.dropout, noise_shape=(batch, 1, x.shape[-1]))
        if training and self.recurrent_dropout > 0:
            keep = backend.rng().random((batch, self.units), dtype=self.dtype)
            recurrent_mask = (keep >= self.recurrent_dropout) / xp.dtype(self.dtype).type(
                1 - self.recurrent_dropout
            )
        sequence, *final_states = self._run(x, states, self._op_arguments(mask, recurrent_mask))
        if self.stateful:
            self.states = [Tensor(s.data.copy()) for s in final_states]
        output = sequence if self.return_sequences else final_states[0]
        if self.return_state:
            return [output, *final_states]
        return output

    def _op_arguments(self, mask, recurrent_mask):
        """Keyword arguments of the fused op: it returns the sequence and the final states in
        one node (with zeros at masked steps when Bidirectional asks for them)."""
        return {
            "activation": self.activation,
            "mask": mask,
            "recurrent_mask": recurrent_mask,
            "zero_output_for_mask": self.zero_output_for_mask,
            "return_state": True,
        }

    def reset_states(self, states=None):
        """Forget (or set) the states a ``stateful`` layer carries from batch to batch."""
        self.states = None if states is None else [to_tensor(s, self.dtype) for s in states]

    reset_state = reset_states

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * self._state_count
        return output_mask

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output] + [(batch, self.units)] * self._state_count
        return output

    def get_config(self):
        config = {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "seed": self.seed,
        }
        if self.zero_output_for_mask:
            config["zero_output_for_mask"] = True
        return config


class SimpleRNN(BaseRNN):
    """The plain recurrent layer: ``h_t = activation(x_t W + h_{t-1} U + b)``."""

    def _run(self, x, states, op_arguments):
        return rnn_ops.simple_rnn(
            x, states[0], self.kernel, self.recurrent_kernel, self.bias, **op_arguments
        )


class LSTM(_LSTMGates, BaseRNN):
    """Long short-term memory: input, forget and output gates guard a cell state ``c`` that
    carries information across many steps (gate order i, f, c, o as in Keras).

    ``unit_forget_bias=True`` starts the forget gate's bias at 1, as Keras does.
    """

    def _op_arguments(self, mask, recurrent_mask):
        return {
            **super()._op_arguments(mask, recurrent_mask),
            "recurrent_activation": self.recurrent_activation,
        }

    def _run(self, x, states, op_arguments):
        return rnn_ops.lstm(
            x, *states, self.kernel, self.recurrent_kernel, self.bias, **op_arguments
        )


class GRU(_GRUGates, BaseRNN):
    """Gated recurrent unit: an update gate ``z`` mixes the old state with a candidate built
    through a reset gate ``r`` (gate order z, r, h as in Keras).

    ``reset_after=True`` (the default, Keras's and PyTorch's formulation) applies the reset gate
    after the recurrent matmul and keeps separate input and recurrent biases: ``bias`` has shape
    ``(2, 3 * units)``.
    """

    def _op_arguments(self, mask, recurrent_mask):
        return {
            **super()._op_arguments(mask, recurrent_mask),
            "recurrent_activation": self.recurrent_activation,
            "reset_after": self.reset_after,
        }

    def _run(self, x, states, op_arguments):
        return rnn_ops.gru(
            x, states[0], self.kernel, self.recurrent_kernel, self.bias, **op_arguments
        )
