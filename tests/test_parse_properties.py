"""Property tests: whatever the input, the parser raises nothing but `ParseError` and every
model it returns validates; the string helpers keep their invariants.

Profiles (deadline off): "dev" runs `HYPOTHESIS_MAX_EXAMPLES` (default 300) examples per
test, "ci" runs 500 per test (over 3,000 in all). `HYPOTHESIS_PROFILE` picks one; without it,
"ci" when the `CI` variable is set, else "dev". The profiles apply to this module's tests.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k360scrape.errors import ParseError
from k360scrape.models import ArchivePage, Entry
from k360scrape.parse import _simple_canonical, parse_archive_page, parse_single_page
from k360scrape.text import _clean_slow, clean, date_from_iso, date_from_text, split_contributor
from k360scrape.urls import canonicalize

_BASE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "dev", _BASE, max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "300"))
)
settings.register_profile("ci", _BASE, max_examples=500)
PROFILE = settings.get_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "tests" / "variants").glob("*.html")) + sorted(
    (ROOT / "fixtures" / "site").glob("*/programm/**/index.html")
)
URL = "https://www.kommune360.de/programm/tag/freitag/"


def parse_both(html: str) -> list[ArchivePage | Entry]:
    """Both parsers on `html`: their models, or nothing if the input is not HTML at all."""
    results: list[ArchivePage | Entry] = []
    failures: list[str] = []
    for parse in (parse_archive_page, parse_single_page):
        try:
            results.append(parse(html, URL))
        except ParseError as exc:
            failures.append(str(exc))
    # ParseError is allowed for input that is not HTML; never the internal safety net.
    assert not [message for message in failures if "internal parser error" in message], failures
    return results


def check_model(model: ArchivePage | Entry) -> None:
    """Round-trips through validation, and every text and URL keeps the contract."""
    assert type(model).model_validate(model.model_dump()) == model
    entries = model.entries if isinstance(model, ArchivePage) else (model,)
    for entry in entries:
        for text in (entry.title, entry.author, entry.label, entry.subtitle):
            assert text is None or (text and clean(text) == text)
        for paragraph in entry.description.split("\n\n") if entry.description else ():
            assert paragraph
            assert clean(paragraph) == paragraph
        for person in entry.contributors:
            assert person.name
            assert person.bio
            assert clean(person.bio) == person.bio
        for url in _urls(entry):
            assert url
            assert url == url.strip()
            assert "#" not in url or url.startswith(("mailto:", "tel:"))


def _urls(entry: Entry) -> list[str]:
    found = [entry.url] if entry.url else []
    found += [pdf.url for pdf in entry.pdfs] + [image.url for image in entry.images]
    return found + [link.url for link in entry.links]


# --- the parser never fails on bad input -----------------------------------------------


@PROFILE
@given(st.text())
def test_random_text(text: str) -> None:
    for model in parse_both(text):
        check_model(model)


@PROFILE
@given(st.binary(max_size=2000))
def test_random_bytes_decoded(data: bytes) -> None:
    for model in parse_both(data.decode("latin-1")):
        check_model(model)


_TAGS = ["article", "div", "p", "h2", "h3", "span", "a", "ul", "li", "figure", "strong"]
_TAGS += ["main", "header", "footer", "time", "img", "figcaption", "br", "object", "b", "table"]
_CLASSES = [
    "entry",
    "entry-title",
    "entry-title-link",
    "entry-meta",
    "entry-time",
    "entry-author",
    "entry-author-name",
    "entry-content",
    "entry-excerpt",
    "entry-permalink",
    "entry-footer",
    "more-link",
    "entry-more-link",
    "wp-block-file",
    "wp-block-file__button",
    "wp-block-image",
    "wp-caption",
    "wp-caption-text",
    "wp-block-buttons",
    "archive-title",
    "page-header-title",
    "archive-pagination",
    "pagination",
    "pagination-next",
    "active",
]
_HREFS = [
    "https://www.kommune360.de/a/b",
    "https://kommune360.de/x.pdf",
    "/rel/ative",
    "x.PDF?y=1#z",
    "#top",
    "mailto:a@b.de",
    "javascript:alert(1)",
    "http://[::1",
    "https://www.kommune360.de/%zz/%C3%BC ü",
    "",
    "   ",
    "//cdn.example.org/p.pdf",
    "https://www.kommune360.de/programm/tag/freitag/page/99999999999999999999/",
]
_TEXTS = [
    "Dokumentation",
    "Zu den Mitwirkenden",
    "Dr. Jane Doe (Uni X) forscht.",
    "11.01.2023 by Jane",
    "17. März 2023 von X",
    "\u00a0",
    "&nbsp;",
    "&#8211;",
    "&amp;",
    "[&hellip;]",
    "\u00ad\u200b",
    "Lu\u0301cia",
    "(",
    ")",
    "<",
    "&",
]


@st.composite
def tag_soup(draw: st.DrawFn) -> str:
    """Random markup from the site's vocabulary: classes, links, texts, unclosed tags."""
    parts = []
    for _ in range(draw(st.integers(0, 60))):
        choice = draw(st.integers(0, 4))
        if choice == 0:
            tag = draw(st.sampled_from(_TAGS))
            classes = " ".join(draw(st.lists(st.sampled_from(_CLASSES), max_size=3)))
            extra = draw(st.sampled_from(["", " download", ' aria-current="page"', " rel=next"]))
            href = draw(st.sampled_from(_HREFS))
            parts.append(
                f'<{tag} class="{classes}" href="{href}" src="{href}" data="{href}"{extra}>'
            )
        elif choice == 1:
            parts.append(f"</{draw(st.sampled_from(_TAGS))}>")
        elif choice == 2:
            parts.append(draw(st.sampled_from(_TEXTS)))
        elif choice == 3:
            parts.append(draw(st.text(max_size=20)))
        else:
            parts.append(f'<time datetime="{draw(st.text(max_size=12))}">')
    return "".join(parts)


@PROFILE
@given(tag_soup())
def test_tag_soup(html: str) -> None:
    for model in parse_both(html):
        check_model(model)


@st.composite
def mutated_page(draw: st.DrawFn) -> str:
    """A fixture or variant page with slices deleted, duplicated, truncated or replaced."""
    html = draw(st.sampled_from(PAGES)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        if not html:
            break
        start = draw(st.integers(0, len(html) - 1))
        end = draw(st.integers(start, min(len(html), start + 400)))
        operation = draw(st.sampled_from(["delete", "duplicate", "truncate", "insert"]))
        if operation == "delete":
            html = html[:start] + html[end:]
        elif operation == "duplicate":
            html = html[:end] + html[start:end] + html[end:]
        elif operation == "truncate":
            html = html[:start]
        else:
            html = (
                html[:start]
                + draw(st.sampled_from([*_TEXTS, "</div>", "<article>"]))
                + html[start:]
            )
    return html


@pytest.mark.skipif(not PAGES, reason="no pages to mutate")
@PROFILE
@given(mutated_page())
def test_mutated_pages(html: str) -> None:
    for model in parse_both(html):
        check_model(model)


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   \n\t",
        "\x00\x01\x02binary\xff" * 50,
        "%PDF-1.7\n%âãÏÓ\n1 0 obj",
        "no markup here",
        "<p>\ufffd\ufffd\ufffd</p>" * 100,  # bytes that were no UTF-8, decoded with "replace"
    ],
)
def test_not_html_raises_parse_error(html: str) -> None:
    with pytest.raises(ParseError):
        parse_archive_page(html, URL)
    with pytest.raises(ParseError):
        parse_single_page(html, URL)


def test_bytes_instead_of_text_raises_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_archive_page(b"<html></html>", URL)  # type: ignore[arg-type]


def test_lone_surrogates_are_survived() -> None:
    page = parse_archive_page(
        '<main><article class="entry"><h2 class="entry-title">A\ud800B</h2></article></main>', URL
    )
    check_model(page)
    title = page.entries[0].title or ""
    assert title.startswith("A")
    assert title.endswith("B")


def test_deep_nesting_does_not_recurse() -> None:
    html = '<main><article class="entry"><div class="entry-content">'
    html += "<div>" * 5000 + "<p>tief</p>" + "</div>" * 5000 + "</div></article></main>"
    assert parse_archive_page(html, URL).entries[0].description == "tief"


# --- the string helpers ----------------------------------------------------------------


@PROFILE
@given(st.text())
def test_clean_invariants(text: str) -> None:
    once = clean(text)
    assert once == _clean_slow(text)
    assert clean(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert not any(char.isspace() and char != " " for char in once)
    assert not any(char in once for char in "\u00ad\u200b\u200c\u200d\u2060\ufeff")
    assert unicodedata.is_normalized("NFC", once)
    assert once == " ".join(unicodedata.normalize("NFC", once).split())


@PROFILE
@given(st.text(alphabet=st.sampled_from([*"ab é\u0301\u00a0\u202f\t\n\u00ad\u200b\x00\x1c–"])))
def test_clean_fast_path_equals_the_plain_rule(text: str) -> None:
    assert clean(text) == _clean_slow(text)


@PROFILE
@given(st.text(), st.text())
def test_dates_never_fail_and_are_iso(text: str, value: str) -> None:
    for found in (date_from_text(text), date_from_iso(value)):
        assert found is None or (len(found) == 10 and found[4] == found[7] == "-")


@PROFILE
@given(st.text(), st.one_of(st.none(), st.text()))
def test_contributor_name_is_never_empty(bio: str, lead: str | None) -> None:
    name, affiliation = split_contributor(bio, lead)
    if clean(bio):
        assert name
        assert clean(bio).startswith(name) or lead is not None
    assert affiliation is None or affiliation == clean(affiliation)


_URL_PIECES = ["/.", "..", "//", "%C3%9C", "%c3", "%41", "%2F", "%7E", "%5F", "%2d", "%20"]
_URL_CHARS = st.sampled_from([*"abcXYZ019-._~!$&'()*+,;=:@/%#?ü[] ", *_URL_PIECES, "?paged=2"])


@PROFILE
@given(
    st.sampled_from(["https://", "http://", "HTTPS://", "https://www.", "ftp://"]),
    st.sampled_from(["kommune360.de", "www.kommune360.de", "Kommune360.de", "a.b", "x:8080"]),
    st.lists(_URL_CHARS, max_size=30).map("".join),
)
def test_fast_canonical_path_agrees_with_canonicalize(scheme: str, host: str, rest: str) -> None:
    url = f"{scheme}{host}/{rest}"
    twins = {"kommune360.de": "www.kommune360.de"}
    fast = _simple_canonical(url, twins)
    if fast is not None:
        assert fast == canonicalize(url, None, twins)
