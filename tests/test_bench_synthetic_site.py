"""The crawl benchmarks' synthetic archive is what the crawlers are told it is.

`bench/_synthetic_site.py` renders N archive pages × 10 entries in the fixture markup, single
post pages and robots.txt, and answers conditional requests with 304. These checks render
pages in-process (no server, no timing) and read them with the project's parser.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from k360scrape.parse import parse_archive_page, parse_single_page

ROOT = Path(__file__).resolve().parents[1]
ORIGIN = "http://127.0.0.1:8999"


def _site() -> ModuleType:
    if str(ROOT) not in sys.path:  # bench/ is a top-level package next to src/
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("bench._synthetic_site")


def _archive(mode: str, pages: int) -> object:
    site = _site()
    return site.Archive(site.load_templates(mode, ORIGIN), pages, 10, ORIGIN)


@pytest.mark.parametrize("mode", ["full", "excerpt"])
def test_every_archive_page_links_the_next_and_lists_ten_new_entries(mode: str) -> None:
    archive = _archive(mode, 12)
    seen: set[str] = set()
    url: str | None = ORIGIN + archive.page_path(1)  # type: ignore[attr-defined]
    numbers = []
    while url is not None:
        status, _, html = archive.render(url.removeprefix(ORIGIN))  # type: ignore[attr-defined]
        assert status == 200
        page = parse_archive_page(html, url)
        numbers.append(page.page)
        assert len(page.entries) == 10
        assert all(entry.is_excerpt == (mode == "excerpt") for entry in page.entries)
        seen.update(entry.url for entry in page.entries if entry.url)
        url = page.next_url
    assert numbers == list(range(1, 13))
    assert len(seen) == 120


def test_excerpt_entries_have_single_pages_and_unknown_paths_are_404() -> None:
    archive = _archive("excerpt", 3)
    page = parse_archive_page(archive.archive_page(2), ORIGIN + archive.page_path(2))  # type: ignore[attr-defined]
    entry = page.entries[3]
    assert entry.url is not None
    status, _, html = archive.render(entry.url.removeprefix(ORIGIN))  # type: ignore[attr-defined]
    assert status == 200
    assert parse_single_page(html, entry.url).url == entry.url
    assert archive.render("/programm/tag/mittwoch/page/4/")[0] == 404  # type: ignore[attr-defined]
    assert archive.render("/programm/event/no-such-post-1-0/")[0] == 404  # type: ignore[attr-defined]


def test_server_answers_conditional_requests_with_304_and_keeps_to_its_budget() -> None:
    site = _site()
    server = site._Server(_archive("full", 2), site.Budget(max_requests=3, deadline=1e12))
    first, _ = server.respond("GET", "/programm/tag/freitag/", "HTTP/1.1", {})
    head = first.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    etag = next(line.split(": ", 1)[1] for line in head.split("\r\n") if line.startswith("ETag"))
    again, close = server.respond(
        "GET", "/programm/tag/freitag/", "HTTP/1.1", {"if-none-match": etag}
    )
    assert again.startswith(b"HTTP/1.1 304 ")
    assert not close
    server.respond("GET", "/robots.txt", "HTTP/1.1", {})
    over, close = server.respond("GET", "/robots.txt", "HTTP/1.1", {})
    assert over.startswith(b"HTTP/1.1 503 ")
    assert close
