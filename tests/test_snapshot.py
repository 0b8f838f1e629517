"""`run_snapshot` against the fixture site on 127.0.0.1: incremental runs, change reports,
the quality gate, promotion, resume, abandoning and pruning (in process, FakeClock)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from k360scrape.clock import FakeClock
from k360scrape.demo import demo_start_urls
from k360scrape.errors import ExitCode, LockedError, UsageError
from k360scrape.fixture_server import FixtureServer
from k360scrape.lock import RootLock
from k360scrape.settings import Settings
from k360scrape.snaproot import SnapshotRoot
from k360scrape.snapshot import SnapshotReport, SnapshotRequest, run_snapshot

FREITAG_2 = "/programm/tag/freitag/page/2/"
KAFFEEPAUSE = "/programm/event/kaffeepause/"
PROVENANCE = ("fetched_at", "status", "sha256", "source_url")


class Snapshots:
    """Takes snapshots of one server into one root, an hour apart on a fake clock."""

    def __init__(self, server: FixtureServer, root: Path) -> None:
        self.server = server
        self.root = root
        self.clock = FakeClock()

    def take(
        self,
        *,
        pdfs: bool = False,
        stop: threading.Event | None = None,
        progress: Any = None,
        **options: Any,
    ) -> SnapshotReport:
        request = SnapshotRequest(
            root=self.root,
            start_urls=demo_start_urls(self.server.origin),
            settings=Settings(delay=0.0, download_pdfs=pdfs),
            **options,
        )
        self.server.clear_log()
        report = run_snapshot(request, clock=self.clock, stop=stop, progress=progress)
        self.clock.advance(3600)
        return report

    @property
    def latest(self) -> Path:
        return self.root / "latest"

    def latest_name(self) -> str | None:
        return SnapshotRoot(self.root).latest_name()

    def requests(self, prefix: str) -> list[Any]:
        return [r for r in self.server.requests if r.path.startswith(prefix)]

    def page(self, path: str) -> str:
        site = Path(__file__).resolve().parent.parent / "fixtures" / "site" / "www.kommune360.de"
        return (site / path.strip("/") / "index.html").read_text(encoding="utf-8")


@pytest.fixture
def snaps(site_server: FixtureServer, tmp_path: Path) -> Snapshots:
    return Snapshots(site_server, tmp_path / "root")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def records(folder: Path) -> list[dict[str, Any]]:
    """posts.json without the provenance fields, which a refetch legitimately changes."""
    return [
        {k: v for k, v in post.items() if k not in PROVENANCE}
        for post in read_json(folder / "posts.json")
    ]


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- incremental runs and change reports


def test_first_snapshot_is_promoted_and_lists_every_post_as_added(snaps):
    report = snaps.take()
    assert report.exit_code is ExitCode.OK
    assert report.promoted
    assert snaps.latest.is_symlink()
    assert snaps.latest.readlink() == Path("snapshots") / report.name
    posts = read_json(snaps.latest / "posts.json")
    changes = read_json(snaps.latest / "changes.json")
    assert changes["previous"] is None
    assert changes["summary"]["added"] == len(posts) > 20
    section = read_json(snaps.latest / "manifest.json")["snapshot"]
    assert section["promoted"] is True
    assert section["gate"]["passed"] is True
    assert not (snaps.root / ".k360scrape-snapshot" / "pending.json").exists()


def test_no_change_run_gets_304_for_every_post_page_and_an_empty_report(snaps):
    first = snaps.take()
    second = snaps.take()

    assert second.exit_code is ExitCode.OK
    assert snaps.latest_name() == second.name != first.name
    post_pages = snaps.requests("/programm/event/")
    assert post_pages
    assert all(r.status == 304 and "if-none-match" in r.headers for r in post_pages)
    # Archive pages are requested on every run (that is how new posts show up), but
    # conditionally: unchanged ones answer 304 and are read again from the previous copy.
    archive = snaps.requests("/programm/tag/")
    assert len(archive) == 6
    assert all(r.status == 304 and "if-none-match" in r.headers for r in archive)

    changes = read_json(snaps.latest / "changes.json")
    assert changes["previous"] == first.name
    assert changes["summary"]["added"] == changes["summary"]["removed"] == 0
    assert changes["summary"]["changed"] == 0
    assert "No post was added, removed or changed." in (snaps.latest / "CHANGES.md").read_text()
    manifest = read_json(snaps.latest / "manifest.json")
    assert manifest["counts"]["status_304"] == len(post_pages) + len(archive)
    assert manifest["snapshot"]["transfer"]["post"]["status_304"] == len(post_pages)
    assert manifest["snapshot"]["transfer"]["post"]["bytes"] == 0
    assert records(snaps.latest) == records(snaps.root / "snapshots" / first.name)


def test_changed_title_added_and_removed_posts_show_in_the_report(snaps):
    snaps.take()
    single = snaps.page(KAFFEEPAUSE)
    assert single.count("Kaffeepause") >= 1
    snaps.server.set_page(KAFFEEPAUSE, single.replace(">Kaffeepause<", ">Teepause<"))
    archive = snaps.page(FREITAG_2)
    articles = archive.split("<article ")
    gone = next(a for a in articles if "morgenimpuls-was-bleibt-vom-festival" in a)
    fresh = next(a for a in articles if "ankommen-und-vernetzen" in a)
    fresh = fresh.replace("ankommen-und-vernetzen", "neu-im-programm").replace(
        "Ankommen und Vernetzen", "Neu im Programm"
    )
    changed = archive.replace("<article " + gone, "")
    changed = changed.replace("<article ", "<article " + fresh + "<article ", 1)
    snaps.server.set_page(FREITAG_2, changed)

    report = snaps.take()

    assert report.exit_code is ExitCode.OK
    assert report.changes == {
        "added": 1,
        "removed": 1,
        "changed": 1,
        "unchanged": report.changes["unchanged"],
    }
    changes = read_json(snaps.latest / "changes.json")
    assert [p["id"] for p in changes["added"]] == ["neu-im-programm"]
    assert [p["id"] for p in changes["removed"]] == ["morgenimpuls-was-bleibt-vom-festival"]
    [kaffee] = changes["changed"]
    assert kaffee["id"] == "kaffeepause"
    assert {
        "field": "title",
        "change": "changed",
        "before": "Kaffeepause",
        "after": "Teepause",
    } in kaffee["fields"]
    # Only the changed single page was transferred again.
    statuses = {r.path: r.status for r in snaps.requests("/programm/event/")}
    assert statuses.pop(KAFFEEPAUSE) == 200
    assert set(statuses.values()) == {304}
    markdown = (snaps.latest / "CHANGES.md").read_text(encoding="utf-8")
    assert "`neu-im-programm` Neu im Programm (Freitag)" in markdown
    assert "`morgenimpuls-was-bleibt-vom-festival`" in markdown
    assert "- title: “Kaffeepause” → “Teepause”" in markdown


# --- the quality gate


def _break_archives(server: FixtureServer) -> None:
    empty = "<html><body><main class='content'><p>Wartungsarbeiten</p></main></body></html>"
    for day in ("mittwoch", "donnerstag", "freitag"):
        server.set_page(f"/programm/tag/{day}/", empty)


def test_broken_markup_is_refused_and_latest_stays_byte_identical(snaps):
    good = snaps.take()
    before = tree_digest(snaps.latest)
    _break_archives(snaps.server)

    report = snaps.take()

    assert report.exit_code is ExitCode.GATE_REFUSED
    assert not report.promoted
    assert "the snapshot has no posts" in report.message
    assert "\n" not in report.message
    assert snaps.latest_name() == good.name
    assert tree_digest(snaps.latest) == before
    refused = snaps.root / "snapshots" / report.name
    section = read_json(refused / "manifest.json")["snapshot"]
    assert section["promoted"] is False
    assert section["exit_code"] == ExitCode.GATE_REFUSED
    assert "the snapshot has no posts" in section["gate"]["reasons"]
    assert read_json(refused / "changes.json")["summary"]["removed"] > 20


def test_failed_archive_page_is_refused_and_force_promotes_it(snaps):
    snaps.take()
    snaps.server.delete_page("/programm/tag/donnerstag/page/2/")

    refused = snaps.take()
    assert refused.exit_code is ExitCode.GATE_REFUSED
    assert "1 archive page(s) failed" in refused.message

    forced = snaps.take(force=True)
    assert forced.promoted
    assert snaps.latest_name() == forced.name
    assert forced.exit_code is ExitCode.PARTIAL  # the crawl's own code: a URL failed
    assert "--force" in forced.message
    manifest = read_json(snaps.latest / "manifest.json")
    assert manifest["forced"] is True
    assert manifest["snapshot"]["forced"] is True


def test_post_count_drop_beyond_max_drop_is_refused(snaps):
    snaps.take()
    archive = snaps.page(FREITAG_2)
    first, *rest = archive.split("<article ")
    snaps.server.set_page(FREITAG_2, first + "<article " + rest[-1])  # two posts fewer

    report = snaps.take(max_drop=0.05)

    assert report.exit_code is ExitCode.GATE_REFUSED
    assert "post count fell from" in report.message


def test_missing_author_share_rising_is_refused(snaps):
    snaps.take()
    archive = snaps.page(FREITAG_2)
    # "<time …>24.11.2022</time> by <span class="entry-author">…</span></p>" loses its author
    without_authors = re.sub(r"</time>.*?</p></header>", "</time></p></header>", archive)
    assert without_authors != archive
    snaps.server.set_page(FREITAG_2, without_authors)

    report = snaps.take()

    assert report.exit_code is ExitCode.GATE_REFUSED
    assert "share of posts without author rose" in report.message


# --- PDFs


def test_pdfs_are_revalidated_and_reused(snaps):
    first = snaps.take(pdfs=True)
    second = snaps.take(pdfs=True)

    pdf_requests = [r for r in snaps.requests("/wp-content/uploads/") if r.status != 404]
    assert pdf_requests
    assert all(r.status == 304 for r in pdf_requests)
    old = snaps.root / "snapshots" / first.name
    assert records(snaps.latest) == records(old)
    pdfs = [pdf for post in read_json(snaps.latest / "posts.json") for pdf in post["pdfs"]]
    stored = [pdf for pdf in pdfs if pdf["path"]]
    assert stored
    for pdf in stored:
        assert (snaps.latest / pdf["path"]).read_bytes() == (old / pdf["path"]).read_bytes()
    transfer = read_json(snaps.latest / "manifest.json")["snapshot"]["transfer"]["pdf"]
    assert transfer["status_304"] == len(pdf_requests)
    assert second.exit_code is first.exit_code


# --- interruption, resume, abandon, crash after the verdict


def _stop_after(count: int) -> tuple[threading.Event, Any]:
    stop = threading.Event()
    done = []

    def progress(task: Any, outcome: Any) -> None:
        done.append(task.url)
        if len(done) >= count:
            stop.set()

    return stop, progress


def test_interrupted_snapshot_resumes_without_refetching(snaps, tmp_path):
    reference = Snapshots(snaps.server, tmp_path / "reference")
    reference.take()
    stop, progress = _stop_after(4)

    interrupted = snaps.take(stop=stop, progress=progress)
    assert interrupted.exit_code is ExitCode.INTERRUPTED
    assert "--resume" in interrupted.message
    assert not interrupted.promoted
    assert snaps.latest_name() is None
    fetched_before = [r.path for r in snaps.server.requests if r.path != "/robots.txt"]

    resumed = snaps.take(resume=True)
    assert resumed.exit_code is ExitCode.OK
    assert resumed.name == interrupted.name
    assert snaps.latest_name() == resumed.name
    fetched_after = [r.path for r in snaps.server.requests if r.path != "/robots.txt"]
    assert not set(fetched_before) & set(fetched_after)
    assert records(snaps.latest) == records(reference.latest)


def test_without_resume_an_unfinished_snapshot_is_abandoned(snaps):
    stop, progress = _stop_after(2)
    interrupted = snaps.take(stop=stop, progress=progress)
    assert interrupted.exit_code is ExitCode.INTERRUPTED

    fresh = snaps.take(keep=5)

    assert fresh.exit_code is ExitCode.OK
    assert fresh.name != interrupted.name
    assert any("abandoned unfinished snapshot" in note for note in fresh.notes)
    assert (snaps.root / "snapshots" / interrupted.name / "ABANDONED").exists()
    with pytest.raises(UsageError, match="no unfinished snapshot"):
        snaps.take(resume=True)


def test_a_crash_after_the_verdict_is_completed_by_the_next_run(snaps, monkeypatch):
    def crash(self: SnapshotRoot, name: str) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(SnapshotRoot, "promote", crash)
    with pytest.raises(RuntimeError):
        snaps.take()
    monkeypatch.undo()
    name = SnapshotRoot(snaps.root).read_pending().name  # type: ignore[union-attr]

    report = snaps.take(resume=True)

    assert report.name == name
    assert report.exit_code is ExitCode.OK
    assert snaps.latest_name() == name
    assert snaps.server.requests == []  # nothing fetched: only the promotion was missing


# --- robots, lock, pruning


def test_robots_refusal_keeps_nothing(snaps):
    snaps.server.set_page("/robots.txt", "User-agent: *\nDisallow: /\n")

    report = snaps.take()

    assert report.exit_code is ExitCode.ROBOTS_FORBIDDEN
    assert snaps.latest_name() is None
    assert list((snaps.root / "snapshots").iterdir()) == []
    assert SnapshotRoot(snaps.root).read_pending() is None


def test_a_held_lock_refuses_the_run(snaps):
    with RootLock(snaps.root), pytest.raises(LockedError, match="another k360scrape snapshot"):
        snaps.take()
    assert snaps.server.requests == []


def test_keep_prunes_old_snapshots_but_never_latest(snaps):
    first = snaps.take(keep=1)
    second = snaps.take(keep=1)
    assert second.pruned == [first.name]
    _break_archives(snaps.server)
    third = snaps.take(keep=1)
    fourth = snaps.take(keep=1)
    assert third.exit_code is fourth.exit_code is ExitCode.GATE_REFUSED
    # The newest (refused) one is kept by --keep 1, latest is kept whatever its age.
    assert fourth.pruned == [third.name]
    assert sorted(p.name for p in (snaps.root / "snapshots").iterdir()) == sorted(
        [second.name, fourth.name]
    )
    assert snaps.latest_name() == second.name


def test_max_drop_out_of_range_is_a_usage_error(snaps):
    with pytest.raises(UsageError, match="--max-drop"):
        snaps.take(max_drop=2.0)


def test_a_stop_during_pdf_downloads_is_an_interruption_and_resumes_from_disk(snaps, tmp_path):
    reference = Snapshots(snaps.server, tmp_path / "reference")
    reference.take(pdfs=True)
    stop = threading.Event()

    def stop_at_first_pdf(request: Any) -> bool:
        stop.set()  # as SIGTERM would, while this PDF is being served
        return False

    snaps.server.add_fault("/wp-content/uploads/*", stop_at_first_pdf)
    interrupted = snaps.take(pdfs=True, stop=stop)
    snaps.server.clear_faults()
    assert interrupted.exit_code is ExitCode.INTERRUPTED
    assert snaps.latest_name() is None
    fetched_before = [r.path for r in snaps.server.requests if r.path != "/robots.txt"]

    resumed = snaps.take(pdfs=True, resume=True)

    assert resumed.exit_code is ExitCode.OK
    fetched_after = [r.path for r in snaps.server.requests if r.path != "/robots.txt"]
    assert not set(fetched_before) & set(fetched_after)  # the stored PDF comes from disk
    assert records(snaps.latest) == records(reference.latest)
