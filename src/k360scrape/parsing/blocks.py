"""The body walk: an entry body as blocks in document order, each with its links and images.

Containers (`div`, `section`, lists, tables …) are walked; every other child is one block —
a text block, a heading, a File block, an image, a button group — or skipped (scripts,
embeds, chrome). Runs of inline content and loose text become one text block.
"""

from __future__ import annotations

from collections.abc import Iterator

from selectolax.lexbor import LexborNode

from k360scrape import selectors as sel
from k360scrape.parsing.nodes import Doc
from k360scrape.text import clean

SKIP, INLINE, CONTAINER, TEXT, HEADING, FILE, IMAGE, BUTTONS, MIXED, FIGURE = range(10)
_TAG_KINDS: dict[str, int] = {
    **dict.fromkeys(sel.CONTAINER_TAGS, CONTAINER),
    **dict.fromkeys(sel.TEXT_TAGS, TEXT),
    # Text blocks unless they hold blocks themselves (`li > ul`, `dd > p`).
    **dict.fromkeys(("li", "dd", "dt", "td", "th"), MIXED),
    **dict.fromkeys(sel.HEADING_TAGS, HEADING),
    "figure": FIGURE,
    **dict.fromkeys(sel.SKIP_TAGS, SKIP),
}
_BLOCK_TAGS = sel.CONTAINER_TAGS | sel.TEXT_TAGS | sel.HEADING_TAGS
BLOCK_SELECTOR = ", ".join(sorted(_BLOCK_TAGS - {"body", "main"}))
# The element types `sel.ANCHORS` matches: a node of one of these may be an anchor itself.
_ANCHOR_TAGS = frozenset(part.split("[")[0] for part in sel.ANCHORS.split(", "))


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
                found += doc.find(sel.ANCHORS, node)
        return found

    def holds_anchors(self) -> bool:
        """Whether `anchors()` may find any (no query: most paragraphs are plain text)."""
        return any(_may_hold_anchors(node) for node in self.nodes)

    def text(self) -> str:
        if len(self.nodes) == 1:
            return clean(self.nodes[0].text())
        return clean("".join(node.text() for node in self.nodes))


def _may_hold_anchors(node: LexborNode) -> bool:
    """An anchor itself, or an element with elements in it."""
    if not node.is_element_node:
        return False
    return node.tag in _ANCHOR_TAGS or next(node.iter(), None) is not None


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
    if not node.is_element_node:
        return INLINE if node.is_text_node and not node.is_empty_text_node else SKIP
    kind = _TAG_KINDS.get(node.tag or "", INLINE)
    if kind == SKIP:
        return SKIP
    names = node.attributes.get("class")
    if names:
        classes = names.split()
        if not _KIND_CLASSES.isdisjoint(classes):
            return _kind_by_class(doc, node, classes)
    if kind == MIXED:
        return CONTAINER if _holds_blocks(node) else TEXT
    if kind == INLINE:  # `<strong>` around whole blocks, as unclosed tags leave it
        return CONTAINER if doc.first(BLOCK_SELECTOR, node) is not None else INLINE
    return _figure_kind(doc, node) if kind == FIGURE else kind


# Every class that decides a block's kind (`_kind_by_class`).
_KIND_CLASSES = sel.SKIP_CLASSES | sel.IMAGE_BLOCK_CLASSES | sel.BUTTON_BLOCK_CLASSES
_KIND_CLASSES |= {sel.FILE_BLOCK_CLASS}


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
    for part in doc.all(sel.FIGURE_PARTS, node):
        if part.tag == "img":
            has_image = True
        elif part.mem_id != own:
            nested = True
    return IMAGE if has_image and not nested else CONTAINER


def _holds_blocks(node: LexborNode) -> bool:
    return any(child.tag in _BLOCK_TAGS for child in node.iter())
