"""URL canonicalisation, archive pagination helpers and the crawl `Scope`; pure, no I/O.

The site is reachable as `www.kommune360.de` and as bare `kommune360.de`, links come with and
without trailing slashes, and upload names appear both raw (`Übersicht.pdf`) and
percent-encoded (`%C3%9Cbersicht.pdf`). `canonicalize()` folds all of these into one spelling so
that de-duplication and change reports compare like with like.

>>> canonicalize("HTTPS://Kommune360.de:443/programm/tag/freitag#top",
...              host_map={"kommune360.de": "www.kommune360.de"})
'https://www.kommune360.de/programm/tag/freitag/'
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Final
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit, urlunsplit

from k360scrape.errors import UsageError

WEB_SCHEMES: Final = frozenset({"http", "https"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
# RFC 3986 §2.3: these are the only characters whose percent-encoding is decoded.
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Unreserved and reserved characters (gen-delims + sub-delims) as a regex class; reserved
# ones keep whatever form they were written in, because decoding `%2F` or `%26` would change
# what the URL means.
_ALLOWED: Final = r"A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;="
# What normalize_percent() changes: a character outside both sets, a "%" without two
# upper-case hex digits after it, or the escape of an unreserved character.
_UNRESERVED_ESCAPE: Final = r"%(?:3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE]|2[DE])"
_NEEDS_WORK: Final = re.compile(rf"[^{_ALLOWED}%]|%(?![0-9A-F]{{2}})|{_UNRESERVED_ESCAPE}")
# The pieces it rewrites: an escape, a run of characters to encode, or a lone "%".
_PIECE: Final = re.compile(rf"%([0-9A-Fa-f]{{2}})|[^{_ALLOWED}%]+|%")
_PASTED_WHITESPACE: Final = re.compile(r"[\t\r\n]")
_PAGE_SUFFIX: Final = re.compile(r"/page/(\d+)/?$")
_WWW: Final = "www."


def canonicalize(
    url: str, base: str | None = None, host_map: Mapping[str, str] | None = None
) -> str:
    """Return the one spelling of `url` used for de-duplication (see the module docstring).

    Resolves against `base`, lowercases scheme and host, maps the host through `host_map`,
    drops a default port and the fragment, normalises percent-encoding and ends
    directory-like paths with "/". The query keeps its order. URLs that are not http(s)
    (mailto:, tel:, javascript:) come back unchanged apart from trimming.
    """
    trimmed = _trim(url)
    resolved = urljoin(base, trimmed) if base else trimmed
    try:
        parts = urlsplit(resolved)
    except ValueError:  # e.g. an unbalanced IPv6 bracket: nothing sensible to normalise
        return trimmed
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES:
        return trimmed
    netloc = _netloc(scheme, parts.netloc, host_map or {})
    path = _directory_slash(_remove_dot_segments(normalize_percent(parts.path)))
    return urlunsplit((scheme, netloc, path, normalize_percent(parts.query), ""))


def _trim(url: str) -> str:
    # Browsers drop tabs and newlines anywhere in a URL; copy-pasted hrefs contain them.
    return _PASTED_WHITESPACE.sub("", url).strip()


def _netloc(scheme: str, netloc: str, host_map: Mapping[str, str]) -> str:
    userinfo, _, hostport = netloc.rpartition("@")
    host, port = _split_port(hostport.lower())
    host = host.rstrip(".")  # "example.org." is the same host as "example.org"
    host = host_map.get(host, host)
    if port is not None and port != str(_DEFAULT_PORTS[scheme]):
        host = f"{host}:{port}"
    return f"{userinfo}@{host}" if userinfo else host


def _split_port(hostport: str) -> tuple[str, str | None]:
    if hostport.startswith("["):  # IPv6 literal: the port follows the closing bracket
        end = hostport.find("]")
        rest = hostport[end + 1 :]
        return hostport[: end + 1], rest[1:] if rest.startswith(":") else None
    host, sep, port = hostport.partition(":")
    return host, (port or None) if sep else None


def normalize_percent(component: str) -> str:
    """Percent-encode a path or query the one way: UTF-8, upper-case hex, unreserved decoded.

    >>> normalize_percent("/Übersicht%2fa b%7e%c3%bc")
    '/%C3%9Cbersicht%2Fa%20b~%C3%BC'
    """
    if percent_is_canonical(component):  # most are: one regex scan, no copy
        return component
    return _PIECE.sub(_normalize_piece, component)


def percent_is_canonical(component: str) -> bool:
    """`normalize_percent()` would give `component` back unchanged."""
    return _NEEDS_WORK.search(component) is None


def _normalize_piece(match: re.Match[str]) -> str:
    hex_digits = match.group(1)
    if hex_digits is not None:
        char = chr(int(hex_digits, 16))
        return char if char in _UNRESERVED else f"%{hex_digits.upper()}"
    # A run of characters to encode; a lone "%" (no two hex digits after it) is one of them.
    data = match.group().encode("utf-8", errors="surrogatepass")
    return "".join(f"%{byte:02X}" for byte in data)


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 §5.2.4, needed because absolute hrefs are never resolved through urljoin.
    if "." not in path:
        return path or "/"
    output: list[str] = []
    segments = path.split("/")
    for segment in segments[1:] if path.startswith("/") else segments:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if segments[-1] in {".", ".."}:
        output.append("")  # "/a/b/.." names the directory "/a/"
    return "/" + "/".join(output)


def _directory_slash(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    # WordPress permalinks end in "/"; a last segment without a dot is such a permalink,
    # one with a dot is a file (".pdf", "robots.txt") and must not get a slash.
    if last and "." not in last:
        return path + "/"
    return path


def post_id(url: str) -> str:
    """The last non-empty path segment, percent-decoded; "" for the site root.

    >>> post_id("https://www.kommune360.de/programm/event/lasst-uns-spielen-das-spiel/")
    'lasst-uns-spielen-das-spiel'
    """
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    return unquote(segments[-1]) if segments else ""


def archive_page_number(url: str) -> int:
    """The page of an archive URL: `/page/N/` or `?paged=N` gives N, anything else 1."""
    parts = urlsplit(url)
    match = _PAGE_SUFFIX.search(parts.path)
    if match:
        return max(1, int(match.group(1)))
    for key, value in parse_qsl(parts.query):
        if key == "paged" and value.isdigit():
            return max(1, int(value))
    return 1


def archive_root(url: str) -> str:
    """Page 1 of the archive that `url` is a page of (strips `/page/N/` and `paged=N`)."""
    parts = urlsplit(url)
    path = _PAGE_SUFFIX.sub("/", parts.path)
    path = path if path.endswith("/") else path + "/"
    # Filter the raw "k=v" pairs so the rest of the query keeps its spelling and order.
    pairs = [pair for pair in parts.query.split("&") if pair and pair.split("=", 1)[0] != "paged"]
    return urlunsplit((parts.scheme, parts.netloc, path, "&".join(pairs), parts.fragment))


def is_pdf_url(url: str) -> bool:
    """The URL's path names a `.pdf` file (case-insensitive; the query is ignored)."""
    return unquote(urlsplit(url).path).lower().endswith(".pdf")


class Scope:
    """The hosts a crawl may touch: the start URLs' hosts, their www/bare twins, extra hosts.

    Only http and https are in scope. Ports are not compared: the host decides.
    """

    def __init__(self, start_urls: Sequence[str], extra_hosts: Sequence[str] = ()) -> None:
        if not start_urls:
            raise UsageError("at least one start URL is needed")
        self._host_map: dict[str, str] = {}
        for url in start_urls:
            host = _start_host(url)
            for variant in _host_variants(host):
                self._host_map.setdefault(variant, host)
        self._hosts = frozenset(self._host_map) | {_extra_host(h) for h in extra_hosts}

    @property
    def host_map(self) -> Mapping[str, str]:
        """Every www/bare variant of a start host → that host as the start URL spells it."""
        return dict(self._host_map)

    @property
    def hosts(self) -> frozenset[str]:
        return self._hosts

    def allows(self, url: str) -> bool:
        """`url` is http(s) and its host is in scope."""
        try:
            parts = urlsplit(url.strip())
            host = (parts.hostname or "").rstrip(".")
        except ValueError:
            return False
        return parts.scheme.lower() in WEB_SCHEMES and host in self._hosts


def _start_host(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise UsageError(f"start URL {url!r} is malformed") from None
    if parts.scheme.lower() not in WEB_SCHEMES or not host:
        raise UsageError(f"start URL {url!r} must be an absolute http:// or https:// URL")
    if not _valid_host(host):
        raise UsageError(f"start URL {url!r} has an invalid host name {host!r}")
    return host


# Dot-separated labels of letters (IDN included), digits, "-" and "_": anything else in a
# host (spaces, "%", quotes, "<") cannot be looked up and would fail only at fetch time.
_LABEL: Final = r"[^\W_](?:[\w-]*[^\W_])?"
_HOST_NAME: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return _HOST_NAME.fullmatch(host) is not None
    return True


def _host_variants(host: str) -> tuple[str, ...]:
    if _is_ip_or_single_label(host):
        return (host,)  # "www.127.0.0.1" or "www.localhost" is nobody's twin
    if host.startswith(_WWW):
        return (host, host.removeprefix(_WWW))
    return (host, _WWW + host)


def _is_ip_or_single_label(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return "." not in host
    return True


def _extra_host(value: str) -> str:
    # Accept "cdn.example.org" as well as a pasted "https://cdn.example.org/".
    text = value.strip().lower()
    host = urlsplit(text).hostname if "://" in text else text.split("/", 1)[0].split(":", 1)[0]
    if not host:
        raise UsageError(f"allowed host {value!r} is not a host name")
    return host.rstrip(".")
