"""``TextVectorization``: strings to token indices or bag-of-words vectors, as Keras's layer.

Each string is standardized (lowercased, punctuation stripped), split into tokens (words), extended
with n-grams, and looked up in a vocabulary learned by ``adapt`` (or given). ``output_mode="int"``
gives padded int64 index sequences (0 = padding ``""``, 1 = out-of-vocabulary ``"[UNK]"``);
``"multi_hot"``, ``"count"`` and ``"tf_idf"`` give float32 ``(batch, vocabulary_size)`` vectors,
whose vocabulary reserves only ``"[UNK]"`` (index 0).

>>> layer = TextVectorization(output_sequence_length=4)
>>> layer.adapt(["The cat sat.", "The dog sat on the mat!"])
>>> layer.get_vocabulary()
['', '[UNK]', 'the', 'sat', 'on', 'mat', 'dog', 'cat']
>>> layer(["the cat ate", "a dog sat on the mat"]).tolist()
[[2, 7, 1, 0], [1, 6, 3, 4]]
>>> TextVectorization(output_mode="count", vocabulary=["a", "b"])(["a b a c"]).tolist()
[[1.0, 2.0, 1.0]]
"""

from __future__ import annotations

import os
import string
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np

from lamina.autograd.tensor import Tensor
from lamina.layers import symbolic
from lamina.layers.input_layer import is_string_dtype
from lamina.layers.layer import Layer

PAD = ""
OOV = "[UNK]"
OUTPUT_MODES = ("int", "multi_hot", "count", "tf_idf")
STANDARDIZE = (None, "lower", "strip_punctuation", "lower_and_strip_punctuation")
SPLIT = (None, "whitespace", "character")
# Keras strips the characters of its DEFAULT_STRIP_REGEX, which are exactly string.punctuation:
# !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ (the apostrophe included: "don't" becomes "dont").
_STRIP_PUNCTUATION = str.maketrans("", "", string.punctuation)


class TextVectorization(Layer):
    """Map strings to token-index sequences or to multi-hot, count or TF-IDF vectors.

    Args:
        max_tokens: largest vocabulary size, reserved tokens included (``""`` and ``"[UNK]"``
            in ``"int"`` mode, ``"[UNK]"`` otherwise); ``None`` keeps every token.
        standardize: ``None``, ``"lower"``, ``"strip_punctuation"``,
            ``"lower_and_strip_punctuation"`` or a function ``str -> str``.
        split: ``None`` (the whole string is one token), ``"whitespace"``, ``"character"`` or a
            function ``str -> list[str]``.
        ngrams: ``None``, an int ``n`` (n-grams of 1..n tokens) or a tuple of the n-gram sizes;
            an n-gram is its tokens joined by a space.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        output_sequence_length: ``"int"`` mode only: pad with 0 or cut at the end to this length
            (default: the longest sequence of the batch).
        pad_to_max_tokens: vector modes: make vectors ``max_tokens`` wide even when the
            vocabulary is smaller.
        vocabulary: a list of tokens (or the path of a file with one per line) instead of
            ``adapt``; it may start with the reserved tokens.
        idf_weights: ``"tf_idf"`` with ``vocabulary``: one weight per vocabulary entry.
        sparse, ragged: Keras's sparse and ragged outputs; lamina has neither, so ``True`` raises.
        encoding: decodes ``bytes`` inputs.
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable[[str], str] | None = "lower_and_strip_punctuation",
        split: str | Callable[[str], list[str]] | None = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary=None,
        idf_weights=None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"output_mode must be one of {OUTPUT_MODES}, got {output_mode!r}")
        if not (callable(standardize) or standardize in STANDARDIZE):
            raise ValueError(
                f"standardize must be one of {STANDARDIZE} or a function str -> str, "
                f"got {standardize!r}"
            )
        if not (callable(split) or split in SPLIT):
            raise ValueError(
                f"split must be one of {SPLIT} or a function str -> list of str, got {split!r}"
            )
        reserved = 2 if output_mode == "int" else 1
        if max_tokens is not None and not (_is_int(max_tokens) and max_tokens > reserved):
            raise ValueError(
                f"max_tokens must be None or an integer above {reserved} (it counts the reserved "
                f"tokens of output_mode={output_mode!r}), got {max_tokens!r}"
            )
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ValueError(
                    f"output_sequence_length applies to output_mode='int' only, got "
                    f"output_mode={output_mode!r}"
                )
            if not (_is_int(output_sequence_length) and output_sequence_length > 0):
                raise ValueError(
                    f"output_sequence_length must be a positive integer, got "
                    f"{output_sequence_length!r}"
                )
        if pad_to_max_tokens and output_mode != "int" and max_tokens is None:
            raise ValueError("pad_to_max_tokens=True needs max_tokens (the width of the vectors)")
        if sparse:
            raise ValueError("sparse=True is not supported: lamina has no sparse tensors")
        if ragged:
            raise ValueError(
                "ragged=True is not supported: lamina has no ragged tensors; int outputs are "
                "padded with 0 (set output_sequence_length to fix their length)"
            )
        if ngrams is not None:
            sizes = (ngrams,) if _is_int(ngrams) else tuple(ngrams)
            if not sizes or not all(_is_int(n) and n > 0 for n in sizes):
                raise ValueError(
                    f"ngrams must be None, a positive int or a tuple of them, got {ngrams!r}"
                )
            if split is None:
                raise ValueError("ngrams needs split (n-grams are made from the split tokens)")
            self._ngram_sizes = tuple(range(1, ngrams + 1)) if _is_int(ngrams) else sizes
            ngrams = int(ngrams) if _is_int(ngrams) else sizes
        else:
            self._ngram_sizes = (1,)
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.encoding = encoding
        self._special = [PAD, OOV] if output_mode == "int" else [OOV]
        self._tokens: list[str] | None = None  # the learned or given tokens, special ones excluded
        self._index: dict[str, int] = {}
        self._idf: np.ndarray | None = None
        self.built = True  # no weights
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif idf_weights is not None:
            raise ValueError("idf_weights needs vocabulary (one weight per vocabulary entry)")

    # ----- vocabulary -----
    def adapt(self, data, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary from ``data`` (replacing any previous one).

        Tokens are sorted by count, most frequent first; ties go in descending string order
        (``"b"`` before ``"a"``), as Keras sorts them. ``max_tokens`` keeps the most frequent.
        In ``"tf_idf"`` mode each token's weight is ``log(1 + documents / (1 + documents with
        the token))`` and ``"[UNK]"`` gets the mean weight (Keras's formula).

        Args:
            data: a string, a list/tuple/array of strings (one document each), or an iterable of
                such batches (a generator, a ``BatchDataset`` of strings).
            batch_size: accepted for Keras compatibility; the vocabulary does not depend on it.
            steps: with an iterable of batches, read at most this many batches.
        """
        for name, value in [("batch_size", batch_size), ("steps", steps)]:
            if value is not None and not (_is_int(value) and value > 0):
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
        counts: Counter = Counter()
        document_counts: Counter = Counter()
        documents = 0
        for batch in _batches(data, steps):
            for text in self._strings(batch):
                tokens = self._tokenize(text)
                counts.update(tokens)
                if self.output_mode == "tf_idf":
                    document_counts.update(set(tokens))
                documents += 1
        if documents == 0:
            raise ValueError("adapt() received no strings: pass a non-empty list of strings")
        for token in (PAD, OOV):
            counts.pop(token, None)
        ranked = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[: self.max_tokens - len(self._special)]
        tokens = [token for token, _ in ranked]
        idf = None
        if self.output_mode == "tf_idf":
            frequency = np.array([document_counts[t] for t in tokens], dtype=np.float64)
            idf = np.log1p(documents / (1.0 + frequency))
            idf = np.concatenate([[idf.mean() if len(idf) else 0.0], idf])
        self._install(tokens, idf)

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Use ``vocabulary`` (a list of tokens, or a file with one per line) as is.

        It may start with the reserved tokens (``["", "[UNK]", ...]`` in ``"int"`` mode,
        ``["[UNK]", ...]`` otherwise, as ``get_vocabulary()`` returns them); elsewhere they are
        an error, as are repeated tokens. ``idf_weights`` (``"tf_idf"`` only, required there)
        has one weight per entry of ``vocabulary``; without the reserved entries, ``"[UNK]"``
        gets their mean.
        """
        if isinstance(vocabulary, (str, os.PathLike)):
            with open(vocabulary, encoding=self.encoding) as stream:
                vocabulary = stream.read().split("\n")
            if vocabulary and vocabulary[-1] == "":
                vocabulary.pop()
        vocabulary = list(self._strings(vocabulary))
        if not vocabulary:
            raise ValueError("the vocabulary is empty: pass at least one token")
        special = self._special
        has_special = vocabulary[: len(special)] == special
        tokens = vocabulary[len(special) :] if has_special else vocabulary
        repeated = sorted(t for t, n in Counter(tokens).items() if n > 1)
        if repeated:
            raise ValueError(f"the vocabulary repeats tokens {repeated[:10]}: remove duplicates")
        misplaced = [t for t in special if t in tokens]
        if misplaced:
            raise ValueError(
                f"the vocabulary holds the reserved tokens {misplaced} away from its start: "
                f"leave them out, or put exactly {special} first"
            )
        size = len(special) + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                f"the vocabulary has {size} entries (reserved tokens included) but "
                f"max_tokens={self.max_tokens}"
            )
        idf = None
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("output_mode='tf_idf' needs idf_weights with the vocabulary")
            weights = np.asarray(idf_weights, dtype=np.float64)
            if weights.ndim != 1 or len(weights) != len(vocabulary):
                raise ValueError(
                    f"idf_weights must have one weight per vocabulary entry ({len(vocabulary)}), "
                    f"got shape {weights.shape}"
                )
            idf = weights if has_special else np.concatenate([[weights.mean()], weights])
        elif idf_weights is not None:
            raise ValueError(
                f"idf_weights applies to output_mode='tf_idf' only, got "
                f"output_mode={self.output_mode!r}"
            )
        self._install(tokens, idf)

    def _install(self, tokens: list[str], idf) -> None:
        self._tokens = tokens
        start = len(self._special)
        # the reserved tokens look themselves up: "" is padding (0), a literal "[UNK]" is OOV
        self._index = {token: i for i, token in enumerate(self._special)}
        self._index.update((token, start + i) for i, token in enumerate(tokens))
        self._idf = None if idf is None else idf.astype(np.float32)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary in index order; a token's index is its position in this list (with
        the special tokens, the default)."""
        tokens = self._tokens or []
        return (list(self._special) if include_special_tokens else []) + list(tokens)

    def vocabulary_size(self) -> int:
        """Number of indices, the reserved ones included."""
        return len(self._special) + len(self._tokens or [])

    # ----- computation -----
    input_dtype = "string"  # a model that starts with this layer takes text (fit, predict, save)

    def __call__(self, inputs, *args, training=None, **kwargs):
        # Layer.__call__ turns inputs into numeric tensors; strings are handled here instead.
        if symbolic.is_symbolic(inputs):
            return self._call_symbolically(inputs)
        return self.call(inputs)

    def _call_symbolically(self, inputs):
        """``self(Input(shape=(1,), dtype="string"))`` in a functional model: a node whose
        output shape comes from ``compute_output_shape`` (no dry run: the length of a padded
        ``"int"`` output is unknown unless ``output_sequence_length`` fixes it)."""
        if not isinstance(inputs, symbolic.SymbolicTensor):
            raise TypeError(f"{self.name} takes one tensor of strings, got {type(inputs).__name__}")
        if not is_string_dtype(inputs.dtype):
            raise TypeError(
                f"{self.name} reads strings, got a symbolic input of dtype {inputs.dtype}: "
                'declare it as Input(shape=(1,), dtype="string")'
            )
        shape = tuple(inputs.shape)
        if not (len(shape) == 1 or (len(shape) == 2 and shape[1] in (1, None))):
            raise ValueError(
                f"{self.name} expects a batch of strings of shape (batch,) or (batch, 1), got "
                f"an input of shape {shape}"
            )
        node = symbolic.Node(self, inputs)
        dtype = "int64" if self.output_mode == "int" else "float32"
        node.outputs = symbolic.SymbolicTensor(self.compute_output_shape(shape), dtype, node)
        self._inbound_nodes.append(node)
        return node.outputs

    def call(self, inputs, training=False):
        if self._tokens is None:
            raise ValueError(
                f"{self.name} has no vocabulary yet: call adapt() on sample text first, or pass "
                "vocabulary= when creating the layer"
            )
        single = isinstance(inputs, (str, bytes))
        texts = self._strings([inputs] if single else inputs)
        oov = self._special.index(OOV)
        get = self._index.get
        ids = [[get(t, oov) for t in self._tokenize(text)] for text in texts]
        if self.output_mode == "int":
            out = self._pad(ids)
        else:
            out = self._encode(ids)
        return Tensor(out[0] if single else out)

    def _pad(self, ids: list[list[int]]) -> np.ndarray:
        lengths = np.fromiter(map(len, ids), np.int64, len(ids))
        width = self.output_sequence_length
        if width is None:
            width = int(lengths.max()) if len(ids) else 0
        out = np.zeros((len(ids), width), np.int64)
        flat = np.fromiter((i for row in ids for i in row), np.int64, int(lengths.sum()))
        rows = np.repeat(np.arange(len(ids)), lengths)
        cols = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        keep = cols < width  # truncate at the end, as Keras does
        out[rows[keep], cols[keep]] = flat[keep]
        return out

    def _encode(self, ids: list[list[int]]) -> np.ndarray:
        depth = self._depth()
        lengths = np.fromiter(map(len, ids), np.int64, len(ids))
        flat = np.fromiter((i for row in ids for i in row), np.int64, int(lengths.sum()))
        rows = np.repeat(np.arange(len(ids)), lengths)
        cells, counts = np.unique(rows * depth + flat, return_counts=True)
        out = np.zeros((len(ids), depth), np.float32)
        out.reshape(-1)[cells] = 1.0 if self.output_mode == "multi_hot" else counts
        if self.output_mode == "tf_idf":
            out[:, : len(self._idf)] *= self._idf  # columns past the vocabulary stay 0
        return out

    def _depth(self) -> int:
        if self.pad_to_max_tokens and self.max_tokens is not None:
            return self.max_tokens
        return self.vocabulary_size()

    def _tokenize(self, text: str) -> list[str]:
        """Standardize, split and add n-grams: the tokens of one string."""
        standardize = self.standardize
        if standardize in ("lower", "lower_and_strip_punctuation"):
            text = text.lower()
        if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = text.translate(_STRIP_PUNCTUATION)
        elif callable(standardize):
            text = standardize(text)
        split = self.split
        if split == "whitespace":
            tokens = text.split()
        elif split == "character":
            tokens = list(text)
        elif callable(split):
            tokens = list(split(text))
        else:
            tokens = [text]
        if self._ngram_sizes != (1,):
            tokens = [
                " ".join(tokens[i : i + n])
                for n in self._ngram_sizes
                for i in range(len(tokens) - n + 1)
            ]
        if self.output_mode != "int":
            tokens = [t for t in tokens if t != PAD]  # "" is padding, never a counted token
        return tokens

    def _strings(self, batch) -> list[str]:
        """``batch`` as a list of str: a list/tuple of str or bytes, or an array of shape
        ``(n,)`` or ``(n, 1)`` of str, bytes or objects holding them."""
        if isinstance(batch, Tensor):
            batch = batch.data
        if isinstance(batch, np.ndarray):
            if batch.ndim == 2 and batch.shape[1] == 1:
                batch = batch[:, 0]
            if batch.ndim != 1:
                raise ValueError(
                    f"{type(self).__name__} expects a batch of strings of shape (batch,) or "
                    f"(batch, 1), got shape {batch.shape}"
                )
            if batch.dtype.kind not in "USO":
                raise TypeError(
                    f"{type(self).__name__} expects strings, got an array of dtype {batch.dtype}"
                )
            batch = batch.tolist()
        elif not isinstance(batch, (list, tuple)):
            raise TypeError(
                f"{type(self).__name__} expects a string or a list/array of strings, got "
                f"{type(batch).__name__}"
            )
        out = []
        for item in batch:
            if isinstance(item, bytes):
                item = item.decode(self.encoding)
            elif isinstance(item, (list, tuple, np.ndarray)) and len(item) == 1:
                item = item[0]  # a (batch, 1) list
                item = item.decode(self.encoding) if isinstance(item, bytes) else item
            if not isinstance(item, str):
                raise TypeError(
                    f"{type(self).__name__} expects strings, got an element of type "
                    f"{type(item).__name__} ({item!r:.40})"
                )
            out.append(item)
        return out

    def compute_output_shape(self, input_shape):
        batch = input_shape[0] if len(input_shape) else None
        if self.output_mode == "int":
            return (batch, self.output_sequence_length)
        known = self._tokens is not None or self.pad_to_max_tokens
        return (batch, self._depth() if known else None)

    # ----- config -----
    def get_config(self) -> dict:
        """The arguments, with the vocabulary (and IDF weights) so a saved model carries them.

        A function passed as ``standardize`` or ``split`` is kept as the function: such a config
        round-trips in memory but cannot be written as JSON.
        """
        config = super().get_config()
        idf = None
        if self._idf is not None:
            idf = [float(w) for w in self._idf]
        config.update(
            max_tokens=self.max_tokens,
            standardize=self.standardize,
            split=self.split,
            ngrams=list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            output_mode=self.output_mode,
            output_sequence_length=self.output_sequence_length,
            pad_to_max_tokens=self.pad_to_max_tokens,
            vocabulary=None if self._tokens is None else self.get_vocabulary(),
            idf_weights=idf,
            encoding=self.encoding,
        )
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):  # JSON has no tuples
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _batches(data, steps: int | None) -> Iterable:
    """``data`` as an iterable of batches: one batch for a string or a flat list/array of
    strings, else the items of ``data`` (each a batch), at most ``steps`` of them."""
    if isinstance(data, (str, bytes)):
        return [[data]]
    if isinstance(data, np.ndarray) or (
        isinstance(data, (list, tuple)) and all(isinstance(x, (str, bytes)) for x in data)
    ):
        return [data]
    if isinstance(data, Tensor):
        return [data.data]
    batches = iter(data)
    if steps is None:
        return batches
    return (batch for _, batch in zip(range(steps), batches))
