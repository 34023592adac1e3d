"""``ResultsTable``: a search's trials as a list of dicts that prints as a text table.

Each row is ``{"trial", "state", "score", "duration", "params"}`` (``duration`` in seconds;
``score`` None for a trial that did not complete). No pandas needed; with pandas,
``pd.DataFrame([{**r.pop("params"), **r} for r in table])`` makes a frame.

>>> table = ResultsTable([
...     {"trial": 0, "state": "COMPLETE", "score": 0.25, "duration": 1.5,
...      "params": {"lr": 0.01, "units": 32}},
...     {"trial": 1, "state": "PRUNED", "score": None, "duration": 0.4,
...      "params": {"lr": 0.3, "units": 64}}])
>>> print(table)
trial  state     score  duration  lr    units
    0  COMPLETE   0.25  1.5s      0.01     32
    1  PRUNED        -  0.4s       0.3     64
"""

from __future__ import annotations

import math


class ResultsTable(list):
    """A list of row dicts (see the module docstring) whose ``str`` is an aligned table."""

    def to_text(self, max_rows: int | None = None) -> str:
        """The rows as an aligned text table (the first ``max_rows`` only, if given)."""
        rows = list(self)[:max_rows] if max_rows is not None else list(self)
        params = []
        for row in rows:
            params += [p for p in row["params"] if p not in params]
        header = ["trial", "state", "score", "duration", *params]
        columns = [
            [row["trial"] for row in rows],
            [row["state"] for row in rows],
            [row["score"] for row in rows],
            [None if row["duration"] is None else f"{row['duration']:.1f}s" for row in rows],
            *([row["params"].get(p) for row in rows] for p in params),
        ]
        lines = [[] for _ in range(len(rows) + 1)]
        for name, values in zip(header, columns):
            cells = [_fmt(v) for v in values]
            width = max(len(c) for c in [name, *cells])
            numeric = all(v is None or _is_number(v) for v in values)
            lines[0].append(name.ljust(width))
            for line, cell in zip(lines[1:], cells):
                line.append(cell.rjust(width) if numeric else cell.ljust(width))
        return "\n".join("  ".join(line).rstrip() for line in lines)

    def __str__(self) -> str:
        return self.to_text()


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)
