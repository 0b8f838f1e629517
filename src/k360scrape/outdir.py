"""The output folder: who may write into it, and the hidden work folder a run keeps there.

A run never writes into a folder it does not own: the folder must be new, empty, or hold an
earlier k360scrape output (its `manifest.json` names the generator). Work in progress — the
crawl state and the WARC being written — lives in `.k360scrape-work/` until the outputs are
renamed into place, so an interrupted or refused run leaves the previous outputs untouched.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from k360scrape.errors import OutputError

GENERATOR = "k360scrape"
WORK_DIR = ".k360scrape-work"
MANIFEST = "manifest.json"


def prepare(out_dir: Path) -> Path:
    """Check `out_dir` may be used, create it and its work folder; return the work folder."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"--out {out_dir} exists and is not a folder")
    if out_dir.is_dir() and not _is_ours(out_dir):
        raise OutputError(
            f"--out {out_dir} is not empty and holds no k360scrape output; "
            "choose a new or empty folder"
        )
    work = out_dir / WORK_DIR
    try:
        work.mkdir(parents=True, exist_ok=True)
        probe = work / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write to --out {out_dir}: {exc.strerror or exc}") from exc
    return work


def fresh_work(out_dir: Path) -> Path:
    """Start over: drop an earlier run's unfinished work."""
    work = out_dir / WORK_DIR
    shutil.rmtree(work, ignore_errors=True)
    return prepare(out_dir)


def discard_work(out_dir: Path) -> None:
    shutil.rmtree(out_dir / WORK_DIR, ignore_errors=True)


def _is_ours(folder: Path) -> bool:
    names = {p.name for p in folder.iterdir()}
    if not names - {WORK_DIR}:
        return True
    manifest = folder / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("generator") == GENERATOR
