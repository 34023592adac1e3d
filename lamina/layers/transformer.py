"""The Transformer encoder block and positional embeddings, with KerasHub's names and semantics:
``TransformerEncoder``, ``PositionEmbedding``, ``SinePositionEncoding`` and
``TokenAndPositionEmbedding``.

>>> import numpy as np
>>> from lamina.layers.transformer import TokenAndPositionEmbedding, TransformerEncoder
>>> ids = np.array([[5, 9, 2, 0, 0]])
>>> x = TokenAndPositionEmbedding(vocabulary_size=20, sequence_length=8, embedding_dim=16,
...                               mask_zero=True)(ids)
>>> y = TransformerEncoder(intermediate_dim=32, num_heads=4)(x)
>>> from lamina.layers.layer import get_mask
>>> y.shape, get_mask(y).tolist()
((1, 5, 16), [[True, True, True, False, False]])
"""

from __future__ import annotations

from lamina import activations, initializers, ops, regularizers
from lamina.autograd.tensor import Tensor
from lamina.backend import xp
from lamina.layers.attention import MultiHeadAttention, _bool_array
from lamina.layers.dense import Dense
from lamina.layers.dropout import Dropout
from lamina.layers.embedding import Embedding
from lamina.layers.layer import Layer, _serialize
from lamina.layers.normalization import LayerNormalization


class TransformerEncoder(Layer):
    """One encoder block of "Attention Is All You Need": multi-head self-attention
    (``num_heads`` heads of size ``dim // num_heads``), dropout, residual, layer normalization;
    then the feed-forward network ``Dense(intermediate_dim, activation) -> Dense(dim)``,
    dropout, residual, layer normalization. ``normalize_first=True`` (``norm_first`` in
    PyTorch, also accepted here) normalizes the input of each sub-block instead of its output
    (pre-norm, as GPT-2).

    Input ``(batch, time, dim)``; the output has the same shape and carries the input's mask.
    Padded steps are masked as keys: the ``padding_mask`` call argument (``(batch, time)``, True
    = data), else the mask attached to the input (``Embedding(mask_zero=True)``), combined with
    ``attention_mask`` (``(batch, time, time)``) when given, as KerasHub does. The outputs at
    padded steps are computed but meaningless (as PyTorch's ``src_key_padding_mask``).

    Weights: the attention's (``MultiHeadAttention`` layout), the two layer norms', the two
    dense layers'.
    """

    supports_masking = True

    def __init__(
        self,
        intermediate_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        activation="relu",
        layer_norm_epsilon: float = 1e-5,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        normalize_first: bool = False,
        norm_first: bool | None = None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for name, value in (("intermediate_dim", intermediate_dim), ("num_heads", num_heads)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"TransformerEncoder {name} must be a positive integer, got {value!r}"
                )
        if not 0 <= dropout < 1:
            raise ValueError(f"TransformerEncoder dropout must be in [0, 1), got {dropout}")
        if not layer_norm_epsilon > 0:
            raise ValueError(
                f"TransformerEncoder layer_norm_epsilon must be positive, got {layer_norm_epsilon}"
            )
        self.intermediate_dim = intermediate_dim
        self.num_heads = num_heads
        self.dropout = float(dropout)
        self.activation = activations.get(activation)
        self.layer_norm_epsilon = float(layer_norm_epsilon)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.normalize_first = bool(normalize_first if norm_first is None else norm_first)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{self.name} expects (batch, time, features) input with known features, got "
                f"shape {tuple(input_shape)}"
            )
        dim = input_shape[-1]
        if dim % self.num_heads:
            raise ValueError(
                f"{self.name}: the input's last dimension {dim} must be divisible by num_heads="
                f"{self.num_heads} (each head gets dim // num_heads features)"
            )
        common = dict(
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            dtype=self.dtype,
        )
        norm = dict(epsilon=self.layer_norm_epsilon, dtype=self.dtype)
        self._self_attention_layer = MultiHeadAttention(
            self.num_heads,
            dim // self.num_heads,
            dropout=self.dropout,
            name="self_attention_layer",
            **common,
        )
        self._self_attention_layer.build(input_shape, input_shape)
        self._self_attention_layer_norm = LayerNormalization(
            name="self_attention_layer_norm", **norm
        )
        self._self_attention_dropout = Dropout(
            self.dropout, name="self_attention_dropout", dtype=self.dtype
        )
        self._feedforward_layer_norm = LayerNormalization(name="feedforward_layer_norm", **norm)
        self._feedforward_intermediate_dense = Dense(
            self.intermediate_dim,
            activation=self.activation,
            name="feedforward_intermediate_dense",
            **common,
        )
        self._feedforward_output_dense = Dense(dim, name="feedforward_output_dense", **common)
        self._feedforward_dropout = Dropout(
            self.dropout, name="feedforward_dropout", dtype=self.dtype
        )
        if not self.trainable:  # frozen before it was built: freeze the new sublayers too
            self.trainable = False

    def __call__(self, inputs, *args, **kwargs):
        outputs = super().__call__(inputs, *args, **kwargs)
        if isinstance(outputs, tuple):  # (output, scores): the input's mask is the output's only
            outputs[1]._keras_mask = None
        return outputs

    def call(
        self,
        inputs,
        padding_mask=None,
        attention_mask=None,
        training=False,
        return_attention_scores=False,
        mask=None,
    ):
        batch, steps, _ = inputs.shape
        keys = _bool_array(mask if padding_mask is None else padding_mask)
        if keys is not None and keys.shape != (batch, steps):
            raise ValueError(
                f"{self.name}: padding_mask must have shape (batch, time) = {(batch, steps)}, got "
                f"{keys.shape}"
            )
        x = inputs
        residual = x
        if self.normalize_first:
            x = self._self_attention_layer_norm(x)
        # .call, not __call__: only the keys are masked (the masks attached to x would also
        # mask the padded queries)
        attended = self._self_attention_layer.call(
            x,
            x,
            value_mask=keys,
            attention_mask=attention_mask,
            return_attention_scores=return_attention_scores,
            training=training,
        )
        x, scores = attended if return_attention_scores else (attended, None)
        x = self._self_attention_dropout(x, training=training) + residual
        if not self.normalize_first:
            x = self._self_attention_layer_norm(x)

        residual = x
        if self.normalize_first:
            x = self._feedforward_layer_norm(x)
        x = self._feedforward_intermediate_dense(x)
        x = self._feedforward_output_dense(x)
        x = self._feedforward_dropout(x, training=training) + residual
        if not self.normalize_first:
            x = self._feedforward_layer_norm(x)
        return (x, scores) if return_attention_scores else x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "intermediate_dim": self.intermediate_dim,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "activation": activations.serialize(self.activation),
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "kernel_initializer": _serialize(self.kernel_initializer),
            "bias_initializer": _serialize(self.bias_initializer),
            "kernel_regularizer": _serialize(self.kernel_regularizer),
            "bias_regularizer": _serialize(self.bias_regularizer),
            "normalize_first": self.normalize_first,
        }


def _check_length(layer, steps, start_index):
    if start_index < 0 or start_index + steps > layer.sequence_length:
        raise ValueError(
            f"{layer.name} holds {layer.sequence_length} positions, but the input needs positions "
            f"{start_index} to {start_index + steps - 1}: raise sequence_length"
        )


class PositionEmbedding(Layer):
    """A learned embedding per position (KerasHub's ``PositionEmbedding``): for input ``(batch,
    time, dim)`` it returns the first ``time`` rows of its ``(sequence_length, dim)`` table
    (from ``start_index``), broadcast to the input's shape, to be added to the input.
    """

    def __init__(self, sequence_length: int, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(sequence_length, int) or isinstance(sequence_length, bool):
            raise ValueError(
                f"PositionEmbedding sequence_length must be a positive integer, got "
                f"{sequence_length!r}"
            )
        if sequence_length <= 0:
            raise ValueError(
                f"PositionEmbedding sequence_length must be positive, got {sequence_length}"
            )
        self.sequence_length = sequence_length
        self.initializer = initializers.get(initializer)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(
                f"{self.name} expects (batch, time, features) input, got shape {input_shape}"
            )
        self.position_embeddings = self.add_weight(
            shape=(self.sequence_length, input_shape[-1]),
            initializer=self.initializer,
            name="embeddings",
        )

    def call(self, inputs, start_index: int = 0, training=False):
        steps = inputs.shape[-2]
        _check_length(self, steps, start_index)
        table = self.position_embeddings
        if table.shape[1] != inputs.shape[-1]:
            raise ValueError(
                f"{self.name} was built for {table.shape[1]} features, got input of shape "
                f"{inputs.shape}"
            )
        if start_index != 0 or steps != self.sequence_length:
            table = table[start_index : start_index + steps]
        return ops.broadcast_to(table, inputs.shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "sequence_length": self.sequence_length,
            "initializer": _serialize(self.initializer),
        }


class SinePositionEncoding(Layer):
    """The fixed sinusoidal encoding of "Attention Is All You Need" (KerasHub's
    ``SinePositionEncoding``): for input ``(batch, time, dim)`` it returns, broadcast to the
    input's shape, ``pe[t, i] = sin(t w_i)`` for even ``i`` and ``cos(t w_i)`` for odd ``i``,
    with ``w_i = max_wavelength ** (-2 (i // 2) / dim)`` and ``t`` counted from
    ``start_index``. Add it to the input; it has no weights and no gradient.

    >>> import numpy as np
    >>> SinePositionEncoding()(np.zeros((1, 2, 4))).numpy()[0].astype(float).round(3).tolist()
    [[0.0, 1.0, 0.0, 1.0], [0.841, 0.54, 0.01, 1.0]]
    """

    def __init__(self, max_wavelength: float = 10000, **kwargs):
        super().__init__(**kwargs)
        if not max_wavelength > 0:
            raise ValueError(
                f"SinePositionEncoding max_wavelength must be positive, got {max_wavelength}"
            )
        self.max_wavelength = max_wavelength

    def call(self, inputs, start_index: int = 0, training=False):
        steps, dim = inputs.shape[-2], inputs.shape[-1]
        positions = xp.arange(start_index, start_index + steps, dtype="float64")
        exponent = 2 * (xp.arange(dim) // 2) / dim
        angles = positions[:, None] * (float(self.max_wavelength) ** -exponent)[None, :]
        odd = (xp.arange(dim) % 2).astype(bool)
        encoding = xp.where(odd, xp.cos(angles), xp.sin(angles)).astype(self.dtype)
        return Tensor(xp.broadcast_to(encoding, inputs.shape))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "max_wavelength": self.max_wavelength}


class TokenAndPositionEmbedding(Layer):
    """Token ``Embedding(vocabulary_size, embedding_dim)`` plus a learned ``PositionEmbedding``
    (KerasHub's layer): ``(batch, time)`` integer ids -> ``(batch, time, embedding_dim)``.
    With ``mask_zero=True`` id 0 is padding and the output carries the token mask.
    """

    def __init__(
        self,
        vocabulary_size: int,
        sequence_length: int,
        embedding_dim: int,
        embeddings_initializer="uniform",
        mask_zero: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.sequence_length = sequence_length
        self.embedding_dim = embedding_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.token_embedding = Embedding(
            vocabulary_size,
            embedding_dim,
            embeddings_initializer=self.embeddings_initializer,
            mask_zero=mask_zero,
            dtype=self.dtype,
            name="token_embedding",
        )
        self.position_embedding = PositionEmbedding(
            sequence_length,
            initializer=self.embeddings_initializer,
            dtype=self.dtype,
            name="position_embedding",
        )

    def call(self, inputs, start_index: int = 0, training=False):
        tokens = self.token_embedding(inputs)
        return tokens + self.position_embedding(tokens, start_index=start_index)

    def compute_mask(self, inputs, mask=None):
        return self.token_embedding.compute_mask(inputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.embedding_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary_size": self.vocabulary_size,
            "sequence_length": self.sequence_length,
            "embedding_dim": self.embedding_dim,
            "embeddings_initializer": _serialize(self.embeddings_initializer),
            "mask_zero": self.mask_zero,
        }
