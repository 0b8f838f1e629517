"""The fixture site on a loopback HTTP server, for end-to-end crawl tests and manual runs.

`FixtureServer(root)` serves `root/<host_dir>/<path>` on 127.0.0.1 only, the way WordPress
would: a directory path serves its `index.html`, a directory path without its trailing slash
gets a 301 to the slash form, anything else is a 404 page. Text responses (HTML, robots.txt,
XML) have both site hosts (`https://www.kommune360.de`, `https://kommune360.de`) rewritten to
the server's own origin, so absolute links stay on the fixture server.

    with FixtureServer(Path("fixtures/site")) as server:
        httpx.get(server.url("/programm/tag/freitag/"))
        server.set_page("/programm/tag/freitag/", "<html>changed</html>")  # between two runs
        server.add_fault("/robots.txt", Status(503, {"Retry-After": "1"}, times=2))
        [record.status for record in server.requests]

Responses use HTTP/1.1 keep-alive with an exact Content-Length, carry a strong `ETag` (hash of
the served bytes) and a deterministic `Last-Modified`, and answer `If-None-Match` /
`If-Modified-Since` with 304. Every accepted socket gets TCP_NODELAY: without it, Nagle's
algorithm and delayed ACKs stall each keep-alive response by about 40 ms.

The server is bounded (503 after `max_requests`, stops itself after `max_seconds`) so that a
runaway test cannot hammer it forever. `python -m k360scrape.fixture_server` runs it by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import fnmatch
import hashlib
import re
import socket
import socketserver
import sys
import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, cast
from urllib.parse import unquote, urlsplit

__all__ = ["Delay", "Fault", "FixtureRequestHandler", "FixtureServer", "RequestRecord", "Status"]

LOOPBACK = "127.0.0.1"
_SITE_HOSTS = re.compile(rb"https?://(?:www\.)?kommune360\.de(?![\w-])", re.IGNORECASE)
_TEXT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".xsl": "application/xml",
    ".json": "application/json",
    ".css": "text/css",
    ".js": "text/javascript",
}
_BINARY_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
# Original files get a fixed date up to a year before this one (see `_Site.last_modified`);
# mutation number n dates the page it touched n hours after it, so dates only ever increase.
_BASE_DATE = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
_NOT_FOUND = (
    '<!DOCTYPE html>\n<html lang="de-DE"><head><meta charset="UTF-8">'
    '<title>Seite nicht gefunden – Kommune 360°</title></head>\n<body class="error404">'
    '<main class="content"><h1 class="entry-title">Seite nicht gefunden</h1>'
    "<p>Die angeforderte Seite existiert nicht.</p></main></body></html>\n"
).encode()


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it."""

    method: str
    path: str  # the request target as sent, query included
    headers: Mapping[str, str]  # lower-case names
    started: float  # time.monotonic() when the request line had been read
    status: int  # 0 when no status line was sent (e.g. a fault that dropped the connection)
    nodelay: bool  # TCP_NODELAY was set on the connection's socket


class Fault(Protocol):
    """A switchable misbehaviour for requests whose path matches a pattern (`add_fault`).

    Faults run before the file is served, in the order they were added. A fault returns True
    when it has answered the request itself (nothing else is sent), or False to let the request
    go on (after a delay, say). It may use `request.send_bytes()`, or write to `request.wfile`
    directly; a fault that sends no Content-Length must set `request.close_connection = True`.
    Faults are called from the server's request threads, so counters need a lock.
    """

    def __call__(self, request: FixtureRequestHandler) -> bool: ...


class Status:
    """Answer the first `times` matching requests with `code` (and `headers`), then pass through.

    `times=None` answers every matching request. `Status(429, {"Retry-After": "2"})` is the
    usual rate-limit test; `Status(503, times=2)` recovers on the third attempt.
    """

    def __init__(
        self,
        code: int,
        headers: Mapping[str, str] | None = None,
        *,
        times: int | None = 1,
        body: bytes = b"",
    ) -> None:
        self.code = code
        self.headers = dict(headers or {})
        self.times = times
        self.body = body or f"<html><body><h1>{code}</h1></body></html>\n".encode()
        self.used = 0
        self._lock = threading.Lock()

    def __call__(self, request: FixtureRequestHandler) -> bool:
        with self._lock:
            if self.times is not None and self.used >= self.times:
                return False
            self.used += 1
        request.send_bytes(self.code, self.body, headers=self.headers)
        return True


class Delay:
    """Wait `seconds` before the request is served normally (a slow server)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, request: FixtureRequestHandler) -> bool:
        time.sleep(self.seconds)
        return False


@dataclass(frozen=True)
class _Found:
    key: str  # the decoded URL path, e.g. "/programm/tag/freitag/"
    body: bytes
    content_type: str
    last_modified: datetime


@dataclass(frozen=True)
class _Redirect:
    location: str  # path (and query) of the slash form


class _Site:
    """The files under root/host_dir plus the overrides made by `set_page` / `delete_page`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._lock = threading.Lock()
        self._overrides: dict[str, bytes] = {}
        self._deleted: set[str] = set()
        self._generation: dict[str, int] = {}  # key → mutation number that last touched it
        self._mutations = 0

    def set(self, key: str, body: bytes) -> None:
        with self._lock:
            self._overrides[key] = body
            self._deleted.discard(key)
            self._touch(key)

    def delete(self, key: str) -> None:
        with self._lock:
            self._overrides.pop(key, None)
            self._deleted.add(key)
            self._touch(key)

    def reset(self) -> None:
        with self._lock:
            # Restored originals must not look older than the override a client last saw.
            for key in set(self._overrides) | self._deleted:
                self._touch(key)
            self._overrides.clear()
            self._deleted.clear()

    def _touch(self, key: str) -> None:
        self._mutations += 1
        self._generation[key] = self._mutations

    def lookup(self, target: str) -> _Found | _Redirect | None:
        parts = urlsplit(target)
        key = unquote(parts.path)
        if not key.startswith("/") or ".." in key.split("/"):
            return None
        found = self._find(key)
        if found is not None or key.endswith("/"):
            return found
        if self._find(key + "/") is not None:
            query = f"?{parts.query}" if parts.query else ""
            return _Redirect(f"{parts.path}/{query}")
        return None

    def _find(self, key: str) -> _Found | None:
        with self._lock:
            if key in self._deleted:
                return None
            body = self._overrides.get(key)
            generation = self._generation.get(key, 0)
        if body is None:
            body = self._read(key)
        if body is None:
            return None
        return _Found(key, body, _content_type(key), self.last_modified(key, generation))

    def _read(self, key: str) -> bytes | None:
        path = self.root / key.lstrip("/")
        if key.endswith("/"):
            path = path / "index.html"
        try:
            if path.resolve().is_relative_to(self.root) and path.is_file():
                return path.read_bytes()
        except OSError:
            pass
        return None

    @staticmethod
    def last_modified(key: str, generation: int) -> datetime:
        if generation:
            return _BASE_DATE + timedelta(hours=generation)
        # A fixed, different date per file: 0–364 days before the base date.
        return _BASE_DATE - timedelta(days=zlib.crc32(key.encode()) % 365)


def _content_type(key: str) -> str:
    if key.endswith("/"):
        return "text/html; charset=utf-8"  # a directory serves its index.html
    suffix = Path(key).suffix.lower()
    if suffix in _TEXT_TYPES:
        return f"{_TEXT_TYPES[suffix]}; charset=utf-8"
    return _BINARY_TYPES.get(suffix, "application/octet-stream")


class FixtureRequestHandler(BaseHTTPRequestHandler):
    """Serves one connection; faults receive this object."""

    protocol_version = "HTTP/1.1"  # keep-alive; every response has a Content-Length
    server_version = "k360-fixture"
    timeout = 30  # idle keep-alive connections are closed after this many seconds
    status = 0
    head_only = False
    started = 0.0
    logged = False

    @property
    def fixture_server(self) -> FixtureServer:
        return cast(_HTTPServer, self.server).owner

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def send_response(self, code: int, message: str | None = None) -> None:
        self.status = code
        # Log before any byte goes out: a client that has the response must find it logged.
        self._log_once()
        super().send_response(code, message)

    def send_bytes(
        self,
        code: int,
        body: bytes,
        *,
        content_type: str = "text/html; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Send a complete response: status, Content-Type, Content-Length, headers, body."""
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not self.head_only:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `FixtureServer.requests` instead of a line per request."""

    def _handle(self, *, head: bool) -> None:
        self.head_only = head
        self.status = 0
        self.started = time.monotonic()
        self.logged = False
        owner = self.fixture_server
        try:
            if not owner._admit():
                self.close_connection = True
                self.send_bytes(503, b"request budget used up\n", headers={"Connection": "close"})
            elif not owner._run_faults(self):
                owner._serve(self)
        finally:
            self._log_once()  # e.g. a fault that closed the connection without a response

    def _log_once(self) -> None:
        if not self.logged:
            self.logged = True
            self.fixture_server._record(self, self.started)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: FixtureServer, port: int) -> None:
        self.owner = owner
        super().__init__((LOOPBACK, port), FixtureRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind() resolves the host name, a DNS round trip we do not need.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = LOOPBACK, self.server_address[1]

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.owner._track(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        self.owner._untrack(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is normal for a crawler test; stay quiet.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class FixtureServer:
    """The fixture site on http://127.0.0.1:<port>; a context manager (see the module doc)."""

    def __init__(
        self,
        root: Path,
        *,
        host_dir: str = "www.kommune360.de",
        max_requests: int = 100_000,
        max_seconds: float = 600,
        port: int = 0,
    ) -> None:
        self._site = _Site(Path(root) / host_dir)
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self._port = port
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._faults: list[tuple[str, Fault]] = []
        self._count = 0
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._stopped = threading.Event()
        self._timer: threading.Timer | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._httpd = httpd = _HTTPServer(self, self._port)
        name = f"fixture-server-{self.port}"
        # A short poll interval makes stop() return in ~50 ms instead of the default 0.5 s.
        loop = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        loop.start()
        self._timer = threading.Timer(self.max_seconds, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop serving and close open keep-alive connections; safe to call twice."""
        with self._lock:
            httpd, self._httpd = self._httpd, None
            connections = list(self._connections)
        if httpd is None:
            return
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        httpd.shutdown()
        httpd.server_close()
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        self._stopped.set()

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Block until the server has stopped (by `stop()` or `max_seconds`)."""
        return self._stopped.wait(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fixture server is not running")
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + (path if path.startswith("/") else "/" + path)

    # ----------------------------------------------------------------- mutations

    def set_page(self, path: str, body: bytes | str) -> None:
        """Serve `body` at the URL path `path` (e.g. "/programm/tag/freitag/") until `reset()`."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self._site.set(_key(path), data)

    def delete_page(self, path: str) -> None:
        """Answer 404 for `path` until `reset()`."""
        self._site.delete(_key(path))

    def reset(self) -> None:
        """Undo every `set_page` / `delete_page` (faults and the log stay)."""
        self._site.reset()

    def add_fault(self, path_pattern: str, fault: Fault) -> None:
        """Apply `fault` to requests whose decoded path matches the glob `path_pattern`."""
        with self._lock:
            self._faults.append((path_pattern, fault))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # ----------------------------------------------------------------- request log

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request so far, in the order they started."""
        with self._lock:
            return sorted(self._log, key=lambda record: record.started)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # ----------------------------------------------------------------- used by the handler

    def _admit(self) -> bool:
        with self._lock:
            self._count += 1
            return self._count <= self.max_requests

    def _run_faults(self, request: FixtureRequestHandler) -> bool:
        path = unquote(urlsplit(request.path).path)
        with self._lock:
            faults = [
                fault for pattern, fault in self._faults if fnmatch.fnmatchcase(path, pattern)
            ]
        return any(fault(request) for fault in faults)

    def _serve(self, request: FixtureRequestHandler) -> None:
        found = self._site.lookup(request.path)
        if isinstance(found, _Redirect):
            headers = {"Location": self.origin + found.location, **_validators(b"", _BASE_DATE)}
            request.send_bytes(301, b"", headers=headers)
        elif found is None:
            request.send_bytes(404, _NOT_FOUND, headers=_validators(_NOT_FOUND, _BASE_DATE))
        else:
            self._send_found(request, found)

    def _send_found(self, request: FixtureRequestHandler, found: _Found) -> None:
        body = found.body
        if "charset=" in found.content_type:
            body = _SITE_HOSTS.sub(self.origin.encode(), body)
        validators = _validators(body, found.last_modified)
        conditions = (
            request.headers.get("If-None-Match"),
            request.headers.get("If-Modified-Since"),
        )
        if _not_modified(*conditions, validators["ETag"], found.last_modified):
            request.send_response(304)
            for name, value in validators.items():
                request.send_header(name, value)
            request.end_headers()
            return
        request.send_bytes(200, body, content_type=found.content_type, headers=validators)

    def _record(self, request: FixtureRequestHandler, started: float) -> None:
        record = RequestRecord(
            method=request.command or "",
            path=request.path,
            headers={name.lower(): value for name, value in request.headers.items()},
            started=started,
            status=request.status,
            nodelay=_nodelay(request.connection),
        )
        with self._lock:
            self._log.append(record)

    def _track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)


def _key(path: str) -> str:
    key = unquote(urlsplit(path).path)
    if not key.startswith("/"):
        raise ValueError(f"expected a URL path starting with '/', got {path!r}")
    return key


def _validators(body: bytes, last_modified: datetime) -> dict[str, str]:
    """A strong ETag from the served bytes (host rewriting included) and Last-Modified."""
    return {
        "ETag": f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        "Last-Modified": email.utils.format_datetime(last_modified, usegmt=True),
    }


def _nodelay(connection: socket.socket) -> bool:
    try:
        return bool(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    except OSError:
        return False


def _not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: datetime
) -> bool:
    # RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since counts only without it.
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if not if_modified_since:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unparsable date is ignored, as RFC 9110 asks
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified <= since


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m k360scrape.fixture_server",
        description="Serve the fixture site on 127.0.0.1 (Ctrl-C stops it).",
    )
    parser.add_argument("--root", type=Path, default=Path("fixtures/site"))
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--host-dir", default="www.kommune360.de")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--max-seconds", type=float, default=3600)
    args = parser.parse_args(argv)
    server = FixtureServer(
        args.root,
        host_dir=args.host_dir,
        max_requests=args.max_requests,
        max_seconds=args.max_seconds,
        port=args.port,
    )
    with server:
        print(server.origin, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.wait_stopped()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
