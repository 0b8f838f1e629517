"""The snapshot root on disk: snapshot folders, the `latest` link, the pending record, pruning.

    DIR/
      .lock                         held by the running process (`lock.py`)
      latest -> snapshots/<name>    symlink, replaced atomically on promotion
      snapshots/<name>/             one folder per snapshot, <name> = UTC start, 20261124T170405Z
      .k360scrape-snapshot/         bookkeeping of the snapshot in progress:
        pending.json                  its name, base (latest when it started) and start URLs
        validators.jsonl              its exchange journal (`revalidate.Journal`)
        trash/                        folders being pruned (renamed here, then deleted)

A snapshot is *unfinished* while `pending.json` names it; only that one can be resumed, and it
is never promoted or pruned. It is *finished* once its manifest.json carries the "snapshot"
section (the gate's verdict), *abandoned* once it holds an `ABANDONED` note. `latest` is a
relative symlink, so the root can be moved or synced as a whole; `cp -rL DIR/latest out/`
copies the files behind it.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from k360scrape.atomicfile import fsync_dir, write_bytes_atomic
from k360scrape.errors import OutputError
from k360scrape.outdir import MANIFEST

SNAPSHOTS = "snapshots"
LATEST = "latest"
WORK = ".k360scrape-snapshot"
PENDING = "pending.json"
JOURNAL = "validators.jsonl"
ABANDONED = "ABANDONED"
FINISHED, UNFINISHED, ABANDONED_STATUS, UNKNOWN = "finished", "unfinished", "abandoned", "unknown"


@dataclass(frozen=True)
class Pending:
    """The snapshot in progress, written before its folder exists."""

    name: str
    base: str | None
    start_urls: tuple[str, ...]
    started_at: str


class SnapshotRoot:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.snapshots = root / SNAPSHOTS
        self.work = root / WORK

    @property
    def journal_path(self) -> Path:
        return self.work / JOURNAL

    def folder(self, name: str) -> Path:
        return self.snapshots / name

    def prepare(self) -> None:
        """Create the layout; refuse a `latest` that is not ours to replace."""
        latest = self.root / LATEST
        if latest.exists() and not latest.is_symlink():
            raise OutputError(f"{latest} exists and is not a symlink; move it away first")
        try:
            self.snapshots.mkdir(parents=True, exist_ok=True)
            self.work.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot use {self.root} as the snapshot root: {exc}") from exc
        shutil.rmtree(self.work / "trash", ignore_errors=True)  # an interrupted prune

    # --- latest
    def latest_name(self) -> str | None:
        """The snapshot `latest` points to, if it points into snapshots/ at all."""
        try:
            target = (self.root / LATEST).readlink()
        except OSError:
            return None
        if target.parent != Path(SNAPSHOTS) or not self.folder(target.name).is_dir():
            return None
        return target.name

    def promote(self, name: str) -> None:
        """Point `latest` at snapshots/<name> in one atomic rename: readers never see a gap."""
        temp = self.root / f".{LATEST}.tmp-{os.getpid()}"
        temp.unlink(missing_ok=True)
        temp.symlink_to(Path(SNAPSHOTS) / name, target_is_directory=True)
        temp.replace(self.root / LATEST)
        fsync_dir(self.root)

    # --- names
    def new_name(self, moment: datetime) -> str:
        """The UTC start time; a suffix only if a snapshot of the same second exists."""
        stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        name, counter = stamp, 1
        while self.folder(name).exists():
            counter += 1
            name = f"{stamp}-{counter}"
        return name

    def names(self) -> list[str]:
        if not self.snapshots.is_dir():
            return []
        return sorted(
            p.name for p in self.snapshots.iterdir() if p.is_dir() and not p.name.startswith(".")
        )

    def status(self, name: str, pending: Pending | None) -> str:
        if pending is not None and pending.name == name:
            return UNFINISHED
        folder = self.folder(name)
        if (folder / ABANDONED).exists():
            return ABANDONED_STATUS
        return FINISHED if snapshot_section(folder) is not None else UNKNOWN

    # --- the pending record
    def read_pending(self) -> Pending | None:
        try:
            data = json.loads((self.work / PENDING).read_text(encoding="utf-8"))
            return Pending(
                data["name"], data["base"], tuple(data["start_urls"]), data["started_at"]
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise OutputError(f"unreadable {self.work / PENDING}: {exc}; remove it") from exc

    def write_pending(self, pending: Pending) -> None:
        data = {**asdict(pending), "start_urls": list(pending.start_urls)}
        write_bytes_atomic(self.work / PENDING, (json.dumps(data, indent=2) + "\n").encode("utf-8"))

    def clear_pending(self) -> None:
        """The snapshot is done with: forget it and its journal (pending.json last)."""
        self.journal_path.unlink(missing_ok=True)
        (self.work / PENDING).unlink(missing_ok=True)
        fsync_dir(self.work)

    def abandon(self, name: str, reason: str) -> None:
        folder = self.folder(name)
        if folder.is_dir():
            write_bytes_atomic(folder / ABANDONED, (reason + "\n").encode("utf-8"))
        self.clear_pending()

    def discard(self, name: str) -> None:
        """Delete a snapshot that holds nothing worth keeping (robots refusal, no network)."""
        self._delete(name)
        self.clear_pending()

    # --- pruning
    def prune(self, keep: int) -> list[str]:
        """Delete all but the `keep` newest finished or abandoned snapshots; return their names.

        `latest`'s snapshot, the unfinished one and any folder we cannot classify are kept.
        """
        pending = self.read_pending()
        statuses = {name: self.status(name, pending) for name in self.names()}
        doomed = select_prunable(statuses, self.latest_name(), keep)
        for name in doomed:
            self._delete(name)
        return doomed

    def _delete(self, name: str) -> None:
        # Rename first, so a crash mid-delete leaves no half snapshot among the real ones.
        trash = self.work / "trash"
        trash.mkdir(exist_ok=True)
        folder = self.folder(name)
        if folder.is_dir():
            target = trash / name
            folder.replace(target)
            shutil.rmtree(target, ignore_errors=True)


def select_prunable(statuses: dict[str, str], latest: str | None, keep: int) -> list[str]:
    """Pure pruning policy: oldest first, never `latest`, never unfinished or unknown."""
    candidates = sorted(n for n, s in statuses.items() if s in (FINISHED, ABANDONED_STATUS))
    kept = set(candidates[-keep:]) if keep > 0 else set()
    return [name for name in candidates if name not in kept and name != latest]


def snapshot_section(folder: Path) -> dict[str, object] | None:
    """The "snapshot" section of a finished snapshot's manifest, or None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    section = manifest.get("snapshot") if isinstance(manifest, dict) else None
    return section if isinstance(section, dict) else None
