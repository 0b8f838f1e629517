"""Reference extraction with parsel (Scrapy's selectors): the rules of k360scrape.parse.

Page and entry landmarks are found the parsel way, with `Selector.css()` on the document and
on each entry; the body walk and the ancestor checks use the lxml elements under the
selectors (`Selector.root`), as parsel has no parent or sibling API, and the few per-block
queries run parsel's own CSS→XPath translation, compiled once. Same fallback chains, body
rules (`bench._common.Body`), string helpers and href resolution as the project's parser.

lxml keeps text in `.text`/`.tail` instead of text nodes; the walk yields those strings where
lexbor yields text nodes, and a `<br>` (which the parser replaces by a separate " " text node)
becomes a marker element holding " ", so both trees group inline runs alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from lxml import etree
from parsel import Selector
from parsel.csstranslator import css2xpath

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

Element = Any  # lxml.html.HtmlElement
Node = Any  # an element or a text segment (str)
_BREAK = "k360-br"  # the marker a <br> becomes: a " " text node in the parser's tree


def parse_archive_page(html: str, url: str) -> ArchivePage:
    return extract_archive(Selector(text=html), url)


def parse_single_page(html: str, url: str) -> Entry:
    return extract_single(Selector(text=html), url)


def extract_archive(document: Selector, url: str) -> ArchivePage:
    """An archive page from a parsel selector (Scrapy's `response.selector`)."""
    urls = _urls(document, url)
    scope = _scope(document)
    _mark_breaks(scope.root)
    pagination = _pagination(scope, document, urls)
    return ArchivePage(
        url=urls.page,
        day=_day(document),
        page=_page_number(urls.page, pagination, document),
        entries=tuple(_entry(node, urls) for node in _entry_nodes(scope, document)),
        next_url=pagination.next_url,
        page_urls=tuple(dict.fromkeys(pagination.urls)),
    )


def extract_single(document: Selector, url: str) -> Entry:
    """A single post page, as `k360scrape.parse.parse_single_page` reads it."""
    urls = _urls(document, url)
    scope = _scope(document)
    _mark_breaks(scope.root)
    nodes = _entry_nodes(scope, document)
    entry = _entry(nodes[0] if nodes else scope, urls)
    title = entry.title or _first_text(document, sel.SINGLE_TITLE)
    published = document.css(sel.PUBLISHED_META).attrib.get("content")
    return entry.model_copy(
        update={
            "url": _single_url(document, urls),
            "title": title,
            "date": entry.date or date_from_iso(published),
        }
    )


# --- node helpers ----------------------------------------------------------------------


@lru_cache(maxsize=256)
def _xpath(css: str) -> etree.XPath:
    return etree.XPath(css2xpath(css))


def _css(element: Element, css: str) -> list[Element]:
    """parsel's CSS translation on a bare element (self included, as in parsel and lexbor)."""
    result: list[Element] = _xpath(css)(element)
    return result


def _text(node: Node) -> str:
    if isinstance(node, str):
        return node
    if not isinstance(node.tag, str):  # comment or processing instruction
        return ""
    return "".join(node.itertext())


def _text_or_none(node: Element | None) -> str | None:
    return (clean(_text(node)) or None) if node is not None else None


def _classes(node: Element) -> list[str]:
    value = node.get("class")
    return value.split() if value else []


def _tag(node: Element) -> str:
    return node.tag if isinstance(node.tag, str) else ""


def _mark_breaks(scope: Element) -> None:
    for br in scope.iter("br"):
        br.tag = _BREAK
        br.text = " "


def _urls(document: Selector, url: str) -> Urls:
    return Urls(url, document.css("head " + sel.BASE).attrib.get("href"))


def _owned(node: Element, owner: Element) -> bool:
    """`node` belongs to `owner` itself, not to an article nested inside it."""
    current = node.getparent()
    while current is not None:
        if current is owner:
            return node is not owner
        if current.tag == "article":
            return False
        current = current.getparent()
    return False


def _owned_by(entry: Selector, css: str, within: Selector | None = None) -> Iterator[Element]:
    owner = entry.root
    return (s.root for s in (within or entry).css(css) if _owned(s.root, owner))


def _first(entry: Selector, chain: Iterable[str]) -> Element | None:
    for css in chain:
        for node in _owned_by(entry, css):
            return node
    return None


def _first_text(document: Selector, chain: Iterable[str]) -> str | None:
    for css in chain:
        found = document.css(css)
        if found:
            return _text_or_none(found[0].root)
    return None


# --- page level ------------------------------------------------------------------------


def _scope(document: Selector) -> Selector:
    for css in sel.MAIN:
        found = document.css(css)
        if found:
            return found[0]
    body = document.css("body")
    return body[0] if body else document


def _entry_nodes(scope: Selector, document: Selector) -> list[Selector]:
    for root in (scope, document):
        for css in sel.ENTRIES:
            found = root.css(css)
            if found:
                return _top_level(list(found))
    return []


def _top_level(nodes: list[Selector]) -> list[Selector]:
    ids = {id(node.root) for node in nodes}
    return [node for node in nodes if not _in_other_body(node.root, ids)]


def _in_other_body(node: Element, entry_ids: set[int]) -> bool:
    in_body = False
    current = node.getparent()
    while current is not None:
        if id(current) in entry_ids:
            return in_body
        in_body = in_body or not BODY_CLASSES.isdisjoint(_classes(current))
        current = current.getparent()
    return False


def _day(document: Selector) -> str | None:
    for css in sel.DAY:
        found = document.css(css)
        text = _text_or_none(found[0].root) if found else None
        if text:
            return text
    return None


def _pagination(scope: Selector, document: Selector, urls: Urls) -> Pagination[Element]:
    found: Pagination[Element] = Pagination()
    links = scope.css(sel.PAGINATION_LINKS) or document.css(sel.PAGINATION_LINKS)
    for link in links:
        node = link.root
        item = node.getparent()
        item_classes = _classes(item) if item is not None else []
        current = node.get("aria-current") == "page"
        found.add(node, urls.resolve(node.get("href")), item_classes, current)
    if found.next_url is None:
        found.next_url = _next_fallback(document, urls)
    if found.next_url == urls.page:
        found.next_url = None
    return found


def _next_fallback(document: Selector, urls: Urls) -> str | None:
    ranked = []
    for position, link in enumerate(document.css(sel.NEXT_FALLBACK)):
        node = link.root
        url = urls.resolve(node.get("href"))
        if url is not None:
            ranked.append((next_rank(_tag(node), node.get("rel"), _classes(node)), position, url))
    return min(ranked)[2] if ranked else None


def _page_number(url: str, pagination: Pagination[Element], document: Selector) -> int:
    number = page_from_url(url)
    if number is not None:
        return number
    active = pagination.active
    if active is None and pagination.urls:
        found = document.css(sel.ACTIVE_PAGE)
        active = found[0].root if found else None
    return page_from_text(_text(active) if active is not None else None)


def _single_url(document: Selector, urls: Urls) -> str:
    for css in sel.CANONICAL:
        found = document.css(css)
        if found:
            node = found[0].root
            url = urls.resolve(node.get("href") or node.get("content"))
            if url:
                return url
    return urls.page


# --- one entry -------------------------------------------------------------------------


def _entry(entry: Selector, urls: Urls) -> Entry:
    title = _first(entry, sel.TITLE)
    meta = _meta(entry)
    content = _first(entry, sel.CONTENT)
    container = content if content is not None else entry.root
    blocks = _blocks(container)
    _assign_anchors(container, blocks)
    body: Body[Node] = Body(urls, _OPS)
    body.read(blocks)
    return Entry(
        url=_entry_url(entry, title, urls),
        title=_text_or_none(title),
        date=_date(entry, meta),
        author=_author(entry, meta),
        label=body.label,
        subtitle=body.subtitle,
        description="\n\n".join(body.paragraphs),
        pdfs=tuple(body.pdfs.values()),
        contributors=tuple(body.contributors),
        images=tuple(body.images.values()),
        links=tuple(body.links.values()),
        is_excerpt=_first(entry, (sel.SHORTENED,)) is not None or body.shortened,
    )


def _meta(entry: Selector) -> Selector | None:
    for css in sel.META:
        for found in entry.css(css):
            if _owned(found.root, entry.root) and not _in_footer(found.root, entry.root):
                return found
    return None


def _in_footer(node: Element, entry: Element) -> bool:
    current = node
    while current is not None and current is not entry:
        if current.tag == "footer" or "entry-footer" in _classes(current):
            return True
        current = current.getparent()
    return False


def _entry_url(entry: Selector, title: Element | None, urls: Urls) -> str | None:
    url = _href_in(title, urls) or _href_in(_first(entry, (sel.PERMALINK,)), urls)
    if url:
        return url
    for css in sel.ENTRY_URL_FALLBACK:
        for node in _owned_by(entry, css):
            url = urls.resolve(node.get("href"))
            if url:
                return url
    return None


def _href_in(holder: Element | None, urls: Urls) -> str | None:
    if holder is None:
        return None
    for child in holder:
        href = child.get("href") if child.tag == "a" else None
        if href:
            return urls.resolve(href)
    found = _css(holder, "a[href]")
    return urls.resolve(found[0].get("href")) if found else None


def _date(entry: Selector, meta: Selector | None) -> str | None:
    if meta is not None:
        found = _date_of(_owned_by(entry, sel.TIME, meta)) or date_from_text(_meta_text(meta.root))
        if found:
            return found
    return _date_of(_owned_by(entry, sel.ENTRY_TIME))


def _date_of(nodes: Iterable[Element]) -> str | None:
    for node in nodes:
        found = date_from_iso(node.get("datetime")) or date_from_text(_text(node))
        if found:
            return found
    return None


def _author(entry: Selector, meta: Selector | None) -> str | None:
    for css in sel.AUTHOR:
        node = next(_owned_by(entry, css, meta), None)
        if node is not None:
            name = without_by(clean(_text(node)))
            if name:
                return name
    return after_by(_meta_text(meta.root)) if meta is not None else None


def _meta_text(meta: Element) -> str:
    parts = (
        _text(child)
        for child in _children(meta, with_text=True)
        if isinstance(child, str) or sel.META_NOISE_CLASSES.isdisjoint(_classes(child))
    )
    return clean(" ".join(parts))


# --- the body walk ---------------------------------------------------------------------


def _children(node: Element, with_text: bool) -> Iterator[Node]:
    """Child nodes the way lexbor lists them: text segments (if asked), elements, comments."""
    if with_text and node.text:
        yield node.text
    for child in node:
        if with_text or child.tag != _BREAK:
            yield child
        if with_text and child.tail:
            yield child.tail


def _loose(node: Element) -> bool:
    """The node holds text of its own (not only whitespace between its children)."""
    if node.text and node.text.strip():
        return True
    return any(child.tail and child.tail.strip() for child in node)


def _blocks(container: Element) -> list[Block[Node]]:
    blocks: list[Block[Node]] = []
    run: list[Node] = []
    stack: list[Iterator[Node]] = [_children(container, _loose(container))]
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
            stack.append(_children(node, _loose(node)))
        elif kind != SKIP:
            blocks.append(Block(kind, [node]))
    return blocks


def _flush(run: list[Node], blocks: list[Block[Node]]) -> list[Node]:
    if run:
        blocks.append(Block(TEXT, run))
    return []


def _kind(node: Node) -> int:
    if isinstance(node, str):
        return INLINE if node.strip(ASCII_WHITESPACE) else SKIP
    tag = node.tag
    if not isinstance(tag, str) or tag == _BREAK:
        return SKIP  # comments; a <br>, i.e. a whitespace text node
    kind = kind_by_tag(tag, _classes(node))
    if kind == FIGURE:
        parts = _css(node, sel.FIGURE_PARTS)
        has_image = any(part.tag == "img" for part in parts)
        nested = any(part.tag != "img" and part is not node for part in parts)
        return IMAGE if has_image and not nested else CONTAINER
    if kind == MIXED:
        return CONTAINER if any(child.tag in BLOCK_TAGS for child in node) else TEXT
    if kind == INLINE and next(node.iterdescendants(*INLINE_HOLDING), None) is not None:
        return CONTAINER  # e.g. an unclosed <strong> around whole paragraphs
    return kind


def _assign_anchors(container: Element, blocks: list[Block[Node]]) -> None:
    if not blocks:
        return
    owner = {id(node): block for block in blocks for node in block.nodes}
    for anchor in _css(container, sel.ANCHORS):
        current = anchor
        while current is not None:
            block = owner.get(id(current))
            if block is not None:
                block.anchors.append(anchor)
                break
            current = None if current is container else current.getparent()


class _Ops:
    """`bench._common.TreeOps` for lxml elements under parsel selectors."""

    tag = staticmethod(_tag)
    classes = staticmethod(_classes)
    text = staticmethod(_text)
    select = staticmethod(_css)

    @staticmethod
    def attr(node: Element, name: str) -> str | None:
        value: str | None = node.get(name)
        return value

    @staticmethod
    def has_attr(node: Element, name: str) -> bool:
        return name in node.attrib

    @staticmethod
    def lead_text(node: Node) -> str | None:
        if isinstance(node, str):
            return None
        for child in _children(node, with_text=True):
            if isinstance(child, str):
                if child.strip():
                    return None
            elif isinstance(child.tag, str) and child.tag != _BREAK:
                return clean(_text(child)) if child.tag in ("strong", "b") else None
        return None


_OPS = _Ops()
