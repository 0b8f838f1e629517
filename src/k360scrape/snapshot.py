"""Scheduled snapshots: `k360scrape snapshot --root DIR`, the library call behind it.

    lock DIR → (resume or start) pending snapshot → run_crawl into snapshots/<name>/
      → validators.json, changes.json, CHANGES.md, manifest "snapshot" section
      → quality gate → promote to DIR/latest (or not) → forget pending → prune

Every step is safe to kill (`kill -9` included) and to repeat:

- The crawl itself resumes from its SQLite state (`run.run_crawl(resume=True)`): nothing
  committed is fetched again, no post is lost or duplicated.
- The base (the `latest` snapshot when this one started) is recorded in `pending.json` before
  anything is fetched, so a resumed snapshot revalidates and compares against the same base.
- The verdict is written into the snapshot's manifest before `latest` moves, and `pending.json`
  is removed only after that. A run that finds a snapshot already past its verdict finishes the
  promotion it decided; one stopped before the verdict is still unfinished, never promoted.

Without `--resume`, an unfinished snapshot left by a crash is *abandoned* (marked, kept for
inspection, pruned like the others) and a new one starts, so a cron job never wedges on an old
crash; since snapshots are incremental, starting over costs little more than the archive pages.
With `--resume` and nothing unfinished, the run is refused (exit 2).

Exit codes (errors.ExitCode): 0 promoted; 1 promoted, but some single post page failed; 7 the
same for warnings under --strict; 2 usage; 3 robots.txt forbids the start URLs and 6 no start
URL answered (both: nothing kept); 4 the quality gate refused promotion; 5 interrupted, resume
with --resume; 8 another process holds the root. `--force` promotes a refused snapshot, says so
in its manifest ("forced": true) and exits with the crawl's own code instead of 4.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from k360scrape import outdir
from k360scrape.changes import diff_posts, render_markdown
from k360scrape.clock import Clock, SystemClock, iso_utc
from k360scrape.errors import ExitCode, UsageError
from k360scrape.export import ExportOptions
from k360scrape.export.atomic import StagedFiles
from k360scrape.export.jsonfile import write_pretty_json
from k360scrape.gate import DEFAULT_MAX_DROP, Verdict, evaluate, quality_of
from k360scrape.lock import RootLock
from k360scrape.models import Post
from k360scrape.protocols import FetcherLike
from k360scrape.revalidate import (
    VALIDATORS,
    IncrementalFetcher,
    Journal,
    PreviousSnapshot,
    SnapshotRevalidator,
    Validator,
    read_posts,
    transfer_counts,
    write_validators,
)
from k360scrape.run import STATE_NAME, ProgressHook, RunReport, RunRequest, run_crawl
from k360scrape.settings import DEFAULT_START_URLS, Settings
from k360scrape.snaproot import Pending, SnapshotRoot, snapshot_section

CHANGES_JSON = "changes.json"
CHANGES_MD = "CHANGES.md"
POSTS_JSONL = "posts.jsonl"


@dataclass(frozen=True)
class SnapshotRequest:
    root: Path
    start_urls: tuple[str, ...] = ()  # () = the defaults, or the resumed snapshot's own
    settings: Settings = field(default_factory=Settings)
    export: ExportOptions = field(default_factory=ExportOptions)
    keep: int | None = None
    max_drop: float = DEFAULT_MAX_DROP
    force: bool = False
    resume: bool = False


@dataclass
class SnapshotReport:
    exit_code: ExitCode
    message: str  # one line
    name: str | None = None
    folder: Path | None = None
    promoted: bool = False
    run: RunReport | None = None
    changes: dict[str, int] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Hooks:
    """What the caller injects into the crawl."""

    client: httpx.Client | None
    clock: Clock
    progress: ProgressHook | None
    stop: threading.Event | None


def run_snapshot(
    request: SnapshotRequest,
    *,
    client: httpx.Client | None = None,
    clock: Clock | None = None,
    progress: ProgressHook | None = None,
    stop: threading.Event | None = None,
) -> SnapshotReport:
    """Take (or resume) one snapshot under `request.root`, promote it if it passes the gate."""
    if not 0.0 <= request.max_drop <= 1.0:
        raise UsageError("--max-drop must be between 0 and 1")
    hooks = _Hooks(client, clock or SystemClock(), progress, stop)
    root = SnapshotRoot(request.root)
    with RootLock(request.root, started_at=iso_utc(hooks.clock.now())):
        root.prepare()
        completed = _complete_decided(root)
        if completed is not None and request.resume:
            report = completed  # what --resume was asked to finish
        else:
            notes = [completed.message] if completed else []
            report = _take(root, _begin(root, request, hooks.clock, notes), request, hooks)
            report.notes[:0] = notes
        if request.keep is not None:
            report.pruned = root.prune(request.keep)
        return report


# --- starting or resuming


def _complete_decided(root: SnapshotRoot) -> SnapshotReport | None:
    """Finish the bookkeeping of a snapshot that was killed after its verdict was written."""
    pending = root.read_pending()
    section = snapshot_section(root.folder(pending.name)) if pending else None
    if pending is None or section is None:
        return None
    promoted = bool(section.get("promoted"))
    if promoted and root.latest_name() != pending.name:
        root.promote(pending.name)
    root.clear_pending()
    message = f"completed snapshot {pending.name}, interrupted after its quality gate"
    code = ExitCode(int(str(section.get("exit_code", 0))))
    return SnapshotReport(code, message, pending.name, root.folder(pending.name), promoted)


def _begin(root: SnapshotRoot, request: SnapshotRequest, clock: Clock, notes: list[str]) -> Pending:
    pending = root.read_pending()
    if request.resume:
        if pending is None:
            raise UsageError(f"no unfinished snapshot to resume in {root.root}")
        if request.start_urls and request.start_urls != pending.start_urls:
            raise UsageError("--resume with other start URLs than the unfinished snapshot")
        return pending
    if pending is not None:
        root.abandon(pending.name, "abandoned: a new snapshot started without --resume")
        notes.append(
            f"abandoned unfinished snapshot {pending.name} (pass --resume to continue one)"
        )
    root.journal_path.unlink(missing_ok=True)  # a fresh journal for a fresh snapshot
    now = clock.now()
    pending = Pending(
        name=root.new_name(now),
        base=root.latest_name(),
        start_urls=request.start_urls or DEFAULT_START_URLS,
        started_at=iso_utc(now),
    )
    root.write_pending(pending)  # before anything is fetched: the base must survive a crash
    return pending


# --- crawling


def _take(
    root: SnapshotRoot, pending: Pending, request: SnapshotRequest, hooks: _Hooks
) -> SnapshotReport:
    folder = root.folder(pending.name)
    previous = _previous(root, pending)
    run: RunReport | None = None
    if _needs_crawl(folder):
        run = _crawl(root, pending, request, previous, hooks)
        stopped = _stopped(root, pending, run)
        if stopped is not None:
            return stopped
    return _finalise(root, pending, previous, request, run)


def _previous(root: SnapshotRoot, pending: Pending) -> PreviousSnapshot | None:
    folder = root.folder(pending.base) if pending.base else None
    if folder is None or not all((folder / n).exists() for n in (outdir.MANIFEST, POSTS_JSONL)):
        return None  # first snapshot, or the base was deleted by hand: fetch everything
    return PreviousSnapshot(folder, folder.name)


def _needs_crawl(folder: Path) -> bool:
    """True until run_crawl has written the outputs and dropped its work folder."""
    work_state = folder / outdir.WORK_DIR / STATE_NAME
    return work_state.exists() or not (folder / outdir.MANIFEST).exists()


def _crawl(
    root: SnapshotRoot,
    pending: Pending,
    request: SnapshotRequest,
    previous: PreviousSnapshot | None,
    hooks: _Hooks,
) -> RunReport:
    folder = root.folder(pending.name)
    journal = Journal(root.journal_path)

    def incremental(fetcher: FetcherLike) -> FetcherLike:
        return IncrementalFetcher(fetcher, journal, folder, previous, hooks.clock)

    run_request = RunRequest(
        start_urls=pending.start_urls,
        out_dir=folder,
        settings=request.settings,
        export=request.export,
        resume=(folder / outdir.WORK_DIR / STATE_NAME).exists(),
        force=True,  # write even a post-less crawl: the gate refuses it, the files explain why
    )
    try:
        return run_crawl(
            run_request,
            client=hooks.client,
            clock=hooks.clock,
            progress=hooks.progress,
            stop=hooks.stop,
            revalidator=SnapshotRevalidator(previous),
            fetch_middleware=incremental,
        )
    finally:
        journal.close()


def _stopped(root: SnapshotRoot, pending: Pending, run: RunReport) -> SnapshotReport | None:
    """The report of a crawl that ended without outputs, or None when it wrote them."""
    name, folder = pending.name, root.folder(pending.name)
    if run.exit_code is ExitCode.INTERRUPTED:
        message = (
            f"snapshot {name} interrupted; continue it with: "
            f"k360scrape snapshot --root {root.root} --resume"
        )
        return SnapshotReport(ExitCode.INTERRUPTED, message, name, folder, run=run)
    if run.exit_code in (ExitCode.ROBOTS_FORBIDDEN, ExitCode.NETWORK_UNREACHABLE):
        root.discard(name)  # nothing was harvested; a new snapshot starts next time
        return SnapshotReport(
            run.exit_code, f"{run.message}; snapshot {name} discarded", name, None, run=run
        )
    return None


# --- verdict, reports, promotion


def _finalise(
    root: SnapshotRoot,
    pending: Pending,
    previous: PreviousSnapshot | None,
    request: SnapshotRequest,
    run: RunReport | None,
) -> SnapshotReport:
    folder = root.folder(pending.name)
    manifest = _read_manifest(folder)
    posts = list(read_posts(folder))
    before = list(previous.posts.values()) if previous else []
    verdict = _verdict(posts, before, previous is not None, manifest, request.max_drop)
    promote = verdict.passed or request.force
    base = previous.name if previous else None
    changes = diff_posts(before, posts, snapshot=pending.name, base=base)
    code = _exit_code(verdict, request.force, manifest)
    manifest["forced"] = request.force and not verdict.passed
    exchanges = Journal(root.journal_path).entries()
    manifest["snapshot"] = _section(pending, verdict, promote, request, changes, exchanges, code)
    _write_reports(folder, manifest, changes, {entry.url: entry for entry in exchanges})
    if promote:
        root.promote(pending.name)
    root.clear_pending()
    message = _message(pending, verdict, promote, changes)
    return SnapshotReport(code, message, pending.name, folder, promote, run, changes["summary"])


def _read_manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / outdir.MANIFEST).read_text(encoding="utf-8"))
    return data


def _verdict(
    posts: list[Post],
    before: list[Post],
    has_previous: bool,
    manifest: dict[str, Any],
    max_drop: float,
) -> Verdict:
    failed = int(manifest.get("counts", {}).get("archive_errors", 0))
    quality = quality_of(posts, failed_archive_pages=failed)
    previous = quality_of(before) if has_previous else None
    return evaluate(quality, previous, max_drop=max_drop)


def _exit_code(verdict: Verdict, force: bool, manifest: dict[str, Any]) -> ExitCode:
    if not verdict.passed and not force:
        return ExitCode.GATE_REFUSED
    crawl_code = ExitCode(int(manifest.get("exit_code", 0)))
    # The crawl's own "no posts" refusal is the gate's business here, and --force overrode it.
    return ExitCode.OK if crawl_code is ExitCode.GATE_REFUSED else crawl_code


def _section(
    pending: Pending,
    verdict: Verdict,
    promote: bool,
    request: SnapshotRequest,
    changes: dict[str, Any],
    exchanges: list[Validator],
    code: ExitCode,
) -> dict[str, object]:
    """The manifest's "snapshot" section; its presence marks the snapshot as decided."""
    return {
        "name": pending.name,
        "base": pending.base,
        "started_at": pending.started_at,
        "promoted": promote,
        "forced": request.force and not verdict.passed,
        "exit_code": int(code),
        "gate": {
            "passed": verdict.passed,
            "reasons": list(verdict.reasons),
            "max_drop": request.max_drop,
        },
        "changes": changes["summary"],
        "transfer": transfer_counts(exchanges),
    }


def _write_reports(
    folder: Path,
    manifest: dict[str, Any],
    changes: dict[str, Any],
    validators: dict[str, Validator],
) -> None:
    """validators.json, changes.json, CHANGES.md and the manifest, renamed in that order."""
    with StagedFiles(folder) as staged:
        with staged.open_text(VALIDATORS) as file:
            file.write(write_validators(validators))
        with staged.open_text(CHANGES_JSON) as file:
            write_pretty_json(changes, file)
        with staged.open_text(CHANGES_MD) as file:
            file.write(render_markdown(changes))
        with staged.open_text(outdir.MANIFEST) as file:
            write_pretty_json(manifest, file)
        staged.commit()


def _message(
    pending: Pending,
    verdict: Verdict,
    promote: bool,
    changes: dict[str, Any],
) -> str:
    name = pending.name
    summary = changes["summary"]
    counted = (
        f"{summary['added']} added, {summary['removed']} removed, {summary['changed']} changed"
    )
    if verdict.passed:
        return f"snapshot {name} promoted to latest: {counted}"
    if promote:
        return f"snapshot {name} promoted to latest by --force despite the gate: {verdict.reason}"
    kept = f"latest still {pending.base}" if pending.base else "no latest yet"
    return f"quality gate refused snapshot {name}: {verdict.reason}; {kept}"
