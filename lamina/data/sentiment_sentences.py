"""UCI Sentiment Labelled Sentences: 3,000 review sentences labelled 1 (positive) or 0 (negative).

1,000 sentences from each of three sites: ``"amazon"`` (products), ``"imdb"`` (movies) and
``"yelp"`` (restaurants), 500 positive and 500 negative each. ``load_data()`` returns
``(x_train, y_train), (x_test, y_test)``: ``x`` arrays of ``str`` (object dtype), the sentences
exactly as in the files, and int64 labels. Feed ``x`` to ``lamina.layers.TextVectorization``.

The files (``<site>_labelled.txt``, one ``sentence<TAB>label`` per line) are cached in
``<data dir>/sentiment-labelled-sentences/``. When they are missing, lamina downloads UCI's zip
archive (84 KB, SHA-256 pinned), reads the three files out of it by their known names (nothing
else is extracted, so member paths never reach the file system) and checks each file's SHA-256
before saving it. With ``LAMINA_DATASETS_MIRROR`` set (and no archive cached), the ``.txt`` files
themselves are downloaded from the mirror, which has the cache layout.

Each line is split on its last tab and only on ``"\\n"``: quotes are text, not CSV quoting (a CSV
reader merges imdb lines), and two imdb sentences hold U+0085, which ``str.splitlines`` would
treat as a line break.

D. Kotzias, M. Denil, N. de Freitas, P. Smyth, "From Group to Individual Labels using Deep
Features", KDD 2015; UCI Machine Learning Repository, https://doi.org/10.24432/C57604. CC BY 4.0.

>>> sentences, labels = parse(b'A "great" phone.\\t1\\nBad\\tbattery.\\t0\\n', "example")
>>> sentences.tolist(), labels.tolist()
(['A "great" phone.', 'Bad\\tbattery.'], [1, 0])
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lamina.data.download import (
    MIRROR_ENV,
    ChecksumError,
    DatasetFormatError,
    RemoteFile,
    data_dir,
    fetch,
    verify,
)

DATASET = "sentiment-labelled-sentences"
MIRRORS = ["https://archive.ics.uci.edu/static/public/331/"]

# The archive's SHA-256 and size as pinned by several independent projects that download it from
# UCI; the SHA-256s of the three files inside were computed from copies equal to its members (the
# same values are pinned by those projects) and are checked on every load.
ARCHIVE = RemoteFile(
    "sentiment+labelled+sentences.zip",
    "afc26626d710899948693e1a61405dce197f57ffa719fa1130d346b4cc095343",
    84_188,
)
FOLDER = "sentiment labelled sentences/"  # inside the archive
FILES = {
    "amazon": RemoteFile(
        "amazon_cells_labelled.txt",
        "47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3",
        58_226,
    ),
    "imdb": RemoteFile(
        "imdb_labelled.txt",
        "aef2e49e3da25714d61175e3a6e68eeef74a20a2f914318dc3be9947ea86512d",
        85_285,
    ),
    "yelp": RemoteFile(
        "yelp_labelled.txt",
        "c76468b7b5c6e56a0804d728345c5f84aa2142ddb214420f61cc9cfd4c00d2ea",
        61_320,
    ),
}
SENTENCES_PER_SOURCE = 1000


def load_data(
    sources: Sequence[str] = ("amazon", "imdb", "yelp"), test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: sentences (object arrays of str), int64 labels.

    The split is stratified: ``test_split`` of each (source, label) group goes to the test set,
    so both parts keep the sources and classes balanced. Both parts are then shuffled. The result
    depends only on ``sources``, ``test_split`` and ``seed``.

    Args:
        sources: any of ``"amazon"``, ``"imdb"``, ``"yelp"``.
        test_split: fraction held out for the test set, in ``[0, 1)``.
        seed: seeds the choice of test sentences and the shuffles.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split}")
    sentences, labels, origin = read(sources, return_sources=True)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), bool)
    for group in np.unique(origin * 2 + labels):
        members = np.flatnonzero(origin * 2 + labels == group)
        test[rng.permutation(members)[: round(len(members) * test_split)]] = True
    train = rng.permutation(np.flatnonzero(~test))
    test = rng.permutation(np.flatnonzero(test))
    return (sentences[train], labels[train]), (sentences[test], labels[test])


def read(sources: Sequence[str] = ("amazon", "imdb", "yelp"), return_sources: bool = False):
    """All sentences and labels of ``sources``, in file order (unsplit, unshuffled).

    With ``return_sources=True`` also an int64 array giving each sentence's position in
    ``sources``.
    """
    if isinstance(sources, str):
        sources = (sources,)
    unknown = [s for s in sources if s not in FILES]
    if unknown or not sources:
        raise ValueError(f"sources must be a non-empty sequence of {list(FILES)}, got {sources!r}")
    paths = fetch_files([FILES[s] for s in sources])
    parts = [parse(path.read_bytes(), str(path)) for path in paths]
    sentences = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    if not return_sources:
        return sentences, labels
    origin = np.repeat(np.arange(len(parts)), [len(p[1]) for p in parts])
    return sentences, labels, origin


def fetch_files(files: Sequence[RemoteFile]) -> list[Path]:
    """Cached, verified paths of ``files``; the missing ones are taken from the archive
    (downloaded if need be) or, with ``LAMINA_DATASETS_MIRROR`` set and no archive cached,
    downloaded from the mirror as plain files."""
    folder = data_dir() / DATASET
    paths = [folder / remote.name for remote in files]
    missing = []
    for remote, path in zip(files, paths):
        if path.is_file():
            verify(path, remote, f"{MIRRORS[0]}{ARCHIVE.name} (member {FOLDER}{remote.name})")
        else:
            missing.append(remote)
    if not missing:
        return paths
    if os.environ.get(MIRROR_ENV) and not (folder / ARCHIVE.name).is_file():
        fetch(DATASET, missing, MIRRORS)
    else:
        (archive,) = fetch(DATASET, [ARCHIVE], MIRRORS)
        extract(archive, missing, folder)
    return paths


def extract(archive: Path, files: Sequence[RemoteFile], folder: Path) -> None:
    """Copy ``files`` out of the zip ``archive`` into ``folder``, each checked against its
    SHA-256 first. Members are looked up by their known names; none is written anywhere else."""
    try:
        with zipfile.ZipFile(archive) as zf:
            data = {}
            for remote in files:
                try:
                    info = zf.getinfo(FOLDER + remote.name)
                except KeyError:
                    raise DatasetFormatError(
                        f"{archive} lacks {FOLDER}{remote.name}: it is not the UCI archive"
                    ) from None
                if info.file_size != remote.size:
                    raise ChecksumError(
                        f"{archive}: {info.filename} has {info.file_size:,} bytes, expected "
                        f"{remote.size:,}"
                    )
                data[remote] = zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DatasetFormatError(f"{archive} is not a readable zip archive: {exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    for remote, content in data.items():
        actual = hashlib.sha256(content).hexdigest()
        if actual != remote.sha256:
            raise ChecksumError(
                f"{archive}: {FOLDER}{remote.name} has SHA-256 {actual}, expected "
                f"{remote.sha256}; nothing was saved. Delete the archive and retry"
            )
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{remote.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            os.chmod(temp, 0o644)
            os.replace(temp, folder / remote.name)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def parse(data: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Sentences (object array of str) and int64 labels from the bytes of one file: UTF-8 lines
    ``sentence<TAB>label`` ending in ``"\\n"``, the label 0 or 1 after the last tab."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetFormatError(f"{name} is not UTF-8 text: {exc}") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    sentences, labels = [], []
    for number, line in enumerate(lines, start=1):
        sentence, tab, label = line.rpartition("\t")
        if not tab or label not in ("0", "1"):
            raise DatasetFormatError(
                f"{name}, line {number}: expected sentence<TAB>0 or 1, found {line[-60:]!r}"
            )
        sentences.append(sentence)
        labels.append(int(label))
    out = np.empty(len(sentences), dtype=object)
    out[:] = sentences
    return out, np.array(labels, dtype=np.int64)
