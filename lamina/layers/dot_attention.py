"""``Attention``: Keras's dot-product (Luong-style) attention over ``[query, value]`` or
``[query, value, key]``, with its weights, masks and scores; ``AdditiveAttention`` (in
``additive_attention.py``) changes only the score.

>>> import numpy as np
>>> from lamina.layers import Attention
>>> query, value = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
>>> out, scores = Attention()([query, value], return_attention_scores=True)
>>> out.shape, scores.shape, round(float(scores[0, 0, 0]), 3)
((2, 3, 4), (2, 3, 5), 0.2)
"""

from __future__ import annotations

from lamina import ops
from lamina import random as lamina_random
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers.layer import Layer, to_tensor
from lamina.ops.attention import causal_mask

SCORE_MODES = ("dot", "concat")


def _bool(mask):
    if mask is None:
        return None
    m = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
    return m if m.dtype == bool else m.astype(bool)


class Attention(Layer):
    """``softmax(scores(query, key)) @ value`` for ``query (batch, Tq, dim)``, ``value (batch,
    Tv, dim)`` and ``key`` (default ``value``) of the value's length; output ``(batch, Tq,
    value_dim)``.

    Scores (``score_mode``): ``"dot"``: ``query @ key^T``, times the scalar weight ``scale``
    with ``use_scale=True``; ``"concat"``: ``concat_score_weight * sum(tanh(scale * (q_i +
    k_j)))`` over the features (``scale`` only with ``use_scale``). Both weights are scalars
    initialized to 1, as in Keras.

    Call: ``layer([query, value(, key)], mask=[query_mask, value_mask],
    return_attention_scores=False, training=None, use_causal_mask=False)``. Masks (True = data;
    also read from ``Embedding(mask_zero=True)`` outputs): masked values get scores lowered by
    1e9 before the softmax (Keras's rule, so a query whose every value is masked spreads its
    weight evenly in float32), masked queries get zero outputs, and the output carries the query
    mask. ``use_causal_mask`` lets query ``i`` see values ``j <= i``. ``dropout`` drops
    attention weights in training. With ``return_attention_scores=True`` the call returns
    ``(output, weights)``, the weights ``(batch, Tq, Tv)`` after masking, softmax and dropout.
    """

    supports_masking = True

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        who = type(self).__name__
        if score_mode not in SCORE_MODES:
            raise ValueError(f"{who} score_mode must be one of {SCORE_MODES}, got {score_mode!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"{who} dropout must be in [0, 1), got {dropout}")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self._seed_generator = lamina_random.SeedGenerator(seed) if dropout > 0 else None
        self.scale = None
        self.concat_score_weight = None

    # ----- inputs -----
    def _check_inputs(self, inputs, mask=None):
        who = type(self).__name__
        if (
            not isinstance(inputs, (list, tuple))
            or not 2 <= len(inputs) <= 3
            or any(s is None or isinstance(s, int) for s in inputs)  # one tensor's shape
        ):
            raise ValueError(
                f"{who} must be called on a list [query, value] or [query, value, key], got "
                f"{type(inputs).__name__}"
                + (f" of length {len(inputs)}" if isinstance(inputs, (list, tuple)) else "")
            )
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(f"{who} mask must be a list [query_mask, value_mask], got {mask!r}")
        shapes = [tuple(s if isinstance(s, (tuple, list)) else s.shape) for s in inputs]
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) > 2 else value
        for name, shape in (("query", query), ("value", value), ("key", key)):
            if len(shape) != 3:
                raise ValueError(
                    f"{self.name} expects 3-D (batch, time, features) {name}, got shape {shape}"
                )
        if key[1] is not None and value[1] is not None and key[1] != value[1]:
            raise ValueError(
                f"{self.name}: key {key} and value {value} must have the same number of steps"
            )
        if query[-1] != key[-1]:
            raise ValueError(
                f"{self.name}: query {query} and key {key} must have the same last dimension"
            )
        return query, value, key

    def build(self, input_shape):
        self._check_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                shape=(), initializer="ones", name="concat_score_weight"
            )

    # ----- computation -----
    def _calculate_scores(self, query, key):
        """``(batch, Tq, Tv)`` scores of every query against every key."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            return scores if self.scale is None else scores * self.scale
        pairs = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * ops.sum(ops.tanh(pairs), axis=-1)

    def call(
        self,
        inputs,
        mask=None,
        training=False,
        return_attention_scores=False,
        use_causal_mask=False,
    ):
        self._check_inputs(inputs, mask)
        tensors = [to_tensor(t, self.dtype) for t in inputs]
        query, value = tensors[0], tensors[1]
        key = tensors[2] if len(tensors) > 2 else value
        query_mask = _bool(mask[0]) if mask else None
        value_mask = _bool(mask[1]) if mask else None
        batch, tq, tv = query.shape[0], query.shape[1], value.shape[1]
        for name, m, steps in (("query_mask", query_mask, tq), ("value_mask", value_mask, tv)):
            if m is not None and m.shape != (batch, steps):
                raise ValueError(
                    f"{self.name}: {name} must have shape (batch, time) = {(batch, steps)}, got "
                    f"{m.shape}"
                )
        scores = self._calculate_scores(query, key)
        keep = None if value_mask is None else value_mask[:, None, :]
        if use_causal_mask:
            causal = causal_mask(tq, tv)[None]
            keep = causal if keep is None else keep & causal
        if keep is not None:
            # Keras lowers masked scores by a large constant (65504, float16's largest, in
            # float16) rather than to -inf
            big = 65504.0 if scores.dtype == xp.float16 else 1.0e9
            scores = ops.where(keep, scores, scores - big)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = lamina_random.dropout(weights, self.dropout, seed=self._seed_generator)
        output = ops.matmul(weights, value)
        if query_mask is not None:
            output = ops.where(query_mask[:, :, None], output, xp.zeros((), output.dtype))
        if return_attention_scores:
            return output, weights
        return output

    def __call__(self, inputs, *args, return_attention_scores=False, **kwargs):
        outputs = super().__call__(
            inputs, *args, return_attention_scores=return_attention_scores, **kwargs
        )
        if return_attention_scores and isinstance(outputs[1], Tensor):
            outputs[1]._keras_mask = None  # the query's mask belongs to the output only
        return outputs

    def compute_mask(self, inputs, mask=None):
        if not mask or mask[0] is None:
            return None
        return _bool(mask[0])

    def compute_output_shape(self, input_shape):
        query, value = tuple(input_shape[0]), tuple(input_shape[1])
        return (*query[:-1], value[-1])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }
