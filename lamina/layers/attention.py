"""``MultiHeadAttention``: Keras's multi-head attention layer, with its weights, call signature
and masking rules.

>>> import numpy as np
>>> from lamina.layers.attention import MultiHeadAttention
>>> mha = MultiHeadAttention(num_heads=2, key_dim=4)
>>> query, value = np.ones((3, 5, 8)), np.ones((3, 7, 8))
>>> out, scores = mha(query, value, return_attention_scores=True)
>>> out.shape, scores.shape, mha.query_kernel.shape, mha.output_kernel.shape
((3, 5, 8), (3, 2, 5, 7), (8, 2, 4), (2, 4, 8))
"""

from __future__ import annotations

import math

from lamina import initializers, ops, regularizers
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers import symbolic
from lamina.layers.layer import Layer, _serialize, get_mask, to_tensor
from lamina.ops.attention import causal_mask, scaled_dot_product_attention


def _positive_int(value, what):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"MultiHeadAttention {what} must be a positive integer, got {value!r}")
    return value


def _bool_array(mask):
    if mask is None:
        return None
    m = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
    return m if m.dtype == bool else m.astype(bool)


class MultiHeadAttention(Layer):
    """``num_heads`` attention heads, each projecting the query and key to ``key_dim`` and the
    value to ``value_dim`` (default ``key_dim``), attending with
    ``scaled_dot_product_attention``, then projecting the concatenated heads back to the
    query's last dimension (or ``output_shape``).

    Call: ``mha(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)``
    with ``query (batch, Tq, dim)``, ``value (batch, Tk, dim)`` and ``key`` (default ``value``)
    of the value's length. As in Keras, the masks attached to ``query``/``value``/``key`` (e.g.
    by ``Embedding(mask_zero=True)``) or given as ``*_mask`` arguments, the causal mask and
    ``attention_mask`` (``(batch, Tq, Tk)``, True = attend) are combined with ``and``; a query
    whose every key is masked gets zero attention output. Returns ``(batch, Tq, dim)`` carrying
    the query's mask, and with ``return_attention_scores=True`` also the attention weights
    ``(batch, num_heads, Tq, Tk)`` (outside the graph).

    Weights, laid out as Keras's: ``query_kernel (dim, num_heads, key_dim)``, ``query_bias
    (num_heads, key_dim)``, the same for ``key`` and ``value`` (with ``value_dim``), then
    ``output_kernel (num_heads, value_dim, out)`` and ``output_bias (out,)``. Only 3-D inputs
    and attention over the time axis (``attention_axes=None``) are supported.
    """

    supports_masking = True

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape=None,
        attention_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.num_heads = _positive_int(num_heads, "num_heads")
        self.key_dim = _positive_int(key_dim, "key_dim")
        self.value_dim = (
            self.key_dim if value_dim is None else _positive_int(value_dim, "value_dim")
        )
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiHeadAttention dropout must be in [0, 1), got {dropout}")
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        if output_shape is not None:
            shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
            for n in shape:
                _positive_int(n, "output_shape entries")
            output_shape = shape
        self._output_shape = output_shape
        if attention_axes is not None:
            axes = (attention_axes,) if isinstance(attention_axes, int) else tuple(attention_axes)
            if axes not in ((1,), (-2,)):
                raise NotImplementedError(
                    f"MultiHeadAttention supports attention over the time axis of 3-D inputs only "
                    f"(attention_axes=None or (1,)), got attention_axes={attention_axes!r}"
                )
        self.attention_axes = attention_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.seed = seed

    # ----- weights -----
    def _kernel(self, shape, name):
        return self.add_weight(
            shape=shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name=name,
        )

    def _bias(self, shape, name):
        if not self.use_bias:
            return None
        return self.add_weight(
            shape=shape,
            initializer=self.bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
            name=name,
        )

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the weights for inputs of these shapes (``value_shape`` defaults to the
        query's, ``key_shape`` to the value's)."""
        value_shape = tuple(query_shape if value_shape is None else value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        query_shape = tuple(query_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        heads, dk, dv = self.num_heads, self.key_dim, self.value_dim
        self._query_dim, self._key_dim_in, self._value_dim_in = (
            query_shape[-1],
            key_shape[-1],
            value_shape[-1],
        )
        out = self._output_shape or (query_shape[-1],)
        self.query_kernel = self._kernel((query_shape[-1], heads, dk), "query_kernel")
        self.query_bias = self._bias((heads, dk), "query_bias")
        self.key_kernel = self._kernel((key_shape[-1], heads, dk), "key_kernel")
        self.key_bias = self._bias((heads, dk), "key_bias")
        self.value_kernel = self._kernel((value_shape[-1], heads, dv), "value_kernel")
        self.value_bias = self._bias((heads, dv), "value_bias")
        self.output_kernel = self._kernel((heads, dv, *out), "output_kernel")
        self.output_bias = self._bias(out, "output_bias")
        self.built = True
        self._build_input_shape = query_shape

    def _check_shapes(self, query_shape, value_shape, key_shape):
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise ValueError(
                    f"{self.name} expects 3-D (batch, time, features) {name}, got shape {shape}"
                )
        if value_shape[:-1] != key_shape[:-1]:
            raise ValueError(
                f"{self.name}: value {value_shape} and key {key_shape} must agree on every axis "
                "but the last"
            )
        if self._output_shape is None and query_shape[-1] != value_shape[-1]:
            raise ValueError(
                f"{self.name}: query has last dimension {query_shape[-1]} but value has "
                f"{value_shape[-1]}; give them the same size, or pass output_shape= to choose "
                "the output's last dimension"
            )

    # ----- calling -----
    def __call__(
        self,
        query,
        value=None,
        key=None,
        *,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores: bool = False,
        training=None,
        use_causal_mask: bool = False,
        **kwargs,
    ):
        if value is None:
            raise TypeError(
                f"{self.name} needs a value: call mha(query, value) (mha(x, x) for self-attention)"
            )
        if symbolic.is_symbolic((query, value, key)):  # functional API: Layer's symbolic call
            options = dict(query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
                           attention_mask=attention_mask, training=training)  # fmt: skip
            options = {k: v for k, v in options.items() if v is not None}
            if return_attention_scores:
                options["return_attention_scores"] = True
            if use_causal_mask:
                options["use_causal_mask"] = True
            args = (value,) if key is None else (value, key)
            return super().__call__(query, *args, **options, **kwargs)
        # Keras reads the masks attached to query, value and key before they become inputs.
        query_mask = get_mask(query) if query_mask is None else query_mask
        value_mask = get_mask(value) if value_mask is None else value_mask
        same_key = key is None or key is value
        if not same_key and key_mask is None:
            key_mask = get_mask(key)
        query, value = to_tensor(query, self.dtype), to_tensor(value, self.dtype)
        key = value if same_key else to_tensor(key, self.dtype)
        if not self.built:
            self.build(query.shape, value.shape, key.shape)
        outputs = super().__call__(
            query,
            value,
            key,
            query_mask=query_mask,
            value_mask=value_mask,
            key_mask=key_mask,
            attention_mask=attention_mask,
            return_attention_scores=return_attention_scores,
            training=training,
            use_causal_mask=use_causal_mask,
            mask=None if query_mask is None else _bool_array(query_mask),
            **kwargs,
        )
        if return_attention_scores:
            outputs[1]._keras_mask = None  # the query's mask belongs to the output only
        return outputs

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=False,
        use_causal_mask=False,
    ):
        key = value if key is None else key
        self._check_shapes(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        for name, shape, expected in (
            ("query", query.shape, self._query_dim),
            ("key", key.shape, self._key_dim_in),
            ("value", value.shape, self._value_dim_in),
        ):
            if shape[-1] != expected:
                raise ValueError(
                    f"{self.name} was built for {name} with last dimension {expected}, got shape "
                    f"{shape}"
                )
        batch, tq = query.shape[0], query.shape[1]
        tk = key.shape[1]
        heads, dk, dv = self.num_heads, self.key_dim, self.value_dim
        q = self._project(query, self.query_kernel, self.query_bias, heads * dk)
        k = self._project(key, self.key_kernel, self.key_bias, heads * dk)
        v = self._project(value, self.value_kernel, self.value_bias, heads * dv)
        # (batch, T, heads * d) -> (batch, heads, T, d): views, no copies
        q = ops.transpose(ops.reshape(q, (batch, tq, heads, dk)), (0, 2, 1, 3))
        k = ops.transpose(ops.reshape(k, (batch, tk, heads, dk)), (0, 2, 1, 3))
        v = ops.transpose(ops.reshape(v, (batch, tk, heads, dv)), (0, 2, 1, 3))
        mask = self._attention_mask(
            batch, tq, tk, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
        )
        result = scaled_dot_product_attention(
            q,
            k,
            v,
            None if mask is None else mask[:, None],
            scale=1.0 / math.sqrt(dk),
            dropout_rate=self.dropout,
            training=training,
            return_scores=return_attention_scores,
        )
        out, scores = result if return_attention_scores else (result, None)
        out = ops.reshape(ops.transpose(out, (0, 2, 1, 3)), (batch, tq, heads * dv))
        units = self.output_kernel.shape[2:]
        size = math.prod(units)
        bias = None if self.output_bias is None else ops.reshape(self.output_bias, (size,))
        out = ops.linear(out, ops.reshape(self.output_kernel, (heads * dv, size)), bias)
        if len(units) != 1:
            out = ops.reshape(out, (batch, tq, *units))
        return (out, scores) if return_attention_scores else out

    @staticmethod
    def _project(x, kernel, bias, size):
        kernel = ops.reshape(kernel, (kernel.shape[0], size))
        return ops.linear(x, kernel, None if bias is None else ops.reshape(bias, (size,)))

    def _attention_mask(
        self, batch, tq, tk, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
    ):
        """The ``(batch, Tq, Tk)`` boolean mask that Keras's ``_compute_attention_mask`` forms,
        or None when nothing is masked."""
        mask = None
        for name, m, length, expand in (
            ("query_mask", query_mask, tq, -1),
            ("value_mask", value_mask, tk, -2),
            ("key_mask", key_mask, tk, -2),
        ):
            m = _bool_array(m)
            if m is None:
                continue
            if m.shape != (batch, length):
                raise ValueError(
                    f"{self.name}: {name} must have shape (batch, time) = {(batch, length)}, got "
                    f"{m.shape}"
                )
            m = xp.expand_dims(m, expand)
            mask = m if mask is None else mask & m
        if use_causal_mask:
            m = causal_mask(tq, tk)[None]
            mask = m if mask is None else mask & m
        m = _bool_array(attention_mask)
        if m is not None:
            if m.ndim not in (2, 3) or any(
                a not in (1, b) for a, b in zip(m.shape[::-1], (tk, tq, batch))
            ):
                raise ValueError(
                    f"{self.name}: attention_mask must have shape (batch, Tq, Tk) = "
                    f"{(batch, tq, tk)} (or broadcast to it), got {m.shape}"
                )
            mask = m if mask is None else mask & m
        if mask is not None and mask.ndim == 2:
            mask = mask[None]
        return mask

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if self._output_shape is not None:
            return (*query_shape[:-1], *self._output_shape)
        return query_shape

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": None if self._output_shape is None else list(self._output_shape),
            "attention_axes": self.attention_axes,
            "kernel_initializer": _serialize(self.kernel_initializer),
            "bias_initializer": _serialize(self.bias_initializer),
            "kernel_regularizer": _serialize(self.kernel_regularizer),
            "bias_regularizer": _serialize(self.bias_regularizer),
            "seed": self.seed,
        }
