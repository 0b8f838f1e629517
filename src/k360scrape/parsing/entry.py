"""One entry: its landmarks (title, meta line, body) and the fields read from them.

Each field is one small function that walks its fallback chain from `selectors.py`: the URL
(title link, permalink, bookmark/image/more link), the date (`time` in the meta line, the
line's words, a header time), the author (`.entry-author-name`, `.entry-author`, the words
after "by"/"von"). The body is read by `body.Body`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from selectolax.lexbor import LexborNode

from k360scrape import selectors as sel
from k360scrape.parsing.body import Body, Data
from k360scrape.parsing.hrefs import Urls
from k360scrape.parsing.nodes import Doc, classes, has_class, owned, text_of
from k360scrape.text import clean, date_from_iso, date_from_text


def read_entry(doc: Doc, node: LexborNode, urls: Urls, careful: bool = True) -> EntryData:
    """One entry's fields (`Entry`'s); `careful` when articles nest, so every landmark's owner
    must be checked."""
    find = Finder(doc, node, careful)
    title = find.first(sel.TITLE)
    meta = find.meta()
    content = find.first(sel.CONTENT)
    body = Body(doc, urls)
    body.read(content or node)
    times, author = _meta_parts(find, meta)
    return {
        "url": _entry_url(find, title, urls),
        "title": text_of(title),
        "date": _date(find, meta, times),
        "author": _author(find, meta, author),
        "label": body.label,
        "subtitle": body.subtitle,
        "description": "\n\n".join(body.paragraphs),
        "pdfs": tuple(body.pdfs.values()),
        "contributors": tuple(body.contributors),
        "images": tuple(body.images.values()),
        "links": tuple(body.links.values()),
        "is_excerpt": body.shortened or find.first((sel.SHORTENED,)) is not None,
    }


# `Entry`'s fields, validated into the model by the caller (one call for a whole page).
EntryData = dict[str, str | bool | tuple[Data, ...] | None]


class Finder:
    """Selector-chain lookups inside one entry (or its meta line), skipping nested articles.

    Where articles do not nest, the landmarks every entry needs (the first selectors of the
    title, meta and body chains, the body's fallbacks and the shortened marks) come from one
    query for all of them (`_landmarks`) instead of one query each.
    """

    __slots__ = ("careful", "doc", "entry", "landmarks")

    def __init__(self, doc: Doc, entry: LexborNode, careful: bool) -> None:
        self.doc = doc
        self.entry = entry
        self.careful = careful
        self.landmarks = None if careful else _landmarks(doc, entry)

    def first(self, chain: Iterable[str], within: LexborNode | None = None) -> LexborNode | None:
        """The first selector's first match below the root (the root's own match counts as
        none, as css_first() finds it first)."""
        landmarks = self.landmarks
        if within is None and landmarks is not None:
            for selector in chain:
                if selector not in landmarks:
                    break  # a selector the landmark query did not ask: ask lexbor
                node = landmarks[selector]
                if node is not None:
                    return node
            else:
                return None
        root = within or self.entry
        if self.careful:
            for selector in chain:
                found = self.all(selector, root)
                if found:
                    return found[0]
            return None
        root_id, find_first = root.mem_id, self.doc.find_first
        for selector in chain:  # the common case: one C-level lookup, nothing to filter
            found = find_first(selector, root)
            if found and found[0].mem_id != root_id:
                return found[0]
        return None

    def all(self, selector: str, within: LexborNode | None = None) -> list[LexborNode]:
        root = within or self.entry
        nodes = self.doc.find(selector, root)
        if self.careful:
            return [node for node in nodes if owned(node, self.entry)]
        root_id = root.mem_id
        return [node for node in nodes if node.mem_id != root_id]

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


def _class_item(selector: str) -> tuple[str | None, str]:
    """`.name` or `tag.name` as (tag, name); the landmark query takes nothing richer."""
    tag, dot, name = selector.partition(".")
    if not dot or not name.replace("-", "").isalnum() or not (tag.isalpha() or not tag):
        raise ValueError(f"not a tag.class selector: {selector!r}")
    return tag or None, name


_SHORTENED_ITEMS: Final = tuple(item.strip() for item in sel.SHORTENED.split(","))
_LANDMARK_ITEMS: Final = tuple(
    dict.fromkeys((sel.TITLE[0], sel.META[0], *sel.CONTENT, *_SHORTENED_ITEMS))
)
_LANDMARK_QUERY: Final = ", ".join(_LANDMARK_ITEMS)
_ITEM_PARTS: Final = tuple((item, *_class_item(item)) for item in _LANDMARK_ITEMS)
_LANDMARK_CLASSES: Final = frozenset(name for _, _, name in _ITEM_PARTS)
# Each class's selectors: (selector, the tag it also needs, part of `sel.SHORTENED`).
_ITEMS_BY_CLASS: Final[dict[str, tuple[tuple[str, str | None, bool], ...]]] = {
    name: tuple(
        (item, tag, item in _SHORTENED_ITEMS) for item, tag, other in _ITEM_PARTS if other == name
    )
    for name in _LANDMARK_CLASSES
}


def _landmarks(doc: Doc, entry: LexborNode) -> dict[str, LexborNode | None] | None:
    """The first match below `entry` of each landmark selector (and of `sel.SHORTENED`), from
    one query; None when the entry matches one itself (the chains then fall through, which
    their own queries reproduce).

    lexbor lists a node once for each selector of the list it matches, in a row; which ones
    it matched is read back from its tag and classes.
    """
    found: dict[str, LexborNode | None] = dict.fromkeys((*_LANDMARK_ITEMS, sel.SHORTENED))
    entry_id, last = entry.mem_id, -1
    for node in doc.find(_LANDMARK_QUERY, entry):
        node_id = node.mem_id
        if node_id == last:
            continue
        if node_id == entry_id:
            return None
        last = node_id
        value = node.attributes.get("class")
        if not value:
            continue
        tag = node.tag
        for name in doc.class_hits(node, value, _LANDMARK_CLASSES):
            for item, wanted_tag, shortens in _ITEMS_BY_CLASS[name]:
                if wanted_tag is None or wanted_tag == tag:
                    if found[item] is None:
                        found[item] = node
                    if shortens and found[sel.SHORTENED] is None:
                        found[sel.SHORTENED] = node
    return found


_FOOTER: Final = frozenset(("entry-footer",))


def _in_footer(node: LexborNode, entry: LexborNode) -> bool:
    entry_id = entry.mem_id
    current: LexborNode | None = node
    while current is not None and current.mem_id != entry_id:
        if current.tag == "footer" or has_class(current, _FOOTER):
            return True
        current = current.parent
    return False


def _entry_url(find: Finder, title: LexborNode | None, urls: Urls) -> str | None:
    """The title link, else the permalink paragraph's, else a bookmark/image/more link."""
    url = _href_in(find.doc, title, urls)
    if url:
        return url
    url = _href_in(find.doc, find.first((sel.PERMALINK,)), urls)  # looked up only when needed
    if url:
        return url
    for selector in sel.ENTRY_URL_FALLBACK:
        for node in find.all(selector):
            url = urls.resolve(node.attributes.get("href"))
            if url:
                return url
    return None


def _href_in(doc: Doc, holder: LexborNode | None, urls: Urls) -> str | None:
    """The link in a title or permalink paragraph (usually its only child), resolved."""
    if holder is None:
        return None
    for child in holder.iter():
        href = child.attributes.get("href") if child.tag == "a" else None
        if href:
            return urls.resolve(href)
    node = doc.first("a[href]", holder)
    return urls.resolve(node.attributes.get("href")) if node is not None else None


def _date(find: Finder, meta: LexborNode | None, times: list[LexborNode]) -> str | None:
    """Any `time` in the meta line (`times`), else the line's words, else a header time."""
    if meta is not None:
        found = _date_of(times) or date_from_text(_meta_text(meta))
        if found:
            return found
    return _date_of(find.all(sel.ENTRY_TIME))


# The meta line's times and first author name, asked in one query (each query costs lexbor a
# fresh CSS memory pool of its own).
_META_PARTS: Final = f"{sel.TIME}, {sel.AUTHOR[0]}"


def _meta_parts(
    find: Finder, meta: LexborNode | None
) -> tuple[list[LexborNode], LexborNode | None]:
    """The meta line's `time` elements and its first `.entry-author-name`, in one query.

    lexbor reports a node once for each selector of the list it matches, in a row: a `time`
    reported twice is an author name as well, and any node but a `time` is one.
    """
    if meta is None:
        return [], find.first(sel.AUTHOR[:1])
    if find.careful:
        return find.all(sel.TIME, meta), find.first(sel.AUTHOR[:1], meta)
    meta_id, last = meta.mem_id, -1
    times: list[LexborNode] = []
    author: LexborNode | None = None
    author_seen = False
    for node in find.doc.find(_META_PARTS, meta):
        node_id = node.mem_id
        if node.tag == sel.TIME and node_id != last:  # the time selector's report
            if node_id != meta_id:
                times.append(node)
        elif not author_seen:  # the author-name selector's first report
            author_seen = True
            author = node if node_id != meta_id else None
        last = node_id
    return times, author


def _date_of(nodes: Iterable[LexborNode]) -> str | None:
    """The first date: the `datetime` attribute (ISO) before the shown text."""
    for node in nodes:
        found = date_from_iso(node.attributes.get("datetime")) or date_from_text(node.text())
        if found:
            return found
    return None


_BY: Final = re.compile(r"(?:^|\s)(?:by|von)\s+", re.IGNORECASE)
_AFTER_NAME: Final = re.compile(r"\s*[|·•]")


def _author(find: Finder, meta: LexborNode | None, name_node: LexborNode | None) -> str | None:
    """`.entry-author-name` (`name_node`), else `.entry-author` without "by", else the words
    after by/von."""
    for index, selector in enumerate(sel.AUTHOR):
        node = find.first((selector,), meta) if index else name_node
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
        if sel.META_NOISE_CLASSES.isdisjoint(classes(child) if child.is_element_node else ())
    )
    return clean(" ".join(parts))
