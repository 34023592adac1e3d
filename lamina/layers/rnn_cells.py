"""Keras's recurrent cells: ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` (one time step each,
``cell(x_t, states) -> (output, new_states)``) and ``StackedRNNCells``. ``RNN`` (``rnn.py``)
runs any cell over a sequence.

The cells hold the same weights as the layers ``SimpleRNN``, ``LSTM`` and ``GRU`` (``kernel``,
``recurrent_kernel``, ``bias``; Keras's gate order and ``GRU``'s ``reset_after=True`` bias of
shape ``(2, 3 * units)``), and each step is one fused op (``lamina.ops.simple_rnn_cell``,
``lstm_cell``, ``gru_cell``). ``RNN(LSTMCell(n))`` computes what ``LSTM(n)`` computes, one
Python step at a time: the layers are the fast path.

>>> import numpy as np
>>> from lamina.layers import LSTMCell
>>> cell = LSTMCell(4)
>>> x_t, h, c = np.ones((2, 3), "float32"), np.zeros((2, 4), "float32"), np.zeros((2, 4), "f4")
>>> output, (h, c) = cell(x_t, [h, c])
>>> output.shape, cell.state_size, [w.shape for w in cell.weights]
((2, 4), [4, 4], [(3, 16), (4, 16), (16,)])
"""

from __future__ import annotations

import numbers

from lamina import backend, initializers, ops, regularizers
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers.layer import Layer, _serialize, deserialize_layer, to_tensor
from lamina.layers.recurrent import _activation_name
from lamina.random import SeedGenerator


def _check_rate(rate, who, what):
    if not 0 <= rate < 1:
        raise ValueError(f"{who} {what} must be in [0, 1), got {rate}")
    return float(rate)


class _Cell(Layer):
    """What the three cells share: arguments, weights, initial states and the dropout masks.

    As Keras's ``DropoutRNNCell``, a mask is drawn at the first step of a sequence and reused at
    every step until ``reset_dropout_mask()``/``reset_recurrent_dropout_mask()`` (which ``RNN``
    calls around each sequence). ``dropout`` scales the step input, ``recurrent_dropout`` the
    previous state inside the recurrent matmul; one mask serves all gates.
    """

    _gates = 1

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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # Keras's kernel choice: one fused op here
        super().__init__(**kwargs)
        who = type(self).__name__
        if not isinstance(units, numbers.Integral) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{who} units must be a positive integer, got {units!r}")
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
        self.dropout = _check_rate(dropout, who, "dropout")
        self.recurrent_dropout = _check_rate(recurrent_dropout, who, "recurrent_dropout")
        self.seed = seed
        self._seed_generator = None if seed is None else SeedGenerator(seed)
        self._dropout_mask = self._recurrent_dropout_mask = None
        self.output_size = self.units

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

    # ----- states and dropout -----
    def get_initial_state(self, batch_size=None):
        """Zeros, one ``(batch_size, size)`` tensor per state."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [Tensor(xp.zeros((batch_size, n), dtype=self.dtype)) for n in sizes]

    def _mask(self, shape, rate):
        rng = backend.rng() if self._seed_generator is None else self._seed_generator.next()
        keep = rng.random(shape) >= rate
        return (keep / (1.0 - rate)).astype(self.dtype)

    def get_dropout_mask(self, step_input):
        """The input dropout mask of this sequence (drawn at its first step), or None."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._mask(tuple(step_input.shape), self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, state):
        """The recurrent dropout mask of this sequence, or None."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._mask(tuple(state.shape), self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    def _step_arguments(self, inputs, h, training):
        """The (possibly dropped-out) input, the state and the recurrent mask of one step."""
        x = to_tensor(inputs, self.dtype)
        h = to_tensor(h, self.dtype)
        recurrent_mask = None
        if training and self.dropout > 0:
            x = x * self.get_dropout_mask(x)
        if training and self.recurrent_dropout > 0:
            recurrent_mask = self.get_recurrent_dropout_mask(h)
        return x, h, recurrent_mask

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
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
            "seed": self.seed,
        }


def _first(states):
    """Keras cells take the state as a tensor or as a list holding it."""
    return states[0] if isinstance(states, (list, tuple)) else states


class SimpleRNNCell(_Cell):
    """One step of ``SimpleRNN``: ``h = activation(x W + h_prev U + b)``; the output is ``h``.
    ``state_size = units``."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.state_size = self.units

    def call(self, inputs, states, training=False):
        x, h, recurrent_mask = self._step_arguments(inputs, _first(states), training)
        h = ops.simple_rnn_cell(
            x,
            h,
            self.kernel,
            self.recurrent_kernel,
            self.bias,
            activation=self.activation,
            recurrent_mask=recurrent_mask,
        )
        return h, ([h] if isinstance(states, (list, tuple)) else h)


class LSTMCell(_Cell):
    """One step of ``LSTM`` (gates i, f, c, o): states ``[h, c]``, output ``h``.
    ``state_size = [units, units]``; ``unit_forget_bias=True`` starts the forget bias at 1."""

    _gates = 4

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
            recurrent_activation, "LSTMCell", "recurrent_activation"
        )
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def forget_bias_one(shape, dtype=None):
            b = xp.asarray(base((4 * units,), dtype=dtype)).copy()
            b[units : 2 * units] = 1
            return b

        return forget_bias_one

    def call(self, inputs, states, training=False):
        if not isinstance(states, (list, tuple)) or len(states) != 2:
            raise ValueError(f"{self.name} takes the states [h, c], got {states!r:.80}")
        x, h, recurrent_mask = self._step_arguments(inputs, states[0], training)
        h, c = ops.lstm_cell(
            x,
            h,
            to_tensor(states[1], self.dtype),
            self.kernel,
            self.recurrent_kernel,
            self.bias,
            activation=self.activation,
            recurrent_activation=self.recurrent_activation,
            recurrent_mask=recurrent_mask,
        )
        return h, [h, c]

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": self.recurrent_activation,
            "unit_forget_bias": self.unit_forget_bias,
        }


class GRUCell(_Cell):
    """One step of ``GRU`` (gates z, r, h): output and state ``h``; ``state_size = units``.
    ``reset_after=True`` (the default) keeps separate input and recurrent biases, ``bias`` of
    shape ``(2, 3 * units)``."""

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
            recurrent_activation, "GRUCell", "recurrent_activation"
        )
        self.reset_after = bool(reset_after)
        self.state_size = self.units

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        x, h, recurrent_mask = self._step_arguments(inputs, _first(states), training)
        h = ops.gru_cell(
            x,
            h,
            self.kernel,
            self.recurrent_kernel,
            self.bias,
            reset_after=self.reset_after,
            activation=self.activation,
            recurrent_activation=self.recurrent_activation,
            recurrent_mask=recurrent_mask,
        )
        return h, ([h] if isinstance(states, (list, tuple)) else h)

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": self.recurrent_activation,
            "reset_after": self.reset_after,
        }


def _cell_spec(cell):
    return deserialize_layer(cell) if isinstance(cell, dict) else cell


def check_cell(cell, who: str):
    """A cell is anything with ``call(inputs, states)`` and ``state_size`` (Keras's contract)."""
    if not callable(getattr(cell, "call", None)):
        raise ValueError(f"{who} needs cells with a call(inputs, states) method, got {cell!r}")
    if getattr(cell, "state_size", None) is None:
        raise ValueError(
            f"{who} needs cells with a state_size attribute (an int, or a list of ints, one per "
            f"state), got {cell!r}: set self.state_size in the cell's __init__"
        )
    return cell


def call_cell(cell, inputs, states, training):
    """``cell(inputs, states)``, with ``training`` for cells whose call takes it."""
    if isinstance(cell, Layer):
        return cell(inputs, states, training=training)
    return cell.call(inputs, states)


def output_size(cell) -> int:
    """The size of a cell's output: ``output_size``, else its (first) state's size."""
    size = getattr(cell, "output_size", None)
    if size is None:
        size = cell.state_size
        while isinstance(size, (list, tuple)):
            size = size[0]
    return size


class StackedRNNCells(Layer):
    """Cells stacked into one cell: each step feeds the step input to the first cell, each
    cell's output to the next, and returns the last cell's output and every cell's states (a
    list, one entry per cell). ``RNN([cell_a, cell_b])`` builds one.

    >>> import numpy as np
    >>> from lamina.layers import RNN, GRUCell, LSTMCell
    >>> stack = StackedRNNCells([LSTMCell(4), GRUCell(3)])
    >>> stack.state_size, RNN(stack)(np.zeros((2, 5, 6), "float32")).shape
    ([[4, 4], 3], (2, 3))
    """

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells takes a non-empty list of cells, got {cells!r}")
        cells = [check_cell(_cell_spec(c), "StackedRNNCells") for c in cells]
        if kwargs.get("dtype") is None:  # the cells' dtype: calling the stack casts to it
            kwargs["dtype"] = getattr(cells[0], "dtype", None)
        super().__init__(**kwargs)
        self.cells = cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        """Each cell's initial states (zeros where a cell has no ``get_initial_state``)."""
        states = []
        for cell in self.cells:
            make = getattr(cell, "get_initial_state", None)
            if make is not None:
                states.append(make(batch_size=batch_size))
            elif isinstance(cell.state_size, (list, tuple)):
                zeros = [xp.zeros((batch_size, n), self.dtype) for n in cell.state_size]
                states.append([Tensor(z) for z in zeros])
            else:
                states.append(Tensor(xp.zeros((batch_size, cell.state_size), self.dtype)))
        return states

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._maybe_build(shape)
            shape = (shape[0], output_size(cell))

    def call(self, inputs, states, training=False):
        if len(states) != len(self.cells):
            raise ValueError(
                f"{self.name} has {len(self.cells)} cells but got states for {len(states)}"
            )
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            nested = isinstance(cell_states, (list, tuple))
            inputs, cell_states = call_cell(
                cell, inputs, list(cell_states) if nested else [cell_states], training
            )
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            keep_list = nested or len(cell_states) > 1
            new_states.append(list(cell_states) if keep_list else cell_states[0])
        return inputs, new_states

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_size)

    def get_config(self):
        return {**super().get_config(), "cells": [_serialize(c) for c in self.cells]}
