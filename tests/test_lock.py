"""The snapshot root's lock file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from k360scrape.errors import ExitCode, LockedError
from k360scrape.lock import RootLock


def test_second_holder_is_refused_with_pid_and_start_time(tmp_path):
    with (
        RootLock(tmp_path, started_at="2026-11-24T17:04:05Z"),
        pytest.raises(LockedError) as refused,
    ):
        RootLock(tmp_path).acquire()
    message = str(refused.value)
    assert f"(pid {os.getpid()}, started 2026-11-24T17:04:05Z)" in message
    assert str(tmp_path / ".lock") in message
    assert "\n" not in message
    assert refused.value.exit_code is ExitCode.LOCKED


def test_lock_is_free_again_after_release(tmp_path):
    with RootLock(tmp_path):
        pass
    with RootLock(tmp_path):  # no stale lock, and the file stays
        assert (tmp_path / ".lock").exists()


def test_creates_the_root(tmp_path):
    root = tmp_path / "new" / "root"
    with RootLock(root):
        assert root.is_dir()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    # A child takes the lock and dies by SIGKILL: the kernel drops the flock with it.
    code = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        from k360scrape.lock import RootLock
        lock = RootLock(Path({str(tmp_path)!r}))
        lock.acquire()
        print("locked", flush=True)
        sys.stdin.readline()
    """)
    with subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match=f"pid {child.pid}"):
            RootLock(tmp_path).acquire()
        child.kill()
        child.wait(timeout=10)
    with RootLock(tmp_path):
        pass
