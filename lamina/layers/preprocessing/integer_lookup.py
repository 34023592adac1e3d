"""``IntegerLookup``: integer ids (arbitrary, sparse) to contiguous vocabulary indices (or
one-hot, multi-hot, count, TF-IDF vectors), and back with ``invert=True``.

>>> import numpy as np
>>> from lamina.layers import IntegerLookup
>>> layer = IntegerLookup()
>>> layer.adapt(np.array([[12, 1138, 42], [42, 1000, 36]]))
>>> layer.get_vocabulary()  # by count, ties in descending order
[-1, 42, 1138, 1000, 36, 12]
>>> layer(np.array([[12, 1138, 42], [42, 7, 36]])).tolist()  # 7 is unknown: index 0
[[5, 2, 1], [1, 0, 4]]
"""

from __future__ import annotations

import numpy as np

from lamina.layers.preprocessing.category_encoding import integer_array
from lamina.layers.preprocessing.index_lookup import _IndexLookup


class IntegerLookup(_IndexLookup):
    """Map integers to indices through a vocabulary learned by ``adapt`` or given as
    ``vocabulary=`` (Keras's arguments and defaults; see ``StringLookup`` for their meaning).

    Differences from ``StringLookup``: ``oov_token`` defaults to -1; with several
    ``num_oov_indices`` an unknown integer goes to OOV index ``value % num_oov_indices``, as
    Keras's default ``oov_method="floormod"``. Float inputs holding whole numbers are accepted,
    so the layer works inside a model (whose inputs arrive as float32; exact up to 2**24).
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary=None,
        vocabulary_dtype: str = "int64",
        idf_weights=None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        **kwargs,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(
                f"IntegerLookup vocabulary_dtype must be 'int64', got {vocabulary_dtype!r}"
            )
        self.vocabulary_dtype = vocabulary_dtype
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
        if isinstance(data, (list, tuple)) and data and all(isinstance(v, str) for v in data):
            try:  # a vocabulary file's lines
                data = [int(v) for v in data]
            except ValueError:
                raise ValueError(f"{self.name} expects integers, got {data[:5]!r}") from None
        return integer_array(data, self.name)

    def _oov_buckets(self, tokens: np.ndarray) -> np.ndarray:
        return tokens % self.num_oov_indices

    def _inverted_dtype(self, out):
        return np.int64

    def get_config(self) -> dict:
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}
