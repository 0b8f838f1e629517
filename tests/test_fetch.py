"""The fetcher over httpx.MockTransport and FakeClock: no network, no real sleeping."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from k360scrape.clock import FakeClock
from k360scrape.errors import (
    FetchError,
    HTTPStatusError,
    OutOfScope,
    RetryAfterTooLong,
    RobotsDisallowed,
    TooLarge,
)
from k360scrape.fetch import Fetcher
from k360scrape.models import FetchResult
from k360scrape.robots import MAX_ROBOTS_BYTES
from k360scrape.settings import Settings
from k360scrape.urls import Scope

SITE = "https://www.kommune360.de"
BARE = "https://kommune360.de"
START = f"{SITE}/programm/tag/freitag/"
ROBOTS = f"{SITE}/robots.txt"
HTML = b"<html><body>Freitag</body></html>"

Reply = Callable[[httpx.Request], httpx.Response]


def ok(body: bytes = HTML, status: int = 200, **headers: str) -> Reply:
    """A reply factory: httpx responses are single-use, so each request gets a new one."""
    pairs = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return lambda request: httpx.Response(status, content=body, headers=pairs)


def redirect(location: str, status: int = 301) -> Reply:
    return ok(b"", status, Location=location)


def fail(error: type[httpx.TransportError]) -> Reply:
    def reply(request: httpx.Request) -> httpx.Response:
        raise error("boom\nsecond line", request=request)

    return reply


@dataclass
class Site:
    """A MockTransport handler: URL → replies (used in turn, the last one repeats)."""

    clock: FakeClock
    routes: dict[str, list[Reply]]
    log: list[tuple[str, float, httpx.Headers]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.log.append((url, self.clock.monotonic(), request.headers))
        replies = self.routes.get(url)
        if not replies:
            return httpx.Response(404, content=b"not found")
        return (replies.pop(0) if len(replies) > 1 else replies[0])(request)

    def urls(self) -> list[str]:
        return [url for url, _, _ in self.log]

    def times(self, url: str) -> list[float]:
        return [moment for seen, moment, _ in self.log if seen == url]


@dataclass
class Rig:
    fetcher: Fetcher
    site: Site
    clock: FakeClock
    exchanges: list[FetchResult]


def rig(routes: dict[str, Reply | list[Reply]], **overrides: Any) -> Rig:
    clock = FakeClock()
    site = Site(clock, {url: r if isinstance(r, list) else [r] for url, r in routes.items()})
    settings = Settings(**{"delay": 1.0, "retries": 3, **overrides})
    exchanges: list[FetchResult] = []
    fetcher = Fetcher(
        httpx.Client(transport=httpx.MockTransport(site)),
        settings,
        Scope([START], extra_hosts=settings.allowed_hosts),
        clock,
        on_exchange=exchanges.append,
    )
    return Rig(fetcher, site, clock, exchanges)


# --- the basics


def test_fetch_returns_a_complete_result() -> None:
    r = rig({START: ok(HTML, Content_Type="text/html; charset=UTF-8", X_Custom="1")})
    result = r.fetcher.fetch(START)
    assert (result.url, result.final_url, result.status, result.body) == (START, START, 200, HTML)
    assert result.headers == (
        ("Content-Type", "text/html; charset=UTF-8"),  # wire order, original case
        ("X-Custom", "1"),
        ("Content-Length", str(len(HTML))),
    )
    assert result.header("x-custom") == "1"
    assert result.attempts == 1
    assert result.fetched_at == r.clock.now()
    assert result.sha256 == hashlib.sha256(HTML).hexdigest()
    assert ("User-Agent", Settings().user_agent) in result.request_headers
    assert [e.final_url for e in r.exchanges] == [ROBOTS, START]  # robots.txt reported too


def test_user_agent_is_always_ours() -> None:
    r = rig({START: ok()})
    r.fetcher.fetch(START, headers={"user-agent": "Mozilla/5.0"})
    agents = [headers.get_list("user-agent") for _, _, headers in r.site.log]
    assert agents == [[Settings().user_agent]] * 2


def test_timeouts_come_from_settings_and_client_defaults_are_overridden() -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(301, headers={"Location": f"{SITE}/elsewhere/"})

    # a client that would follow redirects and wait 999 s on its own
    client = httpx.Client(
        transport=httpx.MockTransport(handler), timeout=999.0, follow_redirects=True
    )
    settings = Settings(connect_timeout=3.0, read_timeout=7.0, obey_robots=False, max_redirects=0)
    with pytest.raises(FetchError, match="too many redirects"):
        Fetcher(client, settings, Scope([START]), FakeClock()).fetch(START)
    assert seen == [{"connect": 3.0, "read": 7.0, "write": 7.0, "pool": 7.0}]


def test_404_is_returned_without_retry() -> None:
    r = rig({})
    result = r.fetcher.fetch(START)
    assert result.status == 404
    assert r.site.urls() == [ROBOTS, START]


def test_conditional_headers_pass_through_and_304_is_returned() -> None:
    r = rig({START: ok(b"ignored", 304, ETag='"v1"')})
    result = r.fetcher.fetch(START, headers={"If-None-Match": '"v1"', "If-Modified-Since": "x"})
    assert (result.status, result.body, result.header("etag")) == (304, b"", '"v1"')
    sent = r.site.log[-1][2]
    assert (sent["if-none-match"], sent["if-modified-since"]) == ('"v1"', "x")
    assert r.exchanges[-1] is result


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://www.kommune360.de/a.pdf", "only http and https"),
        ("mailto:festival@kommune360.de", "only http and https"),
        ("https://evil.example/programm/", "outside the crawl scope"),
    ],
)
def test_out_of_scope_urls_are_never_requested(url: str, match: str) -> None:
    r = rig({})
    with pytest.raises(OutOfScope, match=match) as info:
        r.fetcher.fetch(url)
    assert info.value.url == url
    assert r.site.log == []


# --- robots.txt


def test_robots_disallow_raises_before_the_request() -> None:
    r = rig({ROBOTS: ok(b"User-agent: *\nDisallow: /programm/\n")})
    with pytest.raises(RobotsDisallowed, match=r"forbids .*freitag.* for k360scrape"):
        r.fetcher.fetch(START)
    assert r.site.urls() == [ROBOTS]


def test_robots_own_group_beats_star() -> None:
    body = b"User-agent: *\nDisallow: /\n\nUser-agent: k360scrape\nDisallow: /wp-admin/\n"
    r = rig({ROBOTS: ok(body), START: ok()})
    assert r.fetcher.fetch(START).status == 200
    with pytest.raises(RobotsDisallowed):
        r.fetcher.fetch(f"{SITE}/wp-admin/")


def test_robots_fetched_once_per_origin() -> None:
    r = rig({START: ok(), f"{BARE}/programm/event/x/": ok()})
    r.fetcher.fetch(START)
    r.fetcher.fetch(f"{SITE}/programm/event/y/")
    r.fetcher.fetch(f"{BARE}/programm/event/x/")
    assert r.site.urls().count(ROBOTS) == 1
    assert r.site.urls().count(f"{BARE}/robots.txt") == 1  # RFC 9309: per origin


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_robots_4xx_allows_all(status: int) -> None:
    r = rig({ROBOTS: ok(b"User-agent: *\nDisallow: /\n", status), START: ok()})
    assert r.fetcher.fetch(START).status == 200


def test_robots_5xx_disallows_all_until_expiry_then_asks_again() -> None:
    r = rig(
        {ROBOTS: [ok(b"", 503), ok(b"User-agent: *\nDisallow: /wp-admin/\n")], START: ok()},
        retries=0,
        robots_retry_after=300.0,
    )
    with pytest.raises(RobotsDisallowed, match=r"robots\.txt answered 503; disallowing all"):
        r.fetcher.fetch(START)
    with pytest.raises(RobotsDisallowed):  # cached: no second robots request yet
        r.fetcher.fetch(START)
    assert r.site.urls() == [ROBOTS]
    r.clock.advance(300.0)
    assert r.fetcher.fetch(START).status == 200
    assert r.site.urls() == [ROBOTS, ROBOTS, START]


def test_robots_5xx_is_retried_before_giving_up() -> None:
    r = rig({ROBOTS: [ok(b"", 500), ok(b"User-agent: *\nAllow: /\n")], START: ok()}, retries=2)
    assert r.fetcher.fetch(START).status == 200
    assert r.site.urls() == [ROBOTS, ROBOTS, START]


@pytest.mark.parametrize("error", [httpx.ConnectTimeout, httpx.ConnectError, httpx.ReadTimeout])
def test_robots_unreachable_disallows_all(error: type[httpx.TransportError]) -> None:
    r = rig({ROBOTS: [fail(error), ok(b"")], START: ok()}, retries=0)
    with pytest.raises(
        RobotsDisallowed, match=f"robots.txt could not be fetched .*{error.__name__}"
    ):
        r.fetcher.fetch(START)
    r.clock.advance(Settings().robots_retry_after)
    assert r.fetcher.fetch(START).status == 200


def test_robots_redirect_within_scope_is_followed() -> None:
    routes: dict[str, Reply | list[Reply]] = {
        f"{BARE}/robots.txt": redirect(ROBOTS),
        ROBOTS: ok(b"User-agent: *\nDisallow: /intern/\n"),
        f"{BARE}/a/": ok(),
    }
    r = rig(routes)
    assert r.fetcher.fetch(f"{BARE}/a/").status == 200
    with pytest.raises(RobotsDisallowed):
        r.fetcher.fetch(f"{BARE}/intern/")
    robots = r.exchanges[0]
    assert (robots.url, robots.final_url) == (f"{BARE}/robots.txt", ROBOTS)


def test_robots_redirect_out_of_scope_disallows_all() -> None:
    r = rig({ROBOTS: redirect("https://login.example/robots.txt"), START: ok()})
    with pytest.raises(RobotsDisallowed, match=r"login\.example.*outside the crawl scope"):
        r.fetcher.fetch(START)
    assert "login.example" not in " ".join(r.site.urls())


def test_robots_redirect_chain_over_five_hops_disallows_all() -> None:
    routes: dict[str, Reply | list[Reply]] = {
        f"{SITE}/r{n}.txt": redirect(f"{SITE}/r{n + 1}.txt") for n in range(10)
    }
    routes[ROBOTS] = redirect(f"{SITE}/r0.txt")
    r = rig(routes)
    with pytest.raises(RobotsDisallowed, match="redirected more than 5 times"):
        r.fetcher.fetch(START)
    assert len(r.site.log) == 6


def test_huge_robots_file_is_truncated_not_refused() -> None:
    body = b"User-agent: *\nDisallow: /intern/\n#" + b"x" * (2 * MAX_ROBOTS_BYTES)
    r = rig({ROBOTS: ok(body), START: ok()})
    assert r.fetcher.fetch(START).status == 200
    assert len(r.exchanges[0].body) == MAX_ROBOTS_BYTES


def test_robots_can_be_ignored() -> None:
    r = rig(
        {ROBOTS: ok(b"User-agent: *\nDisallow: /\nCrawl-delay: 30\n"), START: ok()},
        obey_robots=False,
    )
    assert r.fetcher.fetch(START).status == 200
    assert r.fetcher.robots_crawl_delay(START) is None
    assert r.site.urls() == [START]


def test_concurrent_first_requests_share_one_robots_fetch() -> None:
    r = rig({START: ok()}, delay=0.0)
    threads = [threading.Thread(target=r.fetcher.fetch, args=(START,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert r.site.urls().count(ROBOTS) == 1
    assert r.site.urls().count(START) == 6


# --- politeness


def test_sequential_starts_are_at_least_delay_apart() -> None:
    r = rig({START: ok()}, delay=2.5)
    for _ in range(4):
        r.fetcher.fetch(START)
    starts = [moment for _, moment, _ in r.site.log]
    assert [b - a for a, b in itertools.pairwise(starts)] == [2.5] * 4


def test_www_and_bare_share_one_throttle() -> None:
    r = rig({START: ok(), f"{BARE}/a/": ok()}, delay=2.0)
    r.fetcher.fetch(START)
    r.fetcher.fetch(f"{BARE}/a/")  # bare robots.txt, then the page
    starts = [moment for _, moment, _ in r.site.log]
    assert [b - a for a, b in itertools.pairwise(starts)] == [2.0] * 3


def test_crawl_delay_larger_than_delay_is_used() -> None:
    r = rig({ROBOTS: ok(b"User-agent: *\nCrawl-delay: 5\n"), START: ok()}, delay=1.0)
    r.fetcher.fetch(START)
    r.fetcher.fetch(START)
    assert r.fetcher.robots_crawl_delay(START) == 5.0
    starts = [moment for _, moment, _ in r.site.log]
    assert starts == [0.0, 5.0, 10.0]


def test_crawl_delay_smaller_than_delay_is_ignored() -> None:
    r = rig({ROBOTS: ok(b"User-agent: *\nCrawl-delay: 0.5\n"), START: ok()}, delay=3.0)
    r.fetcher.fetch(START)
    assert [moment for _, moment, _ in r.site.log] == [0.0, 3.0]


def test_concurrency_one_never_has_two_requests_in_flight() -> None:
    clock = FakeClock()
    state = {"now": 0, "max": 0}
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        for _ in range(50):
            time.sleep(0)  # yield the GIL so an unguarded second worker would overlap
        with lock:
            state["now"] -= 1
        return httpx.Response(200, content=HTML)

    settings = Settings(delay=0.0, concurrency=1)
    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(client, settings, Scope([START]), clock)

    def worker(n: int) -> None:
        for i in range(5):
            fetcher.fetch(f"{SITE}/programm/event/{n}-{i}/")

    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(worker, n) for n in range(4)]:
            future.result()  # re-raises anything a worker hit
    assert state["max"] == 1


# --- retries


def test_retry_after_seconds_is_honoured() -> None:
    r = rig({START: [ok(b"", 503, Retry_After="7"), ok()]}, delay=1.0)
    result = r.fetcher.fetch(START)
    assert (result.status, result.attempts) == (200, 2)
    assert 7.0 in r.clock.sleeps
    first, second = r.site.times(START)
    assert second - first == pytest.approx(7.0)


def test_retry_after_http_date_is_honoured() -> None:
    clock_start = FakeClock().now()
    # robots.txt at t=0, the page at t=1: a date 21 s after the start means 20 s from then
    date = format_datetime(clock_start + timedelta(seconds=21), usegmt=True)
    r = rig({START: [ok(b"", 429, Retry_After=date), ok()]})
    assert r.fetcher.fetch(START).attempts == 2
    assert 20.0 in r.clock.sleeps
    first, second = r.site.times(START)
    assert second - first == pytest.approx(20.0)


def test_retry_after_over_the_cap_gives_up_at_once() -> None:
    r = rig({START: [ok(b"", 503, Retry_After="86400"), ok()]}, max_retry_after=120.0)
    message = f"server asked to wait 86400 s, more than the 120 s cap; giving up on {START}"
    with pytest.raises(RetryAfterTooLong) as info:
        r.fetcher.fetch(START)
    assert str(info.value) == message
    assert r.site.urls().count(START) == 1
    assert max(r.clock.sleeps, default=0.0) < 120.0


def test_retries_back_off_through_mixed_failures_then_succeed() -> None:
    replies = [ok(b"", 503), ok(b"", 500), fail(httpx.ConnectError), fail(httpx.ReadTimeout), ok()]
    r = rig({START: replies}, retries=4, delay=0.0, backoff_base=1.0, backoff_max=60.0)
    result = r.fetcher.fetch(START)
    assert (result.status, result.attempts) == (200, 5)
    assert len(r.clock.sleeps) == 4  # one backoff per failed attempt; delay 0 adds none
    for attempt, slept in enumerate(r.clock.sleeps, start=1):
        assert 0.0 <= slept <= 2.0 ** (attempt - 1)
    assert [e.url for e in r.exchanges] == [ROBOTS, START]  # failed attempts not reported


def test_backoff_never_undercuts_the_host_delay() -> None:
    r = rig({START: [ok(b"", 502), ok()]}, delay=4.0, backoff_base=0.001)
    r.fetcher.fetch(START)
    first, second = r.site.times(START)
    assert second - first >= 4.0


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 520, 524])
def test_give_up_after_all_attempts_on_status(status: int) -> None:
    r = rig({START: ok(b"", status)}, retries=2)
    with pytest.raises(HTTPStatusError, match=f"HTTP {status} from .* after 3 attempts") as info:
        r.fetcher.fetch(START)
    assert info.value.status == status
    assert r.site.urls().count(START) == 3
    assert [e.url for e in r.exchanges] == [ROBOTS]


def test_give_up_after_all_attempts_on_network_error() -> None:
    r = rig({START: fail(httpx.ConnectError)}, retries=1)
    with pytest.raises(FetchError) as info:
        r.fetcher.fetch(START)
    assert not isinstance(info.value, HTTPStatusError)
    assert str(info.value) == f"ConnectError: boom second line (fetching {START}, 2 attempts)"
    assert r.site.urls().count(START) == 2


def test_retries_zero_means_one_attempt() -> None:
    r = rig({START: ok(b"", 503)}, retries=0)
    with pytest.raises(HTTPStatusError, match=r"after 1 attempt$"):
        r.fetcher.fetch(START)


# --- redirects


def test_redirect_within_scope_is_followed() -> None:
    bare = f"{BARE}/programm/tag/freitag"
    r = rig({bare: redirect(START, 301), START: ok()})
    result = r.fetcher.fetch(bare)
    assert (result.url, result.final_url, result.status) == (bare, START, 200)
    assert r.site.urls() == [f"{BARE}/robots.txt", bare, ROBOTS, START]  # each hop robots-checked


def test_relative_redirect_is_resolved() -> None:
    r = rig({f"{SITE}/a": redirect("/a/", 308), f"{SITE}/a/": ok()})
    assert r.fetcher.fetch(f"{SITE}/a").final_url == f"{SITE}/a/"


@pytest.mark.parametrize(
    ("target", "match"),
    [
        ("https://evil.example/x/", "redirects to https://evil.example/x/: host outside"),
        ("ftp://www.kommune360.de/a.pdf", "redirects to ftp://www.kommune360.de/a.pdf: only http"),
    ],
)
def test_redirect_out_of_scope_is_refused(target: str, match: str) -> None:
    r = rig({START: redirect(target, 302)})
    with pytest.raises(OutOfScope, match=match):
        r.fetcher.fetch(START)
    assert r.site.urls() == [ROBOTS, START]


def test_redirect_to_a_disallowed_url_is_refused() -> None:
    r = rig(
        {ROBOTS: ok(b"User-agent: *\nDisallow: /intern/\n"), START: redirect(f"{SITE}/intern/")}
    )
    with pytest.raises(RobotsDisallowed):
        r.fetcher.fetch(START)
    assert r.site.urls() == [ROBOTS, START]


def test_redirect_loop_is_detected() -> None:
    a, b = f"{SITE}/a/", f"{SITE}/b/"
    r = rig({a: redirect(b), b: redirect(a)})
    with pytest.raises(FetchError, match="redirect loop"):
        r.fetcher.fetch(a)
    assert r.site.urls() == [ROBOTS, a, b]


def test_redirect_chain_is_capped() -> None:
    routes: dict[str, Reply | list[Reply]] = {
        f"{SITE}/r{n}/": redirect(f"{SITE}/r{n + 1}/") for n in range(10)
    }
    r = rig(routes, max_redirects=3)
    with pytest.raises(FetchError, match="too many redirects"):
        r.fetcher.fetch(f"{SITE}/r0/")
    assert len(r.site.log) == 1 + 4  # robots.txt, then the first request and 3 redirects


def test_redirect_without_location_is_the_final_answer() -> None:
    r = rig({START: ok(b"", 302)})
    assert r.fetcher.fetch(START).status == 302


# --- size and time caps


def test_body_over_the_cap_is_refused() -> None:
    r = rig({START: ok(b"x" * 2000)})
    with pytest.raises(TooLarge, match="1000 byte cap"):
        r.fetcher.fetch(START, max_bytes=1000)
    assert r.fetcher.fetch(START, max_bytes=2000).body == b"x" * 2000


def test_streamed_body_without_length_is_cut_off() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x" * 600] * 100))

    r = rig({START: reply})
    with pytest.raises(TooLarge):
        r.fetcher.fetch(START, max_bytes=1000)


def test_gzip_bomb_is_measured_after_decoding() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    r = rig({START: ok(bomb, Content_Encoding="gzip")})
    with pytest.raises(TooLarge, match="after decoding"):
        r.fetcher.fetch(START, max_bytes=1_000_000)


def test_gzip_body_is_returned_decoded() -> None:
    r = rig({START: ok(gzip.compress(HTML), Content_Encoding="gzip")})
    result = r.fetcher.fetch(START)
    assert result.body == HTML
    assert result.header("content-encoding") == "gzip"


def test_pdf_kind_uses_the_pdf_cap() -> None:
    url = f"{SITE}/wp-content/uploads/2022/12/a.pdf"
    r = rig({url: ok(b"%PDF" + b"x" * 3000)}, max_bytes=1000, max_pdf_bytes=10_000)
    assert r.fetcher.fetch(url, kind="pdf").status == 200
    with pytest.raises(TooLarge):
        r.fetcher.fetch(url)


def test_slow_stream_hits_the_total_deadline() -> None:
    r = rig({}, total_timeout=5.0, retries=0)

    def trickle() -> Iterator[bytes]:
        for _ in range(100):
            r.clock.advance(1.0)  # one byte per second never trips a read timeout
            yield b"x"

    r.site.routes[START] = [lambda request: httpx.Response(200, content=trickle())]
    with pytest.raises(FetchError, match="within 5 s") as info:
        r.fetcher.fetch(START)
    assert not isinstance(info.value, TooLarge)


def test_slow_stream_is_retried_then_succeeds() -> None:
    r = rig({}, total_timeout=5.0, retries=1, delay=0.0)

    def trickle(request: httpx.Request) -> httpx.Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(10):
                r.clock.advance(1.0)
                yield b"x"

        return httpx.Response(200, content=chunks())

    r.site.routes[START] = [trickle, ok()]
    result = r.fetcher.fetch(START)
    assert (result.status, result.attempts, result.body) == (200, 2, HTML)
