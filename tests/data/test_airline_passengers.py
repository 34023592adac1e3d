import hashlib
import os

import numpy as np
import pytest

from lamina.data import airline_passengers
from lamina.data.download import ChecksumError, DatasetFormatError, DatasetNotFoundError
from tests.data import SHARED, copy_files, isolate, serve, shared_folder

NAME = airline_passengers.FILE.name


@pytest.fixture(scope="module")
def data():
    """The series loaded for real from the shared copy, offline (the mirror is a dead URL)."""
    shared_folder("airline-passengers")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, SHARED)
        return airline_passengers.load_data()


def test_values_match_the_published_series(data):
    months, passengers = data
    assert months.shape == passengers.shape == (144,)
    assert months.dtype == np.dtype("datetime64[M]") and passengers.dtype == np.float32
    first_year = [112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118]
    assert passengers[:12].tolist() == first_year
    assert passengers.sum() == 40363 and (passengers.min(), passengers.max()) == (104, 622)
    assert str(months[0]) == "1949-01" and str(months[-1]) == "1960-12"
    assert np.all(np.diff(months).astype(int) == 1)


def test_pinned_checksum_matches_the_shared_copy():
    path = shared_folder("airline-passengers") / NAME
    data = path.read_bytes()
    assert hashlib.md5(data).hexdigest() == "558a08bfda3955c8506436677352f7b8"
    assert hashlib.sha256(data).hexdigest() == airline_passengers.FILE.sha256
    assert len(data) == airline_passengers.FILE.size


def test_downloads_from_the_mirror_and_caches(monkeypatch, tmp_path):
    root = tmp_path / "mirror"
    copy_files(shared_folder("airline-passengers"), root / "airline-passengers", [NAME])
    with serve(root) as (url, requested):
        isolate(monkeypatch, tmp_path / "cache", url)
        months, passengers = airline_passengers.load_data()
    assert requested == [f"/airline-passengers/{NAME}"]
    assert passengers.sum() == 40363 and len(months) == 144
    assert os.listdir(tmp_path / "cache" / "airline-passengers") == [NAME]
    isolate(monkeypatch, tmp_path / "cache")  # offline: the cached copy is enough
    assert airline_passengers.load_data()[1].sum() == 40363


def test_a_corrupt_cached_file_is_refused(monkeypatch, tmp_path):
    path = tmp_path / "airline-passengers" / NAME
    path.parent.mkdir()
    data = (shared_folder("airline-passengers") / NAME).read_bytes().replace(b",112", b",113")
    path.write_bytes(data)
    isolate(monkeypatch, tmp_path)
    with pytest.raises(ChecksumError) as info:
        airline_passengers.load_data()
    message = str(info.value)
    assert str(path) in message and airline_passengers.FILE.sha256 in message
    assert hashlib.sha256(data).hexdigest() in message


def test_missing_everywhere_says_where_to_put_the_file(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)
    with pytest.raises(DatasetNotFoundError) as info:
        airline_passengers.load_data()
    message = str(info.value)
    assert str(tmp_path / "airline-passengers" / NAME) in message
    assert airline_passengers.FILE.sha256 in message


def test_source_is_the_tutorials_copy():
    assert airline_passengers.MIRRORS == [
        "https://raw.githubusercontent.com/jbrownlee/Datasets/master/"
    ]


GOOD = b'"Month","Passengers"\r\n"1949-01",112\r\n"1949-02",118\n"1949-03",132\n'


def test_parse_accepts_lf_and_crlf():
    months, values = airline_passengers.parse(GOOD, "x", rows=3)
    assert months.astype(str).tolist() == ["1949-01", "1949-02", "1949-03"]
    assert values.tolist() == [112, 118, 132]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (GOOD.replace(b'"Month"', b'"Date"'), "expected the header"),
        (GOOD + b'"1949-04",121\n', "expected 3 monthly rows, found 4"),
        (GOOD.replace(b",118", b",lots"), 'line 3: expected "YYYY-MM",<number>'),
        (GOOD.replace(b'"1949-02"', b'"1949-2"'), "line 3: expected"),
        (GOOD.replace(b'"1949-02"', b'"1949-04"'), "line 3: the months are not consecutive"),
        (GOOD.replace(b",132", b",-1"), "finite and non-negative"),
        (GOOD.replace(b"112", b"\xff12"), "not an ASCII CSV"),
    ],
)
def test_malformed_files_are_rejected(data, message):
    with pytest.raises(DatasetFormatError, match=message):
        airline_passengers.parse(data, "x", rows=3)
