"""``CategoryEncoding``: integer categories to one-hot, multi-hot or count vectors, and the
encoding shared by the lookup layers and ``Discretization``.

Keras's rules on the input's rank: ``"one_hot"`` encodes every element (a last axis of size 1 is
replaced by the encoding, any other gets a new axis after it); ``"multi_hot"`` and ``"count"``
encode each row of a ``(batch, tokens)`` input into one vector, and a 1-D input is one sample.

>>> from lamina.layers import CategoryEncoding
>>> CategoryEncoding(4, output_mode="one_hot")([3, 0]).tolist()
[[0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]]
>>> CategoryEncoding(4)([[0, 1], [3, 3]]).tolist()  # multi_hot
[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
>>> CategoryEncoding(4, output_mode="count")([[0, 1], [3, 3]]).tolist()
[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0]]
"""

from __future__ import annotations

import numpy as np

from lamina import backend
from lamina.autograd.tensor import Tensor
from lamina.layers import symbolic
from lamina.layers.layer import Layer
from lamina.layers.text_vectorization import _is_int

OUTPUT_MODES = ("one_hot", "multi_hot", "count")


def integer_array(values, who: str) -> np.ndarray:
    """``values`` (an array, tensor or list) as an int64 NumPy array; floats must hold whole
    numbers (a model's inputs arrive as float32)."""
    if isinstance(values, Tensor):
        values = values.data
    array = np.asarray(backend.to_numpy(values))
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all() or (array != np.round(array)).any():
            bad = array[~finite | (array != np.round(array))].ravel()[0]
            raise ValueError(f"{who} expects integer indices, got the value {bad}")
        return array.astype(np.int64)
    if array.dtype.kind not in "iub":
        raise TypeError(f"{who} expects integer indices, got an array of dtype {array.dtype}")
    return array.astype(np.int64)


def encode(indices: np.ndarray, depth: int, output_mode: str, count_weights=None,
           who: str = "CategoryEncoding") -> np.ndarray:  # fmt: skip
    """Encode int ``indices`` in ``[0, depth)`` as float32 vectors of length ``depth`` (Keras's
    rank rules); negative indices are dropped (a lookup's mask token)."""
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        out = np.zeros((*indices.shape, depth), np.float32)
        flat = out.reshape(-1, depth)
        rows = np.flatnonzero(indices.ravel() >= 0)
        flat[rows, indices.ravel()[rows]] = 1.0
        return out
    if indices.ndim > 2:
        raise ValueError(
            f"{who} output_mode={output_mode!r} encodes inputs of rank 1 or 2 (batch, tokens), "
            f"got shape {indices.shape}"
        )
    single = indices.ndim == 1
    samples = indices[None] if single else indices
    out = np.zeros((samples.shape[0], depth), np.float32)
    rows = np.repeat(np.arange(samples.shape[0]), samples.shape[1])
    cols = samples.ravel()
    keep = cols >= 0
    if output_mode == "multi_hot":
        out[rows[keep], cols[keep]] = 1.0
    else:
        weights = np.ones(cols.shape, np.float32)
        if count_weights is not None:
            weights = np.broadcast_to(count_weights, samples.shape).ravel().astype(np.float32)
        np.add.at(out, (rows[keep], cols[keep]), weights[keep])
    return out[0] if single else out


class CategoryEncoding(Layer):
    """Encode integer inputs in ``[0, num_tokens)`` as float32 vectors of length ``num_tokens``:
    ``output_mode`` ``"multi_hot"`` (default: 1 where a category occurs in the sample),
    ``"one_hot"`` (one vector per element) or ``"count"`` (occurrences; ``count_weights=`` in
    the call, of the input's shape, weights them). A value outside the range raises
    ``ValueError``. Float inputs holding whole numbers (a model's inputs) are accepted.
    ``sparse=True`` is not supported (lamina has no sparse tensors).
    """

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot",
                 sparse: bool = False, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        if output_mode == "binary":  # Keras's old name
            output_mode = "multi_hot"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"CategoryEncoding output_mode must be one of {OUTPUT_MODES}, got {output_mode!r}"
            )
        if num_tokens is None or not _is_int(num_tokens) or num_tokens < 1:
            raise ValueError(
                f"CategoryEncoding num_tokens must be a positive integer (the number of "
                f"categories; use IntegerLookup when it is unknown), got {num_tokens!r}"
            )
        if sparse:
            raise ValueError("CategoryEncoding sparse=True is not supported: lamina has no "
                             "sparse tensors")  # fmt: skip
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False
        self.built = True  # no weights

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, (list, tuple)) and not symbolic.is_symbolic(inputs):
            inputs = np.asarray(inputs)  # a list of values, not a list of inputs
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, count_weights=None, training=False):
        indices = integer_array(inputs, self.name)
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_tokens):
            bad = indices[(indices < 0) | (indices >= self.num_tokens)].ravel()[0]
            raise ValueError(
                f"{self.name} got the value {bad} but num_tokens={self.num_tokens}: inputs must "
                f"be integers in [0, {self.num_tokens})"
            )
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    f"{self.name}: count_weights applies to output_mode='count' only, got "
                    f"output_mode={self.output_mode!r}"
                )
            count_weights = backend.to_numpy(
                count_weights.data if isinstance(count_weights, Tensor) else count_weights
            )
        return Tensor(encode(indices, self.num_tokens, self.output_mode, count_weights, self.name))

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.num_tokens, self.output_mode)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }


def encoded_shape(input_shape, depth, output_mode):
    """The shape ``encode`` gives for inputs of ``input_shape`` (``"int"``: unchanged)."""
    shape = tuple(input_shape)
    if output_mode == "int":
        return shape
    if not shape:
        return (depth,)
    if output_mode == "one_hot":
        return (*shape[:-1], depth) if len(shape) > 1 and shape[-1] == 1 else (*shape, depth)
    return (*shape[:-1], depth)
