"""The body walk: an entry body as blocks in document order, each with its links and images.

Containers (`div`, `section`, lists, tables …) are walked; every other child is one block —
a text block, a heading, a File block, an image, a button group — or skipped (scripts,
embeds, chrome). Runs of inline content and loose text become one text block.

The walk is the parser's hottest loop (every child of every body), so a node's kind comes
from one dictionary lookup on its tag and one read of its class attribute; the tree is only
asked more (a query, a look at the children) for the few tags whose kind depends on what they
hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from selectolax.lexbor import LexborNode

from k360scrape import selectors as sel
from k360scrape.parsing.nodes import Doc, Simple, has_element_child
from k360scrape.text import clean

SKIP: Final = 0
INLINE: Final = 1
CONTAINER: Final = 2
TEXT: Final = 3
HEADING: Final = 4
FILE: Final = 5
IMAGE: Final = 6
BUTTONS: Final = 7
MIXED: Final = 8
FIGURE: Final = 9
_TEXT_NODE: Final = 10  # not a block kind: a text node, loose text unless it is blank
_TAG_KINDS: Final[dict[str | None, int]] = {
    **dict.fromkeys(sel.CONTAINER_TAGS, CONTAINER),
    **dict.fromkeys(sel.TEXT_TAGS, TEXT),
    # Text blocks unless they hold blocks themselves (`li > ul`, `dd > p`).
    **dict.fromkeys(("li", "dd", "dt", "td", "th"), MIXED),
    **dict.fromkeys(sel.HEADING_TAGS, HEADING),
    "figure": FIGURE,
    **dict.fromkeys(sel.SKIP_TAGS, SKIP),
    # What selectolax calls the nodes that are not elements (None: any other kind of node).
    "-text": _TEXT_NODE,
    **dict.fromkeys(("-comment", "-doctype", "-document", None), SKIP),
}
_BLOCK_TAGS: Final = sel.CONTAINER_TAGS | sel.TEXT_TAGS | sel.HEADING_TAGS
BLOCK_SELECTOR: Final = ", ".join(sorted(_BLOCK_TAGS - {"body", "main"}))
_ANCHORS: Final = Simple(sel.ANCHORS)
_FIGURE_PARTS: Final = Simple(sel.FIGURE_PARTS)
# The element types `sel.ANCHORS` matches: a node of one of these may be an anchor itself.
_ANCHOR_TAGS: Final = frozenset(tag for tag, _, _ in _ANCHORS.parts if tag is not None)
# Every class that decides a block's kind (`_kind_by_class`).
_KIND_CLASSES: Final = (
    sel.SKIP_CLASSES | sel.IMAGE_BLOCK_CLASSES | sel.BUTTON_BLOCK_CLASSES | {sel.FILE_BLOCK_CLASS}
)
_PLAIN_KINDS: Final = frozenset((CONTAINER, TEXT, HEADING))  # kinds the tag alone decides


class Block:
    """One block of the body: its kind and its node (a run of inline nodes for loose text)."""

    __slots__ = ("kind", "nodes")

    def __init__(self, kind: int, nodes: list[LexborNode]) -> None:
        self.kind = kind
        self.nodes = nodes

    def anchors(self, doc: Doc) -> list[LexborNode]:
        """The links and images inside the block, in document order.

        Blocks never hold one another, so an anchor belongs to the one block it is in. A
        node with no child elements holds none (most paragraphs): no query for it.
        """
        found: list[LexborNode] = []
        for node in self.nodes:
            if _may_hold_anchors(node):
                found += anchors_in(doc, node)
        return found

    def text(self) -> str:
        nodes = self.nodes
        if len(nodes) == 1:
            return clean(nodes[0].text())
        return clean("".join([node.text() for node in nodes]))


def anchors_in(doc: Doc, node: LexborNode) -> list[LexborNode]:
    """`sel.ANCHORS` in `node` (itself included): a walk of its few elements."""
    return doc.select(node, _ANCHORS)


def _may_hold_anchors(node: LexborNode) -> bool:
    """An anchor itself, or an element with elements in it."""
    if not node.is_element_node:
        return False
    return node.tag in _ANCHOR_TAGS or has_element_child(node)


def blocks(doc: Doc, container: LexborNode) -> list[Block]:
    """The container's blocks in document order, wrappers walked, inline runs grouped.

    Iterative (a stack of child iterators), so hostile nesting depth cannot recurse.
    """
    found: list[Block] = []
    run: list[LexborNode] = []
    stack: list[Iterator[LexborNode]] = [_children(container)]
    while stack:
        for node in stack[-1]:
            kind = _kind(doc, node)
            if kind == INLINE:
                run.append(node)
                continue
            if run:
                found.append(Block(TEXT, run))
                run = []
            if kind == CONTAINER:
                stack.append(_children(node))
                break  # walk the container; its parent's iterator resumes after it
            if kind != SKIP:
                found.append(Block(kind, [node]))
        else:  # the container's children are done
            stack.pop()
            if run:
                found.append(Block(TEXT, run))
                run = []
    return found


def _children(node: LexborNode) -> Iterator[LexborNode]:
    # Text nodes only matter where a container holds loose text; most hold only
    # whitespace between blocks, and skipping those nodes halves the walk.
    loose = node.text(deep=False).strip()
    return node.iter(include_text=bool(loose))


def _kind(doc: Doc, node: LexborNode) -> int:
    kind = _TAG_KINDS.get(node.tag, INLINE)
    if kind == SKIP:
        return SKIP
    if kind == _TEXT_NODE:
        return INLINE if node.is_text_node and not node.is_empty_text_node else SKIP
    names = node.attributes.get("class")
    if names:
        classes = names.split()
        if not _KIND_CLASSES.isdisjoint(classes):
            return _kind_by_class(doc, node, classes)
    if kind in _PLAIN_KINDS:
        return kind
    if kind == MIXED:
        return CONTAINER if _holds_blocks(node) else TEXT
    if kind == INLINE:  # `<strong>` around whole blocks, as unclosed tags leave it
        held = has_element_child(node) and doc.first(BLOCK_SELECTOR, node) is not None
        return CONTAINER if held else INLINE
    return _figure_kind(doc, node)


def _kind_by_class(doc: Doc, node: LexborNode, classes: list[str]) -> int:
    if not sel.SKIP_CLASSES.isdisjoint(classes):
        return SKIP
    if sel.FILE_BLOCK_CLASS in classes:
        return FILE
    if not sel.IMAGE_BLOCK_CLASSES.isdisjoint(classes):
        return _figure_kind(doc, node)
    return BUTTONS  # the only kind-deciding classes left


def _figure_kind(doc: Doc, node: LexborNode) -> int:
    """An image with its caption, or (gallery, old aligned image) a wrapper to walk."""
    own = node.mem_id
    has_image = nested = False
    for part in doc.select(node, _FIGURE_PARTS):
        if part.tag == "img":
            has_image = True
        elif part.mem_id != own:
            nested = True
    return IMAGE if has_image and not nested else CONTAINER


def _holds_blocks(node: LexborNode) -> bool:
    return any(child.tag in _BLOCK_TAGS for child in node.iter())
