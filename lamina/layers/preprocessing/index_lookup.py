"""``_IndexLookup``: the vocabulary lookup shared by ``StringLookup`` and ``IntegerLookup``
(Keras's ``IndexLookup``): tokens to indices (or back, with ``invert``), or to one-hot,
multi-hot, count or TF-IDF vectors.

Index layout, as Keras: in ``"int"`` mode a ``mask_token`` takes index 0; then come
``num_oov_indices`` out-of-vocabulary (OOV) indices, then the vocabulary, most frequent first.
In the vector modes the mask token has no index: its occurrences are dropped.

>>> from lamina.layers import StringLookup
>>> layer = StringLookup()
>>> layer.adapt([["a", "b", "b"], ["c", "b", "a"]])
>>> layer.get_vocabulary()
['[UNK]', 'b', 'a', 'c']
>>> layer([["a", "zebra"]]).tolist()
[[2, 0]]
"""

from __future__ import annotations

import os
from collections import Counter

import numpy as np

from lamina.autograd.tensor import Tensor
from lamina.layers import symbolic
from lamina.layers.layer import Layer
from lamina.layers.preprocessing.category_encoding import encode, encoded_shape, integer_array
from lamina.layers.text_vectorization import _is_int

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _batches(data, steps):
    """An array, tensor, list or single token is one batch; any other iterable (a generator, a
    dataset of ``(x, y)`` pairs) yields batches, at most ``steps`` of them."""
    if isinstance(data, (str, bytes, np.ndarray, list, tuple, Tensor, int, np.integer)):
        return [data]
    batches = (batch[0] if isinstance(batch, tuple) else batch for batch in data)
    return batches if steps is None else (b for _, b in zip(range(steps), batches))


class _IndexLookup(Layer):
    """Subclasses set how inputs become a NumPy array of tokens (``_tokens_of``), how OOV tokens
    spread over several OOV indices (``_oov_buckets``) and the dtype of inverted outputs."""

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices: int = 1,
        mask_token=None,
        oov_token=None,
        vocabulary=None,
        idf_weights=None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        who = type(self).__name__
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"{who} output_mode must be one of {OUTPUT_MODES}, got {output_mode!r}"
            )
        if max_tokens is not None and not (_is_int(max_tokens) and max_tokens > 1):
            raise ValueError(f"{who} max_tokens must be None or an integer above 1 (it counts the "
                             f"mask and OOV indices), got {max_tokens!r}")  # fmt: skip
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{who} pad_to_max_tokens=True needs max_tokens")
        if not (_is_int(num_oov_indices) and num_oov_indices >= 0):
            raise ValueError(
                f"{who} num_oov_indices must be a non-negative integer, got {num_oov_indices!r}"
            )
        if invert and output_mode != "int":
            raise ValueError(f"{who} invert=True needs output_mode='int', got {output_mode!r}")
        if sparse:
            raise ValueError(f"{who} sparse=True is not supported: lamina has no sparse tensors")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{who} idf_weights applies to output_mode='tf_idf' only")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{who} output_mode='tf_idf' with a vocabulary needs idf_weights")
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = None if mask_token is None else self._token(mask_token)
        self.oov_token = None if oov_token is None else self._token(oov_token)
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self._tokens: list | None = None  # the vocabulary without the mask and OOV entries
        self._index: dict = {}
        self._idf: np.ndarray | None = None
        self.built = True  # no weights: the vocabulary travels in the config
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ----- subclass hooks -----
    def _tokens_of(self, data) -> np.ndarray:
        raise NotImplementedError

    def _token(self, value):
        return self._tokens_of(value).ravel().tolist()[0]

    def _oov_buckets(self, tokens: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # ----- layout -----
    @property
    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    @property
    def _token_start(self) -> int:
        return self._oov_start + self.num_oov_indices

    def _special(self) -> list:
        return [self.mask_token] * self._oov_start + [self.oov_token] * self.num_oov_indices

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order (a token's index is its position), with the mask and
        OOV entries first unless ``include_special_tokens=False``."""
        tokens = list(self._tokens or [])
        return (self._special() + tokens) if include_special_tokens else tokens

    def vocabulary_size(self) -> int:
        """The number of indices, mask and OOV ones included."""
        return self._token_start + len(self._tokens or [])

    def _depth(self) -> int:
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    # ----- vocabulary -----
    def adapt(self, data, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary from ``data`` (an array or list, one batch; or an iterable of
        batches), replacing any previous one: tokens by count, most frequent first, ties in
        descending order (as Keras), at most ``max_tokens`` entries with the special ones. A
        1-D batch holds one-token samples; a ``(samples, tokens)`` batch one sample per row
        (the documents of ``"tf_idf"``). ``batch_size`` is accepted for Keras compatibility."""
        counts: Counter = Counter()
        documents: Counter = Counter()
        n_documents = 0
        for batch in _batches(data, steps):
            tokens = self._tokens_of(batch)
            rows = tokens.reshape(len(tokens), -1) if tokens.ndim > 1 else tokens.reshape(-1, 1)
            counts.update(rows.ravel().tolist())
            if self.output_mode == "tf_idf":
                for row in rows.tolist():
                    documents.update(set(row))
            n_documents += len(rows)
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        if n_documents == 0:
            raise ValueError(f"{self.name}.adapt() received no data: pass a non-empty batch")
        ranked = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[: max(self.max_tokens - self._token_start, 0)]
        tokens = [token for token, _ in ranked]
        idf = None
        if self.output_mode == "tf_idf":
            frequency = np.array([documents[t] for t in tokens], dtype=np.float64)
            idf = np.log1p(n_documents / (1.0 + frequency))
            mean = idf.mean() if len(idf) else 0.0
            idf = np.concatenate([np.full(self._token_start, mean), idf])
        self._install(tokens, idf)

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Use ``vocabulary`` (a list or array of tokens, or a text file with one per line) as
        is. It may start with the special entries exactly as ``get_vocabulary()`` gives them;
        elsewhere the mask token (and with ``invert`` the OOV token) is an error, as are repeated
        tokens. ``"tf_idf"`` needs ``idf_weights``, one per entry; without the special entries
        the OOV indices get their mean."""
        if isinstance(vocabulary, (str, os.PathLike)):
            with open(vocabulary, encoding="utf-8") as stream:
                vocabulary = stream.read().splitlines()
            while vocabulary and vocabulary[-1] == "":
                vocabulary.pop()
        vocabulary = self._tokens_of(list(vocabulary) if not isinstance(vocabulary, np.ndarray)
                                     else vocabulary).ravel().tolist()  # fmt: skip
        if not vocabulary:
            raise ValueError(f"{self.name}: the vocabulary is empty, pass at least one token")
        special = self._special()
        has_special = vocabulary[: len(special)] == special
        tokens = vocabulary[len(special) :] if has_special else vocabulary
        repeated = sorted(str(t) for t, n in Counter(tokens).items() if n > 1)
        if repeated:
            raise ValueError(f"{self.name}: the vocabulary repeats {repeated[:10]}: remove them")
        reserved = [self.mask_token] + ([self.oov_token] if self.invert else [])
        misplaced = [t for t in reserved if t is not None and t in tokens]
        if misplaced:
            raise ValueError(
                f"{self.name}: the vocabulary holds the reserved token {misplaced[0]!r} away from "
                f"its start: leave the mask and OOV tokens out, or put exactly {special} first"
            )
        size = self._token_start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                f"{self.name}: the vocabulary has {size} entries (mask and OOV included) but "
                f"max_tokens={self.max_tokens}"
            )
        idf = None
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{self.name}: output_mode='tf_idf' needs idf_weights")
            weights = np.asarray(idf_weights, dtype=np.float64)
            if weights.shape != (len(vocabulary),):
                raise ValueError(
                    f"{self.name}: idf_weights must hold one weight per vocabulary entry "
                    f"({len(vocabulary)}), got shape {weights.shape}"
                )
            front = 0 if has_special else self._token_start
            idf = np.concatenate([np.full(front, weights.mean()), weights])
        elif idf_weights is not None:
            raise ValueError(f"{self.name}: idf_weights applies to output_mode='tf_idf' only")
        self._install(tokens, idf)

    def _install(self, tokens: list, idf) -> None:
        self._tokens = tokens
        start = self._token_start
        self._index = {token: start + i for i, token in enumerate(tokens)}
        self._idf = None if idf is None else idf.astype(np.float32)

    # ----- computation -----
    def __call__(self, inputs, *args, **kwargs):
        if symbolic.is_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        return self.call(inputs)  # tokens may be strings: no conversion to a numeric tensor

    def call(self, inputs, training=False):
        if self.invert:
            return self._invert(inputs)
        if self._tokens is None and self.output_mode != "int" and not self.pad_to_max_tokens:
            raise ValueError(
                f"{self.name} has no vocabulary, so its output_mode={self.output_mode!r} vectors "
                "have no size yet: call adapt() first, or pass vocabulary="
            )
        ids = self._lookup(self._tokens_of(inputs))
        if self.output_mode == "int":
            return Tensor(ids)
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode(ids, self._depth(), mode, who=self.name)
        if self.output_mode == "tf_idf":
            out[..., : len(self._idf)] *= self._idf  # padding columns past the vocabulary stay 0
        return Tensor(out)

    def _lookup(self, tokens: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(tokens.ravel(), return_inverse=True)
        get = self._index.get
        found = np.fromiter((get(t, -1) for t in unique.tolist()), np.int64, len(unique))
        ids = found[inverse.ravel()].reshape(tokens.shape)
        masked = np.zeros(tokens.shape, bool)
        if self.mask_token is not None:
            masked = tokens == self.mask_token
            ids[masked] = 0 if self.output_mode == "int" else -1  # -1: dropped by encode
        oov = (ids == -1) & ~masked
        if oov.any():
            if self.num_oov_indices == 0:
                examples = sorted({str(t) for t in tokens[oov].tolist()})[:5]
                raise ValueError(
                    f"{self.name} got tokens outside its vocabulary ({examples}) but "
                    "num_oov_indices=0: set num_oov_indices=1 to map them to an OOV index"
                )
            buckets = 0 if self.num_oov_indices == 1 else self._oov_buckets(tokens[oov])
            ids[oov] = self._oov_start + buckets
        return ids

    def _invert(self, inputs):
        ids = integer_array(inputs, self.name)
        vocabulary = np.array(self.get_vocabulary(), dtype=object)
        valid = (ids >= 0) & (ids < len(vocabulary))
        out = np.full(ids.shape, self.oov_token, dtype=object)
        out[valid] = vocabulary[ids[valid]]
        return Tensor(out.astype(self._inverted_dtype(out)))

    def _inverted_dtype(self, out):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(input_shape, self._depth(), self.output_mode)

    # ----- config -----
    def get_config(self) -> dict:
        """The arguments, with the vocabulary (and IDF weights): a saved model carries them."""
        idf = None
        if self._idf is not None:
            idf = [float(w) for w in self._idf[: self.vocabulary_size()]]
        vocabulary = None if self._tokens is None else _plain(self.get_vocabulary())
        return {
            **super().get_config(),
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "mask_token": _plain(self.mask_token),
            "oov_token": _plain(self.oov_token),
            "vocabulary": vocabulary,
            "idf_weights": idf,
            "invert": self.invert,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
        }


def _plain(value):
    """NumPy scalars (and lists of them) as Python ones, for JSON."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value
