"""``Hashing``: strings or integers to ``num_bins`` hash bins (or one-hot, multi-hot, count
vectors of them), Keras's bins included.

>>> from lamina.layers import Hashing
>>> Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]]).numpy().ravel().tolist()
[1, 0, 1, 1, 2]
>>> Hashing(num_bins=3, mask_value="")([["A"], ["B"], [""], ["C"], ["D"]]).numpy().ravel().tolist()
[1, 1, 0, 2, 2]
>>> Hashing(num_bins=3, salt=[133, 137])([["A"], ["B"], ["C"]]).numpy().ravel().tolist()
[1, 2, 1]
"""

from __future__ import annotations

import numpy as np

from lamina import backend
from lamina.autograd.tensor import Tensor
from lamina.layers import symbolic
from lamina.layers.layer import Layer
from lamina.layers.preprocessing.category_encoding import encode, encoded_shape
from lamina.layers.preprocessing.string_hash import fingerprint64, siphash64
from lamina.layers.text_vectorization import _is_int

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _text(value) -> bytes:
    """The bytes TensorFlow's ``as_string`` hashes: UTF-8 text, decimal integers, and floats
    truncated to integers first (Keras casts them to int64)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bool, np.bool_)):
        return b"true" if value else b"false"
    if isinstance(value, (float, np.floating)):
        value = int(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value)).encode("ascii")
    raise TypeError(f"Hashing takes strings or numbers, got {type(value).__name__} ({value!r:.40})")


class Hashing(Layer):
    """Hash each value (a string, ``bytes``, an integer, or a float, truncated to an integer as
    Keras does) into one of ``num_bins`` bins, as Keras 3 does: FarmHash's ``Fingerprint64``
    of the value's text modulo the bins, or with ``salt`` (an int ``s``, meaning ``[s, s]``, or
    a pair) SipHash-2-4 keyed by it. Both hashes are implemented here
    (``lamina/layers/preprocessing/string_hash.py``) and give Keras's bins.

    ``mask_value``: values equal to it go to bin 0 and the others to ``1 + hash % (num_bins -
    1)``. ``output_mode``: ``"int"`` (the bin indices, the input's shape, dtype ``int64`` unless
    ``dtype="int32"``), or ``"one_hot"``, ``"multi_hot"``, ``"count"`` (float vectors of
    ``num_bins``, see ``CategoryEncoding``). Inputs: lists or arrays of any shape, or inside a
    model after an ``Input(..., dtype="string")`` (or a numeric one).
    """

    input_dtype = "string"

    def __init__(
        self,
        num_bins: int,
        mask_value=None,
        salt=None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs,
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        if not _is_int(num_bins) or num_bins <= 0:
            raise ValueError(f"Hashing num_bins must be a positive integer, got {num_bins!r}")
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"Hashing output_mode must be one of {OUTPUT_MODES}, got {output_mode!r}"
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                f"Hashing output_mode='int' needs dtype 'int32' or 'int64', got {self.dtype!r}"
            )
        if sparse:
            raise ValueError("Hashing sparse=True is not supported: lamina has no sparse tensors")
        if salt is not None:
            if _is_int(salt):
                salt = [int(salt), int(salt)]
            elif isinstance(salt, (list, tuple)) and len(salt) == 2 and all(map(_is_int, salt)):
                salt = [int(s) for s in salt]
            else:
                raise ValueError(
                    f"Hashing salt must be an integer or a pair of integers, got {salt!r}"
                )
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = False
        self.built = True  # no weights

    def __call__(self, inputs, *args, **kwargs):
        if symbolic.is_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        return self.call(inputs)  # strings stay strings: no conversion to a numeric tensor

    def _hash(self, value) -> int:
        data = _text(value)
        return fingerprint64(data) if self.salt is None else siphash64(self.salt, data)

    def bins(self, values) -> np.ndarray:
        """The int64 bin of each value of ``values`` (an array, list or tensor), same shape."""
        if isinstance(values, Tensor):
            values = values.data
        array = np.asarray(backend.to_numpy(values) if not isinstance(values, list) else values)
        unique, inverse = np.unique(array.ravel(), return_inverse=True)
        bins = self.num_bins
        masked = self.mask_value is not None and bins > 1
        if masked:
            bins -= 1
        found = []
        for value in unique.tolist():
            if masked and value == self.mask_value:
                found.append(0)
            else:
                found.append(self._hash(value) % bins + (1 if masked else 0))
        return np.asarray(found, np.int64)[inverse.ravel()].reshape(array.shape)

    def call(self, inputs, training=False):
        ids = self.bins(inputs)
        if self.output_mode == "int":
            return Tensor(ids.astype(self.dtype))
        return Tensor(
            encode(ids, self.num_bins, self.output_mode, who=self.name).astype(self.dtype)
        )

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.num_bins, self.output_mode)

    def get_config(self) -> dict:
        mask = self.mask_value
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": mask.item() if isinstance(mask, np.generic) else mask,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
