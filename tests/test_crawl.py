"""Crawl orchestration over httpx.MockTransport: order, pagination, excerpts, robots, resume."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from k360scrape.clock import FakeClock
from k360scrape.crawl import Crawler, StartStatus, exit_code_for
from k360scrape.errors import ExitCode
from k360scrape.fetch import Fetcher
from k360scrape.settings import Settings
from k360scrape.state import CrawlState
from k360scrape.urls import Scope

HOST = "https://www.example.org"
DAY = f"{HOST}/programm/tag/freitag/"


def _article(slug: str, title: str, body: str = "<p>Text.</p>", excerpt: bool = False) -> str:
    content = (
        f'<div class="entry-excerpt"><p>Kurz [&hellip;]</p></div>'
        f'<a class="more-link" href="{HOST}/programm/event/{slug}/">Weiterlesen</a>'
        if excerpt
        else f'<div class="entry-content">{body}</div>'
    )
    return (
        f'<article class="entry type-programm"><header class="entry-header">'
        f'<h2 class="entry-title"><a class="entry-title-link" rel="bookmark" '
        f'href="{HOST}/programm/event/{slug}/">{title}</a></h2>'
        f'<p class="entry-meta"><time class="entry-time" datetime="2022-12-09T10:00:00+01:00">'
        f'09.12.2022</time> by <span class="entry-author"><span class="entry-author-name">'
        f"Ana Autor</span></span></p></header>{content}</article>"
    )


def _archive(articles: list[str], next_url: str | None = None) -> str:
    nav = (
        f'<div class="archive-pagination pagination"><ul><li class="pagination-next">'
        f'<a href="{next_url}" >Nächste →</a></li></ul></div>'
        if next_url
        else ""
    )
    return (
        '<html><body><main class="content"><div class="archive-description">'
        '<h1 class="archive-title">Freitag</h1></div>'
        f"{''.join(articles)}{nav}</main></body></html>"
    )


def _single(slug: str, title: str) -> str:
    return (
        f'<html><head><link rel="canonical" href="{HOST}/programm/event/{slug}/"></head><body>'
        f'<main class="content"><article class="entry"><header class="entry-header">'
        f'<h1 class="entry-title">{title}</h1><p class="entry-meta"><time class="entry-time">'
        f'09.12.2022</time> by <span class="entry-author-name">Ana Autor</span></p></header>'
        f'<div class="entry-content"><p>Der ganze Text.</p></div></article></main></body></html>'
    )


ROBOTS = "User-agent: *\nDisallow: /wp-admin/\nDisallow: /programm/event/geheim/\n"


def _site(pages: dict[str, str]) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        seen.append(url)
        if url not in pages:
            return httpx.Response(404, text="not found")
        kind = "text/plain" if url.endswith("robots.txt") else "text/html; charset=utf-8"
        return httpx.Response(200, text=pages[url], headers={"content-type": kind})

    return handler, seen


@pytest.fixture
def site() -> dict[str, str]:
    return {
        f"{HOST}/robots.txt": ROBOTS,
        DAY: _archive([_article("eins", "Eins"), _article("zwei", "Zwei")], f"{DAY}page/2/"),
        f"{DAY}page/2/": _archive(
            [
                _article("drei", "Drei", excerpt=True),
                _article("geheim", "Geheim", excerpt=True),
                _article("eins", "Eins"),
            ]
        ),
        f"{HOST}/programm/event/drei/": _single("drei", "Drei"),
        f"{HOST}/programm/event/geheim/": _single("geheim", "Geheim"),
    }


def _crawl(pages: dict[str, str], tmp_path: Path, **settings: object):
    handler, seen = _site(pages)
    clock = FakeClock()
    scope = Scope([DAY])
    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(client, Settings(**settings), scope, clock)  # type: ignore[arg-type]
    state = CrawlState(tmp_path / "state.sqlite")
    crawler = Crawler([DAY], fetcher, state, scope)
    crawler.run()
    return crawler, state, seen, clock


def test_crawl_follows_pages_completes_excerpts_and_dedups(site, tmp_path):
    crawler, state, seen, _ = _crawl(site, tmp_path)
    posts = list(state.iter_posts())
    assert [p.id for p in posts] == ["eins", "zwei", "drei", "geheim"]
    assert [(p.archive_page, p.position) for p in posts] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    drei = posts[2]
    assert drei.description == "Der ganze Text."
    assert drei.source_url == f"{HOST}/programm/event/drei/"
    geheim = posts[3]
    assert geheim.source_url == f"{DAY}page/2/"  # kept from the excerpt
    assert f"{HOST}/programm/event/geheim/" not in seen  # robots.txt forbids it
    kinds = {w.kind for w in state.warnings()}
    assert "robots" in kinds
    assert "excerpt-only" in kinds
    assert crawler.start_status == StartStatus(ok=1)


def test_requests_start_at_least_the_delay_apart(site, tmp_path):
    _, _, seen, clock = _crawl(site, tmp_path, delay=1.5)
    assert len(seen) == 4  # robots, 2 archive pages, 1 single page (the other is forbidden)
    assert sum(clock.sleeps) >= 1.5 * (len(seen) - 1) - 1e-9


def test_pagination_loop_is_stopped_with_a_warning(site, tmp_path):
    site[f"{DAY}page/2/"] = _archive([_article("drei", "Drei")], DAY)
    _, state, seen, _ = _crawl(site, tmp_path)
    assert seen.count(DAY) == 1
    assert any(w.kind == "pagination" for w in state.warnings())


def test_failed_archive_page_is_recorded_and_other_pages_kept(site, tmp_path):
    del site[f"{DAY}page/2/"]
    _, state, _, _ = _crawl(site, tmp_path, retries=0)
    assert [p.id for p in state.iter_posts()] == ["eins", "zwei"]
    assert state.count("archive", "failed") == 1


def test_resume_fetches_nothing_already_done(site, tmp_path):
    handler, seen = _site(site)
    clock = FakeClock()
    scope = Scope([DAY])
    client = httpx.Client(transport=httpx.MockTransport(handler))
    state = CrawlState(tmp_path / "state.sqlite")
    first = Crawler([DAY], Fetcher(client, Settings(), scope, clock), state, scope, max_pages=1)
    first.run()
    state.close()
    done_before = list(seen)
    state = CrawlState(tmp_path / "state.sqlite")
    Crawler([DAY], Fetcher(client, Settings(), scope, clock), state, scope).run()
    after = seen[len(done_before) :]
    assert DAY not in after
    assert [p.id for p in state.iter_posts()] == ["eins", "zwei", "drei", "geheim"]


@pytest.mark.parametrize(
    ("status", "failed", "posts", "warnings", "strict", "interrupted", "code"),
    [
        (StartStatus(ok=3), 0, 5, 0, False, False, ExitCode.OK),
        (StartStatus(ok=3), 1, 5, 0, False, False, ExitCode.PARTIAL),
        (StartStatus(ok=3), 0, 5, 2, True, False, ExitCode.STRICT_WARNINGS),
        (StartStatus(ok=3), 0, 5, 2, False, False, ExitCode.OK),
        (StartStatus(robots=3), 3, 0, 3, False, False, ExitCode.ROBOTS_FORBIDDEN),
        (StartStatus(network=3), 3, 0, 3, False, False, ExitCode.NETWORK_UNREACHABLE),
        (StartStatus(ok=3), 0, 0, 1, False, False, ExitCode.GATE_REFUSED),
        (StartStatus(answered=3), 3, 0, 3, False, False, ExitCode.PARTIAL),
        (StartStatus(robots=1, network=2), 3, 0, 3, False, False, ExitCode.NETWORK_UNREACHABLE),
        (StartStatus(ok=1), 0, 2, 0, False, True, ExitCode.INTERRUPTED),
    ],
)
def test_exit_codes(status, failed, posts, warnings, strict, interrupted, code):
    assert (
        exit_code_for(
            status,
            failed=failed,
            posts=posts,
            warnings=warnings,
            strict=strict,
            interrupted=interrupted,
        )
        is code
    )


def test_unreachable_site_is_told_apart_from_robots_refusal(tmp_path):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    scope = Scope([DAY])
    client = httpx.Client(transport=httpx.MockTransport(refuse))
    fetcher = Fetcher(client, Settings(retries=0), scope, FakeClock())
    crawler = Crawler([DAY], fetcher, CrawlState(tmp_path / "s.sqlite"), scope)
    crawler.run()
    assert crawler.start_status == StartStatus(network=1)


def test_robots_forbidding_the_start_url_is_counted_as_robots(site, tmp_path):
    site[f"{HOST}/robots.txt"] = "User-agent: k360scrape\nDisallow: /\n"
    crawler, _, seen, _ = _crawl(site, tmp_path)
    assert crawler.start_status == StartStatus(robots=1)
    assert seen == [f"{HOST}/robots.txt"]
