"""Incremental snapshots revalidate archive pages too: a no-change run costs only headers.

Archive pages are still requested on every run (a changed list page is how new posts show
up); unchanged ones answer 304 and are read again from the previous snapshot's copy, with the
provenance of the capture the content came from.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from k360scrape.cli import main
from k360scrape.errors import ExitCode
from k360scrape.fixture_server import FixtureServer
from k360scrape.revalidate import PAGES_DIR, read_validators
from test_snapshot import FREITAG_2, Snapshots, read_json

ARCHIVE = "/programm/tag/"


@pytest.fixture
def snaps(site_server: FixtureServer, tmp_path: Path) -> Snapshots:
    return Snapshots(site_server, tmp_path / "root")


def transfer(snaps: Snapshots) -> dict[str, dict[str, int]]:
    section: dict[str, dict[str, int]] = read_json(snaps.latest / "manifest.json")["snapshot"][
        "transfer"
    ]
    return section


def folder(snaps: Snapshots, name: str | None) -> Path:
    assert name is not None
    return snaps.root / "snapshots" / name


def test_a_no_change_snapshot_gets_304_for_every_page_and_transfers_under_5_percent(snaps):
    snaps.take()
    first = transfer(snaps)
    assert first["archive"]["status_200"] == first["archive"]["requests"] == 6
    second_report = snaps.take()

    archive = snaps.requests(ARCHIVE)
    assert len(archive) == 6  # every archive page is still asked for
    assert all(r.status == 304 and "if-none-match" in r.headers for r in archive)
    second = transfer(snaps)
    assert second["archive"] == {"requests": 6, "status_200": 0, "status_304": 6, "bytes": 0}
    assert second["total"]["status_200"] == 0
    assert second["total"]["requests"] == first["total"]["requests"]
    assert second["total"]["bytes"] < 0.05 * first["total"]["bytes"]
    assert second_report.changes["added"] == second_report.changes["removed"] == 0
    assert second_report.changes["changed"] == 0


def test_unchanged_records_keep_the_provenance_of_their_capture(snaps):
    first = snaps.take()
    second = snaps.take()
    third = snaps.take()  # its base answered 304 too: the copy is carried from snapshot to snapshot
    assert all(r.status == 304 for r in snaps.requests(ARCHIVE))
    posts = [read_json(folder(snaps, r.name) / "posts.json") for r in (first, second, third)]
    assert posts[0] == posts[1] == posts[2]  # fetched_at, status, sha256 and source_url included
    pages = sorted(p.name for p in (folder(snaps, third.name) / PAGES_DIR).iterdir())
    assert len(pages) == 6
    archive_validators = [
        v for v in read_validators(folder(snaps, third.name)).values() if v.kind == "archive"
    ]
    assert len(archive_validators) == 6
    assert all(v.sha256 and v.fetched_at and v.final_url for v in archive_validators)


def test_a_changed_archive_page_is_fetched_in_full_and_its_new_post_shows(snaps):
    snaps.take()
    page = snaps.page(FREITAG_2)
    model = next(a for a in page.split("<article ") if "ankommen-und-vernetzen" in a)
    fresh = model.replace("ankommen-und-vernetzen", "ganz-neu")
    fresh = fresh.replace("Ankommen und Vernetzen", "Ganz neu")
    snaps.server.set_page(
        FREITAG_2, page.replace("<article ", "<article " + fresh + "<article ", 1)
    )

    report = snaps.take()

    assert report.exit_code is ExitCode.OK
    statuses = {r.path: r.status for r in snaps.requests(ARCHIVE)}
    assert statuses.pop(FREITAG_2) == 200
    assert set(statuses.values()) == {304}
    changes = read_json(snaps.latest / "changes.json")
    assert [p["id"] for p in changes["added"]] == ["ganz-neu"]
    assert report.changes["removed"] == 0
    assert transfer(snaps)["archive"]["status_200"] == 1


def test_a_missing_previous_copy_means_a_full_fetch(snaps):
    first = snaps.take()
    for path in (folder(snaps, first.name) / PAGES_DIR).iterdir():
        path.unlink()
    snaps.take()
    archive = snaps.requests(ARCHIVE)
    assert all(r.status == 200 for r in archive)
    assert not any("if-none-match" in r.headers for r in archive)


def test_reparse_of_the_previous_and_the_new_warc_rebuilds_the_same_posts(snaps, tmp_path):
    first = snaps.take()
    second = snaps.take()
    assert all(r.status == 304 for r in snaps.requests(ARCHIVE))
    warcs = [str(folder(snaps, r.name) / "archive.warc.gz") for r in (first, second)]
    again = tmp_path / "reparsed"
    with pytest.raises(SystemExit) as exited:
        main(["reparse", *warcs, "--out", str(again), "-q"])
    assert exited.value.code == 0
    rebuilt = (again / "posts.json").read_bytes()
    assert rebuilt == (folder(snaps, second.name) / "posts.json").read_bytes()
