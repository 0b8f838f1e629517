"""Every fault of docs/RELIABILITY.md injected into the fixture server, crawled for real.

Each test states the outcome (retried and recovered / skipped with a warning / run stopped
with a documented exit code), the message the user gets, what is still written (records of
the pages that succeeded, always) and the exit code. Every crawl also checks that no request
left the start URL's host, over the client's own record and over the server log.

Timeouts, retries and backoff are scaled down through `Settings` so the file runs in seconds;
where the fetcher's own waiting is what is tested (Retry-After) a `FakeClock` takes the
sleeps, and the real server provides the socket behaviour.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from k360scrape.clock import Clock, FakeClock
from k360scrape.errors import ExitCode
from k360scrape.faults import (
    GzipBomb,
    Hang,
    Huge,
    Redirect,
    Reset,
    Respond,
    Trickle,
    Truncate,
    blackhole_listener,
    refused_port,
)
from k360scrape.fetch import make_client
from k360scrape.fixture_server import FixtureServer, RequestRecord, Status
from k360scrape.run import RunReport, RunRequest, run_crawl
from k360scrape.settings import Settings

SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site" / "www.kommune360.de"
LIVE_HOSTS = re.compile(rb"https?://(?:www\.)?kommune360\.de(?![\w-])")
FREITAG = "/programm/tag/freitag/"
FREITAG_2 = "/programm/tag/freitag/page/2/"
DONNERSTAG = "/programm/tag/donnerstag/"
DONNERSTAG_2 = "/programm/tag/donnerstag/page/2/"
DONNERSTAG_3 = "/programm/tag/donnerstag/page/3/"
PAGE_1_POSTS = 9  # Freitag page 1 (the reference page)
FREITAG_POSTS = 13  # 9 + the 4 of page 2
OUTPUTS = ("posts.json", "posts.csv", "manifest.json")

# Small numbers so each fault costs at most a second or two of real time.
FAST: dict[str, Any] = {
    "delay": 0.0,
    "retries": 2,
    "backoff_base": 0.01,
    "backoff_max": 0.02,
    "connect_timeout": 0.5,
    "read_timeout": 0.5,
    "total_timeout": 2.0,
}


@dataclass
class Crawl:
    report: RunReport
    out: Path
    server: FixtureServer | None
    seen: list[str] = field(default_factory=list)

    @property
    def code(self) -> ExitCode:
        return self.report.exit_code

    @property
    def posts(self) -> list[dict[str, Any]]:
        path = self.out / "posts.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []

    def on_page(self, page: int) -> list[dict[str, Any]]:
        return [post for post in self.posts if post["archive_page"] == page]

    @property
    def warnings(self) -> str:
        return "\n".join(self.report.warnings)

    def hits(self, path: str) -> list[RequestRecord]:
        assert self.server is not None
        return [r for r in self.server.requests if r.path == path]

    def wrote_nothing(self) -> bool:
        return not any((self.out / name).exists() for name in OUTPUTS)


def crawl(
    server: FixtureServer | None,
    out: Path,
    *paths: str,
    origin: str | None = None,
    clock: Clock | None = None,
    **overrides: Any,
) -> Crawl:
    """Crawl `paths` (default: Freitag) of the fixture server into `out` with FAST settings."""
    base = origin or (server.origin if server else "")
    starts = tuple(base + path for path in (paths or (FREITAG,)))
    settings = Settings(**{**FAST, **overrides})
    seen: list[str] = []
    client = make_client(settings)
    client.event_hooks = {"request": [lambda request: seen.append(str(request.url))]}
    with client:
        report = run_crawl(
            RunRequest(start_urls=starts, out_dir=out, settings=settings),
            client=client,
            clock=clock,
        )
    result = Crawl(report, out, server, seen)
    _assert_in_scope(result, base)
    return result


def _assert_in_scope(result: Crawl, origin: str) -> None:
    """No request left the start URL's host: the client's record and the server log agree."""
    assert all(url.startswith(origin + "/") for url in result.seen), result.seen
    if result.server is not None:
        host = origin.split("://", 1)[1]
        assert {r.headers.get("host") for r in result.server.requests} <= {host}


def page_bytes(server: FixtureServer, path: str) -> bytes:
    """A fixture page as the server would send it: live hosts rewritten to the server."""
    raw = (SITE / path.strip("/") / "index.html").read_bytes()
    return LIVE_HOSTS.sub(server.origin.encode(), raw)


def page_1_kept(result: Crawl) -> None:
    """The records of the page that succeeded were written, whatever happened to the rest."""
    assert len(result.on_page(1)) == PAGE_1_POSTS
    assert all(post["title"] and post["author"] for post in result.on_page(1))


# =========================================================================== HTTP status


def test_429_with_retry_after_seconds_is_waited_out_and_recovers(site_server, tmp_path):
    site_server.add_fault(FREITAG_2, Status(429, {"Retry-After": "7"}, times=1))
    clock = FakeClock()
    result = crawl(site_server, tmp_path / "out", clock=clock)
    assert result.code is ExitCode.OK
    assert len(result.posts) == FREITAG_POSTS
    assert [r.status for r in result.hits(FREITAG_2)] == [429, 200]
    assert any(abs(s - 7.0) < 0.01 for s in clock.sleeps)  # the server's number, not backoff
    assert result.warnings == ""


def test_429_with_retry_after_http_date_is_waited_out_and_recovers(site_server, tmp_path):
    clock = FakeClock()
    when = format_datetime(clock.now() + _seconds(30), usegmt=True)
    site_server.add_fault(FREITAG_2, Status(429, {"Retry-After": when}, times=1))
    result = crawl(site_server, tmp_path / "out", clock=clock)
    assert result.code is ExitCode.OK
    assert len(result.posts) == FREITAG_POSTS
    assert any(29.0 <= s <= 30.0 for s in clock.sleeps), clock.sleeps


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_beyond_the_cap_gives_up_at_once(site_server, tmp_path, status):
    site_server.add_fault(FREITAG_2, Status(status, {"Retry-After": "86400"}, times=None))
    clock = FakeClock()
    result = crawl(site_server, tmp_path / "out", clock=clock, max_retry_after=120)
    assert result.code is ExitCode.PARTIAL
    assert "server asked to wait 86400 s, more than the 120 s cap; giving up on" in result.warnings
    assert len(result.hits(FREITAG_2)) == 1  # no retry, and no day-long sleep either
    assert max(clock.sleeps, default=0) < 120
    page_1_kept(result)
    assert result.on_page(2) == []


def test_503_burst_that_ends_is_retried_and_recovers(site_server, tmp_path):
    site_server.add_fault(FREITAG_2, Status(503, times=2))
    result = crawl(site_server, tmp_path / "out", retries=2)
    assert result.code is ExitCode.OK
    assert [r.status for r in result.hits(FREITAG_2)] == [503, 503, 200]
    assert len(result.posts) == FREITAG_POSTS


def test_500_that_never_ends_is_given_up_after_the_retries(site_server, tmp_path):
    site_server.add_fault(FREITAG_2, Status(500, times=None))
    result = crawl(site_server, tmp_path / "out", retries=2)
    assert result.code is ExitCode.PARTIAL
    assert f"HTTP 500 from {site_server.url(FREITAG_2)} after 3 attempts" in result.warnings
    assert len(result.hits(FREITAG_2)) == 3
    assert result.report.message == "finished with 1 failed URL(s)"
    page_1_kept(result)


def test_500_on_the_only_start_url_writes_nothing(site_server, tmp_path):
    site_server.add_fault(FREITAG, Status(500, times=None))
    result = crawl(site_server, tmp_path / "out", retries=1)
    assert result.code is ExitCode.PARTIAL
    assert "HTTP 500" in result.warnings
    assert "harvested no posts" in result.report.message
    assert result.wrote_nothing()


# =========================================================================== network


def test_connection_reset_once_is_retried_and_recovers(site_server, tmp_path):
    site_server.add_fault(FREITAG_2, Reset(times=1))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.OK
    assert len(result.posts) == FREITAG_POSTS
    assert len(result.hits(FREITAG_2)) == 2


def test_connection_reset_every_time_is_given_up(site_server, tmp_path):
    site_server.add_fault(FREITAG_2, Reset())
    result = crawl(site_server, tmp_path / "out", retries=1)
    assert result.code is ExitCode.PARTIAL
    assert re.search(
        r"(ReadError|RemoteProtocolError|Connection reset).*2 attempts", result.warnings
    )
    page_1_kept(result)


def test_connect_timeout_stops_the_run_with_exit_6(tmp_path):
    with blackhole_listener() as port:
        started = time.monotonic()
        result = crawl(None, tmp_path / "out", origin=f"http://127.0.0.1:{port}", retries=1)
    assert time.monotonic() - started < 5
    assert result.code is ExitCode.NETWORK_UNREACHABLE
    assert result.report.message == "no start URL could be reached; nothing written"
    assert "ConnectTimeout" in result.warnings
    assert result.wrote_nothing()


def test_connection_refused_stops_the_run_with_exit_6(tmp_path):
    result = crawl(None, tmp_path / "out", origin=f"http://127.0.0.1:{refused_port()}")
    assert result.code is ExitCode.NETWORK_UNREACHABLE
    assert "ConnectError" in result.warnings
    assert result.wrote_nothing()


def test_read_timeout_once_is_retried_and_recovers(site_server, tmp_path):
    site_server.add_fault(FREITAG_2, Hang(times=1))
    result = crawl(site_server, tmp_path / "out", read_timeout=0.3)
    assert result.code is ExitCode.OK
    assert len(result.posts) == FREITAG_POSTS


def test_read_timeout_every_time_is_given_up(site_server, tmp_path):
    site_server.add_fault(FREITAG_2, Hang())
    result = crawl(site_server, tmp_path / "out", read_timeout=0.3, retries=1)
    assert result.code is ExitCode.PARTIAL
    assert "ReadTimeout" in result.warnings
    assert len(result.hits(FREITAG_2)) == 2
    page_1_kept(result)


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "status-line-and-headers"])
def test_trickling_server_is_cut_off_by_the_total_deadline(site_server, tmp_path, headers_too):
    # One byte every 0.2 s never trips the 0.5 s read timeout; only the deadline ends it.
    site_server.add_fault(FREITAG_2, Trickle(interval=0.2, headers_too=headers_too))
    started = time.monotonic()
    result = crawl(site_server, tmp_path / "out", read_timeout=0.5, total_timeout=1.0, retries=0)
    assert time.monotonic() - started < 4
    assert result.code is ExitCode.PARTIAL
    url = site_server.url(FREITAG_2)
    assert f"no complete response from {url} within 1 s, 1 attempt" in result.warnings
    page_1_kept(result)


def test_truncated_body_once_is_detected_and_retried(site_server, tmp_path):
    site_server.add_fault(FREITAG_2, Truncate(times=1))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.OK
    assert len(result.posts) == FREITAG_POSTS
    assert len(result.hits(FREITAG_2)) == 2


def test_truncated_body_every_time_is_never_parsed(site_server, tmp_path):
    half = page_bytes(site_server, FREITAG_2)[:5000]
    site_server.add_fault(FREITAG_2, Truncate(half, declared=len(half) * 2))
    result = crawl(site_server, tmp_path / "out", retries=1)
    assert result.code is ExitCode.PARTIAL
    assert "incomplete" in result.warnings or "complete message body" in result.warnings
    assert result.on_page(2) == []  # half a page is not passed off as the page
    page_1_kept(result)


# =========================================================================== content


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06" + bytes(64)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ((SITE / "wp-content/uploads/2022/12/Faktenquiz-Thueringen.pdf").read_bytes(), "pdf"),
        (PNG, "image/png"),
    ],
    ids=["pdf", "png"],
)
def test_pdf_or_image_where_html_is_expected_is_skipped(site_server, tmp_path, body, content_type):
    kind = "application/pdf" if content_type == "pdf" else content_type
    site_server.add_fault(FREITAG_2, Respond(body, content_type=kind))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.PARTIAL
    assert f"expected HTML from {site_server.url(FREITAG_2)}, got {kind}" in result.warnings
    page_1_kept(result)
    assert result.on_page(2) == []


_META_UTF8 = b'<meta charset="UTF-8">'


@pytest.mark.parametrize(
    ("content_type", "meta"),
    [
        ("text/html; charset=ISO-8859-1", _META_UTF8.replace(b"UTF-8", b"ISO-8859-1")),
        ("text/html; charset=windows-1252", b""),
        ("text/html", b'<meta charset="iso-8859-1">'),
        (
            "text/html",
            b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
        ),
        ("text/html", b""),
    ],
    ids=["header-latin1", "header-cp1252", "meta-latin1", "meta-http-equiv-cp1252", "undeclared"],
)
def test_legacy_encodings_give_the_same_records(site_server, tmp_path, content_type, meta):
    baseline = crawl(site_server, tmp_path / "utf8")
    utf8 = page_bytes(site_server, FREITAG).decode("utf-8")
    # Characters windows-1252 lacks (U+2011, U+202F …) become references, as such pages do.
    legacy = utf8.encode("cp1252", errors="xmlcharrefreplace").replace(_META_UTF8, meta)
    assert b"\xe4" in legacy  # ä
    assert b"\x84" in legacy  # „, from the 0x80–0x9F range Latin-1 lacks
    site_server.add_fault(FREITAG, Respond(legacy, content_type=content_type))
    result = crawl(site_server, tmp_path / "legacy")
    assert result.code is ExitCode.OK
    assert _content(result.posts) == _content(baseline.posts)
    assert "Präventionsketten" in json.dumps(result.posts, ensure_ascii=False)


def _content(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in p.items() if k not in ("sha256", "fetched_at")} for p in posts]


def test_gzip_bomb_is_cut_off_at_the_cap_without_inflating_it(site_server, tmp_path):
    bomb = GzipBomb(size=200_000_000)
    assert len(bomb.payload) < 300_000  # 0.2 MB on the wire for 200 MB of zeros
    site_server.add_fault(FREITAG_2, bomb)
    tracemalloc.start()
    try:
        result = crawl(site_server, tmp_path / "out", max_bytes=2_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.code is ExitCode.PARTIAL
    url = site_server.url(FREITAG_2)
    assert f"{url}: body exceeds the 2000000 byte cap (after decoding)" in result.warnings
    assert peak < 20_000_000, f"peak {peak / 1e6:.0f} MB while reading a capped gzip bomb"
    page_1_kept(result)


def test_gzip_in_gzip_bomb_is_refused(site_server, tmp_path):
    site_server.add_fault(FREITAG_2, GzipBomb(size=100_000_000, layers=2))
    tracemalloc.start()
    try:
        result = crawl(site_server, tmp_path / "out")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.code is ExitCode.PARTIAL
    assert "unsupported Content-Encoding 'gzip, gzip'" in result.warnings
    assert peak < 20_000_000
    page_1_kept(result)


def test_gzip_page_is_decoded(site_server, tmp_path):
    body = gzip.compress(page_bytes(site_server, FREITAG_2))
    site_server.add_fault(FREITAG_2, Respond(body, headers={"Content-Encoding": "gzip"}))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.OK
    assert len(result.posts) == FREITAG_POSTS


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "streamed"])
def test_50_mb_page_is_refused_at_the_size_cap(site_server, tmp_path, declare_length):
    site_server.add_fault(FREITAG_2, Huge(size=50_000_000, declare_length=declare_length))
    result = crawl(site_server, tmp_path / "out", max_bytes=20_000_000)  # the default cap
    assert result.code is ExitCode.PARTIAL
    url = site_server.url(FREITAG_2)
    expected = (
        f"{url}: Content-Length 50000000 exceeds the 20000000 byte cap"
        if declare_length
        else f"{url}: body exceeds the 20000000 byte cap"
    )
    assert expected in result.warnings
    assert len(result.hits(FREITAG_2)) == 1  # too large is not retried
    page_1_kept(result)


def test_empty_200_is_skipped_with_a_warning(site_server, tmp_path):
    site_server.add_fault(FREITAG_2, Respond(b""))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.PARTIAL
    assert "empty document" in result.warnings
    page_1_kept(result)


# =========================================================================== redirects


@pytest.mark.parametrize("via", [None, "/umweg/"], ids=["to-itself", "two-step"])
def test_redirect_loop_is_stopped(site_server, tmp_path, via):
    if via:
        site_server.add_fault(FREITAG_2, Redirect("{origin}" + via))
        site_server.add_fault(via, Redirect("{origin}" + FREITAG_2))
    else:
        site_server.add_fault(FREITAG_2, Redirect("{origin}" + FREITAG_2))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.PARTIAL
    assert "redirect loop" in result.warnings
    assert len(result.hits(FREITAG_2)) == 1
    page_1_kept(result)


def test_redirect_to_another_host_is_refused(site_server, tmp_path):
    # localhost is this very server under another name: following it would show in the log.
    target = f"http://localhost:{site_server.port}{FREITAG_2}"
    site_server.add_fault(FREITAG_2, Redirect(target, times=1))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.PARTIAL
    assert f"redirects to {target}: host outside the crawl scope" in result.warnings
    assert target not in result.seen
    page_1_kept(result)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("ftp://127.0.0.1/freitag.html", "redirects to {target}: only http and https URLs"),
        ("file:///etc/passwd", "redirects to {target}: only http and https URLs"),
        # httpx itself rejects this Location while reading the response: still refused.
        ("javascript:alert(1)", "InvalidURL"),
    ],
    ids=["ftp", "file", "javascript"],
)
def test_redirect_to_a_non_http_scheme_is_refused(site_server, tmp_path, target, message):
    site_server.add_fault(FREITAG_2, Redirect(target))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.PARTIAL
    assert message.format(target=target) in result.warnings
    assert len(result.hits(FREITAG_2)) == 1
    page_1_kept(result)


# =========================================================================== pagination


def test_pagination_cycle_is_stopped_with_a_warning(site_server, tmp_path):
    page_3 = page_bytes(site_server, DONNERSTAG_3).decode()
    back = f'<li class="pagination-next"><a href="{site_server.url(DONNERSTAG_2)}">Next</a></li>'
    site_server.set_page(DONNERSTAG_3, page_3.replace("</ul></div></div>", back + "</ul>", 1))
    result = crawl(site_server, tmp_path / "out", DONNERSTAG)
    assert result.code is ExitCode.OK
    assert "pagination loop: page 3 links forward to" in result.warnings
    for path in (DONNERSTAG, DONNERSTAG_2, DONNERSTAG_3):
        assert len(result.hits(path)) == 1, path
    assert {post["archive_page"] for post in result.posts} == {1, 2, 3}


def test_404_on_page_2_of_3_still_reaches_page_3(site_server, tmp_path):
    site_server.delete_page(DONNERSTAG_2)
    result = crawl(site_server, tmp_path / "out", DONNERSTAG)
    assert result.code is ExitCode.PARTIAL
    assert f"HTTP 404 for archive page {site_server.url(DONNERSTAG_2)}" in result.warnings
    assert len(result.hits(DONNERSTAG_3)) == 1
    assert [len(result.on_page(n)) for n in (1, 2, 3)] == [4, 0, 3]


# =========================================================================== robots.txt


def test_robots_txt_500_disallows_all_and_stops_with_exit_3(site_server, tmp_path):
    site_server.add_fault("/robots.txt", Status(500, times=None))
    result = crawl(site_server, tmp_path / "out", retries=1)
    assert result.code is ExitCode.ROBOTS_FORBIDDEN
    assert result.report.message == "robots.txt forbids every start URL; nothing written"
    assert "robots.txt answered 500; disallowing all until it is asked again" in result.warnings
    assert {r.path for r in site_server.requests} == {"/robots.txt"}
    assert result.wrote_nothing()


def test_robots_txt_503_that_ends_is_retried_and_recovers(site_server, tmp_path):
    site_server.add_fault("/robots.txt", Status(503, times=1))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.OK
    assert len(result.posts) == FREITAG_POSTS


def test_robots_txt_timeout_disallows_all_and_stops_with_exit_6(site_server, tmp_path):
    site_server.add_fault("/robots.txt", Hang())
    result = crawl(site_server, tmp_path / "out", read_timeout=0.3, retries=1)
    assert result.code is ExitCode.NETWORK_UNREACHABLE
    assert "robots.txt could not be fetched" in result.warnings
    assert "ReadTimeout" in result.warnings
    assert {r.path for r in site_server.requests} == {"/robots.txt"}
    assert result.wrote_nothing()


def test_robots_txt_redirect_to_another_host_is_not_followed(site_server, tmp_path):
    target = f"http://localhost:{site_server.port}/robots.txt"
    site_server.add_fault("/robots.txt", Redirect(target))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.NETWORK_UNREACHABLE
    assert f"redirects to {target}: host outside the crawl scope" in result.warnings
    assert "disallowing all" in result.warnings
    assert target not in result.seen
    assert result.wrote_nothing()


def test_robots_txt_of_5_mb_is_read_up_to_500_kib(site_server, tmp_path):
    rules = (SITE / "robots.txt").read_bytes()
    filler = b"".join(b"Disallow: /nirgends/%d/\n" % n for n in range(250_000))
    late = b"User-agent: *\nDisallow: /programm/\n"  # beyond 500 KiB: ignored (RFC 9309 2.5)
    body = rules + filler + late
    assert len(body) > 5_000_000
    site_server.add_fault("/robots.txt", Respond(body, content_type="text/plain"))
    started = time.monotonic()
    result = crawl(site_server, tmp_path / "out")
    assert time.monotonic() - started < 10
    assert result.code is ExitCode.OK
    assert len(result.posts) == FREITAG_POSTS


def test_robots_txt_with_invalid_bytes_keeps_its_rules(site_server, tmp_path):
    body = (
        b"\xff\xfe\x00\x80 garbage \xc3\x28\n# Kommentar: Gr\xfc\xdfe\n"
        b"User-agent: *\nDisallow: /programm/tag/freitag/page/2/\n\x00\x01\x02\n"
    )
    site_server.add_fault("/robots.txt", Respond(body, content_type="text/plain"))
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.OK  # a page robots.txt forbids is skipped, not failed
    assert "forbids" in result.warnings
    assert result.hits(FREITAG_2) == []
    page_1_kept(result)


# =========================================================================== malformed HTML


def _freitag_2(server: FixtureServer) -> str:
    return page_bytes(server, FREITAG_2).decode("utf-8")


def _titles(result: Crawl, page: int) -> list[str]:
    return [post["title"] for post in result.on_page(page)]


@pytest.fixture
def freitag_2_titles(site_server, tmp_path) -> list[str]:
    return _titles(crawl(site_server, tmp_path / "baseline"), 2)


@pytest.mark.parametrize("tags", ["p|li|article", "div|figure|header|ul"])
def test_unclosed_tags_lose_no_entry(site_server, tmp_path, tags):
    baseline = crawl(site_server, tmp_path / "baseline").on_page(2)
    html = re.sub(rf"</({tags})>", "", _freitag_2(site_server))
    site_server.set_page(FREITAG_2, html)
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.OK
    keys = ("url", "title", "date", "author")
    if tags == "p|li|article":  # end tags HTML lets authors leave out: nothing may change
        keys += ("label", "contributors", "pdfs")
    assert [_pick(p, keys) for p in result.on_page(2)] == [_pick(p, keys) for p in baseline]


def _pick(post: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: post[key] for key in keys}


def test_nested_article_is_not_a_post_of_its_own(site_server, tmp_path, freitag_2_titles):
    card = (
        '<article class="entry"><h2 class="entry-title"><a class="entry-title-link" '
        f'href="{site_server.origin}/programm/event/verwandter-beitrag/">Verwandt</a></h2>'
        "</article>"
    )
    html = _freitag_2(site_server).replace(
        '<div class="entry-content">', '<div class="entry-content">' + card, 1
    )
    site_server.set_page(FREITAG_2, html)
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.OK
    assert _titles(result, 2) == freitag_2_titles
    assert "verwandter-beitrag" not in json.dumps(result.posts)


def test_missing_entry_content_keeps_the_entry(site_server, tmp_path, freitag_2_titles):
    html = _freitag_2(site_server).replace('<div class="entry-content">', "<div>")
    assert 'class="entry-content"' not in html
    site_server.set_page(FREITAG_2, html)
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.OK
    assert _titles(result, 2) == freitag_2_titles
    assert all(post["date"] and post["author"] for post in result.on_page(2))


def test_duplicated_ids_lose_no_entry(site_server, tmp_path, freitag_2_titles):
    html = re.sub(r'\bid="[^"]*"', 'id="genesis-content"', _freitag_2(site_server))
    html = re.sub(r"post-\d+ ", "post-1 ", html)
    site_server.set_page(FREITAG_2, html)
    result = crawl(site_server, tmp_path / "out")
    assert result.code is ExitCode.OK
    assert _titles(result, 2) == freitag_2_titles


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)


# =========================================================================== the table

RELIABILITY = Path(__file__).resolve().parents[1] / "docs" / "RELIABILITY.md"
_ABBREVIATIONS = {
    "F": "tests/test_faults.py",
    "S": "tests/test_security.py",
    "H": "tests/test_hostile.py",
}
_REF = re.compile(r"`((?:tests/)?[\w/]+\.py|[FSH])::([^`]+)`")
_ROW = re.compile(r"^\| (\d+) \|", re.MULTILINE)
_TOTAL = re.compile(r"^\| ([a-z ]+?)(?: \(.*\))? \| (\d+) \|$", re.MULTILINE)


def _table_refs(text: str) -> set[str]:
    refs = set()
    for where, name in _REF.findall(text):
        path = _ABBREVIATIONS.get(where, where)
        refs.add(f"{path}::{name.replace(chr(92) + '|', '|')}")  # "\|" escapes "|" in tables
    return refs


def _collected(paths: set[str]) -> set[str]:
    root = RELIABILITY.parents[1]
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, *sorted(paths)],
        check=True,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return {line.strip() for line in done.stdout.splitlines() if "::" in line}


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_reliability_table_names_only_collected_tests():
    text = RELIABILITY.read_text(encoding="utf-8")
    refs = _table_refs(text)
    assert len(refs) >= 100
    missing = refs - _collected({ref.split("::", 1)[0] for ref in refs})
    assert not missing, f"docs/RELIABILITY.md names tests that do not exist: {sorted(missing)}"
    numbers = [int(n) for n in _ROW.findall(text)]
    assert numbers == list(range(1, len(numbers) + 1)), "rows are numbered 1, 2, 3 …"
    totals = {name: int(count) for name, count in _TOTAL.findall(_section(text, "Totals"))}
    faults = len(_ROW.findall(_section(text, "Faults")))
    hostile = len(_ROW.findall(_section(text, "Hostile input")))
    threats = len(_ROW.findall(_section(text, "Security")))
    assert totals == {
        "faults injected": faults,
        "faults survived": faults,
        "hostile inputs": hostile,
        "hostile inputs handled as documented": hostile,
        "security threats": threats,
        "records lost": 0,
    }


def test_cookies_a_server_sets_are_never_sent_back(site_server, tmp_path):
    # The crawl is stateless: every request is the same whatever came before it.
    page = (SITE / "programm" / "tag" / "freitag" / "index.html").read_bytes()
    page = LIVE_HOSTS.sub(site_server.origin.encode(), page)
    site_server.add_fault(
        FREITAG, Respond(page, headers={"Set-Cookie": "session=abc; Path=/"}, times=1)
    )
    result = crawl(site_server, tmp_path / "out")
    assert result.report.exit_code == ExitCode.OK
    paths = [record.path for record in site_server.requests]
    assert FREITAG in paths
    assert FREITAG_2 in paths  # a request made after the cookie was set
    assert all("cookie" not in record.headers for record in site_server.requests)
