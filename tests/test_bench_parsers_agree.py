"""The parse benchmark compares like with like: each reference extraction gives the same records.

`bench/parse.py` times BeautifulSoup (html.parser and lxml) and parsel doing the same
extraction as `k360scrape.parse`; this checks, on the fixture archive pages and a few of the
benchmark's synthetic pages, that they really produce the same `ArchivePage` records (and
that the Scrapy spider's single-page extraction matches `parse_single_page`). No timing here:
targets are met in the benchmarks, never asserted in unit tests.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from k360scrape.models import ArchivePage
from k360scrape.parse import parse_archive_page, parse_single_page

ROOT = Path(__file__).resolve().parents[1]

for _library in ("bs4", "lxml", "parsel"):
    pytest.importorskip(
        _library,
        reason=f"{_library} (a benchmark parser) is not installed: pip install -e '.[bench]' "
        "to check bench/parse.py's reference extractions",
    )


def _bench(name: str) -> ModuleType:
    if str(ROOT) not in sys.path:  # bench/ is a top-level package next to src/
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"bench.{name}")


@pytest.fixture(scope="module")
def extractors() -> dict[str, Callable[[str, str], ArchivePage]]:
    bs4_module, parsel_module = _bench("_extract_bs4"), _bench("_extract_parsel")
    return {
        "bs4 + html.parser": bs4_module.parse_with_html_parser,
        "bs4 + lxml": bs4_module.parse_with_lxml,
        "parsel": parsel_module.parse_archive_page,
    }


FIXTURE_PAGES = 6  # the fixture site's day-archive pages
SYNTHETIC_PAGES = 6


@pytest.fixture(scope="module")
def sample() -> list[tuple[str, str]]:
    """The fixture archive pages, then a few of the benchmark's synthetic variants of them."""
    pages_module = _bench("_pages")
    base = pages_module.fixture_archive_pages()
    assert len(base) == FIXTURE_PAGES

    def slugs_of(page: object) -> list[str]:
        parsed = parse_archive_page(page.html, page.url)  # type: ignore[attr-defined]
        return [e.url.rstrip("/").rsplit("/", 1)[-1] for e in parsed.entries if e.url]

    pages = pages_module.bench_pages(base, FIXTURE_PAGES + SYNTHETIC_PAGES, slugs_of)
    return [(page.url, page.html) for page in pages]


@pytest.mark.parametrize("index", range(FIXTURE_PAGES + SYNTHETIC_PAGES))
def test_reference_extractions_equal_the_parser(
    index: int,
    sample: list[tuple[str, str]],
    extractors: dict[str, Callable[[str, str], ArchivePage]],
) -> None:
    url, html = sample[index]
    expected = parse_archive_page(html, url)
    assert expected.entries, "a benchmark page without entries would compare nothing"
    for name, extract in extractors.items():
        got = extract(html, url)
        assert got.model_dump() == expected.model_dump(), f"{name} on {url}"


def test_synthetic_pages_have_new_permalinks(sample: list[tuple[str, str]]) -> None:
    def permalinks(pages: list[tuple[str, str]]) -> list[str | None]:
        return [entry.url for url, html in pages for entry in parse_archive_page(html, url).entries]

    fixture = set(permalinks(sample[:FIXTURE_PAGES]))
    synthetic = permalinks(sample[FIXTURE_PAGES:])
    assert len(synthetic) == len(set(synthetic))
    assert fixture.isdisjoint(synthetic)


def test_scrapy_spider_single_page_extraction_equals_the_parser(fixture_site: Path) -> None:
    parsel_module = _bench("_extract_parsel")
    singles = sorted((fixture_site / "www.kommune360.de/programm/event").glob("*/index.html"))
    assert singles
    for path in singles:
        url = f"https://www.kommune360.de/programm/event/{path.parent.name}/"
        html = path.read_text(encoding="utf-8")
        assert parsel_module.parse_single_page(html, url) == parse_single_page(html, url), url
