"""The snapshot root's lock file: one process per root at a time.

`RootLock(root)` takes an exclusive `fcntl.flock` on `root/.lock` for as long as the run lasts.
The kernel drops the lock when the process dies, `kill -9` included, so a crashed run never
leaves a stale lock behind and no pid check or timeout is needed. The holder writes its pid and
start time into the file, which is all a refused process reads, to name who holds the root.

The file is never deleted: unlinking a lock file while another process has it open would let
a third process lock a new file of the same name, and two runs would work on one root.
POSIX only (flock); the snapshot root must be on a local file system, where flock works.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from k360scrape.errors import LockedError, OutputError

LOCK_NAME = ".lock"


class RootLock:
    """Exclusive, non-blocking lock on a snapshot root; a context manager."""

    def __init__(self, root: Path, *, started_at: str = "") -> None:
        self.path = root / LOCK_NAME
        self._started_at = started_at
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise `LockedError` naming the holder; never waits."""
        try:
            # Imported here so that the rest of the package still imports where fcntl is missing.
            import fcntl
        except ImportError:
            raise OutputError("snapshots need POSIX file locks (fcntl), missing here") from None
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe_holder(fd)
            os.close(fd)
            raise LockedError(
                f"another k360scrape snapshot{holder} is working on {self.path.parent} "
                f"(lock {self.path}); try again when it has finished"
            ) from None
        self._fd = fd
        self._write_holder(fd)

    def release(self) -> None:
        if self._fd is not None:
            # Closing the descriptor drops the flock; the holder line stays but is harmless,
            # since only a process that fails to lock ever reads it.
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # No O_TRUNC: the file may be locked by someone else, whose holder line we read.
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot open lock file {self.path}: {exc.strerror or exc}") from exc

    def _write_holder(self, fd: int) -> None:
        holder = {"pid": os.getpid(), "started_at": self._started_at}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)


def _describe_holder(fd: int) -> str:
    """' (pid 123, started 2026-11-24T17:04:05Z)' from the holder line, or '' if unreadable."""
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return ""
    if not isinstance(data, dict) or "pid" not in data:
        return ""
    started = f", started {data['started_at']}" if data.get("started_at") else ""
    return f" (pid {data['pid']}{started})"
