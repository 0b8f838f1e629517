"""Misbehaving servers for the reliability tests: faults that plug into `FixtureServer.add_fault`.

Each fault is small and bounded: it answers at most `times` requests (None: every matching
one), and anything that waits or streams stops after a few seconds or as soon as the client
hangs up, so a broken test can never hold a thread or the port for long. Everything stays on
127.0.0.1 (the fixture server binds nowhere else; the listeners below neither).

    with FixtureServer(root) as server:
        server.add_fault("/robots.txt", Hang(seconds=5))
        server.add_fault("/programm/tag/freitag/page/2/", Truncate(b"<html>...", declared=5000))

| fault                 | what the client sees                                               |
|-----------------------|--------------------------------------------------------------------|
| `Respond`             | any status, body, Content-Type and headers (wrong type, charsets)  |
| `Redirect`            | a 3xx to any Location (loops, other hosts, other schemes)          |
| `Reset`               | the connection reset (TCP RST) before any byte of a response       |
| `Hang`                | the request read, nothing sent back: a read timeout                |
| `Trickle`             | a response one byte per `interval` (status line and headers too)   |
| `Truncate`            | a Content-Length longer than the body, then the connection closed  |
| `GzipBomb`            | a small gzip body that inflates to `size` bytes (or gzip in gzip)  |
| `Huge`                | a body of `size` bytes, with or without a Content-Length           |
| `blackhole_listener`  | a port whose accept queue is full: connects time out               |
| `refused_port`        | a port nobody listens on: connects are refused                     |
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache

from k360scrape.fixture_server import LOOPBACK, FixtureRequestHandler

__all__ = [
    "GzipBomb",
    "Hang",
    "Huge",
    "Redirect",
    "Reset",
    "Respond",
    "Trickle",
    "Truncate",
    "blackhole_listener",
    "refused_port",
]

_CHUNK = 64 * 1024
_POLL = 0.02  # how often a waiting fault checks whether the client has gone


class _Times:
    """How many more requests a fault answers; thread-safe (faults run in request threads)."""

    def __init__(self, times: int | None) -> None:
        self.times = times
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.times is not None and self.used >= self.times:
                return False
            self.used += 1
            return True


class Respond:
    """Answer with exactly these bytes, status and Content-Type (no host rewriting)."""

    def __init__(
        self,
        body: bytes = b"",
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: Mapping[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.budget = _Times(times)

    def __call__(self, request: FixtureRequestHandler) -> bool:
        if not self.budget.take():
            return False
        request.send_bytes(
            self.status, self.body, content_type=self.content_type, headers=self.headers
        )
        return True


class Redirect:
    """Redirect to `location`; "{origin}" in it becomes the server's own origin.

    A callable gets the request path and returns the Location (for chains: /r/1 → /r/2 …).
    """

    def __init__(
        self,
        location: str | Callable[[str], str],
        *,
        status: int = 302,
        times: int | None = None,
    ) -> None:
        self.location = location
        self.status = status
        self.budget = _Times(times)

    def __call__(self, request: FixtureRequestHandler) -> bool:
        if not self.budget.take():
            return False
        target = self.location(request.path) if callable(self.location) else self.location
        target = target.replace("{origin}", request.fixture_server.origin)
        request.send_bytes(self.status, b"", headers={"Location": target})
        return True


class Reset:
    """Drop the connection with a TCP RST before sending anything (ECONNRESET for the client)."""

    def __init__(self, *, times: int | None = None) -> None:
        self.budget = _Times(times)

    def __call__(self, request: FixtureRequestHandler) -> bool:
        if not self.budget.take():
            return False
        request.close_connection = True
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN. The socket is
        # detached first so the server's own shutdown of it later fails quietly (EBADF).
        fd = request.connection.detach()
        raw = socket.socket(fileno=fd)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.close()
        return True


class Hang:
    """Read the request and answer nothing until the client hangs up or `seconds` pass."""

    def __init__(self, *, seconds: float = 5.0, times: int | None = None) -> None:
        self.seconds = seconds
        self.budget = _Times(times)

    def __call__(self, request: FixtureRequestHandler) -> bool:
        if not self.budget.take():
            return False
        request.close_connection = True
        _wait_for_hangup(request, self.seconds)
        return True


class Trickle:
    """Send a 200 one byte every `interval` seconds, for at most `max_seconds`.

    With `headers_too` the status line and headers trickle as well (a slowloris server);
    otherwise they arrive at once and only the body trickles.
    """

    def __init__(
        self,
        body: bytes = b"<html><body>" + b"x" * 1000 + b"</body></html>",
        *,
        interval: float = 1.0,
        max_seconds: float = 10.0,
        headers_too: bool = False,
        times: int | None = None,
    ) -> None:
        self.body = body
        self.interval = interval
        self.max_seconds = max_seconds
        self.headers_too = headers_too
        self.budget = _Times(times)

    def __call__(self, request: FixtureRequestHandler) -> bool:
        if not self.budget.take():
            return False
        request.close_connection = True
        request.status = 200
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
        ).encode("ascii")
        if not self.headers_too:
            _send_quietly(request, head)
            head = b""
        deadline = time.monotonic() + self.max_seconds
        data = head + self.body
        for index in range(len(data)):
            if time.monotonic() > deadline or not _send_quietly(request, data[index : index + 1]):
                break
            time.sleep(self.interval)
        return True


class Truncate:
    """Announce `declared` bytes (default: twice the body) but send only `body`, then close."""

    def __init__(
        self,
        body: bytes = b"<html><body><p>cut",
        *,
        declared: int | None = None,
        times: int | None = None,
    ) -> None:
        self.body = body
        self.declared = declared if declared is not None else 2 * len(body) + 1
        self.budget = _Times(times)

    def __call__(self, request: FixtureRequestHandler) -> bool:
        if not self.budget.take():
            return False
        request.close_connection = True
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(self.declared))
        request.send_header("Connection", "close")
        request.end_headers()
        _send_quietly(request, self.body)
        return True


class GzipBomb:
    """A gzip body of zeros that inflates to `size` bytes; `layers=2` nests gzip in gzip.

    `layers=2` with Content-Encoding "gzip, gzip" turns 2 KB on the wire into a gigabyte
    for a client that decodes each layer without a limit.
    """

    def __init__(
        self, *, size: int = 100_000_000, layers: int = 1, times: int | None = None
    ) -> None:
        if layers not in (1, 2):
            raise ValueError("layers must be 1 or 2")
        self.size = size
        self.layers = layers
        self.budget = _Times(times)

    @property
    def payload(self) -> bytes:
        return _gzip_zeros(self.size, self.layers)

    def __call__(self, request: FixtureRequestHandler) -> bool:
        if not self.budget.take():
            return False
        encoding = ", ".join(["gzip"] * self.layers)
        request.send_bytes(200, self.payload, headers={"Content-Encoding": encoding})
        return True


class Huge:
    """A 200 whose body is `size` bytes of HTML, streamed in 64 KiB pieces.

    With `declare_length` the Content-Length says the size up front; without it the body
    ends when the connection closes, so only counting the bytes can stop the client.
    The stream stops when the client hangs up.
    """

    def __init__(
        self, *, size: int = 50_000_000, declare_length: bool = True, times: int | None = None
    ) -> None:
        self.size = size
        self.declare_length = declare_length
        self.budget = _Times(times)

    def __call__(self, request: FixtureRequestHandler) -> bool:
        if not self.budget.take():
            return False
        request.close_connection = True
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        if self.declare_length:
            request.send_header("Content-Length", str(self.size))
        request.send_header("Connection", "close")
        request.end_headers()
        piece = (b"<p>" + b"k360 " * (_CHUNK // 5))[:_CHUNK]
        sent = 0
        while sent < self.size:
            part = piece[: self.size - sent]
            if not _send_quietly(request, part):
                break
            sent += len(part)
        return True


@contextlib.contextmanager
def blackhole_listener() -> Iterator[int]:
    """A 127.0.0.1 port that listens but never accepts, its queue full: connects time out.

    With a backlog of 0 Linux queues one connection; a filler connection takes that place,
    so the SYN of every further connect is dropped and the client's connect timeout fires.
    """
    with socket.socket() as server, socket.socket() as filler:
        server.bind((LOOPBACK, 0))
        server.listen(0)
        port = int(server.getsockname()[1])
        filler.settimeout(1.0)
        filler.connect((LOOPBACK, port))
        yield port


def refused_port() -> int:
    """A 127.0.0.1 port with no listener (bound once, then closed): connects are refused."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------- helpers


def _send_quietly(request: FixtureRequestHandler, data: bytes) -> bool:
    """Write `data`; False when the client has gone (the normal end of a streaming fault)."""
    try:
        request.wfile.write(data)
        request.wfile.flush()
    except OSError:
        return False
    return True


def _wait_for_hangup(request: FixtureRequestHandler, seconds: float) -> None:
    """Block until the peer closes the connection, the server stops or `seconds` pass."""
    deadline = time.monotonic() + seconds
    sock = request.connection
    while time.monotonic() < deadline and request.fixture_server.running:
        try:
            readable, _, _ = select.select([sock], [], [], _POLL)
            if readable and not sock.recv(1, socket.MSG_PEEK):
                return  # EOF: the client gave up
        except (OSError, ValueError):
            return


@lru_cache(maxsize=8)
def _gzip_zeros(size: int, layers: int) -> bytes:
    """gzip(zeros(size)), nested `layers` times; built in 1 MiB steps to keep memory flat."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(min(size, 1 << 20))
    out = bytearray()
    for start in range(0, size, len(block) or 1):
        out += compressor.compress(block[: size - start])
    out += compressor.flush()
    data = bytes(out)
    for _ in range(layers - 1):
        outer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        data = outer.compress(data) + outer.flush()
    return data
