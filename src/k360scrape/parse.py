"""Pure HTML parsing: a day-archive page or a single post page in, `ArchivePage`/`Entry` out.

The document is parsed once with lexbor. Page-level facts (day heading, pagination) take a
few queries. Each entry's landmarks (title, meta line, body, date, author) are one lookup
per field along the fallback chains of `selectors.py`; its body is walked once, block by
block (`_blocks`), with one more query for the body's links and images, deciding for every
block whether it is the label, the subtitle, a File block, an image, a contributor's bio or
a body paragraph. The string rules (whitespace, dates, names) live in `text.py`. selectolax
nodes never leave this module.

Only `ParseError` leaves the public functions: for input that is not HTML at all (empty,
binary) and, as a last line of defence, for any internal failure on hostile markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from k360scrape import selectors as sel
from k360scrape.errors import ParseError
from k360scrape.models import ArchivePage, Contributor, Entry, Image, Link, Pdf
from k360scrape.text import (
    CONTRIBUTOR_HEADINGS,
    LABELS,
    clean,
    date_from_iso,
    date_from_text,
    fold_clean,
    name_and_affiliation,
)
from k360scrape.urls import canonicalize

__all__ = ["parse_archive_page", "parse_single_page"]

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


def _safely(build: Callable[[LexborHTMLParser, _Urls], _T], html: str, url: str) -> _T:
    tree = _parse(html)
    try:
        return build(tree, _Urls.for_page(tree, url))
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


# --- URLs ------------------------------------------------------------------------------

# A plain absolute URL: http(s), lower-case host without port, path and query already in
# canonical percent-encoding (upper-case escapes of non-unreserved characters only). Most
# hrefs on a WordPress page look like this, and skipping the full normalisation for them
# keeps the parser within its time budget (tests/test_parse_properties.py checks that both
# give the same result).
_CANONICAL_LOOKING = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?"
    r"(/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-F]{2})*)"
    r"(?:\?((?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-F]{2})+))?"
)
# An escape of an unreserved character, which canonicalize() decodes.
_UNRESERVED_ESCAPE = re.compile(r"%(?:3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE]|2[DE])")
_IGNORED_SCHEMES = ("javascript:", "data:", "about:", "blob:")
_WWW = "www."
_KEPT_SCHEMES = ("mailto:", "tel:")


class _Urls:
    """Resolves hrefs into canonical URLs: against the page (or its `<base>`), with the page
    host's www/bare twin mapped to the page's spelling (the site answers on both), memoised.
    """

    def __init__(self, page_url: str, base_href: str | None = None) -> None:
        self.host_map = _twin_map(page_url)
        self._memo: dict[str, str | None] = {}
        self.base: str | None = None
        self.page = self._canonical(page_url) or page_url
        self.base = (self._canonical(base_href) if base_href else None) or self.page

    @classmethod
    def for_page(cls, tree: LexborHTMLParser, url: str) -> _Urls:
        head = tree.head
        node = head.css_first(sel.BASE) if head is not None else None
        return cls(url, node.attributes.get("href") if node is not None else None)

    def resolve(self, href: str | None) -> str | None:
        if href is None:
            return None
        if href not in self._memo:
            self._memo[href] = self._canonical(href)
        return self._memo[href]

    def _canonical(self, href: str) -> str | None:
        href = href.strip()
        lowered = href[:12].lower()
        if not href or href.startswith("#") or lowered.startswith(_IGNORED_SCHEMES):
            return None  # same-page anchors and scripts are not links to anything
        if lowered.startswith(_KEPT_SCHEMES):
            return href
        return _simple_canonical(href, self.host_map) or _full_canonical(
            href, self.base, self.host_map
        )


def _twin_map(page_url: str) -> dict[str, str]:
    try:
        host = (urlsplit(page_url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return {}
    if "." not in host or host.replace(".", "").isdigit() or ":" in host:
        return {}  # an IP address or a single-label host has no www twin
    twin = host.removeprefix(_WWW) if host.startswith(_WWW) else _WWW + host
    return {twin: host}


def _simple_canonical(href: str, host_map: dict[str, str]) -> str | None:
    """`canonicalize()`'s result for a plain absolute URL, without its per-character work.

    Drops the fragment, maps the host, adds the directory slash; anything less plain
    returns None.
    """
    url = href.split("#", 1)[0]
    match = _CANONICAL_LOOKING.fullmatch(url)
    if match is None or "/." in url or ("%" in url and _UNRESERVED_ESCAPE.search(url)):
        return None
    path, query = match.group(1), match.group(2)
    scheme, _, rest = url.partition("://")
    host = rest.partition("/")[0]
    last = path.rsplit("/", 1)[1]
    if last and "." not in last:
        path += "/"
    return f"{scheme}://{host_map.get(host, host)}{path}" + (f"?{query}" if query else "")


def _full_canonical(href: str, base: str | None, host_map: dict[str, str]) -> str | None:
    try:
        return canonicalize(href, base, host_map)
    except ValueError:  # unparseable (e.g. a broken IPv6 literal): not a usable link
        return None


def _is_pdf(url: str) -> bool:
    return not url.startswith(_KEPT_SCHEMES) and url.split("?", 1)[0].lower().endswith(".pdf")


def _file_name(url: str) -> str:
    return clean(unquote(url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]))


# --- small node helpers ----------------------------------------------------------------


def _classes(node: LexborNode) -> list[str]:
    value = node.attributes.get("class")
    return value.split() if value else []


def _text(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    return clean(node.text()) or None


def _owned(node: LexborNode, owner: LexborNode) -> bool:
    """`node` belongs to `owner` itself, not to an article nested inside it."""
    owner_id = owner.mem_id
    current = node.parent
    while current is not None:
        if current.mem_id == owner_id:
            return node.mem_id != owner_id
        if current.tag == "article":
            return False
        current = current.parent
    return False


def _first_in_tree(root: LexborHTMLParser | LexborNode, chain: Iterable[str]) -> LexborNode | None:
    for selector in chain:
        node = root.css_first(selector)
        if node is not None:
            return node
    return None


def _spaced_breaks(scope: LexborNode) -> None:
    # lexbor's text() drops <br>; a browser shows a line break there, i.e. whitespace.
    for node in scope.css("br"):
        node.replace_with(" ")


# --- archive page ----------------------------------------------------------------------

_PAGE_IN_URL = re.compile(r"/page/(\d{1,9})/?(?:$|[?#])|[?&]paged=(\d{1,9})(?:$|[&#])")
_DIGITS = re.compile(r"\d{1,9}")


def _archive_page(tree: LexborHTMLParser, urls: _Urls) -> ArchivePage:
    scope = _scope(tree)
    _spaced_breaks(scope)
    pagination = _Pagination.read(scope, tree, urls)
    return ArchivePage(
        url=urls.page,
        day=_day(tree),
        page=_page_number(urls.page, pagination, tree),
        entries=_entries(scope, tree, urls),
        next_url=pagination.next_url,
        page_urls=tuple(dict.fromkeys(pagination.urls)),
    )


def _scope(tree: LexborHTMLParser) -> LexborNode:
    found = _first_in_tree(tree, sel.MAIN) or tree.body or tree.root
    if found is None:
        raise ParseError("document has no root element")
    return found


def _entries(scope: LexborNode, tree: LexborHTMLParser, urls: _Urls) -> tuple[Entry, ...]:
    nodes = _entry_nodes(scope, tree)
    careful = any(node.tag != "article" for node in nodes[:1])
    careful = careful or tree.css_first(sel.NESTED_ARTICLE) is not None
    return tuple(_entry(node, urls, careful) for node in nodes)


def _entry_nodes(scope: LexborNode, tree: LexborHTMLParser) -> list[LexborNode]:
    for root in (scope, tree.root):
        for selector in sel.ENTRIES:
            nodes = root.css(selector) if root is not None else []
            if nodes:
                return _top_level(nodes)
    return []


_BODY_CLASSES = frozenset(sel.CONTENT_CLASSES)


def _top_level(nodes: list[LexborNode]) -> list[LexborNode]:
    """Drop entries nested in another entry's body (related-post cards, embeds).

    An entry that sits directly in another one outside its body is kept: that is what an
    unclosed `</article>` produces, and the entry is real.
    """
    siblings = _parent_id(nodes[0])
    ids = {node.mem_id for node in nodes}
    return [
        node
        for node in nodes
        # Entries side by side in one list cannot contain each other: skip the walk.
        if _parent_id(node) == siblings or not _in_other_body(node, ids)
    ]


def _parent_id(node: LexborNode) -> int:
    parent = node.parent
    return parent.mem_id if parent is not None else -1


def _in_other_body(node: LexborNode, entry_ids: set[int]) -> bool:
    in_body = False
    current = node.parent
    while current is not None:
        if current.mem_id in entry_ids:
            return in_body
        in_body = in_body or not _BODY_CLASSES.isdisjoint(_classes(current))
        current = current.parent
    return False


def _day(tree: LexborHTMLParser) -> str | None:
    for selector in sel.DAY:
        text = _text(tree.css_first(selector))
        if text:
            return text
    return None


def _page_number(url: str, pagination: _Pagination, tree: LexborHTMLParser) -> int:
    match = _PAGE_IN_URL.search(url)
    if match:
        return max(1, int(match.group(1) or match.group(2)))
    active = pagination.active
    if active is None and pagination.urls:  # e.g. core WP: the current page is a <span>
        active = tree.css_first(sel.ACTIVE_PAGE)
    digits = _DIGITS.search(active.text()) if active is not None else None
    return max(1, int(digits.group())) if digits else 1


@dataclass(slots=True)
class _Pagination:
    """The archive pagination: every page link, the next page and the current page's link."""

    urls: list[str] = field(default_factory=list)
    next_url: str | None = None
    active: LexborNode | None = None

    @classmethod
    def read(cls, scope: LexborNode, tree: LexborHTMLParser, urls: _Urls) -> _Pagination:
        found = cls()
        for node in scope.css(sel.PAGINATION_LINKS) or tree.css(sel.PAGINATION_LINKS):
            found.add(node, urls.resolve(node.attributes.get("href")))
        if found.next_url is None:
            found.next_url = _next_fallback(scope, tree, urls)
        if found.next_url == urls.page:
            found.next_url = None  # a link to this very page is no next page
        return found

    def add(self, node: LexborNode, url: str | None) -> None:
        if url is None:
            return
        self.urls.append(url)
        item = node.parent
        item_classes = _classes(item) if item is not None else []
        if self.next_url is None and sel.NEXT_ITEM_CLASS in item_classes:
            self.next_url = url
        current = node.attributes.get("aria-current") == "page"
        if self.active is None and (current or sel.ACTIVE_ITEM_CLASS in item_classes):
            self.active = node


def _next_fallback(scope: LexborNode, tree: LexborHTMLParser, urls: _Urls) -> str | None:
    """The next page outside a Genesis pagination block, best-ranked match first.

    Links are looked for in the main content only (a menu may carry rel=next too), the
    `link[rel=next]` in the head.
    """
    head = tree.head
    nodes = scope.css(sel.NEXT_FALLBACK) + (head.css(sel.NEXT_LINK) if head is not None else [])
    ranked = []
    for position, node in enumerate(nodes):
        url = urls.resolve(node.attributes.get("href"))
        if url is not None:
            ranked.append((_next_rank(node), position, url))
    return min(ranked)[2] if ranked else None


def _next_rank(node: LexborNode) -> int:
    """The contract's order: `.pagination-next a`, `a.next`, `a[rel~=next]`, `link`."""
    if node.tag == "link":
        return 3
    rel = (node.attributes.get("rel") or "").split()
    if "next" in _classes(node) and "next" not in rel:
        return 1
    return 2 if "next" in rel else 0


# --- single page -----------------------------------------------------------------------


def _single_page(tree: LexborHTMLParser, urls: _Urls) -> Entry:
    scope = _scope(tree)
    _spaced_breaks(scope)
    nodes = _entry_nodes(scope, tree)
    entry = _entry(nodes[0] if nodes else scope, urls)
    return entry.model_copy(
        update={
            "url": _single_url(tree, urls),
            "title": entry.title or _text(_first_in_tree(tree, sel.SINGLE_TITLE)),
            "date": entry.date or date_from_iso(_attribute(tree, sel.PUBLISHED_META, "content")),
        }
    )


def _single_url(tree: LexborHTMLParser, urls: _Urls) -> str:
    for selector in sel.CANONICAL:
        node = tree.css_first(selector)
        if node is not None:
            url = urls.resolve(node.attributes.get("href") or node.attributes.get("content"))
            if url:
                return url
    return urls.page


def _attribute(tree: LexborHTMLParser, selector: str, name: str) -> str | None:
    node = tree.css_first(selector)
    return node.attributes.get(name) if node is not None else None


# --- one entry -------------------------------------------------------------------------


def _entry(node: LexborNode, urls: _Urls, careful: bool = True) -> Entry:
    """One entry; `careful` when articles nest, so every landmark's owner must be checked."""
    find = _Finder(node, careful)
    title = find.first(sel.TITLE)
    meta = find.meta()
    content = find.first(sel.CONTENT)
    body = _Body(urls)
    body.read(content or node)
    return _entry_model(find, title, meta, body, urls)


def _entry_model(
    find: _Finder, title: LexborNode | None, meta: LexborNode | None, body: _Body, urls: _Urls
) -> Entry:
    return Entry(
        url=_entry_url(find, title, urls),
        title=_text(title),
        date=_date(find, meta),
        author=_author(find, meta),
        label=body.label,
        subtitle=body.subtitle,
        description="\n\n".join(body.paragraphs),
        pdfs=tuple(body.pdfs.values()),
        contributors=tuple(body.contributors),
        images=tuple(body.images.values()),
        links=tuple(body.links.values()),
        is_excerpt=find.first((sel.SHORTENED,)) is not None or body.shortened,
    )


class _Finder:
    """Selector-chain lookups inside one entry (or its meta line), skipping nested articles."""

    def __init__(self, entry: LexborNode, careful: bool) -> None:
        self.entry = entry
        self.careful = careful

    def first(self, chain: Iterable[str], within: LexborNode | None = None) -> LexborNode | None:
        root = within or self.entry
        for selector in chain:
            if self.careful:
                node = next(iter(self.all(selector, root)), None)
            else:  # the common case: one C-level lookup, nothing to filter
                node = root.css_first(selector)
                node = node if node is None or node.mem_id != root.mem_id else None
            if node is not None:
                return node
        return None

    def all(self, selector: str, within: LexborNode | None = None) -> list[LexborNode]:
        root = within or self.entry
        nodes = root.css(selector)
        if self.careful:
            return [node for node in nodes if _owned(node, self.entry)]
        return [node for node in nodes if node.mem_id != root.mem_id]

    def meta(self) -> LexborNode | None:
        """The first meta line outside the entry footer (whose meta holds the terms)."""
        found = self.first(sel.META)
        if found is None or not _in_footer(found, self.entry):
            return found
        for selector in sel.META:
            for node in self.all(selector):
                if not _in_footer(node, self.entry):
                    return node
        return None


def _entry_url(find: _Finder, title: LexborNode | None, urls: _Urls) -> str | None:
    """The title link, else the permalink paragraph's, else a bookmark/image/more link."""
    url = _href_in(title, urls)
    if url:
        return url
    url = _href_in(find.first((sel.PERMALINK,)), urls)  # looked up only when needed
    if url:
        return url
    for selector in sel.ENTRY_URL_FALLBACK:
        for node in find.all(selector):
            url = urls.resolve(node.attributes.get("href"))
            if url:
                return url
    return None


def _href_in(holder: LexborNode | None, urls: _Urls) -> str | None:
    """The link in a title or permalink paragraph (usually its only child), resolved."""
    if holder is None:
        return None
    for child in holder.iter():
        href = child.attributes.get("href") if child.tag == "a" else None
        if href:
            return urls.resolve(href)
    node = holder.css_first("a[href]")
    return urls.resolve(node.attributes.get("href")) if node is not None else None


def _in_footer(node: LexborNode, entry: LexborNode) -> bool:
    current: LexborNode | None = node
    while current is not None and current.mem_id != entry.mem_id:
        if current.tag == "footer" or "entry-footer" in _classes(current):
            return True
        current = current.parent
    return False


def _date(find: _Finder, meta: LexborNode | None) -> str | None:
    """Any `time` in the meta line, else the line's words, else a header time element."""
    if meta is not None:
        found = _date_of(find.all(sel.TIME, meta)) or date_from_text(_meta_text(meta))
        if found:
            return found
    return _date_of(find.all(sel.ENTRY_TIME))


def _date_of(nodes: Iterable[LexborNode]) -> str | None:
    """The first date: the `datetime` attribute (ISO) before the shown text."""
    for node in nodes:
        found = date_from_iso(node.attributes.get("datetime")) or date_from_text(node.text())
        if found:
            return found
    return None


_BY = re.compile(r"(?:^|\s)(?:by|von)\s+", re.IGNORECASE)
_AFTER_NAME = re.compile(r"\s*[|·•]")


def _author(find: _Finder, meta: LexborNode | None) -> str | None:
    """`.entry-author-name`, else `.entry-author` without "by", else the words after by/von."""
    for selector in sel.AUTHOR:
        node = find.first((selector,), meta)
        name = _without_by(clean(node.text())) if node is not None else ""
        if name:
            return name
    return _after_by(_meta_text(meta)) if meta is not None else None


def _without_by(text: str) -> str:
    match = _BY.match(text)
    return text[match.end() :] if match else text


def _after_by(text: str) -> str | None:
    match = _BY.search(text)
    if match is None:
        return None
    name = _AFTER_NAME.split(text[match.end() :], maxsplit=1)[0]
    return clean(name) or None


def _meta_text(meta: LexborNode) -> str:
    """The meta line's words without its comments and edit links."""
    parts = (
        child.text()
        for child in meta.iter(include_text=True)
        if sel.META_NOISE_CLASSES.isdisjoint(_classes(child) if child.is_element_node else ())
    )
    return clean(" ".join(parts))


# --- the body walk ---------------------------------------------------------------------

_SKIP, _INLINE, _CONTAINER, _TEXT, _HEADING, _FILE, _IMAGE, _BUTTONS, _MIXED, _FIGURE = range(10)
_TAG_KINDS: dict[str, int] = {
    **dict.fromkeys(sel.CONTAINER_TAGS, _CONTAINER),
    **dict.fromkeys(sel.TEXT_TAGS, _TEXT),
    # Text blocks unless they hold blocks themselves (`li > ul`, `dd > p`).
    **dict.fromkeys(("li", "dd", "dt", "td", "th"), _MIXED),
    **dict.fromkeys(sel.HEADING_TAGS, _HEADING),
    "figure": _FIGURE,
    **dict.fromkeys(sel.SKIP_TAGS, _SKIP),
}
_BLOCK_TAGS = sel.CONTAINER_TAGS | sel.TEXT_TAGS | sel.HEADING_TAGS
_BLOCK_SELECTOR = ", ".join(sorted(_BLOCK_TAGS - {"body", "main"}))
_LABEL_MAX = 60  # a paragraph longer than this is never a stand-in heading
_EXCERPT_MORE = ("[…]", "[...]")
# A section heading run into the text ("Dokumentation Drei Tage, …", "… wollen. Zu den
# Mitwirkenden Keno …"): what `wp_trim_excerpt()` makes of a short post's headings.
_FLATTENED = re.compile(
    r"(?:^|[.!?:]\s)(?:"
    + "|".join(re.escape(h) for h in sorted({*LABELS, *CONTRIBUTOR_HEADINGS}, key=len)[::-1])
    + r")\s+\w",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Block:
    kind: int
    nodes: list[LexborNode]
    anchors: list[LexborNode] = field(default_factory=list)

    def text(self) -> str:
        if len(self.nodes) == 1:
            return clean(self.nodes[0].text())
        return clean("".join(node.text() for node in self.nodes))


def _blocks(container: LexborNode) -> list[_Block]:
    """The container's blocks in document order, wrappers walked, inline runs grouped.

    Iterative (a stack of child iterators), so hostile nesting depth cannot recurse.
    """
    blocks: list[_Block] = []
    run: list[LexborNode] = []
    stack: list[Iterator[LexborNode]] = [_children(container)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            run = _flush(run, blocks)
            continue
        kind = _kind(node)
        if kind == _INLINE:
            run.append(node)
            continue
        run = _flush(run, blocks)
        if kind == _CONTAINER:
            stack.append(_children(node))
        elif kind != _SKIP:
            blocks.append(_Block(kind, [node]))
    return blocks


def _children(node: LexborNode) -> Iterator[LexborNode]:
    # Text nodes only matter where a container holds loose text; most hold only
    # whitespace between blocks, and skipping those nodes halves the walk.
    loose = node.text(deep=False).strip()
    return node.iter(include_text=bool(loose))


def _flush(run: list[LexborNode], blocks: list[_Block]) -> list[LexborNode]:
    if run:
        blocks.append(_Block(_TEXT, run))
    return []


def _kind(node: LexborNode) -> int:
    if not node.is_element_node:
        return _INLINE if node.is_text_node and not node.is_empty_text_node else _SKIP
    kind = _TAG_KINDS.get(node.tag or "", _INLINE)
    if kind == _SKIP:
        return _SKIP
    names = node.attributes.get("class")
    if names:
        by_class = _kind_by_class(node, names.split())
        if by_class is not None:
            return by_class
    if kind == _MIXED:
        return _CONTAINER if _holds_blocks(node) else _TEXT
    if kind == _INLINE:  # `<strong>` around whole blocks, as unclosed tags leave it
        return _CONTAINER if node.css_first(_BLOCK_SELECTOR) is not None else _INLINE
    return _figure_kind(node) if kind == _FIGURE else kind


def _kind_by_class(node: LexborNode, classes: list[str]) -> int | None:
    if not sel.SKIP_CLASSES.isdisjoint(classes):
        return _SKIP
    if sel.FILE_BLOCK_CLASS in classes:
        return _FILE
    if not sel.IMAGE_BLOCK_CLASSES.isdisjoint(classes):
        return _figure_kind(node)
    if not sel.BUTTON_BLOCK_CLASSES.isdisjoint(classes):
        return _BUTTONS
    return None


def _figure_kind(node: LexborNode) -> int:
    """An image with its caption, or (gallery, old aligned image) a wrapper to walk."""
    own = node.mem_id
    has_image = nested = False
    for part in node.css(sel.FIGURE_PARTS):
        if part.tag == "img":
            has_image = True
        elif part.mem_id != own:
            nested = True
    return _IMAGE if has_image and not nested else _CONTAINER


def _holds_blocks(node: LexborNode) -> bool:
    return any(child.tag in _BLOCK_TAGS for child in node.iter())


def _assign_anchors(container: LexborNode, blocks: list[_Block]) -> None:
    """Give each block the links and images inside it, with one query for the container."""
    owner = {node.mem_id: block for block in blocks for node in block.nodes}
    root = container.mem_id
    for anchor in container.css(sel.ANCHORS):
        current: LexborNode | None = anchor
        while current is not None:
            block = owner.get(current.mem_id)
            if block is not None:
                block.anchors.append(anchor)
                break
            current = None if current.mem_id == root else current.parent


class _Body:
    """Reads one entry's body: the walk's state and the fields it fills."""

    def __init__(self, urls: _Urls) -> None:
        self.urls = urls
        self.label: str | None = None
        self.subtitle: str | None = None
        self.paragraphs: list[str] = []
        self.contributors: list[Contributor] = []
        self.pdfs: dict[str, Pdf] = {}
        self.images: dict[str, Image] = {}
        self.links: dict[str, Link] = {}
        self.shortened = False
        self._in_contributors = False
        self._seen_body = False

    def read(self, container: LexborNode) -> None:
        blocks = _blocks(container)
        if not blocks:
            return
        _assign_anchors(container, blocks)
        handlers: dict[int, Callable[[_Block], object]] = {
            _TEXT: self._text,
            _HEADING: self._heading,
            _FILE: self._file,
            _IMAGE: self._image,
            _BUTTONS: self._anchors,
        }
        for block in blocks:
            handlers[block.kind](block)
        if self.paragraphs and self.paragraphs[-1].endswith(_EXCERPT_MORE):
            self.shortened = True  # the excerpt's own "[…]" marks a shortened entry
        elif len(self.paragraphs) == 1 and self.label is None and not self.contributors:
            # An uncut excerpt is the whole text as one paragraph, headings flattened into it.
            self.shortened = self.shortened or _FLATTENED.search(self.paragraphs[0]) is not None

    def _heading(self, block: _Block) -> None:
        if block.anchors:
            self._anchors(block)
        text = block.text()
        if not text or self._section_heading(text):
            return
        self._in_contributors = False
        at_start = not self._seen_body and self.label is None
        if self.subtitle is None and at_start:
            self.subtitle = text
        else:
            self._paragraph(text)

    def _section_heading(self, text: str) -> bool:
        """Label and contributors headings switch the walk's section; True if `text` is one."""
        key = fold_clean(text)
        label = LABELS.get(key)
        if label is not None:
            self.label = self.label or label
            self._in_contributors = False
            return True
        if key in CONTRIBUTOR_HEADINGS:
            self._in_contributors = True
            return True
        return False

    def _text(self, block: _Block) -> None:
        more, files = self._anchors(block) if block.anchors else ("", [])
        text = block.text()
        if more and text.endswith(more):
            text = text[: -len(more)].rstrip()  # "[Read more...] about X" is not body text
        if not text or (files and _only_names(text, files)):
            return  # nothing, or a line of PDF links: the classic editor's File block
        if len(text) <= _LABEL_MAX and self._section_heading(text):
            return  # a bold paragraph standing in for a heading
        if self._in_contributors:
            self.contributors.append(_contributor(text, block))
        else:
            self._paragraph(text)

    def _paragraph(self, text: str) -> None:
        self.paragraphs.append(text)
        self._seen_body = True

    def _anchors(self, block: _Block) -> tuple[str, list[str]]:
        """Collect the block's images, PDFs and links.

        Returns the texts that are not body text: a more-link's, and the shown PDF names.
        """
        more, files = "", []
        for node in block.anchors:
            if node.tag == "img":
                self._add_image(node, None)
            elif not sel.MORE_LINK_CLASSES.isdisjoint(_classes(node)):
                self.shortened = True
                more = clean(node.text())
            elif (name := self._add_link(node)) is not None:
                files.append(name)
        return more, files

    def _add_link(self, node: LexborNode) -> str | None:
        """A body link or an inline PDF; returns the PDF's shown name for the latter."""
        url = self.urls.resolve(node.attributes.get("href"))
        if url is None:
            return None
        text = clean(node.text())
        if _is_pdf(url):
            self._add_pdf(text or _file_name(url), url)
            return text
        if url not in self.links and (text or node.css_first(sel.IMAGE) is None):
            self.links[url] = Link(text=text, url=url)  # an image's wrapping link is none
        return None

    def _add_pdf(self, name: str, url: str) -> None:
        if url not in self.pdfs:
            self.pdfs[url] = Pdf(name=name or url, url=url)

    def _add_image(self, node: LexborNode, caption: str | None) -> None:
        if not sel.SKIP_IMAGE_CLASSES.isdisjoint(_classes(node)):
            return
        url = self.urls.resolve(_image_source(node))
        if url is not None and url not in self.images:
            self.images[url] = Image(url=url, caption=caption)

    def _image(self, block: _Block) -> None:
        node = block.nodes[0]
        caption = _text(node.css_first(sel.CAPTION))
        for anchor in block.anchors:
            if anchor.tag == "img":
                self._add_image(anchor, caption)
            elif clean(anchor.text()):  # a credit link in the caption; not the image's wrapper
                self._add_link(anchor)

    def _file(self, block: _Block) -> None:
        name, url = _file_block(block.nodes[0], self.urls)
        if url is not None:
            self._add_pdf(name or _file_name(url), url)
            self._seen_body = True


_SEPARATORS = " |·•,;:–—-/"


def _only_names(text: str, names: list[str]) -> bool:
    """`text` is nothing but these link names (and separators between them)."""
    for name in names:
        text = text.replace(name, " ", 1)
    return not text.strip(_SEPARATORS)


def _file_block(node: LexborNode, urls: _Urls) -> tuple[str, str | None]:
    """A File block's shown name and file URL: button href, then `object[data]`, then link."""
    name_link: LexborNode | None = None
    button_url = object_url = None
    link_url = None
    for part in node.css(sel.FILE_BLOCK_PARTS):
        attributes = part.attributes
        if part.tag == "object":
            object_url = object_url or urls.resolve(attributes.get("data"))
        elif _is_button(attributes):
            button_url = button_url or urls.resolve(attributes.get("href"))
        elif name_link is None:
            name_link, link_url = part, urls.resolve(attributes.get("href"))
    name = clean(name_link.text()) if name_link is not None else ""
    return name, button_url or object_url or link_url


def _is_button(attributes: dict[str, str | None]) -> bool:
    classes = (attributes.get("class") or "").split()
    return "download" in attributes or not sel.FILE_BUTTON_CLASSES.isdisjoint(classes)


def _image_source(node: LexborNode) -> str | None:
    attributes = node.attributes
    for name in sel.IMAGE_SOURCE_ATTRIBUTES:
        value = attributes.get(name)
        if value and not value.lstrip().startswith("data:"):  # lazy-load placeholders
            return value
    return None


def _contributor(text: str, block: _Block) -> Contributor:
    lead = _lead_text(block.nodes[0]) if len(block.nodes) == 1 else None
    name, affiliation = name_and_affiliation(text, lead)
    return Contributor(name=name, affiliation=affiliation, bio=text)


def _lead_text(node: LexborNode) -> str | None:
    """The text of a `<strong>`/`<b>` that opens the paragraph, if it does."""
    for child in node.iter(include_text=True):
        if child.is_element_node:
            return clean(child.text()) if child.tag in ("strong", "b") else None
        if child.text().strip():
            return None
    return None
