"""Atomic file writes: a crash or an error mid-write never leaves a half-written file, and never
destroys the file that was there before.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "a.bin")
>>> write_atomic(path, b"abc", b"def"); open(path, "rb").read()
b'abcdef'
"""

from __future__ import annotations

import os
import tempfile


def write_atomic(path, *parts: bytes) -> None:
    """Write ``parts`` to ``path`` through a temporary file in the same folder, flushed to disk
    and renamed over the target (``os.replace`` is atomic on POSIX and Windows)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
