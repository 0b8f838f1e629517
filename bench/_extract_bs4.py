"""Reference extraction with BeautifulSoup (html.parser or lxml): the rules of k360scrape.parse.

Same fields, same fallback chains (the selectors come from `k360scrape.selectors`), same body
rules (`bench._common.Body`), same string helpers (`k360scrape.text`, `k360scrape.urls`); only
the tree is BeautifulSoup's, queried with `select`/`select_one` (soupsieve) and walked with
`.parent` and `.children`. Where lexbor and BeautifulSoup disagree on what a node's text is,
this follows lexbor: script and style text counts, comments and template contents do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from bs4 import BeautifulSoup, CData, NavigableString, Script, Stylesheet, Tag

from bench._common import (
    ASCII_WHITESPACE,
    BLOCK_TAGS,
    BODY_CLASSES,
    CONTAINER,
    DIGITS,
    FIGURE,
    IMAGE,
    INLINE,
    MIXED,
    PAGE_IN_URL,
    SKIP,
    TEXT,
    Block,
    Body,
    Urls,
    after_by,
    kind_by_tag,
    without_by,
)
from k360scrape import selectors as sel
from k360scrape.models import ArchivePage, Entry
from k360scrape.text import clean, date_from_iso, date_from_text

Node = Any  # a Tag or a NavigableString
_TEXT_TYPES = (NavigableString, CData, Script, Stylesheet)


def parse_with_html_parser(html: str, url: str) -> ArchivePage:
    return parse_archive_page(html, url, "html.parser")


def parse_with_lxml(html: str, url: str) -> ArchivePage:
    return parse_archive_page(html, url, "lxml")


def parse_archive_page(html: str, url: str, features: str) -> ArchivePage:
    soup = BeautifulSoup(html, features)
    base = soup.select_one(sel.BASE)
    urls = Urls(url, base.get("href") if base is not None else None)
    scope = _scope(soup)
    for br in scope.find_all("br"):
        br.replace_with(" ")
    next_url = _next_url(soup, urls)
    return ArchivePage(
        url=urls.page,
        day=_day(soup),
        page=_page_number(urls.page, soup),
        entries=tuple(_entry(node, urls) for node in _entry_nodes(scope, soup)),
        next_url=None if next_url == urls.page else next_url,
        page_urls=_page_urls(scope, soup, urls),
    )


# --- node helpers ----------------------------------------------------------------------


def _text(node: Node) -> str:
    """lexbor's `text()`: every text node below, script and style included."""
    if isinstance(node, Tag):
        return node.get_text(types=_TEXT_TYPES)
    return str(node) if type(node) in (NavigableString, CData) else ""


def _text_or_none(node: Tag | None) -> str | None:
    return (clean(_text(node)) or None) if node is not None else None


def _classes(node: Tag) -> list[str]:
    value = node.get("class")
    return value if isinstance(value, list) else (value.split() if value else [])


def _attr(node: Tag, name: str) -> str | None:
    value = node.get(name)
    return " ".join(value) if isinstance(value, list) else value


def _owned(node: Tag, owner: Tag) -> bool:
    current = node.parent
    while current is not None:
        if current is owner:
            return node is not owner
        if current.name == "article":
            return False
        current = current.parent
    return False


def _owned_by(owner: Tag, selector: str) -> Iterator[Tag]:
    return (node for node in owner.select(selector) if _owned(node, owner))


def _first(owner: Tag, chain: Iterable[str]) -> Tag | None:
    for selector in chain:
        for node in _owned_by(owner, selector):
            return node
    return None


# --- page level ------------------------------------------------------------------------


def _scope(soup: BeautifulSoup) -> Tag:
    for selector in sel.MAIN:
        node = soup.select_one(selector)
        if node is not None:
            return node
    return soup.body or soup


def _entry_nodes(scope: Tag, soup: BeautifulSoup) -> list[Tag]:
    for root in (scope, soup):
        for selector in sel.ENTRIES:
            nodes = root.select(selector)
            if nodes:
                return _top_level(nodes)
    return []


def _top_level(nodes: list[Tag]) -> list[Tag]:
    ids = {id(node) for node in nodes}
    return [node for node in nodes if not _in_other_body(node, ids)]


def _in_other_body(node: Tag, entry_ids: set[int]) -> bool:
    in_body = False
    current = node.parent
    while current is not None:
        if id(current) in entry_ids:
            return in_body
        in_body = in_body or not BODY_CLASSES.isdisjoint(_classes(current))
        current = current.parent
    return False


def _day(soup: BeautifulSoup) -> str | None:
    for selector in sel.DAY:
        text = _text_or_none(soup.select_one(selector))
        if text:
            return text
    return None


def _page_number(url: str, soup: BeautifulSoup) -> int:
    match = PAGE_IN_URL.search(url)
    if match:
        return max(1, int(match.group(1) or match.group(2)))
    for selector in sel.ACTIVE_PAGE:
        node = soup.select_one(selector)
        digits = DIGITS.search(_text(node)) if node is not None else None
        if digits:
            return max(1, int(digits.group()))
    return 1


def _next_url(soup: BeautifulSoup, urls: Urls) -> str | None:
    for selector in sel.NEXT:
        for node in soup.select(selector):
            url = urls.resolve(_attr(node, "href"))
            if url:
                return url
    return None


def _page_urls(scope: Tag, soup: BeautifulSoup, urls: Urls) -> tuple[str, ...]:
    nodes = scope.select(sel.PAGINATION_LINKS) or soup.select(sel.PAGINATION_LINKS)
    found = (urls.resolve(_attr(node, "href")) for node in nodes)
    return tuple(dict.fromkeys(url for url in found if url))


# --- one entry -------------------------------------------------------------------------


def _entry(node: Tag, urls: Urls) -> Entry:
    meta = _meta(node)
    content, shortened = _content(node)
    container = content or node
    blocks = _blocks(container)
    _assign_anchors(container, blocks)
    body: Body[Node] = Body(urls, _OPS)
    body.read(blocks)
    return Entry(
        url=_entry_url(node, urls),
        title=_text_or_none(_first(node, sel.TITLE)),
        date=_date(node, meta),
        author=_author(meta),
        label=body.label,
        subtitle=body.subtitle,
        description="\n\n".join(body.paragraphs),
        pdfs=tuple(body.pdfs.values()),
        contributors=tuple(body.contributors),
        images=tuple(body.images.values()),
        links=tuple(body.links.values()),
        is_excerpt=shortened or body.shortened,
    )


def _entry_url(entry: Tag, urls: Urls) -> str | None:
    for selector in sel.ENTRY_URL:
        for node in _owned_by(entry, selector):
            url = urls.resolve(_attr(node, "href"))
            if url:
                return url
    return None


def _content(entry: Tag) -> tuple[Tag | None, bool]:
    containers: dict[str, Tag] = {}
    shortened = False
    for node in _owned_by(entry, sel.ENTRY_PARTS):
        classes = _classes(node)
        shortened = shortened or not sel.MORE_LINK_CLASSES.isdisjoint(classes)
        shortened = shortened or not sel.EXCERPT_CLASSES.isdisjoint(classes)
        for name in classes:
            containers.setdefault(name, node)
    content = next((containers[c] for c in sel.CONTENT_CLASSES if c in containers), None)
    return content, shortened


def _meta(entry: Tag) -> Tag | None:
    for selector in sel.META:
        for node in _owned_by(entry, selector):
            if not _in_footer(node, entry):
                return node
    return None


def _in_footer(node: Tag, entry: Tag) -> bool:
    current: Tag | None = node
    while current is not None and current is not entry:
        if current.name == "footer" or "entry-footer" in _classes(current):
            return True
        current = current.parent
    return False


def _date(entry: Tag, meta: Tag | None) -> str | None:
    if meta is not None:
        found = _date_of(meta.select(sel.TIME_IN_META)) or date_from_text(_meta_text(meta))
        if found:
            return found
    for selector in sel.ENTRY_TIME:
        found = _date_of(_owned_by(entry, selector))
        if found:
            return found
    return None


def _date_of(nodes: Iterable[Tag]) -> str | None:
    for node in nodes:
        found = date_from_iso(_attr(node, "datetime")) or date_from_text(_text(node))
        if found:
            return found
    return None


def _author(meta: Tag | None) -> str | None:
    if meta is None:
        return None
    for selector in sel.AUTHOR:
        node = meta.select_one(selector)
        name = without_by(clean(_text(node))) if node is not None else ""
        if name:
            return name
    return after_by(_meta_text(meta))


def _meta_text(meta: Tag) -> str:
    parts = (
        _text(child)
        for child in meta.children
        if not isinstance(child, Tag) or sel.META_NOISE_CLASSES.isdisjoint(_classes(child))
    )
    return clean(" ".join(parts))


# --- the body walk ---------------------------------------------------------------------


def _blocks(container: Tag) -> list[Block[Node]]:
    blocks: list[Block[Node]] = []
    run: list[Node] = []
    stack: list[Iterator[Node]] = [iter(container.children)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            run = _flush(run, blocks)
            continue
        kind = _kind(node)
        if kind == INLINE:
            run.append(node)
            continue
        run = _flush(run, blocks)
        if kind == CONTAINER:
            stack.append(iter(node.children))
        elif kind != SKIP:
            blocks.append(Block(kind, [node]))
    return blocks


def _flush(run: list[Node], blocks: list[Block[Node]]) -> list[Node]:
    if run:
        blocks.append(Block(TEXT, run))
    return []


def _kind(node: Node) -> int:
    if not isinstance(node, Tag):
        is_text = type(node) in (NavigableString, CData)
        return INLINE if is_text and node.strip(ASCII_WHITESPACE) else SKIP
    kind = kind_by_tag(node.name, _classes(node))
    if kind == FIGURE:
        if node.select_one(sel.NESTED_FIGURES) is not None:
            return CONTAINER
        return IMAGE if node.select_one(sel.IMAGE) is not None else CONTAINER
    if kind == MIXED:
        holds = any(isinstance(c, Tag) and c.name in BLOCK_TAGS for c in node.children)
        return CONTAINER if holds else TEXT
    return kind


def _assign_anchors(container: Tag, blocks: list[Block[Node]]) -> None:
    owner = {id(node): block for block in blocks for node in block.nodes}
    for anchor in container.select(sel.ANCHORS):
        current: Tag | None = anchor
        while current is not None:
            block = owner.get(id(current))
            if block is not None:
                block.anchors.append(anchor)
                break
            current = None if current is container else current.parent


class _Ops:
    """`bench._common.TreeOps` for BeautifulSoup nodes."""

    tag = staticmethod(lambda node: node.name)
    classes = staticmethod(_classes)
    attr = staticmethod(_attr)
    text = staticmethod(_text)

    @staticmethod
    def has_attr(node: Tag, name: str) -> bool:
        return node.has_attr(name)

    @staticmethod
    def select(node: Tag, css: str) -> list[Tag]:
        return node.select(css)

    @staticmethod
    def lead_text(node: Node) -> str | None:
        if not isinstance(node, Tag):
            return None
        for child in node.children:
            if isinstance(child, Tag):
                return _text(child) if child.name in ("strong", "b") else None
            if clean(_text(child)):
                return None
        return None


_OPS = _Ops()
