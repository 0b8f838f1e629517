"""Bytes → text for HTML responses, choosing the charset the way browsers do; pure.

Order: byte-order mark → `charset` of the Content-Type header → `<meta charset>` or
`<meta http-equiv="Content-Type">` in the first 2 KiB → UTF-8 if the bytes are valid UTF-8 →
windows-1252. As in the WHATWG Encoding Standard, ISO-8859-1 and US-ASCII labels mean
windows-1252 (old German pages say "iso-8859-1" and then use „ and “ from 0x84/0x93), and a
`<meta>` that claims UTF-16 means UTF-8 (the bytes being parsed as ASCII prove it is not 16-bit).
"""

from __future__ import annotations

import codecs
import re

PRESCAN_BYTES = 2048
_FALLBACK = "cp1252"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';,\s]+)""", re.IGNORECASE)
# `<meta charset="x">` or `<meta http-equiv=... content="text/html; charset=x">`; either
# attribute order. Bytes regex: the document's encoding is what we are trying to find.
_META = re.compile(rb"<meta\b[^>]*?>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_LATIN1_NAMES = frozenset({"latin-1", "iso8859-1", "ascii"})


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode an HTML body; never raises (undecodable bytes become U+FFFD)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    declared = _codec(_header_charset(content_type)) or _meta_codec(body[:PRESCAN_BYTES])
    if declared:
        return body.decode(declared, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode(_FALLBACK, errors="replace")


def _header_charset(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _meta_codec(head: bytes) -> str | None:
    for tag in _META.finditer(head):
        match = _META_CHARSET.search(tag.group(0))
        codec = _codec(match.group(1).decode("ascii")) if match else None
        if codec:
            return "utf-8" if codec.startswith("utf-16") else codec
    return None


def _codec(label: str | None) -> str | None:
    """Python codec name for a charset label, with the browsers' aliases; None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
        # Rejects bytes-to-bytes codecs such as "hex" or "base64" (empty input is not checked).
        b"x".decode(name, errors="replace")
    except (LookupError, ValueError):
        return None
    return _FALLBACK if name in _LATIN1_NAMES else name
