"""get_file against a local HTTP server (tests never touch the network): caching, hashes,
Keras's names for extracted archives, and archives that try to write outside their folder."""

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from lamina.data.download import ChecksumError
from lamina.file_utils import extract_archive, get_file
from lamina.utils import get_file as exported
from tests.data import closed_url, serve

TEXT = b"PANDARUS: the lamina corpus\n" * 100


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A served folder holding a text file, a tar.gz and a zip archive."""
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "*")
    root = tmp_path / "site"
    root.mkdir()
    (root / "corpus.txt").write_bytes(TEXT)
    with tarfile.open(root / "photos.tar.gz", "w:gz") as archive:
        add_file(archive, "photos/cat.txt", b"meow")
        add_file(archive, "photos/dog/dog.txt", b"woof")
    with zipfile.ZipFile(root / "pack.zip", "w") as archive:
        archive.writestr("a.txt", "alpha")
        archive.writestr("sub/b.txt", "beta")
    return root


def add_file(archive: tarfile.TarFile, name: str, data: bytes, **fields) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in fields.items():
        setattr(info, key, value)
    archive.addfile(info, io.BytesIO(data))


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_downloads_once_then_reads_the_cache(site, tmp_path):
    cache = tmp_path / "cache"
    with serve(site) as (url, requested):
        path = get_file("corpus.txt", origin=f"{url}/corpus.txt", cache_dir=cache)
        again = get_file("corpus.txt", origin=f"{url}/corpus.txt", cache_dir=cache)
    assert exported is get_file
    assert isinstance(path, str) and path == again == str(cache / "datasets" / "corpus.txt")
    assert Path(path).read_bytes() == TEXT and requested == ["/corpus.txt"]
    assert listing(cache) == ["datasets", "datasets/corpus.txt"]  # no temporary file left
    # offline now: the cached file is enough, its name taken from the URL
    assert get_file(origin=f"{closed_url()}/corpus.txt", cache_dir=cache) == path


def test_default_folders_follow_lamina_data_dir(site, tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "sets"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with serve(site) as (url, _):
        data = get_file("corpus.txt", origin=f"{url}/corpus.txt")
        model = get_file("c.txt", origin=f"{url}/corpus.txt", cache_subdir="models")
    assert data == str(tmp_path / "sets" / "corpus.txt")
    assert model == str(tmp_path / "home" / ".lamina" / "models" / "c.txt")


def test_hashes_are_checked_and_a_bad_download_saves_nothing(site, tmp_path):
    cache = tmp_path / "cache"
    sha256, md5 = hashlib.sha256(TEXT).hexdigest(), hashlib.md5(TEXT).hexdigest()
    with serve(site) as (url, requested):
        origin = f"{url}/corpus.txt"
        get_file("a.txt", origin=origin, cache_dir=cache, file_hash=sha256)
        get_file("b.txt", origin=origin, cache_dir=cache, md5_hash=md5)
        get_file("c.txt", origin=origin, cache_dir=cache, file_hash=md5.upper())
        with pytest.raises(ChecksumError) as info:
            get_file("d.txt", origin=origin, cache_dir=cache, file_hash="0" * 64)
    assert isinstance(info.value, ValueError)
    assert f"SHA-256 is {sha256}" in str(info.value) and "nothing was saved" in str(info.value)
    assert len(requested) == 4
    assert listing(cache / "datasets") == ["a.txt", "b.txt", "c.txt"]
    with pytest.raises(ValueError, match='hash_algorithm must be "auto", "sha256" or "md5"'):
        get_file("a.txt", origin=origin, cache_dir=cache, hash_algorithm="sha1")


def test_a_stale_cached_file_is_downloaded_again(site, tmp_path, capsys):
    cache = tmp_path / "cache"
    stale = cache / "datasets" / "corpus.txt"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an older version")
    with serve(site) as (url, requested):
        origin = f"{url}/corpus.txt"
        get_file("corpus.txt", origin=origin, cache_dir=cache)  # no hash: the cache is trusted
        assert requested == [] and stale.read_bytes() == b"an older version"
        get_file(
            "corpus.txt", origin=origin, cache_dir=cache, file_hash=hashlib.md5(TEXT).hexdigest()
        )
        assert requested == ["/corpus.txt"] and stale.read_bytes() == TEXT
        get_file("corpus.txt", origin=origin, cache_dir=cache, force_download=True)
        assert requested == ["/corpus.txt"] * 2
    assert "the md5 file hash does not match" in capsys.readouterr().err


def test_extract_tar_and_zip_with_keras_names(site, tmp_path):
    cache = tmp_path / "cache"
    with serve(site) as (url, requested):
        # fname with an extension: the archive keeps it, the folder is <stem>_extracted
        folder = get_file("photos.tar.gz", origin=f"{url}/photos.tar.gz", extract=True,
                          cache_dir=cache)  # fmt: skip
        assert folder == str(cache / "datasets" / "photos_extracted")
        assert listing(Path(folder)) == [
            "photos",
            "photos/cat.txt",
            "photos/dog",
            "photos/dog/dog.txt",
        ]
        # no fname: the folder takes the URL's name and the archive gets "_archive"
        folder = get_file(origin=f"{url}/pack.zip", extract=True, cache_dir=cache)
        assert folder == str(cache / "datasets" / "pack.zip")
        assert (cache / "datasets" / "pack.zip_archive").is_file()
        assert (Path(folder) / "sub" / "b.txt").read_text() == "beta"
        # untar with an fname without extension
        folder = get_file("photos", origin=f"{url}/photos.tar.gz", untar=True, cache_dir=cache)
        assert folder == str(cache / "datasets" / "photos")
        assert (Path(folder) / "photos" / "cat.txt").read_bytes() == b"meow"
        assert len(requested) == 3
        # cached archive and folder: nothing is downloaded or extracted again
        (Path(folder) / "photos" / "note.txt").write_text("mine")
        get_file("photos", origin=f"{url}/photos.tar.gz", untar=True, cache_dir=cache)
        assert len(requested) == 3 and (Path(folder) / "photos" / "note.txt").exists()
    assert not [p for p in listing(cache) if ".part" in p]


def test_not_an_archive_warns_as_keras(site, tmp_path):
    with serve(site) as (url, _):
        with pytest.warns(UserWarning, match="Could not extract archive"):
            folder = get_file(
                "corpus", origin=f"{url}/corpus.txt", extract=True, cache_dir=tmp_path
            )
    assert folder == str(tmp_path / "datasets" / "corpus") and not os.path.exists(folder)


@pytest.mark.parametrize(
    "member",
    [
        {"name": "../escaped.txt"},
        {"name": "/tmp/absolute.txt"},
        {"name": "fine/../../escaped.txt"},
        {"name": "link", "type": tarfile.SYMTYPE, "linkname": "/etc/passwd"},
        {"name": "up", "type": tarfile.SYMTYPE, "linkname": "../.."},
        {"name": "hard", "type": tarfile.LNKTYPE, "linkname": "../outside.txt"},
    ],
    ids=["dotdot", "absolute", "nested-dotdot", "symlink-out", "symlink-up", "hardlink-out"],
)
def test_tar_members_outside_the_folder_are_refused(tmp_path, member):
    archive_path = tmp_path / "evil.tar"
    with tarfile.open(archive_path, "w") as archive:
        add_file(archive, "harmless.txt", b"ok")
        name = member.pop("name")
        add_file(archive, name, b"" if member else b"pwned", **member)
    target = tmp_path / "out" / "evil"
    with pytest.raises(ValueError, match=f"refusing to extract .*evil.tar: its member '{name}'"):
        extract_archive(archive_path, target)
    assert not target.exists() and listing(tmp_path / "out") == []  # nothing extracted
    assert not (tmp_path / "escaped.txt").exists()


def test_zip_members_outside_the_folder_are_refused(tmp_path):
    for name in ("../escaped.txt", "/abs.txt", "C:/windows.txt", "a/../../escaped.txt"):
        with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
            archive.writestr("harmless.txt", "ok")
            archive.writestr(zipfile.ZipInfo(name), "pwned")
        with pytest.raises(ValueError, match="would be written outside the extraction folder"):
            extract_archive(tmp_path / "evil.zip", tmp_path / "out")
        assert not (tmp_path / "out").exists() and not (tmp_path / "escaped.txt").exists()


def test_fetch_failures_say_where_to_put_the_file(site, tmp_path):
    with serve(site) as (url, _):
        with pytest.raises(
            OSError, match=r"URL fetch failure on .*/missing.txt: HTTP Error 404"
        ) as info:
            get_file(origin=f"{url}/missing.txt", cache_dir=tmp_path)
    assert str(tmp_path / "datasets" / "missing.txt") in str(info.value)
    with pytest.raises(OSError, match="Connection refused"):
        get_file(origin=f"{closed_url()}/corpus.txt", cache_dir=tmp_path)
    assert listing(tmp_path / "datasets") == []


def test_argument_errors():
    with pytest.raises(ValueError, match='specify the "origin" argument'):
        get_file("a.txt")
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        get_file("sub/a.txt", origin="http://127.0.0.1:9/a.txt")
    with pytest.raises(ValueError, match="Can't parse the file name"):
        get_file(origin="http://127.0.0.1:9/")
