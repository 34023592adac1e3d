"""``RNN``: Keras's generic recurrent layer, running any cell over ``(batch, time, ...)``.

A cell is a layer (or any object) with ``state_size`` (an int, or a list of ints, one per
state) and ``call(inputs, states) -> (output, new_states)``: the built-in ``SimpleRNNCell``,
``LSTMCell``, ``GRUCell``, ``StackedRNNCells`` (``RNN([cell, cell])`` stacks them), or one of
your own, as in the Keras RNN guide. The loop over time steps is Python: ``SimpleRNN``,
``LSTM`` and ``GRU`` run the same cells as one fused op and are the fast path.

>>> import numpy as np
>>> from lamina import ops
>>> from lamina.layers import RNN, Layer
>>> class MinimalRNNCell(Layer):
...     def __init__(self, units, **kwargs):
...         super().__init__(**kwargs)
...         self.units = units
...         self.state_size = units
...     def build(self, input_shape):
...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
...         self.recurrent_kernel = self.add_weight(
...             shape=(self.units, self.units), name="recurrent_kernel")
...     def call(self, inputs, states):
...         output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
...         return output, [output]
>>> layer = RNN(MinimalRNNCell(32), return_sequences=True)
>>> layer(np.zeros((4, 10, 5), "float32")).shape
(4, 10, 32)
"""

from __future__ import annotations

from lamina import ops
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers.layer import Layer, _serialize, deserialize_layer, to_tensor
from lamina.layers.rnn_cells import StackedRNNCells, call_cell, check_cell, output_size


def _flatten(structure) -> list:
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in _flatten(item)]
    return [structure]


def _pack(structure, flat: list):
    """``flat`` (consumed from the front) in the nesting of ``structure``."""
    if isinstance(structure, (list, tuple)):
        return [_pack(item, flat) for item in structure]
    return flat.pop(0)


def _as_list(states) -> list:
    return list(states) if isinstance(states, (list, tuple)) else [states]


def _reset_dropout_masks(cell) -> None:
    for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
        if hasattr(cell, reset):
            getattr(cell, reset)()
    for inner in getattr(cell, "cells", ()):
        _reset_dropout_masks(inner)


class RNN(Layer):
    """Run ``cell`` over the time axis of ``(batch, time, features)`` (or more axes after
    time, for cells that take them) and return its last output ``(batch, output_size)``, or
    with ``return_sequences`` every output ``(batch, time, output_size)``.

    ``return_state`` appends the final states (``[output, *states]``; one list per cell for
    stacked cells). ``go_backwards`` reads the sequence from its end (the returned sequence
    stays in that order, as in Keras). ``stateful`` carries the final states into the next
    call (``reset_states()`` forgets them). ``initial_state=`` (a tensor or list of them, as
    ``get_initial_state`` lays them out) replaces the zeros, or whatever the cell's
    ``get_initial_state(batch_size)`` gives. A mask (``Embedding(mask_zero=True)``, or
    ``mask=``) skips steps: there the states are carried over and the output repeats the last
    one (zeros with ``zero_output_for_mask``). ``training`` reaches cells whose ``call`` takes
    it (their dropout). ``unroll`` is accepted for Keras compatibility: the loop is always a
    Python loop.
    """

    supports_masking = True

    def __init__(
        self,
        cell,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs,
    ):
        if isinstance(cell, dict):
            cell = deserialize_layer(cell)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        check_cell(cell, "RNN")
        size = cell.state_size
        if not isinstance(size, (int, list, tuple)) or isinstance(size, bool):
            raise ValueError(
                f"RNN: the cell's state_size must be an int or a list of ints (one per state), "
                f"got {size!r}"
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None

    @property
    def state_size(self) -> list:
        """The cell's state sizes as a list (one entry per state, or per cell when stacked)."""
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    @property
    def _state_count(self) -> int:
        return len(self.state_size)

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(
                f"{self.name} expects input of shape (batch, time, features), got shape "
                f"{tuple(input_shape)}"
            )
        if isinstance(self.cell, Layer):
            self.cell._maybe_build((input_shape[0], *input_shape[2:]))

    def get_initial_state(self, batch_size):
        """The states a sequence starts from: the cell's ``get_initial_state``, else zeros."""
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            return _as_list(make(batch_size=batch_size))
        return [Tensor(xp.zeros((batch_size, n), dtype=self.dtype)) for n in self.state_size]

    def _initial_states(self, initial_state, batch):
        if initial_state is None and self.stateful and self.states is not None:
            initial_state = self.states
        default = self.get_initial_state(batch)
        if initial_state is None:
            return default
        states = _as_list(initial_state)
        expected = len(_flatten(default))
        if len(_flatten(states)) != expected:
            raise ValueError(
                f"{self.name} takes {expected} initial state tensor(s) (state_size "
                f"{self.cell.state_size}), got {len(_flatten(states))}"
            )
        flat = [to_tensor(s, self.dtype) for s in _flatten(states)]
        for s, d in zip(flat, _flatten(default)):
            if tuple(s.shape) != tuple(d.shape):
                raise ValueError(
                    f"{self.name} initial state must have shape {tuple(d.shape)}, got "
                    f"{tuple(s.shape)}"
                )
        return _pack(default, flat)  # a flat list for stacked cells is accepted too

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if sequences.ndim < 3:
            raise ValueError(
                f"{self.name} expects input of shape (batch, time, features), got shape "
                f"{sequences.shape}"
            )
        batch, steps = sequences.shape[0], sequences.shape[1]
        states = self._initial_states(initial_state, batch)
        if mask is not None:
            mask = xp.asarray(mask.data if isinstance(mask, Tensor) else mask, dtype=bool)
            if mask.shape != (batch, steps):
                raise ValueError(
                    f"{self.name}: mask must have shape (batch, time) = {(batch, steps)}, got "
                    f"{mask.shape}"
                )
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        _reset_dropout_masks(self.cell)
        outputs, output = [], None
        try:
            for t in order:
                step_output, new_states = call_cell(self.cell, sequences[:, t], states, training)
                new_states = _as_list(new_states)
                if mask is not None:
                    step_output, new_states = self._masked(
                        mask[:, t], step_output, output, new_states, states
                    )
                output, states = step_output, new_states
                if self.return_sequences:
                    outputs.append(output)
        finally:
            _reset_dropout_masks(self.cell)
        if self.stateful:
            self.states = _pack(states, [Tensor(s.data.copy()) for s in _flatten(states)])
        result = ops.stack(outputs, axis=1) if self.return_sequences else output
        if self.return_state:
            return [result, *states]
        return result

    def _masked(self, keep, output, previous_output, new_states, states):
        """Where ``keep`` is False: the previous states, and the previous output (zeros at the
        first step, or always with ``zero_output_for_mask``)."""

        def select(new, old):
            cond = keep.reshape((-1,) + (1,) * (new.ndim - 1))
            return ops.where(cond, new, old)

        if previous_output is None or self.zero_output_for_mask:
            previous_output = xp.zeros(output.shape, dtype=output.dtype)
        flat = [select(n, o) for n, o in zip(_flatten(new_states), _flatten(states))]
        return select(output, previous_output), _pack(new_states, flat)

    def reset_states(self, states=None):
        """Forget (or set) the states a ``stateful`` layer carries from batch to batch."""
        if states is None:
            self.states = None
        else:
            states = _as_list(states)
            flat = [to_tensor(s, self.dtype) for s in _flatten(states)]
            self.states = _pack(states, flat)

    reset_state = reset_states

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        size = output_size(self.cell)
        output = (batch, steps, size) if self.return_sequences else (batch, size)
        if not self.return_state:
            return output

        def shapes(sizes):
            if isinstance(sizes, (list, tuple)):
                return [shapes(s) for s in sizes]
            return (batch, sizes)

        return [output, *shapes(self.state_size)]

    def get_config(self):
        return {
            **super().get_config(),
            "cell": _serialize(self.cell),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
