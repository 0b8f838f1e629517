"""End to end: crawl the fixture site on 127.0.0.1 with the real crawler and check everything.

Every day, page and post of `fixtures/expected/site.json` (hand-derived from the fixtures), no
request for a URL robots.txt forbids, request starts at least the delay apart, no request
outside the scope, a WARC that `reparse` turns back into the same bytes, and re-runs that give
the same bytes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import httpx
import pytest
from protego import Protego

from k360scrape.cli import main
from k360scrape.clock import FakeClock
from k360scrape.demo import demo_start_urls
from k360scrape.errors import ExitCode
from k360scrape.export import ExportOptions
from k360scrape.fixture_server import FixtureServer
from k360scrape.run import RunRequest, run_crawl
from k360scrape.settings import Settings

EXPECTED = Path(__file__).resolve().parents[1] / "fixtures" / "expected" / "site.json"
LIVE = "https://www.kommune360.de"
DELAY = 0.05


def _recording_client(seen: list[str]) -> httpx.Client:
    def record(request: httpx.Request) -> None:
        seen.append(str(request.url))

    return httpx.Client(event_hooks={"request": [record]})


def _crawl(server: FixtureServer, out: Path, seen: list[str], **kw: object):
    request = RunRequest(
        start_urls=demo_start_urls(server.origin),
        out_dir=out,
        settings=Settings(delay=DELAY),
        export=ExportOptions(**kw),  # type: ignore[arg-type]
    )
    with _recording_client(seen) as client:
        return run_crawl(request, client=client)


@pytest.fixture
def crawled(site_server: FixtureServer, tmp_path: Path):
    seen: list[str] = []
    report = _crawl(site_server, tmp_path / "out", seen)
    return site_server, tmp_path / "out", report, seen


def test_every_day_page_and_post_is_harvested(crawled):
    server, out, report, _ = crawled
    assert report.exit_code is ExitCode.OK
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    posts = json.loads((out / "posts.json").read_text(encoding="utf-8"))
    assert len(posts) == len(expected)
    for want, got in zip(expected, posts, strict=True):
        for key in ("day", "archive_page", "position", "id", "title", "date", "author", "label"):
            assert got[key] == want[key], (want["id"], key)
        assert got["url"] == want["url"].replace(LIVE, server.origin)
        assert len(got["pdfs"]) == want["pdf_count"], want["id"]
        assert len(got["contributors"]) == want["contributor_count"], want["id"]


def test_every_archive_page_was_fetched(crawled):
    server, out, _, _ = crawled
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    robots = [e for e in manifest["fetched"] if e["kind"] == "robots"]
    assert robots == [
        {
            "url": f"{server.origin}/robots.txt",
            "status": 200,
            "kind": "robots",
            "bytes": robots[0]["bytes"],
            "error": None,
            "from_cache": False,
        }
    ]
    archives = {e["url"] for e in manifest["fetched"] if e["kind"] == "archive"}
    assert archives == {
        f"{server.origin}/programm/tag/mittwoch/",
        f"{server.origin}/programm/tag/donnerstag/",
        f"{server.origin}/programm/tag/donnerstag/page/2/",
        f"{server.origin}/programm/tag/donnerstag/page/3/",
        f"{server.origin}/programm/tag/freitag/",
        f"{server.origin}/programm/tag/freitag/page/2/",
    }


def test_no_disallowed_url_was_requested(crawled, fixture_site: Path):
    server, _, _, _ = crawled
    robots = Protego.parse(
        (fixture_site / "www.kommune360.de" / "robots.txt").read_text(encoding="utf-8")
    )
    paths = [r.path for r in server.requests]
    assert "/robots.txt" in paths
    for path in paths:
        assert robots.can_fetch(f"{LIVE}{path}", "k360scrape"), path


def test_request_starts_are_at_least_the_delay_apart(crawled):
    server, _, _, _ = crawled
    starts = sorted(r.started for r in server.requests)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(gaps) >= 9
    # The server stamps a request when it has read the request line, a little after the
    # client started it; a small tolerance covers that scheduling jitter only.
    assert min(gaps) >= DELAY - 0.01


def test_no_request_leaves_the_scope(crawled):
    server, _, _, seen = crawled
    assert seen
    assert all(url.startswith(server.origin + "/") for url in seen), seen
    assert len(seen) == len(server.requests)


def test_reparse_of_the_warc_gives_the_same_bytes(crawled, tmp_path, capsys):
    _, out, _, _ = crawled
    again = tmp_path / "reparsed"
    with pytest.raises(SystemExit) as exc:
        main(["reparse", str(out / "archive.warc.gz"), "--out", str(again), "-q"])
    assert exc.value.code == 0
    for name in ("posts.json", "posts.jsonl", "posts.csv", "contributors.csv", "pdfs.csv"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_same_responses_give_the_same_bytes(site_server, tmp_path):
    outputs = []
    for run in ("a", "b"):
        request = RunRequest(
            start_urls=demo_start_urls(site_server.origin),
            out_dir=tmp_path / run,
            settings=Settings(delay=DELAY),
            export=ExportOptions(xlsx=True),
        )
        run_crawl(request, clock=FakeClock())
        outputs.append(tmp_path / run)
    names = sorted(p.name for p in outputs[0].iterdir() if p.is_file())
    assert "posts.xlsx" in names
    for name in names:
        if name in ("manifest.json", "archive.warc.gz"):
            continue  # run times and WARC record ids differ by design
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name


def test_broken_markup_never_overwrites_good_output(site_server, tmp_path):
    out = tmp_path / "out"
    _crawl(site_server, out, [])
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    for day in ("mittwoch", "donnerstag", "freitag"):
        site_server.set_page(f"/programm/tag/{day}/", "<html><body><p>Wartung</p></body></html>")
    report = _crawl(site_server, out, [])
    assert report.exit_code is ExitCode.GATE_REFUSED
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before


def test_demo_command_writes_every_entry(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", str(tmp_path / "demo"), "-q"])
    assert exc.value.code == 0
    posts = json.loads((tmp_path / "demo" / "posts.json").read_text(encoding="utf-8"))
    assert len(posts) == len(json.loads(EXPECTED.read_text(encoding="utf-8")))


def test_pdfs_are_downloaded_with_checksums_and_metadata(site_server, tmp_path):
    out = tmp_path / "out"
    request = RunRequest(
        start_urls=demo_start_urls(site_server.origin),
        out_dir=out,
        settings=Settings(delay=0, download_pdfs=True, pdf_text=True),
    )
    report = run_crawl(request)
    assert report.exit_code is ExitCode.OK
    pdfs = [p for post in json.loads((out / "posts.json").read_text("utf-8")) for p in post["pdfs"]]
    assert pdfs
    for pdf in pdfs:
        stored = out / pdf["path"]
        assert stored.is_file()
        assert stored.resolve().is_relative_to(out.resolve())
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == pdf["sha256"]
        assert pdf["bytes"] == stored.stat().st_size
        assert pdf["is_pdf"] is True
        assert pdf["page_count"] >= 1
        assert pdf["http_status"] == 200
        assert (out / pdf["text_path"]).is_file()
    pdf_requests = [r.path for r in site_server.requests if r.path.lower().endswith(".pdf")]
    assert len(pdf_requests) == len(set(pdf_requests))  # each file fetched once
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    logged = [e for e in manifest["fetched"] if e["kind"] == "pdf"]
    assert len(logged) == len(pdf_requests)
    assert all(e["status"] == 200 and e["bytes"] > 0 for e in logged)
    again = tmp_path / "reparsed"
    with pytest.raises(SystemExit) as exc:
        main(["reparse", str(out / "archive.warc.gz"), "--out", str(again), "-q"])
    assert exc.value.code == 0
    assert (again / "posts.json").read_bytes() == (out / "posts.json").read_bytes()
