"""``text_dataset_from_directory``: a folder of class subfolders of ``.txt`` files as batches
of strings, as ``keras.utils.text_dataset_from_directory`` makes them.

Each file is read, as bytes, when its batch is served; a batch of text is a NumPy object array
of ``bytes`` (what ``.numpy()`` of a ``tf.string`` batch gives), which ``TextVectorization``
reads directly.

>>> import os, tempfile
>>> root = tempfile.mkdtemp()
>>> for name, text in [("neg/1.txt", "dull"), ("pos/1.txt", "a gem"), ("pos/2.txt", "fun")]:
...     os.makedirs(os.path.join(root, os.path.dirname(name)), exist_ok=True)
...     with open(os.path.join(root, name), "w") as f:
...         _ = f.write(text)
>>> ds = text_dataset_from_directory(root, batch_size=8, shuffle=False)
Found 3 files belonging to 2 classes.
>>> for texts, labels in ds:
...     print(texts.numpy().tolist(), labels.numpy().tolist())
[b'dull', b'a gem', b'fun'] [0, 1, 1]
"""

from __future__ import annotations

import numpy as np

from lamina.data.dataset import _is_int
from lamina.data.directory import FileDataset, dataset_from_directory


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> FileDataset | list[FileDataset]:
    """Batches of the ``.txt`` files under ``directory``, as bytes strings.

    ``max_length`` keeps at most that many bytes of each file (Keras's ``tf.strings.substr``);
    the other arguments are those of ``image_dataset_from_directory``: ``labels``
    (``"inferred"`` from the subdirectories, ``None``, or a list), ``label_mode`` (``"int"``,
    ``"categorical"``, ``"binary"``, ``None``), ``class_names``, ``batch_size`` (``None``
    yields single strings), ``shuffle`` and ``seed``, ``validation_split`` with ``subset``
    (``"training"``, ``"validation"`` or ``"both"``), ``follow_links`` and ``verbose``.

    Returns:
        A ``FileDataset`` (with ``class_names``) yielding ``(texts, labels)``, or ``texts``
        alone without labels; a list ``[training, validation]`` for ``subset="both"``.
    """
    if max_length is not None and not (_is_int(max_length) and max_length >= 0):
        raise ValueError(f"max_length must be a non-negative integer or None, got {max_length!r}")
    return dataset_from_directory(
        directory,
        _TextLoader(max_length),
        (".txt",),
        "text files",
        labels=labels,
        label_mode=label_mode,
        class_names=class_names,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        validation_split=validation_split,
        subset=subset,
        follow_links=follow_links,
        verbose=verbose,
    )


class _TextLoader:
    """A list of paths -> an object array of their contents (bytes, at most ``max_length``)."""

    def __init__(self, max_length: int | None):
        self.max_length = max_length

    def __call__(self, paths) -> np.ndarray:
        texts = np.empty(len(paths), dtype=object)
        for i, path in enumerate(paths):
            with open(path, "rb") as stream:
                texts[i] = (
                    stream.read() if self.max_length is None else stream.read(self.max_length)
                )
        return texts
