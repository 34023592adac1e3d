"""``get_file``: download a file once into lamina's cache, check its hash, extract archives
safely, as ``keras.utils.get_file``.

Files go where lamina's datasets go: ``data_dir()`` (``$LAMINA_DATA_DIR``, else
``~/.lamina/datasets``) for the default ``cache_subdir="datasets"``, ``~/.lamina/<cache_subdir>``
for another one, ``<cache_dir>/<cache_subdir>`` when ``cache_dir`` is given. Downloads are
atomic (``lamina/data/download.py``); archives are extracted into a temporary folder renamed
into place when done, and one with a member that would land outside that folder (an absolute
path, ``..``, a link pointing out) is refused whole.

>>> import os, tempfile, pathlib
>>> folder = tempfile.mkdtemp()
>>> pathlib.Path(folder, "hello.txt").write_text("hi")
2
>>> path = get_file("hello.txt", origin=pathlib.Path(folder, "hello.txt").as_uri(),
...                 cache_dir=folder, cache_subdir="cache")
>>> open(path).read(), os.path.relpath(path, folder)
('hi', 'cache/hello.txt')
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import warnings
import zipfile
from pathlib import Path

from lamina.data.download import data_dir, download_file, hash_file


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
) -> str:
    """Download ``origin`` unless it is already cached, and return its local path (str).

    - ``fname``: the file's name in the cache (default: the last part of the URL).
    - ``file_hash``: its SHA-256 or MD5 (``hash_algorithm="auto"`` tells them apart by length);
      a cached file that does not match is downloaded again, a download that does not match
      raises ``ChecksumError`` (a ``ValueError``) and saves nothing. ``md5_hash`` is the old name.
    - ``extract=True`` (or ``untar=True``): extract the tar (``.tar``, ``.tar.gz``,
      ``.tar.bz2``, ...) or zip archive and return the folder it was extracted to, named as in
      Keras: ``<fname without extension>_extracted`` when ``fname`` has an extension, else
      ``fname`` (the archive itself is kept as ``<fname>_archive``).
    - ``force_download=True`` downloads even when the file is cached.

    A URL that cannot be fetched raises ``OSError`` saying where to put the file to work offline.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    algorithm = _algorithm(hash_algorithm, file_hash)
    folder = _cache_folder(cache_dir, cache_subdir)

    provided = fname is not None and os.fspath(fname) != ""
    fname = os.fspath(fname) if provided else ""
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Can't parse the file name from the origin provided: '{origin}'. "
                "Please specify the `fname` argument."
            )
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify the file's parent "
            f"directory, use the `cache_dir` argument. Received: fname={fname}"
        )

    extraction_dir = None
    if extract or untar:
        if provided and "." in fname:
            target = folder / fname
            extraction_dir = folder / f"{fname[: fname.find('.')]}_extracted"
        else:
            extraction_dir = folder / fname
            target = folder / f"{fname}_archive"
    else:
        target = folder / fname

    download = force_download or not target.exists()
    if not download and file_hash is not None:
        if hash_file(target, algorithm) != str(file_hash).lower():
            print(
                "A local file was found, but it seems to be incomplete or outdated because the "
                f"{algorithm} file hash does not match the original value of {file_hash} so we "
                "will re-download the data.",
                file=sys.stderr,
            )
            download = True
    if download:
        try:
            download_file(origin, target, algorithm, expected_hash=file_hash)
        except (http.client.HTTPException, OSError) as exc:  # URLError is an OSError
            unreachable = isinstance(exc, urllib.error.URLError) and not hasattr(exc, "code")
            reason = exc.reason if unreachable else exc  # "[Errno 111] Connection refused"
            raise OSError(
                f"URL fetch failure on {origin}: {reason}. Nothing was saved; to work offline, "
                f"put the file at {target}"
            ) from exc

    if extraction_dir is None:
        return str(target)
    formats = ["tar"] if untar else archive_format
    if download or not extraction_dir.exists():
        if not extract_archive(target, extraction_dir, formats):
            warnings.warn(f"Could not extract archive {target}.", stacklevel=2)
    return str(extraction_dir)


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Extract a tar or zip archive into ``path`` (replacing what was there) and return True,
    or return False when the file is none of ``archive_format`` ("auto" = ``["tar", "zip"]``).

    The members go to a temporary folder next to ``path``, renamed to ``path`` once all are out;
    a member that would be written outside it raises ``ValueError`` and nothing is extracted.
    """
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path, path = Path(file_path), Path(path)
    for kind in archive_format:
        if kind == "tar":
            is_match, opener = tarfile.is_tarfile, tarfile.open
        elif kind == "zip":
            is_match, opener = zipfile.is_zipfile, zipfile.ZipFile
        else:
            raise ValueError(f'archive_format must be "auto", "tar", "zip" or None, got {kind!r}')
        if not is_match(file_path):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part"))
        try:
            with opener(file_path) as archive:
                _extract_safely(archive, temp, file_path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
            os.replace(temp, path)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return True
    return False


def _extract_safely(archive, dest: Path, source: Path) -> None:
    base = os.path.realpath(dest)

    def inside(name: str, relative_to: str = base) -> bool:
        resolved = os.path.realpath(os.path.join(relative_to, name))
        return os.path.commonpath([base, resolved]) == base and not os.path.isabs(name)

    def refuse(name: str, why: str):
        raise ValueError(
            f"refusing to extract {source}: its member {name!r} {why}; nothing was extracted "
            "(the archive may be malicious)"
        )

    if isinstance(archive, zipfile.ZipFile):
        for info in archive.infolist():
            name = info.filename.replace("\\", "/")
            if name.startswith("/") or re.match(r"[A-Za-z]:", name) or not inside(name):
                refuse(info.filename, "would be written outside the extraction folder")
        archive.extractall(dest)
        return
    members = archive.getmembers()
    for info in members:
        if not inside(info.name):
            refuse(info.name, "would be written outside the extraction folder")
        if info.issym() and not inside(
            info.linkname, os.path.dirname(os.path.join(base, info.name))
        ):
            refuse(info.name, f"is a link to {info.linkname!r}, outside the extraction folder")
        if info.islnk() and not inside(info.linkname):
            refuse(info.name, f"is a hard link to {info.linkname!r}, outside the folder")
        if info.isdev():
            refuse(info.name, "is a device file")
    if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+: checks again as it writes
        archive.extractall(dest, members=members, filter="data")
    else:
        archive.extractall(dest, members=members)


def _algorithm(hash_algorithm: str, file_hash) -> str:
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f'hash_algorithm must be "auto", "sha256" or "md5", got {hash_algorithm!r}'
        )
    if hash_algorithm == "auto":  # Keras: 64 hex digits are a SHA-256, anything else an MD5
        return "sha256" if file_hash is not None and len(str(file_hash)) == 64 else "md5"
    return hash_algorithm


def _cache_folder(cache_dir, cache_subdir) -> Path:
    if cache_dir is None:
        if cache_subdir == "datasets":
            folder = data_dir()
        else:
            folder = Path.home() / ".lamina" / cache_subdir
    else:
        folder = Path(cache_dir).expanduser() / cache_subdir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        writable = os.access(folder, os.W_OK)
    except OSError:
        writable = False
    if not writable:  # as Keras does with ~/.keras: fall back to the temporary folder
        folder = Path(tempfile.gettempdir()) / ".lamina" / Path(cache_subdir).name
        folder.mkdir(parents=True, exist_ok=True)
    return folder
