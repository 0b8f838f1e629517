"""The query helper and the small node helpers shared by the parser's parts.

Every CSS query of the parser goes through `Doc`, straight to the page's lexbor selector
engine (`LexborHTMLParser.selector`); a node's `css()` reaches the same engine through two
more layers of calls. Queries are not cheap: selectolax parses the selector string and builds
and frees a CSS memory pool on every call (~2.5 µs before any matching), so where the answer
lies in a few nodes (a paragraph's links, a meta line, the head of an entry) the parser walks
them instead, with `Doc.walk()` and `Doc.class_hits()`, which answer exactly as lexbor's
selectors would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from k360scrape.text import clean

_Find = Callable[[str, LexborNode], list[LexborNode]]
# What HTML splits a class attribute on (ASCII whitespace); str.split() would also split on
# U+00A0, U+2028 and friends, which are part of a class name.
_HTML_SPACE: Final = re.compile("[ \t\n\f\r]+")
# Foreign content: attributes there are namespaced (`xlink:href`), which lexbor's `[href]`
# matches by local name; the few blocks that hold an SVG or MathML island are left to it.
FOREIGN_TAGS: Final = frozenset(("svg", "math"))


class Doc:
    """A parsed page and its selector engine; `node=None` queries the whole document.

    `find(query, node)` and `find_first(query, node)` are the engine's own: lists in
    document order, the node itself included (as `css()` and `css_first()` count it).
    """

    __slots__ = ("_quirks", "find", "find_first", "root", "tree")

    def __init__(self, tree: LexborHTMLParser) -> None:
        self.tree = tree
        self.root = tree.root
        engine = tree.selector
        self.find: _Find = engine.find
        # find_first stops at the first match; older selectolax versions have find only.
        self.find_first: _Find = getattr(engine, "find_first", engine.find)
        self._quirks: bool | None = None  # asked of lexbor when it first matters

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

    def class_hits(self, node: LexborNode, value: str, wanted: frozenset[str]) -> list[str]:
        """The names in `wanted` that a `.name` selector would match on `node`, whose class
        attribute is `value` (in the order of the attribute)."""
        hits = []
        for token in split_classes(value):
            if token in wanted:
                hits.append(token)
            elif token.isascii() and token.lower() in wanted and self._folds(node, token):
                hits.append(token.lower())
        return hits

    def select(self, node: LexborNode, selector: Simple) -> list[LexborNode]:
        """What a query rooted at `node` finds for `selector`: a walk of its elements, or
        lexbor's own query where the subtree holds foreign content."""
        found = self.walk(node, selector.parts)
        return found if found is not None else self.find(selector.query, node)

    def walk(self, node: LexborNode, selector: tuple[Compound, ...]) -> list[LexborNode] | None:
        """`node` and its descendant elements that match `selector` (from `compounds()`), in
        document order, each once: what a query rooted at `node` finds, for a subtree of a
        few elements. None when the subtree holds foreign content, left to a query."""
        found = []
        for element in node.traverse():
            tag = element.tag
            if tag in FOREIGN_TAGS:
                return None
            attributes: dict[str, str | None] | None = None  # read once, when a test needs it
            for wanted_tag, name, attribute in selector:
                if wanted_tag is not None and tag != wanted_tag:
                    continue
                if name is not None or attribute is not None:
                    if attributes is None:
                        attributes = element.attributes
                    if attribute is not None and attribute not in attributes:
                        continue
                    if name is not None and not self._has_class(element, attributes, name):
                        continue
                found.append(element)
                break
        return found

    def _has_class(self, node: LexborNode, attributes: dict[str, str | None], name: str) -> bool:
        value = attributes.get("class")
        return bool(value) and name in self.class_hits(node, value or "", frozenset((name,)))

    def _folds(self, node: LexborNode, token: str) -> bool:
        """Whether class selectors ignore ASCII case here, as they do in quirks mode.

        Asked once per page, of lexbor itself (a page without a doctype is in quirks mode,
        and the rules for old doctypes are long), on a node whose class differs from a
        selector's name in case only.
        """
        if self._quirks is None:
            found = self.find_first("." + token.lower(), node)
            self._quirks = bool(found) and found[0].mem_id == node.mem_id
        return self._quirks


def split_classes(value: str) -> list[str]:
    """A class attribute's names, split as HTML splits them."""
    if value.isprintable():  # no whitespace but the space: str.split() is the same
        return value.split()
    return [token for token in _HTML_SPACE.split(value) if token]


# One compound selector of the forms `tag`, `.name`, `tag.name`, `tag[attribute]`.
_COMPOUND: Final = re.compile(
    r"([a-z][a-z0-9]*)?(?:\.([a-z][a-z0-9_-]*))?(?:\[([a-z][a-z0-9-]*)\])?"
)
Compound = tuple[str | None, str | None, str | None]  # tag, class name, attribute


def compounds(selector: str) -> tuple[Compound, ...]:
    """A selector list of simple compounds, for `Doc.walk()`; anything richer (combinators,
    attribute values, pseudo-classes) is refused: it needs lexbor's matching."""
    found = []
    for item in selector.split(","):
        match = _COMPOUND.fullmatch(item.strip())
        if match is None or not any(match.groups()):
            raise ValueError(f"not a simple compound selector: {item.strip()!r}")
        found.append((match.group(1), match.group(2), match.group(3)))
    return tuple(found)


class Simple:
    """A selector list of simple compounds, with the parsed form `Doc.walk()` matches."""

    __slots__ = ("parts", "query")

    def __init__(self, query: str) -> None:
        self.query = query
        self.parts = compounds(query)


def classes(node: LexborNode) -> list[str]:
    value = node.attributes.get("class")
    return value.split() if value else []


def has_class(node: LexborNode, names: frozenset[str]) -> bool:
    """The node has one of these classes."""
    value = node.attributes.get("class")
    return value is not None and not names.isdisjoint(value.split())


def has_element_child(node: LexborNode) -> bool:
    """Some child of `node` is an element (a walk of the children, no query)."""
    child = node.child
    while child is not None:
        if child.is_element_node:
            return True
        child = child.next
    return False


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
