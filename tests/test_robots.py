"""RFC 9309 status handling and group matching of `RobotsRules` (pure)."""

from __future__ import annotations

import pytest

from k360scrape.robots import MAX_ROBOTS_BYTES, RULES_TTL, RobotsRules

TOKEN = "k360scrape"
SITE = "https://www.kommune360.de"
WORDPRESS = b"""User-agent: *
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php

Sitemap: https://kommune360.de/wp-sitemap.xml
"""


def rules(status: int | None, body: bytes = b"", detail: str = "") -> RobotsRules:
    """Rules fetched at t=100 s on the monotonic clock, re-asked 300 s after a failure."""
    return RobotsRules.from_response(
        status, body, TOKEN, fetched_at_monotonic=100.0, retry_after=300.0, detail=detail
    )


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/programm/tag/freitag/", True),
        ("/wp-admin/", False),
        ("/wp-admin/options.php", False),
        ("/wp-admin/admin-ajax.php", True),
        ("/robots.txt", True),
    ],
)
def test_wordpress_default_file(path: str, allowed: bool) -> None:
    assert rules(200, WORDPRESS).allowed(SITE + path) is allowed


def test_own_group_beats_star() -> None:
    body = b"User-agent: *\nDisallow: /\n\nUser-agent: K360Scrape\nDisallow: /wp-admin/\n"
    parsed = rules(200, body)
    assert parsed.allowed(f"{SITE}/programm/tag/freitag/")
    assert not parsed.allowed(f"{SITE}/wp-admin/")
    assert "'k360scrape' group" in parsed.reason


def test_own_group_can_forbid_what_star_allows() -> None:
    body = b"User-agent: *\nAllow: /\n\nUser-agent: k360scrape\nDisallow: /programm/\n"
    assert not rules(200, body).allowed(f"{SITE}/programm/tag/freitag/")


@pytest.mark.parametrize("name", ["k360", "scrape", "k360scrape-pro", "otherbot"])
def test_other_groups_do_not_apply(name: str) -> None:
    # protego alone would let a "k360" group match "k360scrape" (protego#65 territory)
    body = f"User-agent: {name}\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n".encode()
    parsed = rules(200, body)
    assert parsed.allowed(f"{SITE}/programm/")
    assert not parsed.allowed(f"{SITE}/private/x")


def test_no_matching_group_allows_all() -> None:
    assert rules(200, b"User-agent: googlebot\nDisallow: /\n").allowed(f"{SITE}/a/")


def test_blog_not_public_disallows_all() -> None:
    parsed = rules(200, b"User-agent: *\nDisallow: /\n")
    assert not parsed.allowed(f"{SITE}/programm/tag/freitag/")
    assert not parsed.disallow_all  # parsed rules, not the 5xx fallback


def test_bom_and_bad_bytes_do_not_lose_rules() -> None:
    body = b"\xef\xbb\xbfUser-agent: *\n# caf\xe9\nDisallow: /x/\n"
    assert not rules(200, body).allowed(f"{SITE}/x/y")


def test_only_the_first_500_kib_are_parsed() -> None:
    padding = b"# " + b"x" * (MAX_ROBOTS_BYTES) + b"\n"
    body = b"User-agent: *\nDisallow: /early/\n" + padding + b"Disallow: /late/\n"
    parsed = rules(200, body)
    assert not parsed.allowed(f"{SITE}/early/")
    assert parsed.allowed(f"{SITE}/late/")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
def test_4xx_allows_all(status: int) -> None:
    parsed = rules(status, b"<html>Forbidden</html>")
    assert parsed.allowed(f"{SITE}/anything/")
    assert not parsed.disallow_all
    assert parsed.expires_at == 100.0 + RULES_TTL
    assert parsed.reason == f"robots.txt answered {status}; allowing all"


@pytest.mark.parametrize("status", [500, 502, 503, 429, 302, 199])
def test_server_errors_disallow_all_until_expiry(status: int) -> None:
    parsed = rules(status, b"User-agent: *\nAllow: /\n")  # a body on an error page is ignored
    assert parsed.disallow_all
    assert not parsed.allowed(f"{SITE}/programm/")
    assert not parsed.expired(399.9)
    assert parsed.expired(400.0)
    assert parsed.reason.startswith(f"robots.txt answered {status}; disallowing all until")
    assert "300 s" in parsed.reason


def test_no_answer_disallows_all_with_detail() -> None:
    parsed = rules(None, detail="ConnectTimeout: timed out")
    assert not parsed.allowed(f"{SITE}/")
    assert parsed.expires_at == 400.0
    assert parsed.reason == (
        "robots.txt could not be fetched (ConnectTimeout: timed out); "
        "disallowing all until it is asked again in 300 s"
    )


def test_parsed_rules_expire_after_a_day() -> None:
    parsed = rules(200, WORDPRESS)
    assert not parsed.expired(100.0 + RULES_TTL - 1)
    assert parsed.expired(100.0 + RULES_TTL)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"User-agent: *\nCrawl-delay: 5\n", 5.0),
        (b"User-agent: k360scrape\nCrawl-delay: 7.5\n\nUser-agent: *\nCrawl-delay: 2\n", 7.5),
        # our group without its own Crawl-delay: the `*` delay still applies (politer)
        (b"User-agent: k360scrape\nDisallow: /x/\n\nUser-agent: *\nCrawl-delay: 2\n", 2.0),
        (b"User-agent: k360\nCrawl-delay: 9\n", None),
        (b"User-agent: *\nCrawl-delay: soon\n", None),
        (b"User-agent: *\nDisallow:\n", None),
    ],
)
def test_crawl_delay(body: bytes, expected: float | None) -> None:
    assert rules(200, body).crawl_delay() == expected


def test_error_answers_have_no_crawl_delay() -> None:
    assert rules(404).crawl_delay() is None
    assert rules(503).crawl_delay() is None


def test_allow_all_never_expires() -> None:
    parsed = RobotsRules.allow_all()
    assert parsed.allowed(f"{SITE}/wp-admin/")
    assert not parsed.expired(1e12)
