"""Download, verify and cache the files of a dataset (shared by every loader).

Files live in ``<data dir>/<dataset>/<original file name>``; the data dir is ``$LAMINA_DATA_DIR``
or ``~/.lamina/datasets``. Every file, cached or fresh, is checked against a SHA-256 pinned in the
loader before it is parsed. A download goes to a temporary file next to its destination and is
renamed into place only once its checksum is right, so a failed or partial download leaves
nothing behind. ``download_file`` is that download for any URL (``lamina.utils.get_file`` uses it).

>>> import os
>>> from unittest import mock
>>> with mock.patch.dict(os.environ, {"LAMINA_DATA_DIR": "/data/sets"}):
...     print(data_dir())
/data/sets
>>> with mock.patch.dict(os.environ, {"LAMINA_DATASETS_MIRROR": "http://localhost:8000"}):
...     print(mirror_urls("mnist", ["https://storage.googleapis.com/cvdf-datasets/mnist/"]))
['http://localhost:8000/mnist/']
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

DATA_DIR_ENV = "LAMINA_DATA_DIR"
MIRROR_ENV = "LAMINA_DATASETS_MIRROR"
TIMEOUT = 30.0  # seconds without data before a download is abandoned
_CHUNK = 1 << 20


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is not cached and could not be downloaded; the message says what to put where."""


class ChecksumError(ValueError):
    """A cached or downloaded file does not have its pinned SHA-256 (corrupt or truncated)."""


class DatasetFormatError(ValueError):
    """A file does not follow the format it should be in (bad magic number, wrong length, ...)."""


@dataclass(frozen=True)
class RemoteFile:
    """One original file of a dataset: its name on the mirrors, SHA-256 and size in bytes."""

    name: str
    sha256: str
    size: int


def data_dir() -> Path:
    """The cache root: ``$LAMINA_DATA_DIR`` when set, else ``~/.lamina/datasets``."""
    root = os.environ.get(DATA_DIR_ENV)
    return Path(root).expanduser() if root else Path.home() / ".lamina" / "datasets"


def mirror_urls(dataset: str, mirrors: Sequence[str]) -> list[str]:
    """Base URLs to try in order: ``$LAMINA_DATASETS_MIRROR/<dataset>/`` alone when set.

    The variable replaces the public mirrors (no silent fall-back to the internet) and uses the
    cache layout, so a web server over a copy of the data dir is a valid mirror.
    """
    override = os.environ.get(MIRROR_ENV)
    if override:
        return [f"{override.rstrip('/')}/{dataset}/"]
    return list(mirrors)


def sha256sum(path: str | os.PathLike) -> str:
    """The hex SHA-256 of a file."""
    return hash_file(path, "sha256")


def hash_file(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """The hex digest of a file (``algorithm``: any name ``hashlib.new`` knows)."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, remote: RemoteFile, url: str) -> None:
    """Raise ``ChecksumError`` unless ``path`` has ``remote``'s SHA-256."""
    actual = sha256sum(path)
    if actual != remote.sha256:
        size = path.stat().st_size
        raise ChecksumError(
            f"{path} is corrupt or incomplete: its SHA-256 is {actual} ({size:,} bytes), "
            f"expected {remote.sha256} ({remote.size:,} bytes). Delete it and retry to download "
            f"it again, or replace it with the original file from {url}"
        )


def fetch(dataset: str, files: Sequence[RemoteFile], mirrors: Sequence[str]) -> list[Path]:
    """Paths of ``files`` in the cache, downloading the missing ones; all checksum-verified.

    Raises ``ChecksumError`` for a corrupt cached file or when every mirror served wrong bytes,
    and ``DatasetNotFoundError`` when a missing file could not be downloaded.
    """
    folder = data_dir() / dataset
    bases = mirror_urls(dataset, mirrors)
    paths = [folder / remote.name for remote in files]
    for remote, path in zip(files, paths):
        if path.is_file():
            verify(path, remote, bases[0] + remote.name)
    missing = [(remote, path) for remote, path in zip(files, paths) if not path.is_file()]
    for index, (remote, path) in enumerate(missing):
        failures = []
        for base in bases:
            try:
                _download(base + remote.name, path, remote)
                break
            except ChecksumError as exc:
                failures.append(exc)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                failures.append(f"{base + remote.name}: {exc}")
        else:
            mismatches = [f for f in failures if isinstance(f, ChecksumError)]
            if mismatches:
                raise mismatches[-1]
            raise DatasetNotFoundError(
                _not_found_message(dataset, missing[index:], bases, failures)
            )
    return paths


def _download(url: str, dest: Path, remote: RemoteFile) -> None:
    download_file(url, dest, expected_hash=remote.sha256, size=remote.size)


def download_file(
    url: str,
    dest: str | os.PathLike,
    algorithm: str = "sha256",
    expected_hash: str | None = None,
    size: int | None = None,
) -> str:
    """Download ``url`` to ``dest`` and return the file's hex digest (``algorithm``: any name
    ``hashlib.new`` knows). The bytes go to a temporary file next to ``dest``, renamed into
    place only once complete and, given ``expected_hash``, matching it (else ``ChecksumError``):
    a failed download leaves nothing behind and keeps the file that was there.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        print(f"Downloading data from {url}", file=sys.stderr)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            announced = response.headers.get("Content-Length", "")
            total = size or (int(announced) if announced.isdigit() else None)
            actual, received = _copy(response, out, algorithm, total, dest.name)
        # http.client returns a short body silently when the server hangs up early
        if announced.isdigit() and received < int(announced):
            raise OSError(f"the connection closed after {received:,} of {int(announced):,} bytes")
        if expected_hash is not None and actual != expected_hash.lower():
            label = _LABELS.get(algorithm, algorithm)
            wanted = f"{expected_hash} ({size:,} bytes)" if size else expected_hash
            raise ChecksumError(
                f"{url} sent a file whose {label} is {actual} ({received:,} bytes), expected "
                f"{wanted}; nothing was saved. The mirror may be serving a different or damaged "
                f"file: retry later, or put the original file at {dest}"
            )
        os.chmod(temp, 0o644)  # mkstemp makes it private; a cache may be shared
        os.replace(temp, dest)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return actual


_LABELS = {"sha256": "SHA-256", "md5": "MD5"}


def _copy(response, out, algorithm: str, total: int | None, name: str) -> tuple[str, int]:
    """Stream ``response`` into ``out``; returns the hex digest and the byte count."""
    digest, received = hashlib.new(algorithm, usedforsecurity=False), 0
    bar = tqdm(total=total, unit="B", unit_scale=True, desc=name, disable=None)
    with bar:  # drawn only on a terminal
        while chunk := response.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            received += len(chunk)
            bar.update(len(chunk))
    return digest.hexdigest(), received


def _not_found_message(dataset, missing, bases, failures) -> str:
    folder = data_dir() / dataset
    lines = [
        f"dataset '{dataset}' is not cached and could not be downloaded "
        f"({'; '.join(str(f) for f in failures)}).",
        f"To use it offline, put these files in {folder} (or set {DATA_DIR_ENV} to a folder "
        f"whose '{dataset}' subfolder holds them):",
    ]
    for remote, path in missing:
        lines.append(f"  {path}  <-  {bases[0] + remote.name}  (sha256 {remote.sha256})")
    return "\n".join(lines)
