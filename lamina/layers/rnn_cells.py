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

from lamina import backend, ops
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers.layer import Layer, _serialize, deserialize_layer, to_tensor
from lamina.layers.recurrent import _GRUGates, _LSTMGates, _RecurrentBase
from lamina.random import SeedGenerator


class _Cell(_RecurrentBase):
    """What the three cells share: initial states and the dropout masks (the arguments, the
    weights and their config are ``_RecurrentBase``'s, shared with the fused layers).

    As Keras's ``DropoutRNNCell``, a mask is drawn at the first step of a sequence and reused at
    every step until ``reset_dropout_mask()``/``reset_recurrent_dropout_mask()`` (which ``RNN``
    calls around each sequence). ``dropout`` scales the step input, ``recurrent_dropout`` the
    previous state inside the recurrent matmul; one mask serves all gates.
    """

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self._seed_generator = None if self.seed is None else SeedGenerator(self.seed)
        self._dropout_mask = self._recurrent_dropout_mask = None
        self.output_size = self.units
        self.state_size = [self.units] * self._state_count if self._state_count > 1 else self.units

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
        return {**super().get_config(), "seed": self.seed}


def _first(states):
    """Keras cells take the state as a tensor or as a list holding it."""
    return states[0] if isinstance(states, (list, tuple)) else states


class SimpleRNNCell(_Cell):
    """One step of ``SimpleRNN``: ``h = activation(x W + h_prev U + b)``; the output is ``h``.
    ``state_size = units``."""

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


class LSTMCell(_LSTMGates, _Cell):
    """One step of ``LSTM`` (gates i, f, c, o): states ``[h, c]``, output ``h``.
    ``state_size = [units, units]``; ``unit_forget_bias=True`` starts the forget bias at 1."""

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


class GRUCell(_GRUGates, _Cell):
    """One step of ``GRU`` (gates z, r, h): output and state ``h``; ``state_size = units``.
    ``reset_after=True`` (the default) keeps separate input and recurrent biases, ``bias`` of
    shape ``(2, 3 * units)``."""

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
