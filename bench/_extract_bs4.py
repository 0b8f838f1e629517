"""Reference extraction with BeautifulSoup (html.parser or lxml): the rules of k360scrape.parse.

Same fields, same fallback chains (the selectors come from `k360scrape.selectors`), same body
rules (`bench._common.Body`), same string helpers (`k360scrape.text`) and href resolution;
only the tree is BeautifulSoup's, queried with `select`/`select_one` (soupsieve) and walked
with `.parent` and `.children`. Where lexbor and BeautifulSoup differ on what a node's text
is, this follows lexbor: script and style text counts, comments and template contents don't.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from bs4 import BeautifulSoup, CData, Comment, NavigableString, Script, Stylesheet, Tag

from bench._common import (
    ASCII_WHITESPACE,
    BLOCK_TAGS,
    BODY_CLASSES,
    CONTAINER,
    FIGURE,
    IMAGE,
    INLINE,
    INLINE_HOLDING,
    MIXED,
    SKIP,
    TEXT,
    Block,
    Body,
    Pagination,
    Urls,
    after_by,
    kind_by_tag,
    next_rank,
    page_from_text,
    page_from_url,
    without_by,
)
from k360scrape import selectors as sel
from k360scrape.models import ArchivePage, Entry
from k360scrape.text import clean, date_from_iso, date_from_text

Node = Any  # a Tag or a NavigableString
_TEXT_TYPES = (NavigableString, CData, Script, Stylesheet)
_PLAIN_TEXT = (NavigableString, CData)


def parse_with_html_parser(html: str, url: str) -> ArchivePage:
    return parse_archive_page(html, url, "html.parser")


def parse_with_lxml(html: str, url: str) -> ArchivePage:
    return parse_archive_page(html, url, "lxml")


def parse_archive_page(html: str, url: str, features: str) -> ArchivePage:
    soup = BeautifulSoup(html, features)
    base = soup.head.select_one(sel.BASE) if soup.head is not None else None
    urls = Urls(url, _attr(base, "href") if base is not None else None)
    scope = _scope(soup)
    for br in scope.find_all("br"):
        br.replace_with(" ")
    pagination = _pagination(scope, soup, urls)
    return ArchivePage(
        url=urls.page,
        day=_day(soup),
        page=_page_number(urls.page, pagination, soup),
        entries=tuple(_entry(node, urls) for node in _entry_nodes(scope, soup)),
        next_url=pagination.next_url,
        page_urls=tuple(dict.fromkeys(pagination.urls)),
    )


# --- node helpers ----------------------------------------------------------------------


def _text(node: Node) -> str:
    """lexbor's `text()`: every text node below, script and style included."""
    if isinstance(node, Tag):
        return node.get_text(types=_TEXT_TYPES)
    return str(node) if type(node) in _PLAIN_TEXT else ""


def _text_or_none(node: Tag | None) -> str | None:
    return (clean(_text(node)) or None) if node is not None else None


def _classes(node: Tag) -> list[str]:
    value = node.get("class")
    return value if isinstance(value, list) else (value.split() if value else [])


def _attr(node: Tag, name: str) -> str | None:
    value = node.get(name)
    return " ".join(value) if isinstance(value, list) else value


def _owned(node: Tag, owner: Tag) -> bool:
    """`node` belongs to `owner` itself, not to an article nested inside it."""
    current = node.parent
    while current is not None:
        if current is owner:
            return node is not owner
        if current.name == "article":
            return False
        current = current.parent
    return False


def _owned_by(entry: Tag, selector: str, within: Tag | None = None) -> Iterator[Tag]:
    return (node for node in (within or entry).select(selector) if _owned(node, entry))


def _first(entry: Tag, chain: Iterable[str], within: Tag | None = None) -> Tag | None:
    for selector in chain:
        for node in _owned_by(entry, selector, within):
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
    """Drop entries nested in another entry's body (see `k360scrape.parse._top_level`)."""
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


def _pagination(scope: Tag, soup: BeautifulSoup, urls: Urls) -> Pagination[Tag]:
    found: Pagination[Tag] = Pagination()
    for node in scope.select(sel.PAGINATION_LINKS) or soup.select(sel.PAGINATION_LINKS):
        item = node.parent
        item_classes = _classes(item) if isinstance(item, Tag) else []
        current = node.get("aria-current") == "page"
        found.add(node, urls.resolve(_attr(node, "href")), item_classes, current)
    if found.next_url is None:
        found.next_url = _next_fallback(soup, urls)
    if found.next_url == urls.page:
        found.next_url = None
    return found


def _next_fallback(soup: BeautifulSoup, urls: Urls) -> str | None:
    ranked = []
    for position, node in enumerate(soup.select(sel.NEXT_FALLBACK)):
        url = urls.resolve(_attr(node, "href"))
        if url is not None:
            ranked.append((next_rank(node.name, _attr(node, "rel"), _classes(node)), position, url))
    return min(ranked)[2] if ranked else None


def _page_number(url: str, pagination: Pagination[Tag], soup: BeautifulSoup) -> int:
    number = page_from_url(url)
    if number is not None:
        return number
    active = pagination.active
    if active is None and pagination.urls:
        active = soup.select_one(sel.ACTIVE_PAGE)
    return page_from_text(_text(active) if active is not None else None)


# --- one entry -------------------------------------------------------------------------


def _entry(node: Tag, urls: Urls) -> Entry:
    title = _first(node, sel.TITLE)
    meta = _meta(node)
    content = _first(node, sel.CONTENT)
    container = content or node
    blocks = _blocks(container)
    _assign_anchors(container, blocks)
    body: Body[Node] = Body(urls, _OPS)
    body.read(blocks)
    return Entry(
        url=_entry_url(node, title, urls),
        title=_text_or_none(title),
        date=_date(node, meta),
        author=_author(node, meta),
        label=body.label,
        subtitle=body.subtitle,
        description="\n\n".join(body.paragraphs),
        pdfs=tuple(body.pdfs.values()),
        contributors=tuple(body.contributors),
        images=tuple(body.images.values()),
        links=tuple(body.links.values()),
        is_excerpt=_first(node, (sel.SHORTENED,)) is not None or body.shortened,
    )


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


def _entry_url(entry: Tag, title: Tag | None, urls: Urls) -> str | None:
    url = _href_in(title, urls) or _href_in(_first(entry, (sel.PERMALINK,)), urls)
    if url:
        return url
    for selector in sel.ENTRY_URL_FALLBACK:
        for node in _owned_by(entry, selector):
            url = urls.resolve(_attr(node, "href"))
            if url:
                return url
    return None


def _href_in(holder: Tag | None, urls: Urls) -> str | None:
    """The link in a title or permalink paragraph: a child `a` first, then any below."""
    if holder is None:
        return None
    for child in holder.find_all("a", recursive=False):
        href = _attr(child, "href")
        if href:
            return urls.resolve(href)
    node = holder.select_one("a[href]")
    return urls.resolve(_attr(node, "href")) if node is not None else None


def _date(entry: Tag, meta: Tag | None) -> str | None:
    if meta is not None:
        found = _date_of(_owned_by(entry, sel.TIME, meta)) or date_from_text(_meta_text(meta))
        if found:
            return found
    return _date_of(_owned_by(entry, sel.ENTRY_TIME))


def _date_of(nodes: Iterable[Tag]) -> str | None:
    for node in nodes:
        found = date_from_iso(_attr(node, "datetime")) or date_from_text(_text(node))
        if found:
            return found
    return None


def _author(entry: Tag, meta: Tag | None) -> str | None:
    for selector in sel.AUTHOR:
        node = next(_owned_by(entry, selector, meta), None)
        if node is not None:
            name = without_by(clean(_text(node)))
            if name:
                return name
    return after_by(_meta_text(meta)) if meta is not None else None


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
    stack: list[Iterator[Node]] = [_children(container)]
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
            stack.append(_children(node))
        elif kind != SKIP:
            blocks.append(Block(kind, [node]))
    return blocks


def _children(node: Tag) -> Iterator[Node]:
    """Like the parser: text children only where the node holds loose text at all."""
    loose = "".join(c for c in node.children if type(c) in _PLAIN_TEXT).strip()
    if loose:
        return iter(node.children)
    return (c for c in node.children if isinstance(c, Tag | Comment))


def _flush(run: list[Node], blocks: list[Block[Node]]) -> list[Node]:
    if run:
        blocks.append(Block(TEXT, run))
    return []


def _kind(node: Node) -> int:
    if not isinstance(node, Tag):
        is_text = type(node) in _PLAIN_TEXT
        return INLINE if is_text and node.strip(ASCII_WHITESPACE) else SKIP
    kind = kind_by_tag(node.name, _classes(node))
    if kind == FIGURE:
        parts = node.select(sel.FIGURE_PARTS)
        has_image = any(part.name == "img" for part in parts)
        nested = any(part.name != "img" for part in parts)
        return IMAGE if has_image and not nested else CONTAINER
    if kind == MIXED:
        holds = any(isinstance(c, Tag) and c.name in BLOCK_TAGS for c in node.children)
        return CONTAINER if holds else TEXT
    if kind == INLINE and node.find(INLINE_HOLDING) is not None:
        return CONTAINER  # e.g. an unclosed <strong> around whole paragraphs
    return kind


def _assign_anchors(container: Tag, blocks: list[Block[Node]]) -> None:
    if not blocks:
        return
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

    @staticmethod
    def tag(node: Tag) -> str:
        return str(node.name)

    classes = staticmethod(_classes)
    attr = staticmethod(_attr)
    text = staticmethod(_text)

    @staticmethod
    def has_attr(node: Tag, name: str) -> bool:
        return node.has_attr(name)

    @staticmethod
    def select(node: Tag, css: str) -> list[Tag]:
        return list(node.select(css))

    @staticmethod
    def lead_text(node: Node) -> str | None:
        if not isinstance(node, Tag):
            return None
        for child in node.children:
            if isinstance(child, Tag):
                return clean(_text(child)) if child.name in ("strong", "b") else None
            if _text(child).strip():
                return None
        return None


_OPS = _Ops()
