"""International airline passengers, monthly, January 1949 to December 1960 (144 months).

``load_data()`` returns ``(months, passengers)``: ``months`` as ``datetime64[M]`` (``str(m)`` is
``"1949-01"``; ``months.astype(str)`` gives the strings) and ``passengers`` as float32, in
thousands. The file ``airline-passengers.csv`` (2,180 bytes) is downloaded once into
``<data dir>/airline-passengers/`` and checked against the SHA-256 below. It is the classic
"Series G" of Box & Jenkins (R's ``AirPassengers``), the series of the Keras/LSTM forecasting
tutorials; pair it with ``lamina.data.timeseries_dataset_from_array``.

G. E. P. Box, G. M. Jenkins, G. C. Reinsel, "Time Series Analysis: Forecasting and Control"
(Series G). No explicit licence.

>>> months, passengers = parse(b'"Month","Passengers"\\r\\n"1949-01",112\\r\\n"1949-02",118',
...                            "example", rows=2)
>>> months.astype(str).tolist(), passengers.tolist()
(['1949-01', '1949-02'], [112.0, 118.0])
"""

from __future__ import annotations

import numpy as np

from lamina.data.download import DatasetFormatError, RemoteFile, fetch

DATASET = "airline-passengers"

# Jason Brownlee's copy, the one the LSTM forecasting tutorials download.
MIRRORS = ["https://raw.githubusercontent.com/jbrownlee/Datasets/master/"]

# No official checksum exists. The SHA-256 was computed from a copy whose md5
# (558a08bfda3955c8506436677352f7b8) is the one commonly published for this file and whose values
# match R's AirPassengers (sum 40363, min 104, max 622).
FILE = RemoteFile(
    "airline-passengers.csv",
    "8cb51be753a718d9be5d76d7e238cc224792754676adc21faa59e954b0201621",
    2_180,
)

HEADER = '"Month","Passengers"'
NUM_MONTHS = 144


def load_data() -> tuple[np.ndarray, np.ndarray]:
    """``(months, passengers)``: ``datetime64[M]`` months 1949-01..1960-12, float32 totals
    (thousands of passengers), both of shape ``(144,)``."""
    (path,) = fetch(DATASET, [FILE], MIRRORS)
    return parse(path.read_bytes(), str(path))


def parse(data: bytes, name: str, rows: int = NUM_MONTHS) -> tuple[np.ndarray, np.ndarray]:
    """Months and values from the bytes of the CSV: the header, then ``rows`` lines
    ``"YYYY-MM",<count>`` of consecutive months (CRLF or LF line ends)."""
    try:
        lines = data.decode("ascii").replace("\r\n", "\n").rstrip("\n").split("\n")
    except UnicodeDecodeError:
        raise DatasetFormatError(f"{name}: not an ASCII CSV file") from None
    if lines[0] != HEADER:
        raise DatasetFormatError(f"{name}: expected the header {HEADER}, found {lines[0][:60]!r}")
    if len(lines) - 1 != rows:
        raise DatasetFormatError(f"{name}: expected {rows} monthly rows, found {len(lines) - 1}")
    months, values = [], []
    for number, line in enumerate(lines[1:], start=2):
        month, _, value = line.partition(",")
        try:
            if not (month.startswith('"') and month.endswith('"') and len(month) == 9):
                raise ValueError
            months.append(np.datetime64(month[1:-1], "M"))
            values.append(float(value))
        except ValueError:
            raise DatasetFormatError(
                f'{name}, line {number}: expected "YYYY-MM",<number>, found {line[:60]!r}'
            ) from None
    months = np.array(months, dtype="datetime64[M]")
    steps = np.diff(months).astype(np.int64)
    if np.any(steps != 1):
        line = int(np.flatnonzero(steps != 1)[0]) + 3
        raise DatasetFormatError(f"{name}, line {line}: the months are not consecutive")
    passengers = np.array(values, dtype=np.float32)
    if not np.all(np.isfinite(passengers)) or passengers.min() < 0:
        raise DatasetFormatError(f"{name}: passenger counts must be finite and non-negative")
    return months, passengers
