import hashlib
import os
import zipfile

import numpy as np
import pytest

from lamina.data import sentiment_sentences as sentiment
from lamina.data.download import (
    ChecksumError,
    DatasetFormatError,
    DatasetNotFoundError,
    RemoteFile,
)
from tests.data import SHARED, closed_url, copy_files, isolate, serve, shared_folder

DATASET = "sentiment-labelled-sentences"
NAMES = [remote.name for remote in sentiment.FILES.values()]


@pytest.fixture(scope="module")
def data():
    """All sentences loaded for real from the shared copy, offline."""
    shared_folder(DATASET)
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, SHARED)
        return sentiment.read(return_sources=True), sentiment.load_data()


def make_archive(path, members=None, extra=()):
    """A zip laid out like UCI's: ``sentiment labelled sentences/<file>`` plus macOS clutter."""
    source = shared_folder(DATASET)
    members = members or {name: (source / name).read_bytes() for name in NAMES}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(sentiment.FOLDER + name, content)
        zf.writestr("__MACOSX/sentiment labelled sentences/._imdb_labelled.txt", b"\0\5\26\7")
        for name, content in extra:
            zf.writestr(name, content)
    return path


def pin(monkeypatch, path, mirror):
    """Make the loader expect the synthetic archive ``path`` from ``mirror``."""
    data = path.read_bytes()
    archive = RemoteFile(sentiment.ARCHIVE.name, hashlib.sha256(data).hexdigest(), len(data))
    monkeypatch.setattr(sentiment, "ARCHIVE", archive)
    monkeypatch.setattr(sentiment, "MIRRORS", [mirror])
    monkeypatch.delenv("LAMINA_DATASETS_MIRROR")


def test_every_file_has_1000_sentences_balanced(data):
    (sentences, labels, origin), _ = data
    assert sentences.shape == labels.shape == origin.shape == (3000,)
    assert sentences.dtype == object and all(isinstance(s, str) for s in sentences)
    assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [1500, 1500]
    for source in range(3):
        assert np.bincount(labels[origin == source]).tolist() == [500, 500]
    assert sentences[0].startswith("So there is no way for me to plug it in here in the US")
    assert labels[0] == 0


def test_imdb_lines_with_quotes_and_nel_are_not_merged(data):
    (sentences, _, origin), _ = data
    imdb = sentences[origin == 1]
    assert len(imdb) == 1000
    quoted = [s for s in imdb if '"' in s]
    assert len(quoted) > 10  # a CSV reader would merge these lines
    assert not any("\n" in s or s.endswith(("\t0", "\t1")) for s in imdb)
    assert "The script is\x85was there a script?  " in imdb.tolist()  # U+0085 is not a line end
    assert imdb[0].startswith("A very, very, very slow-moving, aimless movie")


def test_split_is_stratified_deterministic_and_seeded(data):
    (sentences, labels, _), ((x_train, y_train), (x_test, y_test)) = data
    assert len(x_train) == 2400 and len(x_test) == 600
    assert np.bincount(y_train).tolist() == [1200, 1200]
    assert np.bincount(y_test).tolist() == [300, 300]
    assert sorted(x_train.tolist() + x_test.tolist()) == sorted(sentences.tolist())
    pairs = dict(zip(sentences.tolist(), labels.tolist()))
    assert all(pairs[s] == y for s, y in zip(x_test.tolist(), y_test.tolist()))
    amazon = set(sentences[:1000].tolist())
    assert sum(s in amazon for s in x_test.tolist()) == 200  # 20% of each source
    assert y_train[:20].tolist() != sorted(y_train[:20].tolist())  # shuffled, not file order


def test_same_seed_same_split_other_seed_other_split(monkeypatch):
    shared_folder(DATASET)
    isolate(monkeypatch, SHARED)
    (a, _), (b, _) = sentiment.load_data(sources=("yelp",), test_split=0.1, seed=1)
    (c, _), (d, _) = sentiment.load_data(sources=["yelp"], test_split=0.1, seed=1)
    (_, _), (e, _) = sentiment.load_data(sources=("yelp",), test_split=0.1, seed=2)
    assert a.tolist() == c.tolist() and b.tolist() == d.tolist()
    assert len(a) == 900 and len(b) == 100 and set(b.tolist()) != set(e.tolist())
    (x_train, _), (x_test, _) = sentiment.load_data(sources=("imdb",), test_split=0)
    assert len(x_train) == 1000 and len(x_test) == 0


def test_bad_arguments(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match=r"test_split must be in \[0, 1\)"):
        sentiment.load_data(test_split=1.0)
    with pytest.raises(ValueError, match="sources must be a non-empty sequence of"):
        sentiment.load_data(sources=("amazon", "netflix"))
    with pytest.raises(ValueError, match="sources must be a non-empty sequence of"):
        sentiment.load_data(sources=())


def test_pinned_checksums_match_the_shared_copies():
    folder = shared_folder(DATASET)
    md5 = {
        "amazon_cells_labelled.txt": "f737b1e64487b2d2518fcefdb0257e63",
        "imdb_labelled.txt": "ccea809cf06938e64b783737778f5ca0",
        "yelp_labelled.txt": "3a7fe2c38dc373d2ca8e687d6226a82e",
    }
    for remote in sentiment.FILES.values():
        data = (folder / remote.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == remote.sha256
        assert (hashlib.md5(data).hexdigest(), len(data)) == (md5[remote.name], remote.size)
    assert sentiment.ARCHIVE.name == "sentiment+labelled+sentences.zip"
    assert sentiment.MIRRORS == ["https://archive.ics.uci.edu/static/public/331/"]


def test_cached_files_are_used_without_any_download(monkeypatch):
    shared_folder(DATASET)
    isolate(monkeypatch, SHARED)
    monkeypatch.delenv("LAMINA_DATASETS_MIRROR")
    monkeypatch.setattr(sentiment, "MIRRORS", [f"{closed_url()}/uci/"])
    sentences, labels = sentiment.read(("amazon", "yelp"))
    assert len(sentences) == 2000 and labels.sum() == 1000


def test_downloads_the_archive_and_extracts_only_the_known_files(monkeypatch, tmp_path):
    root = tmp_path / "mirror"
    (root / "uci").mkdir(parents=True)
    archive = make_archive(
        root / "uci" / sentiment.ARCHIVE.name,
        extra=[("../../escape.txt", b"outside\t1\n"), ("/abs.txt", b"x\t0\n")],
    )
    cache = tmp_path / "cache"
    with serve(root) as (url, requested):
        isolate(monkeypatch, cache, url)
        pin(monkeypatch, archive, f"{url}/uci/")
        sentences, labels = sentiment.read()
    assert requested == [f"/uci/{sentiment.ARCHIVE.name}"]
    assert len(sentences) == 3000 and labels.sum() == 1500
    folder = cache / DATASET
    assert sorted(os.listdir(folder)) == sorted([*NAMES, sentiment.ARCHIVE.name])
    for remote in sentiment.FILES.values():
        assert hashlib.sha256((folder / remote.name).read_bytes()).hexdigest() == remote.sha256
    assert not list(tmp_path.rglob("escape.txt")) and not list(tmp_path.rglob("abs.txt"))
    monkeypatch.setattr(sentiment, "MIRRORS", [f"{closed_url()}/uci/"])  # offline now
    assert sentiment.read()[0].tolist() == sentences.tolist()


def test_only_missing_files_are_extracted(monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    copy_files(shared_folder(DATASET), cache / DATASET, ["imdb_labelled.txt"])
    before = os.stat(cache / DATASET / "imdb_labelled.txt").st_mtime_ns
    root = tmp_path / "mirror"
    (root / "uci").mkdir(parents=True)
    archive = make_archive(root / "uci" / sentiment.ARCHIVE.name)
    with serve(root) as (url, requested):
        isolate(monkeypatch, cache, url)
        pin(monkeypatch, archive, f"{url}/uci/")
        sentences, _ = sentiment.read(("imdb", "yelp"))
    assert len(requested) == 1 and len(sentences) == 2000
    assert os.stat(cache / DATASET / "imdb_labelled.txt").st_mtime_ns == before
    assert not (cache / DATASET / "amazon_cells_labelled.txt").exists()  # not asked for


def test_the_mirror_variable_serves_the_plain_files(monkeypatch, tmp_path):
    root = tmp_path / "mirror"
    copy_files(shared_folder(DATASET), root / DATASET, NAMES)
    with serve(root) as (url, requested):
        isolate(monkeypatch, tmp_path / "cache", url)
        (x_train, _), (x_test, _) = sentiment.load_data(sources=("amazon", "imdb"))
    assert sorted(requested) == sorted(f"/{DATASET}/{n}" for n in NAMES[:2])
    assert len(x_train) + len(x_test) == 2000


def test_a_cached_archive_is_used_even_with_a_mirror(monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    (cache / DATASET).mkdir(parents=True)
    archive = make_archive(cache / DATASET / sentiment.ARCHIVE.name)
    with serve(tmp_path) as (url, requested):
        isolate(monkeypatch, cache, url)
        pin(monkeypatch, archive, f"{closed_url()}/uci/")
        monkeypatch.setenv("LAMINA_DATASETS_MIRROR", url)
        sentences, _ = sentiment.read(("yelp",))
    assert requested == [] and len(sentences) == 1000
    assert sorted(os.listdir(cache / DATASET)) == [sentiment.ARCHIVE.name, "yelp_labelled.txt"]


def test_an_archive_with_a_changed_member_saves_nothing(monkeypatch, tmp_path):
    source = shared_folder(DATASET)
    members = {name: (source / name).read_bytes() for name in NAMES}
    members["yelp_labelled.txt"] = members["yelp_labelled.txt"].replace(b"\t1\n", b"\t0\n", 1)
    cache = tmp_path / "cache"
    (cache / DATASET).mkdir(parents=True)
    archive = make_archive(cache / DATASET / sentiment.ARCHIVE.name, members)
    isolate(monkeypatch, cache)
    pin(monkeypatch, archive, f"{closed_url()}/uci/")
    with pytest.raises(ChecksumError) as info:
        sentiment.read(("yelp",))
    assert "yelp_labelled.txt" in str(info.value) and "nothing was saved" in str(info.value)
    assert sentiment.FILES["yelp"].sha256 in str(info.value)
    assert os.listdir(cache / DATASET) == [sentiment.ARCHIVE.name]


def test_an_archive_without_the_files_is_rejected(monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    (cache / DATASET).mkdir(parents=True)
    archive = make_archive(cache / DATASET / sentiment.ARCHIVE.name, {"readme.txt": b"hello"})
    isolate(monkeypatch, cache)
    pin(monkeypatch, archive, f"{closed_url()}/uci/")
    with pytest.raises(DatasetFormatError, match="lacks sentiment labelled sentences/imdb_"):
        sentiment.read(("imdb",))


def test_a_wrong_archive_download_is_refused(monkeypatch, tmp_path):
    root = tmp_path / "mirror"
    (root / "uci").mkdir(parents=True)
    make_archive(root / "uci" / sentiment.ARCHIVE.name)
    with serve(root) as (url, _):
        isolate(monkeypatch, tmp_path / "cache", url)
        monkeypatch.delenv("LAMINA_DATASETS_MIRROR")
        monkeypatch.setattr(sentiment, "MIRRORS", [f"{url}/uci/"])  # the real pin is kept
        with pytest.raises(ChecksumError, match="nothing was saved"):
            sentiment.read()
    assert os.listdir(tmp_path / "cache" / DATASET) == []


def test_a_corrupt_cached_file_is_refused(monkeypatch, tmp_path):
    path = tmp_path / DATASET / "imdb_labelled.txt"
    path.parent.mkdir()
    data = (shared_folder(DATASET) / path.name).read_bytes()[:-100]
    path.write_bytes(data)
    isolate(monkeypatch, tmp_path)
    monkeypatch.delenv("LAMINA_DATASETS_MIRROR")
    with pytest.raises(ChecksumError) as info:
        sentiment.read(("imdb",))
    message = str(info.value)
    assert str(path) in message and hashlib.sha256(data).hexdigest() in message
    assert path.read_bytes() == data  # reported, not deleted


def test_offline_without_cache_says_what_to_download(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)
    monkeypatch.delenv("LAMINA_DATASETS_MIRROR")
    monkeypatch.setattr(sentiment, "MIRRORS", [f"{closed_url()}/uci/"])
    with pytest.raises(DatasetNotFoundError) as info:
        sentiment.load_data()
    message = str(info.value)
    assert str(tmp_path / DATASET / sentiment.ARCHIVE.name) in message
    assert f"{sentiment.MIRRORS[0]}{sentiment.ARCHIVE.name}" in message
    assert "Connection refused" in message


def test_parse_splits_on_the_last_tab_and_only_on_newlines():
    data = 'He said "wow\tnice" \x85 ok.\t1\nBad.\t0\n'.encode()
    sentences, labels = sentiment.parse(data, "x")
    assert sentences.tolist() == ['He said "wow\tnice" \x85 ok.', "Bad."]
    assert labels.tolist() == [1, 0] and labels.dtype == np.int64


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"no label here\n", "line 1: expected sentence<TAB>0 or 1"),
        (b"fine\t1\nmaybe\t2\n", "line 2: expected sentence<TAB>0 or 1"),
        (b"fine\t1\r\n", "line 1: expected"),
        (b"caf\xe9\t1\n", "is not UTF-8 text"),
    ],
)
def test_malformed_files_are_rejected(data, message):
    with pytest.raises(DatasetFormatError, match=message):
        sentiment.parse(data, "x")
