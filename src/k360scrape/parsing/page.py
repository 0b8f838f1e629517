"""Page-level facts of a day-archive page: the main scope, its entries, day and pagination.

Entries and pagination are looked for in the main content first, so that sidebar and footer
widgets cannot leak in; the day heading and the `<head>` links are document-wide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from selectolax.lexbor import LexborNode

from k360scrape import selectors as sel
from k360scrape.errors import ParseError
from k360scrape.parsing.hrefs import Urls
from k360scrape.parsing.nodes import Doc, Simple, classes, text_of

_PAGE_IN_URL: Final = re.compile(r"/page/(\d{1,9})/?(?:$|[?#])|[?&]paged=(\d{1,9})(?:$|[&#])")
_DIGITS: Final = re.compile(r"\d{1,9}")
_BODY_CLASSES: Final = frozenset(sel.CONTENT_CLASSES)


def page_urls(doc: Doc, url: str) -> Urls:
    """The page's href resolver, with the `<base href>` of its head if there is one."""
    head = doc.tree.head
    node = doc.first(sel.BASE, head) if head is not None else None
    return Urls(url, node.attributes.get("href") if node is not None else None)


def main_scope(doc: Doc) -> LexborNode:
    """Where the loop lives (`sel.MAIN`), else the body, else the root; `<br>`s spaced."""
    found = doc.first_of(sel.MAIN) or doc.tree.body or doc.root
    if found is None:
        raise ParseError("document has no root element")
    # lexbor's text() drops <br>; a browser shows a line break there, i.e. whitespace.
    for node in doc.all("br", found):
        node.replace_with(" ")
    return found


def entry_nodes(doc: Doc, scope: LexborNode) -> list[LexborNode]:
    """The entries (`sel.ENTRIES`), in the scope first, then in the whole document."""
    for root in (scope, doc.root):
        for selector in sel.ENTRIES:
            nodes = doc.all(selector, root) if root is not None else []
            if nodes:
                return _top_level(nodes)
    return []


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
        in_body = in_body or not _BODY_CLASSES.isdisjoint(classes(current))
        current = current.parent
    return False


def day(doc: Doc) -> str | None:
    """The archive heading ("Freitag"): the first `sel.DAY` selector with text."""
    for selector in sel.DAY:
        text = text_of(doc.first(selector))
        if text:
            return text
    return None


def page_number(doc: Doc, url: str, pagination: Pagination) -> int:
    """`/page/N/` or `?paged=N` in the URL, else the current page's link, else 1."""
    match = _PAGE_IN_URL.search(url)
    if match:
        return max(1, int(match.group(1) or match.group(2)))
    active = pagination.active
    if active is None and pagination.urls:  # e.g. core WP: the current page is a <span>
        active = doc.first(sel.ACTIVE_PAGE)
    digits = _DIGITS.search(active.text()) if active is not None else None
    return max(1, int(digits.group())) if digits else 1


@dataclass(slots=True)
class Pagination:
    """The archive pagination: every page link, the next page and the current page's link."""

    urls: list[str] = field(default_factory=list)
    next_url: str | None = None
    active: LexborNode | None = None

    @classmethod
    def read(cls, doc: Doc, scope: LexborNode, urls: Urls) -> Pagination:
        found = cls()
        for node in _pagination_links(doc, scope) or _pagination_links(doc, doc.root):
            found.add(node, urls)
        if found.next_url is None:
            found.next_url = _next_fallback(doc, scope, urls)
        if found.next_url == urls.page:
            found.next_url = None  # a link to this very page is no next page
        return found

    def add(self, node: LexborNode, urls: Urls) -> None:
        attributes = node.attributes
        url = urls.resolve(attributes.get("href"))
        if url is None:
            return
        self.urls.append(url)
        if self.next_url is not None and self.active is not None:
            return  # nothing left to find
        item = node.parent
        item_classes = classes(item) if item is not None else []
        if self.next_url is None and sel.NEXT_ITEM_CLASS in item_classes:
            self.next_url = url
        current = attributes.get("aria-current") == "page"
        if self.active is None and (current or sel.ACTIVE_ITEM_CLASS in item_classes):
            self.active = node


_BLOCK_CLASSES: Final = frozenset(name.strip()[1:] for name in sel.PAGINATION_BLOCKS.split(","))
_LINK: Final = Simple(sel.PAGINATION_LINK)


def _pagination_links(doc: Doc, root: LexborNode | None) -> list[LexborNode]:
    """`sel.PAGINATION_LINKS` in `root`, each link once, in document order.

    Read block by block: a block's links are its own `a[href]` descendants, and a block
    inside another adds nothing. Only when `root` lies inside a block itself (then every
    link in it matches) is lexbor asked for the combinator selector.
    """
    if root is None:
        return []
    if _inside_block(doc, root):
        return _once(doc.all(sel.PAGINATION_LINKS, root))
    links: list[LexborNode] = []
    outer = -1
    for block in doc.all(sel.PAGINATION_BLOCKS, root):
        block_id = block.mem_id
        if block_id == outer or (outer != -1 and _below(block, outer)):
            continue  # listed twice (both classes), or nested in the block before
        outer = block_id
        # Every `a[href]` below a block has that block for an ancestor: the block's own
        # links are `sel.PAGINATION_LINKS` there, without the combinator.
        found = doc.select(block, _LINK)
        links += [link for link in found if link.mem_id != block_id]  # below the block only
    return links


def _inside_block(doc: Doc, node: LexborNode) -> bool:
    current = node.parent
    while current is not None and current.is_element_node:
        value = current.attributes.get("class")
        if value and doc.class_hits(current, value, _BLOCK_CLASSES):
            return True
        current = current.parent
    return False


def _below(node: LexborNode, ancestor_id: int) -> bool:
    current = node.parent
    while current is not None:
        if current.mem_id == ancestor_id:
            return True
        current = current.parent
    return False


def _once(nodes: list[LexborNode]) -> list[LexborNode]:
    """lexbor lists a link once for each selector it matches, in a row: once each."""
    unique, previous = [], -1
    for node in nodes:
        if node.mem_id != previous:
            previous = node.mem_id
            unique.append(node)
    return unique


def _next_fallback(doc: Doc, scope: LexborNode, urls: Urls) -> str | None:
    """The next page outside a Genesis pagination block, best-ranked match first.

    Links are looked for in the main content only (a menu may carry rel=next too), the
    `link[rel=next]` in the head.
    """
    head = doc.tree.head
    nodes = doc.all(sel.NEXT_FALLBACK, scope)
    nodes += doc.all(sel.NEXT_LINK, head) if head is not None else []
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
    if "next" in classes(node) and "next" not in rel:
        return 1
    return 2 if "next" in rel else 0
