"""The query helper and the small node helpers shared by the parser's parts.

Every CSS query of the parser goes through `Doc`, straight to the page's lexbor selector
engine (`LexborHTMLParser.selector`); a node's `css()` reaches the same engine through two
more layers of calls, a few µs over the ~45 queries of an archive page. Queries are not cheap:
each one builds and frees a CSS memory pool (~3 µs in all), so the parser asks few of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from k360scrape.text import clean

_Find = Callable[[str, LexborNode], list[LexborNode]]


class Doc:
    """A parsed page and its selector engine; `node=None` queries the whole document.

    `find(query, node)` and `find_first(query, node)` are the engine's own: lists in
    document order, the node itself included (as `css()` and `css_first()` count it).
    """

    __slots__ = ("find", "find_first", "root", "tree")

    def __init__(self, tree: LexborHTMLParser) -> None:
        self.tree = tree
        self.root = tree.root
        engine = tree.selector
        self.find: _Find = engine.find
        # find_first stops at the first match; older selectolax versions have find only.
        self.find_first: _Find = getattr(engine, "find_first", engine.find)

    def all(self, query: str, node: LexborNode | None = None) -> list[LexborNode]:
        if node is None:
            node = self.root
        return self.find(query, node) if node is not None else []

    def first(self, query: str, node: LexborNode | None = None) -> LexborNode | None:
        if node is None:
            node = self.root
        found = self.find_first(query, node) if node is not None else None
        return found[0] if found else None

    def first_of(self, chain: Iterable[str], node: LexborNode | None = None) -> LexborNode | None:
        """The first match of the first selector in `chain` that matches anything."""
        for selector in chain:
            found = self.first(selector, node)
            if found is not None:
                return found
        return None


def classes(node: LexborNode) -> list[str]:
    value = node.attributes.get("class")
    return value.split() if value else []


def has_class(node: LexborNode, names: frozenset[str]) -> bool:
    """The node has one of these classes."""
    value = node.attributes.get("class")
    return value is not None and not names.isdisjoint(value.split())


def text_of(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    return clean(node.text()) or None


def owned(node: LexborNode, owner: LexborNode) -> bool:
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
