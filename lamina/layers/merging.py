"""Merge layers, as in Keras: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``,
``Minimum``, ``Concatenate`` and ``Dot``, each called on a list of tensors, and their functional
forms ``add``, ``subtract``, ... (``add(inputs)`` is ``Add()(inputs)``).

>>> import numpy as np
>>> from lamina.layers.merging import Add, Concatenate, Dot, average
>>> a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
>>> Add()([a, b]).tolist()
[[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]
>>> Concatenate()([a, b]).shape, Dot(axes=1)([a, b]).tolist()
((2, 6), [[6.0], [6.0]])
>>> average([a, b]).tolist()[0]
[1.5, 1.5, 1.5]
"""

from __future__ import annotations

import functools
import math

from lamina import ops
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers.layer import Layer, to_tensor


def _is_shape(s) -> bool:
    return isinstance(s, (list, tuple)) and all(d is None or isinstance(d, int) for d in s)


def _mask_array(m):
    return xp.asarray(m.data if isinstance(m, Tensor) else m, dtype=bool)


class _Merge(Layer):
    """Base of the merge layers: checks that it gets a list of tensors with compatible shapes,
    then combines them with ``_merge_function``. The elementwise merges broadcast as Keras does:
    batch sizes must be equal; a lower-rank input gets size-1 axes after its batch axis, then
    the other axes broadcast as in NumPy. The output mask is the AND of the input masks."""

    supports_masking = True
    _exact_inputs: int | None = None  # Subtract and Dot take exactly 2 inputs

    def _merge_function(self, inputs):
        raise NotImplementedError

    def _check_count(self, input_shape) -> list:
        """The list of input shapes, or a ValueError saying why it is not one."""
        name = type(self).__name__
        if not isinstance(input_shape, (list, tuple)) or (input_shape and _is_shape(input_shape)):
            self._not_a_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        if self._exact_inputs is not None and len(shapes) != self._exact_inputs:
            raise ValueError(
                f"{name} must be called on exactly {self._exact_inputs} inputs, got {len(shapes)}"
            )
        if len(shapes) < 2:
            raise ValueError(
                f"{name} must be called on a list of at least 2 inputs, got {len(shapes)}"
            )
        if any(len(s) == 0 for s in shapes):
            raise ValueError(f"{name} inputs need a batch axis, got shapes {shapes}")
        return shapes

    def _not_a_list(self, inputs):
        what = (
            f"a single tensor of shape {tuple(inputs)}"
            if _is_shape(inputs)
            else f"{type(inputs).__name__}"
        )
        raise ValueError(
            f"{type(self).__name__} must be called on a list of tensors, got {what}: "
            "pass [x1, x2, ...]"
        )

    def _merged_shape(self, shapes):
        """Keras's elementwise output shape (``None`` for unknown sizes), checking the shapes."""
        name = type(self).__name__
        batch = {s[0] for s in shapes} - {None}
        if len(batch) > 1:
            raise ValueError(f"{name} inputs must have the same batch size, got shapes {shapes}")
        out: tuple = ()
        for shape in shapes:
            a, b = out, shape[1:]
            if len(a) < len(b):
                a, b = b, a
            b = (1,) * (len(a) - len(b)) + b
            merged = []
            for i, j in zip(a, b):
                if i == 1:
                    merged.append(j)
                elif j == 1:
                    merged.append(i)
                elif i is None or j is None:
                    merged.append(j if i is None else i)
                elif i != j:
                    raise ValueError(
                        f"{name} cannot broadcast inputs of shapes {shapes}: apart from the "
                        "batch axis, sizes must be equal or 1 (aligned from the last axis)"
                    )
                else:
                    merged.append(i)
            out = tuple(merged)
        return (next(iter(batch), None), *out)

    def build(self, input_shape):
        self._merged_shape(self._check_count(input_shape))

    def compute_output_shape(self, input_shape):
        return self._merged_shape(self._check_count(input_shape))

    def _tensors(self, inputs) -> list:
        if not isinstance(inputs, (list, tuple)):
            self._not_a_list(tuple(inputs.shape) if hasattr(inputs, "shape") else inputs)
        tensors = [to_tensor(x, self.dtype) for x in inputs]
        self._merged_shape(self._check_count([t.shape for t in tensors]))
        return tensors

    def call(self, inputs, training=False):
        tensors = self._tensors(inputs)
        rank = max(t.ndim for t in tensors)
        # Keras inserts the missing axes right after the batch axis
        tensors = [
            t
            if t.ndim == rank
            else ops.reshape(t, (t.shape[0],) + (1,) * (rank - t.ndim) + t.shape[1:])
            for t in tensors
        ]
        return self._merge_function(tensors)

    def _input_masks(self, inputs, mask):
        """The masks as a list (one per input, None where unmasked), or None when none is set."""
        if mask is None:
            return None
        n = len(inputs) if isinstance(inputs, (list, tuple)) else 1
        if not isinstance(mask, (list, tuple)) or len(mask) != n:
            raise ValueError(
                f"{type(self).__name__} needs a list of {n} masks (None for an unmasked input), "
                f"got {mask!r}"
            )
        return None if all(m is None for m in mask) else list(mask)

    def compute_mask(self, inputs, mask=None):
        masks = self._input_masks(inputs, mask)
        if masks is None:
            return None
        return functools.reduce(xp.logical_and, [_mask_array(m) for m in masks if m is not None])


class Add(_Merge):
    """Elementwise sum of a list of tensors."""

    def _merge_function(self, inputs):
        return functools.reduce(ops.add, inputs)


class Subtract(_Merge):
    """``inputs[0] - inputs[1]``; exactly 2 inputs."""

    _exact_inputs = 2

    def _merge_function(self, inputs):
        return ops.sub(inputs[0], inputs[1])


class Multiply(_Merge):
    """Elementwise product of a list of tensors."""

    def _merge_function(self, inputs):
        return functools.reduce(ops.mul, inputs)


class Average(_Merge):
    """Elementwise mean of a list of tensors."""

    def _merge_function(self, inputs):
        return ops.div(functools.reduce(ops.add, inputs), float(len(inputs)))


class Maximum(_Merge):
    """Elementwise maximum of a list of tensors."""

    def _merge_function(self, inputs):
        return functools.reduce(ops.maximum, inputs)


class Minimum(_Merge):
    """Elementwise minimum of a list of tensors."""

    def _merge_function(self, inputs):
        return functools.reduce(ops.minimum, inputs)


class Concatenate(_Merge):
    """Join a list of tensors along ``axis``; the other axes must match.

    Masks: concatenated along the time axis when ``axis`` is 1 on inputs of rank 3 or more
    (an unmasked input counts as all True), otherwise the AND of the input masks.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"Concatenate axis must be an integer, got {axis!r}")
        self.axis = axis

    def _merged_shape(self, shapes):
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            raise ValueError(
                f"Concatenate(axis={self.axis}) needs inputs of one rank that have that axis, "
                f"got shapes {shapes}"
            )
        axis = self.axis % rank
        out = []
        for i, sizes in enumerate(zip(*shapes)):
            known = {d for d in sizes if d is not None}
            if i == axis:
                out.append(None if None in sizes else sum(sizes))
            elif len(known) > 1:
                raise ValueError(
                    f"Concatenate(axis={self.axis}) needs inputs whose shapes match except along "
                    f"the concatenation axis, got shapes {shapes}"
                )
            else:
                out.append(next(iter(known), None))
        return tuple(out)

    def call(self, inputs, training=False):
        return ops.concatenate(self._tensors(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        masks = self._input_masks(inputs, mask)
        if masks is None:
            return None
        shapes = [tuple(x.shape) for x in inputs]
        rank = len(shapes[0])
        if rank >= 3 and self.axis % rank == 1:
            full = [
                xp.ones(s[:2], dtype=bool) if m is None else _mask_array(m)
                for s, m in zip(shapes, masks)
            ]
            return xp.concatenate(full, axis=1)
        return super().compute_mask(inputs, mask)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _l2_normalize(x, axis, epsilon=1e-12):
    """``x / sqrt(max(sum(x**2, axis), epsilon))``, as ``tf.math.l2_normalize``."""
    square_sum = ops.sum(ops.mul(x, x), axis=axis, keepdims=True)
    return ops.div(x, ops.sqrt(ops.maximum(square_sum, epsilon)))


def _batch_dot(x, y, axes):
    """Keras's ``batch_dot``: for each sample, contract axis ``axes[0]`` of ``x`` with axis
    ``axes[1]`` of ``y``; the output has the remaining axes of ``x``, then those of ``y``
    (at least 2 axes in all)."""
    ax, ay = axes
    rest_x = [i for i in range(1, x.ndim) if i != ax]
    rest_y = [i for i in range(1, y.ndim) if i != ay]
    sizes_x = [x.shape[i] for i in rest_x]
    sizes_y = [y.shape[i] for i in rest_y]
    batch = x.shape[0]
    perm_x, perm_y = (0, *rest_x, ax), (0, ay, *rest_y)
    if perm_x != tuple(range(x.ndim)):
        x = ops.transpose(x, perm_x)
    if perm_y != tuple(range(y.ndim)):
        y = ops.transpose(y, perm_y)
    x = ops.reshape(x, (batch, math.prod(sizes_x), x.shape[-1]))
    y = ops.reshape(y, (batch, y.shape[1], math.prod(sizes_y)))
    out_shape = (batch, *sizes_x, *sizes_y)
    return ops.reshape(ops.matmul(x, y), out_shape if len(out_shape) > 1 else (batch, 1))


class Dot(_Merge):
    """Batched dot product of 2 tensors along ``axes`` (an int for both, or a pair), as Keras's
    ``Dot``: ``(batch, n) . (batch, n)`` with ``axes=1`` gives ``(batch, 1)``;
    ``(batch, n, d) . (batch, m, d)`` with ``axes=(2, 2)`` gives ``(batch, n, m)``.
    ``normalize=True`` L2-normalizes both inputs along their dot axes first, so the output is
    the cosine similarity. The output has no mask.
    """

    _exact_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Dot axes must be an int or a pair of ints, got {axes!r}")
            axes = [int(axes[0]), int(axes[1])]
        elif not isinstance(axes, int) or isinstance(axes, bool):
            raise ValueError(f"Dot axes must be an int or a pair of ints, got {axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes_for(self, shapes):
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        axes = []
        for shape, axis in zip(shapes, pair):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"Dot axes {self.axes} out of range for input shapes {shapes}")
            axes.append(axis % len(shape))
        if 0 in axes:
            raise ValueError(
                f"Dot cannot contract the batch axis 0 (axes={self.axes}, shapes {shapes}): "
                "add a batch axis to unbatched inputs"
            )
        return axes

    def _merged_shape(self, shapes):
        (s1, s2), axes = shapes, self._axes_for(shapes)
        if s1[0] is not None and s2[0] is not None and s1[0] != s2[0]:
            raise ValueError(f"Dot inputs must have the same batch size, got shapes {shapes}")
        d1, d2 = s1[axes[0]], s2[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"Dot axes {self.axes}: size {d1} (axis {axes[0]} of {s1}) != size {d2} "
                f"(axis {axes[1]} of {s2})"
            )
        out = [d for i, d in enumerate(s1) if i != axes[0]]
        out += [d for i, d in enumerate(s2) if i not in (0, axes[1])]
        return tuple(out) if len(out) > 1 else (*out, 1)

    def call(self, inputs, training=False):
        x, y = self._tensors(inputs)
        axes = self._axes_for([x.shape, y.shape])
        if self.normalize:
            x, y = _l2_normalize(x, axes[0]), _l2_normalize(y, axes[1])
        return _batch_dot(x, y, axes)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the elementwise sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: ``inputs[0] - inputs[1]``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the elementwise product of a list of tensors."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the elementwise mean of a list of tensors."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the elementwise maximum of a list of tensors."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the elementwise minimum of a list of tensors."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``: join a list of tensors along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``: the batched dot product of 2 tensors."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
