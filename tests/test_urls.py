"""URL canonicalisation, archive helpers and the crawl scope (table-driven, pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k360scrape.errors import UsageError
from k360scrape.urls import (
    Scope,
    archive_page_number,
    archive_root,
    canonicalize,
    is_pdf_url,
    normalize_percent,
    post_id,
)

WWW = "https://www.kommune360.de"
HOSTS = {"kommune360.de": "www.kommune360.de", "www.kommune360.de": "www.kommune360.de"}
UPLOAD = f"{WWW}/wp-content/uploads/2019/04/%C3%9Cbersicht-F%C3%B6rderung.pdf"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # A1: both hosts and both slash forms of one post fold into one spelling
        (f"{WWW}/lean-coffee/", f"{WWW}/lean-coffee/"),
        ("https://kommune360.de/lean-coffee", f"{WWW}/lean-coffee/"),
        ("HTTPS://KOMMUNE360.DE/programm/tag/freitag", f"{WWW}/programm/tag/freitag/"),
        ("https://kommune360.de", f"{WWW}/"),
        ("https://kommune360.de.", f"{WWW}/"),
        # default ports and fragments go, other ports stay
        ("https://www.kommune360.de:443/a/", f"{WWW}/a/"),
        ("http://www.kommune360.de:80/a/", "http://www.kommune360.de/a/"),
        ("https://www.kommune360.de:8443/a/", "https://www.kommune360.de:8443/a/"),
        (f"{WWW}/programm/event/x/#comments", f"{WWW}/programm/event/x/"),
        (f"{WWW}/programm/event/x#", f"{WWW}/programm/event/x/"),
        # files keep their name: no slash after a dot segment
        (f"{WWW}/robots.txt", f"{WWW}/robots.txt"),
        (
            f"{WWW}/wp-content/uploads/2022/12/Poster-Inklusion_IKPE.pdf",
            f"{WWW}/wp-content/uploads/2022/12/Poster-Inklusion_IKPE.pdf",
        ),
        # B6d: raw umlauts, lower-case escapes and upper-case escapes are one URL
        (f"{WWW}/wp-content/uploads/2019/04/Übersicht-Förderung.pdf", UPLOAD),
        (f"{WWW}/wp-content/uploads/2019/04/%c3%9cbersicht-F%c3%b6rderung.pdf", UPLOAD),
        (UPLOAD, UPLOAD),
        (f"{WWW}/wp-content/uploads/2019/04/%C3%9Cbersicht%2DF%C3%B6rderung.pdf", UPLOAD),
        (
            f"{WWW}/uploads/Faktenquiz Thüringen.pdf",
            f"{WWW}/uploads/Faktenquiz%20Th%C3%BCringen.pdf",
        ),
        # unreserved escapes decode, reserved ones stay encoded, a stray % is encoded
        (f"{WWW}/%7Euser/%41b/", f"{WWW}/~user/Ab/"),
        (f"{WWW}/a%2Fb/", f"{WWW}/a%2Fb/"),
        (f"{WWW}/100%/", f"{WWW}/100%25/"),
        # the query keeps its order and reserved characters
        (f"{WWW}/?s=b&a=1", f"{WWW}/?s=b&a=1"),
        (f"{WWW}/programm/tag/freitag?paged=2", f"{WWW}/programm/tag/freitag/?paged=2"),
        (f"{WWW}/?q=a+b%2Bc&x=%e4", f"{WWW}/?q=a+b%2Bc&x=%E4"),
        # dot segments
        (f"{WWW}/a/./b/../c", f"{WWW}/a/c/"),
        (f"{WWW}/a/b/..", f"{WWW}/a/"),
        # whitespace that editors paste into hrefs
        (f"  {WWW}/a\n/b \t", f"{WWW}/a/b/"),
        # not http(s): unchanged apart from trimming
        ("  mailto:festival@kommune360.de ", "mailto:festival@kommune360.de"),
        ("tel:+49301234", "tel:+49301234"),
        ("javascript:void(0)", "javascript:void(0)"),
    ],
)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url, host_map=HOSTS) == expected


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("../donnerstag", f"{WWW}/programm/tag/donnerstag/"),
        ("/programm/event/x", f"{WWW}/programm/event/x/"),
        ("//kommune360.de/a", f"{WWW}/a/"),
        ("page/2/", f"{WWW}/programm/tag/freitag/page/2/"),
        ("#top", f"{WWW}/programm/tag/freitag/"),
        ("mailto:festival@kommune360.de", "mailto:festival@kommune360.de"),
    ],
)
def test_canonicalize_resolves_against_base(href: str, expected: str) -> None:
    base = "https://kommune360.de/programm/tag/freitag/"
    assert canonicalize(href, base=base, host_map=HOSTS) == expected


def test_canonicalize_without_host_map_keeps_host() -> None:
    assert canonicalize("https://Kommune360.de/a") == "https://kommune360.de/a/"


@given(st.text(max_size=40))
def test_canonicalize_is_idempotent(path: str) -> None:
    once = canonicalize(f"{WWW}/{path}", host_map=HOSTS)
    assert canonicalize(once, host_map=HOSTS) == once


@given(st.text(max_size=30))
def test_normalize_percent_output_is_ascii_and_stable(text: str) -> None:
    once = normalize_percent(text)
    assert once.isascii()
    assert normalize_percent(once) == once


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{WWW}/programm/event/lasst-uns-spielen-das-spiel/", "lasst-uns-spielen-das-spiel"),
        ("https://kommune360.de/programm/event/x-2", "x-2"),
        (f"{WWW}/programm/event/f%C3%BCr-alle/?a=1", "für-alle"),
        (f"{WWW}/", ""),
        (WWW, ""),
    ],
)
def test_post_id(url: str, expected: str) -> None:
    assert post_id(url) == expected


@pytest.mark.parametrize(
    ("url", "number", "root"),
    [
        (f"{WWW}/programm/tag/freitag/", 1, f"{WWW}/programm/tag/freitag/"),
        (f"{WWW}/programm/tag/freitag/page/2/", 2, f"{WWW}/programm/tag/freitag/"),
        (f"{WWW}/programm/tag/freitag/page/12", 12, f"{WWW}/programm/tag/freitag/"),
        (f"{WWW}/programm/tag/freitag/?paged=3", 3, f"{WWW}/programm/tag/freitag/"),
        (f"{WWW}/programm/tag/freitag/?a=1&paged=3&b", 3, f"{WWW}/programm/tag/freitag/?a=1&b"),
        (f"{WWW}/programm/tag/freitag/page/0/", 1, f"{WWW}/programm/tag/freitag/"),
        (f"{WWW}/page/about/", 1, f"{WWW}/page/about/"),
    ],
)
def test_archive_page_number_and_root(url: str, number: int, root: str) -> None:
    assert archive_page_number(url) == number
    assert archive_root(url) == root


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{WWW}/wp-content/uploads/2022/12/a.pdf", True),
        (f"{WWW}/wp-content/uploads/2022/12/A.PDF?ver=2", True),
        (f"{WWW}/wp-content/uploads/2022/12/a%2Epdf", True),
        (f"{WWW}/a.pdf/", False),
        (f"{WWW}/?file=a.pdf", False),
        (f"{WWW}/programm/event/pdf/", False),
    ],
)
def test_is_pdf_url(url: str, expected: bool) -> None:
    assert is_pdf_url(url) is expected


def test_scope_adds_www_and_bare_twins() -> None:
    scope = Scope([f"{WWW}/programm/tag/freitag/"])
    assert scope.allows("https://kommune360.de/programm/event/x")
    assert scope.allows("http://WWW.kommune360.de/a")
    assert not scope.allows("https://evil.example/a")
    assert not scope.allows("https://sub.kommune360.de/a")
    assert not scope.allows("ftp://www.kommune360.de/a")
    assert not scope.allows("mailto:festival@kommune360.de")
    assert not scope.allows("http://[::1/")


def test_scope_host_map_uses_start_url_spelling() -> None:
    assert Scope(["https://kommune360.de/x/"]).host_map == {
        "kommune360.de": "kommune360.de",
        "www.kommune360.de": "kommune360.de",
    }
    assert Scope([f"{WWW}/x/", "https://kommune360.de/y/"]).host_map == HOSTS


def test_scope_extra_hosts_and_ip_start_urls() -> None:
    scope = Scope(["http://127.0.0.1:8765/programm/"], extra_hosts=["https://cdn.example.org/"])
    assert scope.allows("http://127.0.0.1:8765/a")
    assert scope.allows("https://cdn.example.org/f.pdf")
    assert not scope.allows("https://www.cdn.example.org/f.pdf")
    assert scope.host_map == {"127.0.0.1": "127.0.0.1"}


@pytest.mark.parametrize(
    "start",
    ["ftp://www.kommune360.de/", "www.kommune360.de/programm/", "https:///x", "http://a:b/"],
)
def test_scope_rejects_bad_start_urls(start: str) -> None:
    with pytest.raises(UsageError, match="start URL") as info:
        Scope([start])
    assert "\n" not in str(info.value)


def test_scope_needs_a_start_url() -> None:
    with pytest.raises(UsageError):
        Scope([])
