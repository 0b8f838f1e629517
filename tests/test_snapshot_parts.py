"""The pieces under `run_snapshot`: the root layout, pruning policy, journal and validators."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from k360scrape.errors import OutputError
from k360scrape.models import FetchResult
from k360scrape.revalidate import (
    Journal,
    Validator,
    read_validators,
    stored_file,
    transfer_counts,
    validator_for,
    write_validators,
)
from k360scrape.snaproot import (
    ABANDONED_STATUS,
    FINISHED,
    UNFINISHED,
    UNKNOWN,
    Pending,
    SnapshotRoot,
    select_prunable,
)

MOMENT = datetime(2026, 11, 24, 17, 4, 5, tzinfo=UTC)


def result(status: int, body: bytes = b"", **headers: str) -> FetchResult:
    return FetchResult(
        url="https://x.test/p/",
        final_url="https://x.test/p/",
        status=status,
        headers=tuple((k.replace("_", "-"), v) for k, v in headers.items()),
        body=body,
        fetched_at=MOMENT,
        sha256=hashlib.sha256(body).hexdigest(),
    )


# --- pruning policy


@pytest.mark.parametrize(
    ("statuses", "latest", "keep", "pruned"),
    [
        ({"a": FINISHED, "b": FINISHED, "c": FINISHED}, "c", 2, ["a"]),
        ({"a": FINISHED, "b": FINISHED, "c": FINISHED}, "a", 1, ["b"]),  # latest survives
        ({"a": FINISHED, "b": ABANDONED_STATUS, "c": FINISHED}, "c", 1, ["a", "b"]),
        ({"a": UNFINISHED, "b": FINISHED, "c": FINISHED}, "c", 0, ["b"]),
        ({"a": UNKNOWN, "b": FINISHED}, "b", 0, []),  # never delete what we cannot classify
        ({"a": FINISHED}, None, 5, []),
    ],
)
def test_select_prunable(statuses, latest, keep, pruned):
    assert select_prunable(statuses, latest, keep) == pruned


# --- the root layout


def test_names_are_utc_start_times_with_a_suffix_on_collision(tmp_path):
    root = SnapshotRoot(tmp_path)
    root.prepare()
    assert root.new_name(MOMENT) == "20261124T170405Z"
    root.folder("20261124T170405Z").mkdir()
    assert root.new_name(MOMENT) == "20261124T170405Z-2"


def test_promote_replaces_the_symlink(tmp_path):
    root = SnapshotRoot(tmp_path)
    root.prepare()
    for name in ("one", "two"):
        root.folder(name).mkdir()
        root.promote(name)
        assert (tmp_path / "latest").readlink() == Path("snapshots") / name
        assert root.latest_name() == name
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".k360scrape-snapshot",
        "latest",
        "snapshots",
    ]


def test_a_real_latest_folder_is_not_replaced(tmp_path):
    (tmp_path / "latest").mkdir()
    with pytest.raises(OutputError, match="not a symlink"):
        SnapshotRoot(tmp_path).prepare()


def test_pending_round_trip_and_clear(tmp_path):
    root = SnapshotRoot(tmp_path)
    root.prepare()
    pending = Pending("n", None, ("https://x.test/",), "2026-11-24T17:04:05Z")
    root.write_pending(pending)
    root.journal_path.write_text("{}\n")
    assert root.read_pending() == pending
    root.clear_pending()
    assert root.read_pending() is None
    assert not root.journal_path.exists()


# --- validators and the journal


def test_a_304_keeps_the_previous_validators():
    before = validator_for(
        "https://x.test/p/",
        "post",
        result(200, b"x", etag='"a"', last_modified="Wed, 01 Mar 2023 10:00:00 GMT"),
        None,
    )
    after = validator_for("https://x.test/p/", "post", result(304), before)
    assert (after.status, after.bytes) == (304, 0)
    assert after.etag == '"a"'
    assert after.last_modified == "Wed, 01 Mar 2023 10:00:00 GMT"
    assert after.sha256 == hashlib.sha256(b"x").hexdigest()
    assert after.conditional_headers() == {
        "If-None-Match": '"a"',
        "If-Modified-Since": "Wed, 01 Mar 2023 10:00:00 GMT",
    }
    renewed = validator_for("https://x.test/p/", "post", result(304, etag='"b"'), before)
    assert renewed.etag == '"b"'


def test_journal_skips_a_torn_last_line_and_keeps_the_last_per_url(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.record(Validator("https://x.test/a/", "post", 200, 5, etag='"1"'))
    journal.record(Validator("https://x.test/a/", "post", 304, 0, etag='"2"'))
    journal.record(Validator("https://x.test/b/", "archive", 200, 7))
    journal.close()
    with journal.path.open("a") as file:
        file.write('{"url": "https://x.test/c/", "ki')  # killed mid-write
    assert [e.url for e in journal.entries()] == ["https://x.test/a/"] * 2 + ["https://x.test/b/"]
    assert journal.latest()["https://x.test/a/"].etag == '"2"'
    assert transfer_counts(journal.entries())["total"] == {
        "requests": 3,
        "status_200": 2,
        "status_304": 1,
        "bytes": 12,
    }


def test_validators_json_keeps_posts_and_pdfs_only_and_reads_back(tmp_path):
    found = {
        "https://x.test/a/": Validator("https://x.test/a/", "post", 304, 0, etag='"1"'),
        "https://x.test/f.pdf": Validator("https://x.test/f.pdf", "pdf", 200, 9, sha256="ab"),
        "https://x.test/tag/": Validator("https://x.test/tag/", "archive", 200, 9, etag='"t"'),
        "https://x.test/gone/": Validator("https://x.test/gone/", "post", 404, 9),
    }
    text = write_validators(found)
    assert list(json.loads(text)) == ["https://x.test/a/", "https://x.test/f.pdf"]
    assert "status" not in text  # what changes every run stays in the journal
    (tmp_path / "validators.json").write_text(text)
    back = read_validators(tmp_path)
    assert back["https://x.test/a/"].etag == '"1"'
    assert back["https://x.test/f.pdf"].kind == "pdf"
    assert read_validators(tmp_path / "missing") == {}


def test_stored_file_checks_the_checksum(tmp_path):
    body = b"%PDF-1.4 ..."
    digest = hashlib.sha256(body).hexdigest()
    folder = tmp_path / "files" / digest[:16]
    folder.mkdir(parents=True)
    (folder / ".part-123").write_bytes(b"half")
    assert stored_file(tmp_path, digest) is None
    (folder / "x.pdf").write_bytes(body)
    assert stored_file(tmp_path, digest) == body
    (folder / "x.pdf").write_bytes(b"tampered")
    assert stored_file(tmp_path, digest) is None
