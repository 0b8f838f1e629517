"""Charset choice for HTML bodies: BOM → header → <meta> → UTF-8 → windows-1252."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k360scrape.encoding import PRESCAN_BYTES, decode_html

TEXT = "Fürsorgetag „Lean Coffee“ – 5 €"
UTF8 = TEXT.encode("utf-8")
CP1252 = TEXT.encode("cp1252")


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        # the header wins over the document and over guessing
        (UTF8, "text/html; charset=UTF-8", TEXT),
        (UTF8, 'text/html; charset="utf-8"', TEXT),
        (CP1252, "text/html; charset=windows-1252", TEXT),
        # ISO-8859-1 and ASCII labels mean windows-1252, as in browsers
        (CP1252, "text/html; charset=ISO-8859-1", TEXT),
        (CP1252, "text/html; charset=us-ascii", TEXT),
        # <meta charset> and http-equiv, either quote style
        (
            b'<meta charset="iso-8859-1">' + CP1252,
            "text/html",
            '<meta charset="iso-8859-1">' + TEXT,
        ),
        (b"<META CHARSET=utf-8>" + UTF8, None, "<META CHARSET=utf-8>" + TEXT),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">' + CP1252,
            None,
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">' + TEXT,
        ),
        (
            b"<meta content='text/html; charset=ISO-8859-1' http-equiv='content-type'>" + CP1252,
            None,
            "<meta content='text/html; charset=ISO-8859-1' http-equiv='content-type'>" + TEXT,
        ),
        # a <meta> claiming UTF-16 in an ASCII-compatible document means UTF-8
        (b'<meta charset="utf-16">' + UTF8, None, '<meta charset="utf-16">' + TEXT),
        # no declaration: UTF-8 when it decodes, else windows-1252
        (UTF8, None, TEXT),
        (CP1252, "text/html", TEXT),
        # unknown or non-text labels are skipped, not fatal
        (UTF8, "text/html; charset=klingon", TEXT),
        (UTF8, "text/html; charset=base64", TEXT),
        (b"<meta charset=hex>" + UTF8, None, "<meta charset=hex>" + TEXT),
        # a byte-order mark beats everything
        (b"\xef\xbb\xbf" + UTF8, "text/html; charset=windows-1252", TEXT),
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "text/html; charset=utf-8", TEXT),
        # a wrong header still never raises
        (CP1252, "text/html; charset=utf-8", CP1252.decode("utf-8", errors="replace")),
        (b"", None, ""),
    ],
)
def test_decode_html(body: bytes, content_type: str | None, expected: str) -> None:
    assert decode_html(body, content_type) == expected


def test_meta_after_the_prescan_window_is_ignored() -> None:
    body = b" " * PRESCAN_BYTES + b'<meta charset="windows-1252">' + CP1252
    assert decode_html(body, None).endswith(TEXT)  # found by the cp1252 fallback instead
    utf8 = b" " * PRESCAN_BYTES + b'<meta charset="windows-1252">' + UTF8
    assert decode_html(utf8, None).endswith(TEXT)  # the late meta does not override UTF-8


@given(st.binary(max_size=200), st.one_of(st.none(), st.text(max_size=40)))
def test_decode_html_never_raises(body: bytes, content_type: str | None) -> None:
    assert isinstance(decode_html(body, content_type), str)
