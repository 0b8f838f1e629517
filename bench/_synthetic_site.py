"""A synthetic day archive served from memory on 127.0.0.1, fast enough not to be measured.

    with SyntheticSite(pages=200, mode="excerpt") as site:
        run_crawler(site.start_url)
        print(site.stats())

The archive has `pages` pages of `entries` entries each, cut from the fixture site's markup:

- mode "full": Freitag's Genesis-core pages, each entry in full on the archive page, so a
  crawl fetches robots.txt and the archive pages only;
- mode "excerpt": Mittwoch's Mai Engine pages, each entry an excerpt, so a crawl also fetches
  every entry's single post page (`/programm/event/<slug>-<page>-<position>/`).

Pages are rendered on request from templates (no whole-archive copy in memory) with a
WordPress numeric pagination block, ETag and Last-Modified (so a second crawl can be
answered with 304), and the fixture robots.txt. The server is a small asyncio protocol in its
own process (its own core and GIL), HTTP/1.1 keep-alive, TCP_NODELAY; it is bounded by a
request budget and a deadline, after which it answers 503 and closes connections.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import socket
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from bench._pages import FIXTURE_SITE

Mode = Literal["full", "excerpt"]
HOSTS = ("https://www.kommune360.de", "https://kommune360.de", "http://www.kommune360.de")
SITE_HOST = "www.kommune360.de"
LAST_MODIFIED = "Fri, 09 Dec 2022 10:00:00 GMT"
_SLUG_MARK = "\x00SLUG\x00"
_ARTICLE = re.compile(r"<article\b.*?</article>", re.DOTALL)
_PAGINATION = re.compile(r"<div class=\"archive-pagination.*?</ul>\s*</div>\s*</div>\n?", re.DOTALL)
_EVENT = re.compile(r"/programm/event/([^/\"'#?]+)/")
_SYNTHETIC_SLUG = re.compile(r"^/programm/event/(.+)-(\d+)-(\d+)/$")
_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    # mode: (page whose chrome is used, pages whose articles are cycled)
    "full": ("freitag", ("freitag", "freitag/page/2")),
    "excerpt": ("mittwoch", ("mittwoch",)),
}


# --- templates -------------------------------------------------------------------------


@dataclass(frozen=True)
class Templates:
    day: str
    head: str
    tail: str  # with "{pagination}" where the block goes
    articles: tuple[tuple[str, str], ...]  # (markup with _SLUG_MARK, base slug)
    singles: dict[str, str]  # base slug → single page markup with _SLUG_MARK
    robots: str


def _rewrite_hosts(text: str, origin: str) -> str:
    for host in HOSTS:
        text = text.replace(host, origin)
    return text


def _archive_file(site: Path, day_path: str) -> str:
    path = site / SITE_HOST / "programm" / "tag" / day_path / "index.html"
    return path.read_text(encoding="utf-8")


def _marked(markup: str) -> tuple[str, str]:
    """The article with its (first) post slug replaced by the slug marker, and that slug."""
    match = _EVENT.search(markup)
    if match is None:
        raise ValueError("fixture article without a /programm/event/ permalink")
    slug = match.group(1)
    pattern = re.compile(rf"(?<=/programm/event/){re.escape(slug)}(?=/)")
    return pattern.sub(_SLUG_MARK, markup), slug


def _chrome(html: str) -> tuple[str, str]:
    first = _ARTICLE.search(html)
    last = list(_ARTICLE.finditer(html))[-1]
    if first is None:
        raise ValueError("fixture page without articles")
    tail = _PAGINATION.sub("", html[last.end() :]).replace("{", "{{").replace("}", "}}")
    return html[: first.start()], tail.replace("</main>", "{pagination}</main>", 1)


def load_templates(mode: Mode, origin: str, site: Path = FIXTURE_SITE) -> Templates:
    """The fixture markup for `mode`, with its hosts rewritten to `origin`."""
    chrome_day, article_days = _SOURCES[mode]
    head, tail = _chrome(_archive_file(site, chrome_day))
    articles = [
        _marked(m.group(0))
        for day in article_days
        for m in _ARTICLE.finditer(_archive_file(site, day))
    ]
    singles = {}
    for _, slug in articles:
        single = site / SITE_HOST / "programm" / "event" / slug / "index.html"
        if single.exists():
            text = single.read_text(encoding="utf-8")
            singles[slug] = text.replace(
                f"/programm/event/{slug}/", f"/programm/event/{_SLUG_MARK}/"
            )
    robots = (site / SITE_HOST / "robots.txt").read_text(encoding="utf-8")
    return Templates(
        day=chrome_day,
        head=_rewrite_hosts(head, origin),
        tail=_rewrite_hosts(tail, origin),
        articles=tuple((_rewrite_hosts(a, origin), slug) for a, slug in articles),
        singles={slug: _rewrite_hosts(s, origin) for slug, s in singles.items()},
        robots=_rewrite_hosts(robots, origin),
    )


# --- rendering -------------------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    """Renders every URL of the synthetic archive."""

    templates: Templates
    pages: int
    entries: int
    origin: str

    @property
    def root(self) -> str:
        return f"/programm/tag/{self.templates.day}/"

    def page_path(self, number: int) -> str:
        return self.root if number == 1 else f"{self.root}page/{number}/"

    def render(self, path: str) -> tuple[int, str, str]:
        """(status, content type, body) for a request path."""
        if path == "/robots.txt":
            return 200, "text/plain; charset=utf-8", self.templates.robots
        number = self._page_number(path)
        if number is not None:
            return 200, "text/html; charset=UTF-8", self.archive_page(number)
        single = self._single(path)
        if single is not None:
            return 200, "text/html; charset=UTF-8", single
        return 404, "text/html; charset=UTF-8", "<!DOCTYPE html><title>Nicht gefunden</title>"

    def _page_number(self, path: str) -> int | None:
        if path == self.root:
            return 1
        if not path.startswith(f"{self.root}page/"):
            return None
        digits = path[len(self.root) + 5 :].rstrip("/")
        number = int(digits) if digits.isdigit() else 0
        return number if 1 < number <= self.pages else None

    def archive_page(self, number: int) -> str:
        articles = (self._article(number, j) for j in range(self.entries))
        tail = self.templates.tail.format(pagination=self._pagination(number))
        return self.templates.head + "\n".join(articles) + tail

    def _article(self, number: int, position: int) -> str:
        index = ((number - 1) * self.entries + position) % len(self.templates.articles)
        markup, slug = self.templates.articles[index]
        return markup.replace(_SLUG_MARK, f"{slug}-{number}-{position}")

    def _single(self, path: str) -> str | None:
        match = _SYNTHETIC_SLUG.match(path)
        if match is None:
            return None
        slug, number, position = match.group(1), int(match.group(2)), int(match.group(3))
        template = self.templates.singles.get(slug)
        if template is None or not (1 <= number <= self.pages and position < self.entries):
            return None
        return template.replace(_SLUG_MARK, f"{slug}-{number}-{position}")

    def _pagination(self, current: int) -> str:
        if self.pages <= 1:
            return ""
        items = []
        if current > 1:
            items.append(self._edge("previous", current - 1, "← Vorherige"))
        items.extend(self._number(k, current) for k in _shown_pages(current, self.pages))
        if current < self.pages:
            items.append(self._edge("next", current + 1, "Nächste →"))
        return (
            '<div class="archive-pagination pagination archive-pagination-numeric" '
            'role="navigation" aria-label="Pagination"><div class="wrap archive-pagination-wrap '
            'archive-pagination-numeric-wrap"><ul>' + "".join(items) + "</ul></div></div>\n"
        )

    def _edge(self, which: str, number: int, label: str) -> str:
        href = self.origin + self.page_path(number)
        return f'<li class="pagination-{which}"><a href="{href}" >{label}</a></li>\n'

    def _number(self, number: int | None, current: int) -> str:
        if number is None:
            return (
                '<li class="pagination-omission"><span class="screen-reader-text">'
                "Interim pages omitted</span> &#x02026;</li>\n"
            )
        href = self.origin + self.page_path(number)
        span = f'<span class="screen-reader-text">Go to page</span> {number}'
        if number == current:
            return (
                f'<li class="active" ><a href="{href}" aria-label="Current page" '
                f'aria-current="page" class="pagination-link button button-small">{span}</a></li>\n'
            )
        return (
            f'<li><a href="{href}" class="pagination-link button button-small '
            f'button-secondary">{span}</a></li>\n'
        )


def _shown_pages(current: int, last: int) -> list[int | None]:
    """Genesis numeric pagination: first, last, current ± 2, None for each gap."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    items: list[int | None] = []
    for number in shown:
        if items and items[-1] is not None and number > items[-1] + 1:
            items.append(None)
        items.append(number)
    return items


# --- the server ------------------------------------------------------------------------


@dataclass
class Budget:
    max_requests: int
    deadline: float  # time.monotonic() after which every request gets 503


@dataclass
class Stats:
    requests: int = 0
    bytes: int = 0  # response bodies
    wire_bytes: int = 0  # status lines, headers and bodies
    statuses: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    over_budget: int = 0
    arrivals: list[float] = field(default_factory=list)  # time.monotonic() per request
    last_sent: float = 0.0

    def as_dict(self) -> dict[str, object]:
        gaps = [b - a for a, b in zip(self.arrivals, self.arrivals[1:], strict=False)]
        return {
            "requests": self.requests,
            "first_arrival": self.arrivals[0] if self.arrivals else None,
            "last_sent": self.last_sent or None,
            "min_gap": min(gaps) if gaps else None,
            "bytes": self.bytes,
            "wire_bytes": self.wire_bytes,
            "statuses": dict(self.statuses),
            "kinds": dict(self.kinds),
            "connections": self.connections,
            "over_budget": self.over_budget,
        }


def _kind(path: str) -> str:
    if path == "/robots.txt":
        return "robots"
    return "post" if path.startswith("/programm/event/") else "archive"


class _Http(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: GET and HEAD, no request bodies."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport = transport
        self.server.stats.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and not self.transport.is_closing():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self.transport.close()
                return
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
            self._answer(head)

    def _answer(self, head: str) -> None:
        assert self.transport is not None
        lines = head.split("\r\n")
        method, target, version = [*lines[0].split(" "), "", "", ""][:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        response, close = self.server.respond(method, target, version, headers)
        self.transport.write(response)
        self.server.stats.wire_bytes += len(response)
        self.server.stats.last_sent = time.monotonic()
        if close:
            self.transport.close()


class _Server:
    def __init__(self, archive: Archive, budget: Budget) -> None:
        self.archive = archive
        self.budget = budget
        self.stats = Stats()

    def respond(
        self, method: str, target: str, version: str, headers: dict[str, str]
    ) -> tuple[bytes, bool]:
        close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
        path = target.split("?", 1)[0]
        self.stats.requests += 1
        self.stats.arrivals.append(time.monotonic())
        if (
            self.stats.requests > self.budget.max_requests
            or time.monotonic() > self.budget.deadline
        ):
            self.stats.over_budget += 1
            return self._message(503, b"over budget", extra="Retry-After: 3600\r\n"), True
        if method not in ("GET", "HEAD"):
            return self._message(405, b"method not allowed"), close
        status, content_type, text = self.archive.render(path)
        body = text.encode("utf-8")
        etag = f'"{zlib.crc32(body):08x}-{len(body):x}"'
        self.stats.kinds[_kind(path)] += 1
        if status == 200 and _not_modified(headers, etag):
            self.stats.statuses[304] += 1
            return _head(304, None, 0, etag), close
        self.stats.statuses[status] += 1
        self.stats.bytes += len(body)
        response = _head(status, content_type, len(body), etag)
        return (response if method == "HEAD" else response + body), close

    def _message(self, status: int, body: bytes, extra: str = "") -> bytes:
        self.stats.statuses[status] += 1
        return _head(status, "text/plain", len(body), None, extra) + body


_REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found", 405: "Method Not Allowed",
            503: "Service Unavailable"}  # fmt: skip


def _head(status: int, content_type: str | None, length: int, etag: str | None,
          extra: str = "") -> bytes:  # fmt: skip
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if etag:
        lines.append(f"ETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}")
    if status != 304:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode("latin-1")


def _not_modified(headers: dict[str, str], etag: str) -> bool:
    if "if-none-match" in headers:
        return etag in [tag.strip() for tag in headers["if-none-match"].split(",")]
    return headers.get("if-modified-since") == LAST_MODIFIED


@dataclass(frozen=True)
class SiteConfig:
    pages: int
    entries: int = 10
    mode: Mode = "full"
    max_requests: int | None = None
    max_seconds: float = 3600.0
    fixture_site: Path = FIXTURE_SITE

    def request_budget(self) -> int:
        if self.max_requests is not None:
            return self.max_requests
        return 3 * self.pages * (self.entries + 1) + 1000  # room for a few complete crawls


def _serve(config: SiteConfig, conn: Connection) -> None:
    """Child process: bind, report the port, serve until told to stop."""
    loop = asyncio.new_event_loop()
    sock = socket.create_server(("127.0.0.1", 0), backlog=128)
    origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
    archive = Archive(load_templates(config.mode, origin, config.fixture_site), config.pages,
                      config.entries, origin)  # fmt: skip
    budget = Budget(config.request_budget(), time.monotonic() + config.max_seconds)
    server = _Server(archive, budget)
    serving = loop.run_until_complete(loop.create_server(lambda: _Http(server), sock=sock))
    loop.add_reader(conn.fileno(), _command, loop, conn, server)
    conn.send(origin)
    try:
        loop.run_forever()
    finally:
        serving.close()
        loop.close()


def _command(loop: asyncio.AbstractEventLoop, conn: Connection, server: _Server) -> None:
    try:
        command = conn.recv()
    except EOFError:
        loop.stop()
        return
    if command == "stop":
        loop.stop()
    elif command == "stats":
        conn.send(server.stats.as_dict())
    elif command == "reset":
        conn.send(server.stats.as_dict())
        server.stats = Stats()


class SyntheticSite:
    """Runs the server in a child process for the duration of a `with` block."""

    def __init__(self, pages: int, *, entries: int = 10, mode: Mode = "full",
                 max_requests: int | None = None, max_seconds: float = 3600.0) -> None:  # fmt: skip
        self.config = SiteConfig(pages, entries, mode, max_requests, max_seconds)
        self.origin = ""
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    def __enter__(self) -> Self:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(self.config, child), daemon=True)
        self._process.start()
        if not parent.poll(30):
            raise RuntimeError("synthetic site did not start within 30 s")
        self.origin = parent.recv()
        self._conn = parent
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._conn is not None:
            self._conn.send("stop")
            self._conn.close()
        if self._process is not None:
            self._process.join(10)
            if self._process.is_alive():
                self._process.terminate()

    @property
    def start_url(self) -> str:
        day = _SOURCES[self.config.mode][0]
        return f"{self.origin}/programm/tag/{day}/"

    @property
    def html_pages(self) -> int:
        """Archive pages plus, in excerpt mode, one single page per entry."""
        singles = self.config.pages * self.config.entries if self.config.mode == "excerpt" else 0
        return self.config.pages + singles

    def stats(self, reset: bool = False) -> dict[str, object]:
        assert self._conn is not None
        self._conn.send("reset" if reset else "stats")
        result: dict[str, object] = self._conn.recv()
        return result
