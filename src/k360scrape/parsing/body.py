"""An entry body's state machine: label, subtitle, paragraphs, PDFs, images, links and
contributors, decided block by block (`blocks.blocks`).

A "Dokumentation" heading sets the label, the heading before it is the subtitle; a
contributors heading („Zu den Mitwirkenden“) turns the following paragraphs into
contributors; File blocks and lines of PDF links become PDFs; a more-link or an excerpt's
"[…]" marks a shortened entry.
"""

from __future__ import annotations

import re
from typing import Final

from selectolax.lexbor import LexborNode

from k360scrape import selectors as sel
from k360scrape.parsing.blocks import BUTTONS, FILE, HEADING, IMAGE, TEXT, Block
from k360scrape.parsing.blocks import blocks as read_blocks
from k360scrape.parsing.hrefs import Urls, file_name, is_pdf
from k360scrape.parsing.nodes import Doc, Simple, has_class, text_of
from k360scrape.text import CONTRIBUTOR_HEADINGS, LABELS, clean, fold_clean, name_and_affiliation

LABEL_MAX: Final = 60  # a paragraph longer than this is never a stand-in heading
EXCERPT_MORE: Final = ("[…]", "[...]")
# A section heading run into the text ("Dokumentation Drei Tage, …", "… wollen. Zu den
# Mitwirkenden Keno …"): what `wp_trim_excerpt()` makes of a short post's headings.
FLATTENED: Final = re.compile(
    r"(?:^|[.!?:]\s)(?:"
    + "|".join(re.escape(h) for h in sorted({*LABELS, *CONTRIBUTOR_HEADINGS}, key=len)[::-1])
    + r")\s+\w",
    re.IGNORECASE,
)


# The body's PDFs, images, links and contributors as the fields of their models; the page's
# models are validated in one call at the end (`parse.py`), which is cheaper than one call per
# model.
Data = dict[str, str | None]


class Body:
    """Reads one entry's body: the walk's state and the fields it fills."""

    # The walk's state starts at these class-level values (an entry's body is read once).
    label: str | None = None
    subtitle: str | None = None
    shortened = False
    _in_contributors = False
    _seen_body = False

    def __init__(self, doc: Doc, urls: Urls) -> None:
        self.doc = doc
        self.urls = urls
        self.paragraphs: list[str] = []
        self.contributors: list[Data] = []
        self.pdfs: dict[str, Data] = {}
        self.images: dict[str, Data] = {}
        self.links: dict[str, Data] = {}

    def read(self, container: LexborNode) -> None:
        for block in read_blocks(self.doc, container):
            kind = block.kind
            if kind == TEXT:
                self._text(block)
            elif kind == HEADING:
                self._heading(block)
            elif kind == FILE:
                self._file(block)
            elif kind == IMAGE:
                self._image(block)
            elif kind == BUTTONS:
                self._anchors(block.anchors(self.doc))
        if self.paragraphs and self.paragraphs[-1].endswith(EXCERPT_MORE):
            self.shortened = True  # the excerpt's own "[…]" marks a shortened entry
        elif len(self.paragraphs) == 1 and self.label is None and not self.contributors:
            # An uncut excerpt is the whole text as one paragraph, headings flattened into it.
            self.shortened = self.shortened or FLATTENED.search(self.paragraphs[0]) is not None

    def _heading(self, block: Block) -> None:
        anchors = block.anchors(self.doc)
        if anchors:
            self._anchors(anchors)
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

    def _text(self, block: Block) -> None:
        anchors = block.anchors(self.doc)
        more, files = self._anchors(anchors) if anchors else ("", [])
        text = block.text()
        if more and text.endswith(more):
            text = text[: -len(more)].rstrip()  # "[Read more...] about X" is not body text
        if not text or (files and only_names(text, files)):
            return  # nothing, or a line of PDF links: the classic editor's File block
        if len(text) <= LABEL_MAX and self._section_heading(text):
            return  # a bold paragraph standing in for a heading
        if self._in_contributors:
            self.contributors.append(_contributor(text, block))
        else:
            self._paragraph(text)

    def _paragraph(self, text: str) -> None:
        self.paragraphs.append(text)
        self._seen_body = True

    def _anchors(self, anchors: list[LexborNode]) -> tuple[str, list[str]]:
        """Collect the block's images, PDFs and links.

        Returns the texts that are not body text: a more-link's, and the shown PDF names.
        """
        more, files = "", []
        for node in anchors:
            if node.tag == "img":
                self._add_image(node, None)
            elif has_class(node, sel.MORE_LINK_CLASSES):
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
        if is_pdf(url):
            self._add_pdf(text or file_name(url), url)
            return text
        if url not in self.links and (text or self.doc.first(sel.IMAGE, node) is None):
            self.links[url] = {"text": text, "url": url}  # an image's wrapping link is none
        return None

    def _add_pdf(self, name: str, url: str) -> None:
        if url not in self.pdfs:
            self.pdfs[url] = {"name": name or url, "url": url}

    def _add_image(self, node: LexborNode, caption: str | None) -> None:
        if has_class(node, sel.SKIP_IMAGE_CLASSES):
            return
        url = self.urls.resolve(_image_source(node))
        if url is not None and url not in self.images:
            self.images[url] = {"url": url, "caption": caption}

    def _image(self, block: Block) -> None:
        node = block.nodes[0]
        captions = self.doc.select(node, _CAPTION)  # a figure's few elements: no query
        caption = text_of(captions[0] if captions else None)
        for anchor in block.anchors(self.doc):
            if anchor.tag == "img":
                self._add_image(anchor, caption)
            elif clean(anchor.text()):  # a credit link in the caption; not the image's wrapper
                self._add_link(anchor)

    def _file(self, block: Block) -> None:
        name, url = _file_block(self.doc, block.nodes[0], self.urls)
        if url is not None:
            self._add_pdf(name or file_name(url), url)
            self._seen_body = True


_SEPARATORS: Final = " |·•,;:–—-/"
_FILE_PARTS: Final = Simple(sel.FILE_BLOCK_PARTS)
_CAPTION: Final = Simple(sel.CAPTION)


def only_names(text: str, names: list[str]) -> bool:
    """`text` is nothing but these link names (and separators between them)."""
    for name in names:
        text = text.replace(name, " ", 1)
    return not text.strip(_SEPARATORS)


def _file_block(doc: Doc, node: LexborNode, urls: Urls) -> tuple[str, str | None]:
    """A File block's shown name and file URL: button href, then `object[data]`, then link."""
    name_link: LexborNode | None = None
    button_url = object_url = None
    link_url = None
    for part in doc.select(node, _FILE_PARTS):
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
    names = (attributes.get("class") or "").split()
    return "download" in attributes or not sel.FILE_BUTTON_CLASSES.isdisjoint(names)


def _image_source(node: LexborNode) -> str | None:
    attributes = node.attributes
    for name in sel.IMAGE_SOURCE_ATTRIBUTES:
        value = attributes.get(name)
        if value and not value.lstrip().startswith("data:"):  # lazy-load placeholders
            return value
    return None


def _contributor(text: str, block: Block) -> Data:
    lead = _lead_text(block.nodes[0]) if len(block.nodes) == 1 else None
    name, affiliation = name_and_affiliation(text, lead)
    return {"name": name, "affiliation": affiliation, "bio": text}


def _lead_text(node: LexborNode) -> str | None:
    """The text of a `<strong>`/`<b>` that opens the paragraph, if it does."""
    for child in node.iter(include_text=True):
        if child.is_element_node:
            return clean(child.text()) if child.tag in ("strong", "b") else None
        if child.text().strip():
            return None
    return None
