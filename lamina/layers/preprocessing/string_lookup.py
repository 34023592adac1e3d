"""``StringLookup``: strings to vocabulary indices (or one-hot, multi-hot, count, TF-IDF
vectors), and back with ``invert=True``.

>>> from lamina.layers import StringLookup
>>> layer = StringLookup(vocabulary=["a", "b", "c", "d"])
>>> layer([["a", "c", "d"], ["d", "z", "b"]]).tolist()  # 0: out of vocabulary
[[1, 3, 4], [4, 0, 2]]
>>> StringLookup(vocabulary=["a", "b", "c", "d"], invert=True)([[1, 3, 0]]).tolist()
[['a', 'c', '[UNK]']]
"""

from __future__ import annotations

import zlib

import numpy as np

from lamina.autograd.tensor import Tensor
from lamina.layers.preprocessing.index_lookup import _IndexLookup


class StringLookup(_IndexLookup):
    """Map strings to integer indices through a vocabulary learned by ``adapt`` or given as
    ``vocabulary=`` (Keras's arguments and defaults).

    Args:
        max_tokens: largest vocabulary size, mask and OOV indices included (``None``: no cap).
        num_oov_indices: indices for out-of-vocabulary strings (default 1, index 0 without a
            mask token). With several, a string's OOV index is its CRC-32 modulo their number
            (Keras uses TensorFlow's FarmHash, so the buckets differ from Keras's); with 0, an
            unknown string raises ``ValueError``.
        mask_token: a string meaning "no token": index 0 in ``"int"`` mode, dropped from the
            vectors of the other modes. ``None`` (default): no mask.
        oov_token: what ``invert=True`` returns for OOV indices (default ``"[UNK]"``).
        vocabulary: a list/array of strings or a text file with one per line.
        idf_weights: ``"tf_idf"`` with ``vocabulary``: one weight per vocabulary entry.
        invert: map indices back to strings (``"int"`` mode only).
        output_mode: ``"int"`` (int64 indices, the input's shape), ``"one_hot"``,
            ``"multi_hot"``, ``"count"`` or ``"tf_idf"`` (float32 vectors, see
            ``CategoryEncoding``).
        pad_to_max_tokens: vector modes: vectors ``max_tokens`` wide.
        encoding: decodes ``bytes`` inputs.

    Strings are Python ``str`` or ``bytes``, in lists or NumPy arrays of any shape: before
    training (labels, categorical columns), or inside a model, whose ``fit``/``predict`` then
    take strings (as the first layer of a ``Sequential``, or after an
    ``Input(shape=(1,), dtype="string")``).
    """

    input_dtype = "string"

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        **kwargs,
    ):
        self.encoding = encoding
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            **kwargs,
        )

    def _tokens_of(self, data) -> np.ndarray:
        if isinstance(data, Tensor):
            data = data.data
        array = np.array(data, dtype=object)
        items = []
        for item in array.ravel().tolist():
            if isinstance(item, bytes):
                item = item.decode(self.encoding)
            elif not isinstance(item, str):
                raise TypeError(
                    f"{self.name} expects strings (in lists or arrays of equal-length rows), got "
                    f"an element of type {type(item).__name__} ({item!r:.40})"
                )
            items.append(item)
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(array.shape)

    def _oov_buckets(self, tokens: np.ndarray) -> np.ndarray:
        n = self.num_oov_indices
        return np.array([zlib.crc32(t.encode("utf-8")) % n for t in tokens.tolist()], np.int64)

    def _inverted_dtype(self, out):
        return str

    def get_config(self) -> dict:
        return {**super().get_config(), "encoding": self.encoding}
