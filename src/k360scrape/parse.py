"""Pure HTML parsing: a day-archive page or a single post page in, `ArchivePage`/`Entry` out.

The document is parsed once with lexbor (`parsing.document`). Page-level facts (day heading,
pagination) take a few queries (`parsing.page`). Each entry's landmarks (title, meta line,
body, date, author) come from one query for all of them, along the fallback chains of
`selectors.py` (`parsing.entry`); its body is walked once, block by block
(`parsing.blocks`), deciding for every block whether it is the label, the subtitle, a File
block, an image, a contributor's bio or a body paragraph (`parsing.body`). The string rules
(whitespace, dates, names) live in `text.py`, href resolution in `parsing.hrefs`. selectolax
nodes never leave these modules.

Only `ParseError` leaves the public functions: for input that is not HTML at all (empty,
binary) and, as a last line of defence, for any internal failure on hostile markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from k360scrape.errors import ParseError
from k360scrape.models import ArchivePage, Entry
from k360scrape.parsing import document, page
from k360scrape.parsing.blocks import BLOCK_SELECTOR as _BLOCK_SELECTOR  # noqa: F401
from k360scrape.parsing.body import EXCERPT_MORE as _EXCERPT_MORE  # noqa: F401
from k360scrape.parsing.body import FLATTENED as _FLATTENED  # noqa: F401
from k360scrape.parsing.body import only_names as _only_names  # noqa: F401
from k360scrape.parsing.hrefs import Urls
from k360scrape.parsing.hrefs import Urls as _Urls  # noqa: F401
from k360scrape.parsing.hrefs import simple_canonical as _simple_canonical  # noqa: F401
from k360scrape.parsing.nodes import Doc

__all__ = ["parse_archive_page", "parse_single_page"]
# The underscored imports (noqa: F401) keep their old names here: the benchmark's reference
# extractions (bench/_common.py) apply these rules as they are, so that they compare HTML
# libraries rather than two readings of the contract; the property tests check the href
# shortcut against canonicalize().

_T = TypeVar("_T")


def parse_archive_page(html: str, url: str) -> ArchivePage:
    """Read one page of a day archive: heading, page number, entries and pagination."""
    return _safely(document.archive_page, html, url)


def parse_single_page(html: str, url: str) -> Entry:
    """Read a single post page (`/programm/event/<slug>/`) as one full `Entry`."""
    return _safely(document.single_page, html, url)


# --- document --------------------------------------------------------------------------


def _safely(build: Callable[[Doc, Urls], _T], html: str, url: str) -> _T:
    if not isinstance(html, str):
        raise ParseError(f"expected the page as text, got {type(html).__name__}")
    tree = document.parse(html)
    try:
        doc = Doc(tree)
        return build(doc, page.page_urls(doc, url))
    except ParseError:
        raise
    except Exception as exc:  # the contract: nothing but ParseError leaves the parser
        raise ParseError(f"internal parser error on {url}: {exc!r}") from exc
