"""Hrefs → canonical URLs, resolved against the page or its `<base>`; pure string logic.

`Urls` memoises per page. Most hrefs on a WordPress page are plain absolute URLs already in
canonical form, and `simple_canonical()` gives `canonicalize()`'s result for those with one
regex match instead of a full parse (tests/test_parse_properties.py checks that both agree).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit

from k360scrape.text import clean
from k360scrape.urls import canonicalize, percent_is_canonical

# A plain absolute URL: http(s), lower-case host and maybe a port, path and query of canonical
# characters (single character classes, so the match is a fast scan; "%" escapes are checked
# apart, and only when there is a "%"), then any fragment.
_CANONICAL_LOOKING: Final = re.compile(
    r"((https?)://([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::([0-9]+))?"
    r"(/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*)"
    r"(?:\?([A-Za-z0-9._~!$&'()*+,;=:@/?%-]+))?)(?:#.*)?",
    re.DOTALL,
)
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}
_IGNORED_SCHEMES: Final = ("javascript:", "data:", "about:", "blob:")
KEPT_SCHEMES: Final = ("mailto:", "tel:")
_WWW: Final = "www."


class Urls:
    """Resolves hrefs into canonical URLs: against the page (or its `<base>`), with the page
    host's www/bare twin mapped to the page's spelling (the site answers on both), memoised.
    """

    def __init__(self, page_url: str, base_href: str | None = None) -> None:
        self.host_map = _twin_map(page_url)
        self._memo: dict[str, str | None] = {}
        self.base: str | None = None
        self.page = self._canonical(page_url) or page_url
        self.base = (self._canonical(base_href) if base_href else None) or self.page

    def resolve(self, href: str | None) -> str | None:
        if href is None:
            return None
        memo = self._memo
        if href in memo:
            return memo[href]
        # Most hrefs are plain absolute URLs, for which the checks of _canonical() pass.
        url = memo[href] = simple_canonical(href, self.host_map) or self._canonical(href)
        return url

    def _canonical(self, href: str) -> str | None:
        href = href.strip()
        lowered = href[:12].lower()
        if not href or href.startswith("#") or lowered.startswith(_IGNORED_SCHEMES):
            return None  # same-page anchors and scripts are not links to anything
        if lowered.startswith(KEPT_SCHEMES):
            return href
        return simple_canonical(href, self.host_map) or _full_canonical(
            href, self.base, self.host_map
        )


def _twin_map(page_url: str) -> dict[str, str]:
    try:
        host = (urlsplit(page_url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return {}
    if "." not in host or host.replace(".", "").isdigit() or ":" in host:
        return {}  # an IP address or a single-label host has no www twin
    twin = host.removeprefix(_WWW) if host.startswith(_WWW) else _WWW + host
    return {twin: host}


def simple_canonical(href: str, host_map: dict[str, str]) -> str | None:
    """`canonicalize()`'s result for a plain absolute URL, without its per-character work.

    Drops the fragment, maps the host, adds the directory slash; anything less plain
    returns None.
    """
    match = _CANONICAL_LOOKING.fullmatch(href)
    if match is None:
        return None
    url, scheme, host, port, path, query = match.groups()
    if "/." in url or ("%" in url and not percent_is_canonical(url)):
        return None  # dot segments, or escapes canonicalize() would rewrite
    last = path.rsplit("/", 1)[1]
    if last and "." not in last:
        path += "/"
    host = host_map.get(host, host)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"  # the local test server's, a staging site's
    return f"{scheme}://{host}{path}?{query}" if query else f"{scheme}://{host}{path}"


def _full_canonical(href: str, base: str | None, host_map: dict[str, str]) -> str | None:
    try:
        return canonicalize(href, base, host_map)
    except ValueError:  # unparseable (e.g. a broken IPv6 literal): not a usable link
        return None


def is_pdf(url: str) -> bool:
    return not url.startswith(KEPT_SCHEMES) and url.split("?", 1)[0].lower().endswith(".pdf")


def file_name(url: str) -> str:
    return clean(unquote(url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]))
