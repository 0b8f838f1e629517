"""What the reference extractions share: the rules of `k360scrape.parse`, minus the tree.

`k360scrape.parse` walks a lexbor tree; the benchmark's BeautifulSoup and parsel versions walk
their own trees but must apply the very same rules, so that the benchmark compares HTML
libraries and not two readings of the data contract. The rules that do not touch the tree
live here: href resolution (the parser's own `_Urls`, which is string logic), the pagination
bookkeeping, and the body state machine (label, subtitle, paragraphs, File blocks, images,
contributors). Each library module supplies a `TreeOps` for its node type and its own
traversal (selectors, parents, the block walk); string rules come from `k360scrape.text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar
from urllib.parse import unquote

from k360scrape import selectors as sel
from k360scrape.models import Contributor, Image, Link, Pdf
from k360scrape.parse import _BLOCK_SELECTOR, _EXCERPT_MORE, _FLATTENED, _only_names
from k360scrape.parse import _Urls as _ParserUrls
from k360scrape.text import CONTRIBUTOR_HEADINGS, LABELS, clean, fold_clean, name_and_affiliation

N = TypeVar("N")

# --- hrefs -----------------------------------------------------------------------------

# How an href becomes a canonical URL (memoised, `<base>`, www/bare twins, the shortcut for
# already-canonical hrefs) is string logic, not tree traversal: the parser's own resolver
# is used as is, so that every implementation resolves exactly alike.
Urls = _ParserUrls
_KEPT_SCHEMES = ("mailto:", "tel:")


def is_pdf(url: str) -> bool:
    return not url.startswith(_KEPT_SCHEMES) and url.split("?", 1)[0].lower().endswith(".pdf")


def file_name(url: str) -> str:
    return clean(unquote(url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]))


# --- the entry meta line ---------------------------------------------------------------

_BY = re.compile(r"(?:^|\s)(?:by|von)\s+", re.IGNORECASE)
_AFTER_NAME = re.compile(r"\s*[|·•]")
PAGE_IN_URL = re.compile(r"/page/(\d{1,9})/?(?:$|[?#])|[?&]paged=(\d{1,9})(?:$|[&#])")
DIGITS = re.compile(r"\d{1,9}")


def without_by(text: str) -> str:
    match = _BY.match(text)
    return text[match.end() :] if match else text


def after_by(text: str) -> str | None:
    match = _BY.search(text)
    if match is None:
        return None
    name = _AFTER_NAME.split(text[match.end() :], maxsplit=1)[0]
    return clean(name) or None


# --- pagination ------------------------------------------------------------------------


@dataclass(slots=True)
class Pagination(Generic[N]):
    """Every page link of the pagination block, the next page and the current page's link."""

    urls: list[str] = field(default_factory=list)
    next_url: str | None = None
    active: N | None = None

    def add(self, node: N, url: str | None, item_classes: list[str], current: bool) -> None:
        if url is None:
            return
        self.urls.append(url)
        if self.next_url is None and sel.NEXT_ITEM_CLASS in item_classes:
            self.next_url = url
        if self.active is None and (current or sel.ACTIVE_ITEM_CLASS in item_classes):
            self.active = node


def next_rank(tag: str, rel: str | None, classes: list[str]) -> int:
    """The contract's order: `.pagination-next a`, `a.next`, `a[rel~=next]`, `link`."""
    if tag == "link":
        return 3
    rels = (rel or "").split()
    if "next" in classes and "next" not in rels:
        return 1
    return 2 if "next" in rels else 0


def page_from_url(url: str) -> int | None:
    match = PAGE_IN_URL.search(url)
    return max(1, int(match.group(1) or match.group(2))) if match else None


def page_from_text(text: str | None) -> int:
    digits = DIGITS.search(text) if text is not None else None
    return max(1, int(digits.group())) if digits else 1


# --- blocks and the body state machine -------------------------------------------------

SKIP, INLINE, CONTAINER, TEXT, HEADING, FILE, IMAGE, BUTTONS = range(8)
# Not kinds but questions for the tree: image or wrapper (figure), text or wrapper (li, dd).
FIGURE, MIXED = 8, 9
ASCII_WHITESPACE = " \t\n\r\f"  # what lexbor counts as an empty text node
MIXED_TAGS = frozenset(("li", "dd", "dt", "td", "th"))
BLOCK_TAGS = sel.CONTAINER_TAGS | sel.TEXT_TAGS | sel.HEADING_TAGS
BODY_CLASSES = frozenset(sel.CONTENT_CLASSES)
# An inline element holding any of these is walked as a container (unclosed `<strong>`).
INLINE_HOLDING = tuple(_BLOCK_SELECTOR.split(", "))
_LABEL_MAX = 60


def kind_by_tag(tag: str, classes: Sequence[str]) -> int:
    """A block's kind from its tag and classes, or FIGURE/MIXED when the tree must decide."""
    if tag in sel.SKIP_TAGS:
        return SKIP
    if classes:
        if not sel.SKIP_CLASSES.isdisjoint(classes):
            return SKIP
        if sel.FILE_BLOCK_CLASS in classes:
            return FILE
        if not sel.IMAGE_BLOCK_CLASSES.isdisjoint(classes):
            return FIGURE
        if not sel.BUTTON_BLOCK_CLASSES.isdisjoint(classes):
            return BUTTONS
    if tag in sel.HEADING_TAGS:
        return HEADING
    if tag in MIXED_TAGS:
        return MIXED
    if tag in sel.TEXT_TAGS:
        return TEXT
    if tag == "figure":
        return FIGURE
    return CONTAINER if tag in sel.CONTAINER_TAGS else INLINE


@dataclass(slots=True)
class Block(Generic[N]):
    kind: int
    nodes: list[N]
    anchors: list[N] = field(default_factory=list)


class TreeOps(Protocol[N]):
    """What the body rules need to know about a node of one library's tree."""

    def tag(self, node: N) -> str: ...
    def classes(self, node: N) -> list[str]: ...
    def attr(self, node: N, name: str) -> str | None: ...
    def has_attr(self, node: N, name: str) -> bool: ...
    def text(self, node: N) -> str: ...
    def select(self, node: N, css: str) -> list[N]: ...
    def lead_text(self, node: N) -> str | None:
        """The cleaned text of a `<strong>`/`<b>` that opens the paragraph, if it does."""


class Body(Generic[N]):
    """The parser's `_Body`: one entry's body read block by block, over any tree."""

    def __init__(self, urls: Urls, ops: TreeOps[N]) -> None:
        self.urls = urls
        self.ops = ops
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

    def read(self, blocks: list[Block[N]]) -> None:
        if not blocks:
            return
        handlers: dict[int, Callable[[Block[N]], object]] = {
            TEXT: self._text,
            HEADING: self._heading,
            FILE: self._file,
            IMAGE: self._image,
            BUTTONS: self._anchors,
        }
        for block in blocks:
            handlers[block.kind](block)
        if self.paragraphs and self.paragraphs[-1].endswith(_EXCERPT_MORE):
            self.shortened = True
        elif len(self.paragraphs) == 1 and self.label is None and not self.contributors:
            # An uncut excerpt: the whole text as one paragraph, headings flattened into it.
            self.shortened = self.shortened or _FLATTENED.search(self.paragraphs[0]) is not None

    def _block_text(self, block: Block[N]) -> str:
        if len(block.nodes) == 1:
            return clean(self.ops.text(block.nodes[0]))
        return clean("".join(self.ops.text(node) for node in block.nodes))

    def _heading(self, block: Block[N]) -> None:
        if block.anchors:
            self._anchors(block)
        text = self._block_text(block)
        if not text or self._section_heading(text):
            return
        self._in_contributors = False
        if self.subtitle is None and not self._seen_body and self.label is None:
            self.subtitle = text
        else:
            self._paragraph(text)

    def _section_heading(self, text: str) -> bool:
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

    def _text(self, block: Block[N]) -> None:
        more, files = self._anchors(block) if block.anchors else ("", [])
        text = self._block_text(block)
        if more and text.endswith(more):
            text = text[: -len(more)].rstrip()
        if not text or (files and _only_names(text, files)):
            return  # nothing, or a line of PDF links
        if len(text) <= _LABEL_MAX and self._section_heading(text):
            return
        if self._in_contributors:
            lead = self.ops.lead_text(block.nodes[0]) if len(block.nodes) == 1 else None
            name, affiliation = name_and_affiliation(text, lead)
            self.contributors.append(Contributor(name=name, affiliation=affiliation, bio=text))
        else:
            self._paragraph(text)

    def _paragraph(self, text: str) -> None:
        self.paragraphs.append(text)
        self._seen_body = True

    def _anchors(self, block: Block[N]) -> tuple[str, list[str]]:
        """Images, PDFs and links; returns a more-link's text and the shown PDF names."""
        more, files = "", []
        for node in block.anchors:
            if self.ops.tag(node) == "img":
                self._add_image(node, None)
            elif not sel.MORE_LINK_CLASSES.isdisjoint(self.ops.classes(node)):
                self.shortened = True
                more = clean(self.ops.text(node))
            elif (name := self._add_link(node)) is not None:
                files.append(name)
        return more, files

    def _add_link(self, node: N) -> str | None:
        url = self.urls.resolve(self.ops.attr(node, "href"))
        if url is None:
            return None
        text = clean(self.ops.text(node))
        if is_pdf(url):
            self._add_pdf(text or file_name(url), url)
            return text
        if url not in self.links and (text or not self.ops.select(node, sel.IMAGE)):
            self.links[url] = Link(text=text, url=url)
        return None

    def _add_pdf(self, name: str, url: str) -> None:
        self.pdfs.setdefault(url, Pdf(name=name or url, url=url))

    def _add_image(self, node: N, caption: str | None) -> None:
        if not sel.SKIP_IMAGE_CLASSES.isdisjoint(self.ops.classes(node)):
            return
        url = self.urls.resolve(self._image_source(node))
        if url is not None:
            self.images.setdefault(url, Image(url=url, caption=caption))

    def _image_source(self, node: N) -> str | None:
        for name in sel.IMAGE_SOURCE_ATTRIBUTES:
            value = self.ops.attr(node, name)
            if value and not value.lstrip().startswith("data:"):
                return value
        return None

    def _image(self, block: Block[N]) -> None:
        captions = self.ops.select(block.nodes[0], sel.CAPTION)
        caption = (clean(self.ops.text(captions[0])) or None) if captions else None
        for anchor in block.anchors:
            if self.ops.tag(anchor) == "img":
                self._add_image(anchor, caption)
            elif clean(self.ops.text(anchor)):
                self._add_link(anchor)

    def _file(self, block: Block[N]) -> None:
        name, url = self._file_block(block.nodes[0])
        if url is not None:
            self._add_pdf(name or file_name(url), url)
            self._seen_body = True

    def _file_block(self, node: N) -> tuple[str, str | None]:
        name_link: N | None = None
        button_url = object_url = None
        for part in self.ops.select(node, sel.FILE_BLOCK_PARTS):
            if self.ops.tag(part) == "object":
                object_url = object_url or self.urls.resolve(self.ops.attr(part, "data"))
            elif self._is_button(part):
                button_url = button_url or self.urls.resolve(self.ops.attr(part, "href"))
            elif name_link is None:
                name_link = part
        if name_link is None:
            return "", button_url or object_url
        link_url = self.urls.resolve(self.ops.attr(name_link, "href"))
        return clean(self.ops.text(name_link)), button_url or object_url or link_url

    def _is_button(self, node: N) -> bool:
        if self.ops.has_attr(node, "download"):
            return True
        return not sel.FILE_BUTTON_CLASSES.isdisjoint(self.ops.classes(node))
