"""Smaller model files for small devices: weight matrices stored as int8 or float16.

``quantize(model, path, dtype="int8")`` writes a ``.lamina`` file whose kernels (every float
weight with two or more axes) are stored as

- ``int8``: ``q = round(w / s)`` clipped to [-127, 127], with one float32 scale per output
  channel (the last axis), ``s = max|w| / 127`` (symmetric, per-channel); about 4x smaller;
- ``float16``: half precision; about 2x smaller.

Biases and normalization statistics stay float32. ``lamina.models.load_model`` reads the file
back as an ordinary float32 model (``w ≈ s * q``), so the accuracy cost is measured by
evaluating the loaded model; ``bench/quantize_check.py`` does it for the MNIST CNN.

>>> import lamina, os, tempfile
>>> model = lamina.models.Sequential([lamina.layers.Input(shape=(64,)),
...                                   lamina.layers.Dense(256), lamina.layers.Dense(10)])
>>> report = quantize(model, os.path.join(tempfile.mkdtemp(), "m.lamina"), "int8")
>>> report["dtype"], report["ratio"] < 0.3
('int8', True)
"""

from __future__ import annotations

import os
import tempfile


def quantize(model, path, dtype: str = "int8") -> dict:
    """Write ``model`` with ``dtype`` weights to ``path``; return ``{"path", "dtype", "bytes",
    "float32_bytes", "ratio"}`` (the size against the same file in float32)."""
    from lamina.saving import save_model

    save_model(model, path, include_optimizer=False, weights_dtype=dtype)
    with tempfile.TemporaryDirectory() as tmp:
        full = os.path.join(tmp, "float32.lamina")
        save_model(model, full, include_optimizer=False)
        float32_bytes = os.path.getsize(full)
    size = os.path.getsize(path)
    return {
        "path": os.fspath(path),
        "dtype": dtype,
        "bytes": size,
        "float32_bytes": float32_bytes,
        "ratio": size / float32_bytes,
    }
