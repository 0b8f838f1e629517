"""Pure HTML parsing: a day-archive page or a single post page in, `ArchivePage`/`Entry` out.

The document is parsed once with lexbor. Page-level facts (day heading, pagination) take a
few queries (`parsing.page`). Each entry's landmarks (title, meta line, body, date, author)
are one lookup per field along the fallback chains of `selectors.py` (`parsing.entry`); its
body is walked once, block by block (`parsing.blocks`), with one more query for the body's
links and images, deciding for every block whether it is the label, the subtitle, a File
block, an image, a contributor's bio or a body paragraph (`parsing.body`). The string rules
(whitespace, dates, names) live in `text.py`, href resolution in `parsing.hrefs`. selectolax
nodes never leave these modules.

Only `ParseError` leaves the public functions: for input that is not HTML at all (empty,
binary) and, as a last line of defence, for any internal failure on hostile markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from selectolax.lexbor import LexborHTMLParser, LexborNode

from k360scrape import selectors as sel
from k360scrape.errors import ParseError
from k360scrape.models import ArchivePage, Entry
from k360scrape.parsing import page
from k360scrape.parsing.blocks import BLOCK_SELECTOR as _BLOCK_SELECTOR  # noqa: F401
from k360scrape.parsing.body import EXCERPT_MORE as _EXCERPT_MORE  # noqa: F401
from k360scrape.parsing.body import FLATTENED as _FLATTENED  # noqa: F401
from k360scrape.parsing.body import only_names as _only_names  # noqa: F401
from k360scrape.parsing.entry import EntryData, read_entry
from k360scrape.parsing.hrefs import Urls
from k360scrape.parsing.hrefs import Urls as _Urls  # noqa: F401
from k360scrape.parsing.hrefs import simple_canonical as _simple_canonical  # noqa: F401
from k360scrape.parsing.nodes import Doc, text_of
from k360scrape.text import date_from_iso

__all__ = ["parse_archive_page", "parse_single_page"]
# The underscored imports (noqa: F401) keep their old names here: the benchmark's reference
# extractions (bench/_common.py) apply these rules as they are, so that they compare HTML
# libraries rather than two readings of the contract; the property tests check the href
# shortcut against canonicalize().

_T = TypeVar("_T")


def parse_archive_page(html: str, url: str) -> ArchivePage:
    """Read one page of a day archive: heading, page number, entries and pagination."""
    return _safely(_archive_page, html, url)


def parse_single_page(html: str, url: str) -> Entry:
    """Read a single post page (`/programm/event/<slug>/`) as one full `Entry`."""
    return _safely(_single_page, html, url)


# --- document --------------------------------------------------------------------------

_BINARY_SAMPLE = 1024
_BINARY_RATIO = 0.02  # share of control/replacement characters that marks decoded binary
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\ufffd]")


def _safely(build: Callable[[Doc, Urls], _T], html: str, url: str) -> _T:
    tree = _parse(html)
    try:
        doc = Doc(tree)
        return build(doc, page.page_urls(doc, url))
    except ParseError:
        raise
    except Exception as exc:  # the contract: nothing but ParseError leaves the parser
        raise ParseError(f"internal parser error on {url}: {exc!r}") from exc


def _parse(html: str) -> LexborHTMLParser:
    if not isinstance(html, str):
        raise ParseError(f"expected the page as text, got {type(html).__name__}")
    if not html or html.isspace():  # isspace() stops at the first character; strip() copies
        raise ParseError("empty document")
    if _looks_binary(html[:_BINARY_SAMPLE]):
        raise ParseError("binary content, not HTML")
    if "<" not in html:
        raise ParseError("no markup at all: not an HTML document")
    try:
        return LexborHTMLParser(html)
    except UnicodeEncodeError:  # lone surrogates cannot be handed to lexbor as UTF-8
        return LexborHTMLParser(html.encode("utf-8", "replace"))


def _looks_binary(sample: str) -> bool:
    if sample.lstrip().startswith("%PDF-"):
        return True
    if _NOT_TEXT.search(sample) is None:  # the common case, one scan
        return False
    return len(_NOT_TEXT.findall(sample)) > len(sample) * _BINARY_RATIO


# --- archive page ----------------------------------------------------------------------


def _archive_page(doc: Doc, urls: Urls) -> ArchivePage:
    scope = page.main_scope(doc)
    pagination = page.Pagination.read(doc, scope, urls)
    # One validation for the page and every model in it: cheaper than one call per model.
    return ArchivePage.model_validate(
        {
            "url": urls.page,
            "day": page.day(doc),
            "page": page.page_number(doc, urls.page, pagination),
            "entries": _entries(doc, scope, urls),
            "next_url": pagination.next_url,
            "page_urls": tuple(dict.fromkeys(pagination.urls)),
        }
    )


def _entries(doc: Doc, scope: LexborNode, urls: Urls) -> list[EntryData]:
    nodes = page.entry_nodes(doc, scope)
    careful = any(node.tag != "article" for node in nodes[:1])
    careful = careful or doc.first(sel.NESTED_ARTICLE) is not None
    return [read_entry(doc, node, urls, careful) for node in nodes]


# --- single page -----------------------------------------------------------------------


def _single_page(doc: Doc, urls: Urls) -> Entry:
    scope = page.main_scope(doc)
    nodes = page.entry_nodes(doc, scope)
    entry = read_entry(doc, nodes[0] if nodes else scope, urls)
    entry["url"] = _single_url(doc, urls)
    entry["title"] = entry["title"] or text_of(doc.first_of(sel.SINGLE_TITLE))
    entry["date"] = entry["date"] or date_from_iso(_attribute(doc, sel.PUBLISHED_META, "content"))
    return Entry.model_validate(entry)


def _single_url(doc: Doc, urls: Urls) -> str:
    for selector in sel.CANONICAL:
        node = doc.first(selector)
        if node is not None:
            url = urls.resolve(node.attributes.get("href") or node.attributes.get("content"))
            if url:
                return url
    return urls.page


def _attribute(doc: Doc, selector: str, name: str) -> str | None:
    node = doc.first(selector)
    return node.attributes.get(name) if node is not None else None
