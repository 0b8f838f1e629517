"""bench/floor.py measures real work: its steps find the parser's entries, titles and links.

The floor leaves most of the contract out on purpose (it is the least any extraction must
do), so it is checked against the parser on what it does read: the same entries in the same
order, the same titles, the same permalinks and pagination links. No timing here.
"""

from __future__ import annotations

import pytest
from bench import floor
from bench._pages import bench_pages, fixture_archive_pages
from bench.parse import slugs_of

from k360scrape.models import ArchivePage
from k360scrape.parse import parse_archive_page

PAGES = bench_pages(fixture_archive_pages(), 30, slugs_of)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: f"{page.url}#{len(page.html)}")
def test_floor_reads_the_parsers_entries_titles_and_links(page):
    expected = parse_archive_page(page.html, page.url)
    found = floor.links(page.html, page.url)
    assert isinstance(found, ArchivePage)
    assert [entry.title for entry in found.entries] == [entry.title for entry in expected.entries]
    assert [entry.url for entry in found.entries] == [entry.url for entry in expected.entries]
    assert set(found.page_urls) == set(expected.page_urls)
    texts = floor.models(page.html, page.url)
    assert isinstance(texts, ArchivePage)
    assert len(texts.entries) == len(expected.entries)


def test_every_step_runs_on_every_page():
    for step in floor.STEPS.values():
        for page in PAGES[:6]:
            assert step(page.html, page.url) is not None
