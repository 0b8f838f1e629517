"""The document stage of the parser: the checks that tell HTML from anything else, the lexbor
parse, and the assembly of an `ArchivePage` or single-page `Entry` from the parts.

Kept apart from `k360scrape.parse`, the public boundary, so that it can be compiled with
the other parser modules (`hatch_build.py`): the boundary checks that its argument is text
before anything typed sees it.
"""

from __future__ import annotations

import re
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from k360scrape import selectors as sel
from k360scrape.errors import ParseError
from k360scrape.models import ArchivePage, Entry
from k360scrape.parsing import page
from k360scrape.parsing.entry import EntryData, read_entry
from k360scrape.parsing.hrefs import Urls
from k360scrape.parsing.nodes import Doc, text_of
from k360scrape.text import date_from_iso

_BINARY_SAMPLE: Final = 1024
_BINARY_RATIO: Final = 0.02  # share of control/replacement characters that marks decoded binary
_NOT_TEXT: Final = re.compile("[\x00-\x08\x0e-\x1f\ufffd]")


def parse(html: str) -> LexborHTMLParser:
    """The lexbor tree of `html`, or ParseError for input that is not an HTML document."""
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
    # The common case, cheaply: every `_NOT_TEXT` character but U+FFFD is unprintable, so a
    # sample without U+FFFD that is printable but for its line breaks and tabs holds none (a
    # regex scan costs 5× more).
    printable = sample.replace("\n", "").replace("\t", "").replace("\r", "").isprintable()
    if printable and "\ufffd" not in sample:
        return False
    if _NOT_TEXT.search(sample) is None:
        return False
    return len(_NOT_TEXT.findall(sample)) > len(sample) * _BINARY_RATIO


# --- archive page ----------------------------------------------------------------------


def archive_page(doc: Doc, urls: Urls) -> ArchivePage:
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


def single_page(doc: Doc, urls: Urls) -> Entry:
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
