"""Training reports: one self-contained HTML page per run, readable offline.

- ``run.py``: ``save_run`` gathers a run's data into a folder (``run.json`` and explanation
  PNGs), ``load_run`` reads it back;
- ``html.py``: ``render`` makes the page, ``write_report`` writes ``run_dir/report.html``;
- ``svg.py``: the learning-curve and bar charts, as inline SVG.

The ``lamina.callbacks.Report`` callback writes both at the end of training; ``lamina report
RUN_DIR`` re-renders the page from the folder.

>>> import os, tempfile
>>> from lamina.models import Sequential
>>> from lamina.layers import Dense
>>> run_dir = tempfile.mkdtemp()
>>> _ = save_run(run_dir, Sequential([Dense(1, input_shape=(2,))]), history={"loss": [1.0, 0.5]})
>>> os.path.basename(write_report(run_dir))
'report.html'
"""

from lamina.report.html import render, write_report
from lamina.report.run import load_run, save_run

__all__ = ["load_run", "render", "save_run", "write_report"]
