"""Whole-or-nothing single-file writes, shared by the PDF store and the snapshot root.

(`export.atomic.StagedFiles` stages a whole set of output files the same way.)
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Readers see the whole file or none: write a temporary file, then rename it."""
    temp = target.with_name(f".part-{uuid.uuid4().hex}")
    # os.open with 0o666 honours the umask (mkstemp would leave the file private: 0o600).
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        temp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def fsync_dir(path: Path) -> None:
    """Persist the renames in a folder; only POSIX can open a directory for fsync."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
