"""The one place that talks HTTP: robots.txt, per-host politeness, retries, redirects, caps.

`Fetcher.fetch(url)` returns the final response as a `FetchResult` for any status the server
settles on (200, 304, 404, ...) and raises a `FetchError` subclass otherwise. What it does on
the way, in order, for every hop of a redirect chain:

1. scope: http(s) only, host in `Scope` (`OutOfScope` names the target);
2. robots.txt of the hop's origin, fetched lazily and cached (`RobotsDisallowed` before any
   request for the URL is made);
3. at most `settings.concurrency` requests in flight per host, starts spaced by
   max(`settings.delay`, Crawl-delay) and by any Retry-After the host sent (`HostThrottle`);
4. GET with our User-Agent, connect/read timeouts, a total deadline per response and a cap on
   the decoded body (gzip bombs included) checked while streaming;
5. retries (tenacity) on timeouts, connection errors, 429 and 5xx with exponential backoff and
   full jitter, or with Retry-After when the server sends one (up to `max_retry_after`; beyond
   that `RetryAfterTooLong` at once, without sleeping).

www/bare twins of a start host (`Scope.host_map`) share one throttle and one concurrency limit,
since they are the same server. robots.txt stays per origin (scheme, host, port), as RFC 9309
requires. A robots.txt redirect is followed for up to 5 hops inside the scope; a redirect out
of scope, a loop or a sixth hop counts as "unreachable", so the origin is disallowed until
`robots_retry_after` has passed (add the target host to `allowed_hosts` to follow it).

Bodies are returned decoded (no Content-Encoding); the headers are as received. Decoding bytes
to text is the caller's job (`k360scrape.encoding.decode_html`).
"""

from __future__ import annotations

import hashlib
import random
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from k360scrape.clock import Clock
from k360scrape.errors import (
    FetchError,
    HTTPStatusError,
    NetworkError,
    OutOfScope,
    RetryAfterTooLong,
    RobotsDisallowed,
    RobotsUnreachable,
    TooLarge,
)
from k360scrape.models import FetchResult
from k360scrape.robots import MAX_ROBOTS_BYTES, RobotsRules
from k360scrape.settings import Settings
from k360scrape.throttle import HostThrottle, backoff, effective_delay, parse_retry_after
from k360scrape.urls import WEB_SCHEMES, Scope

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# 520–524 are Cloudflare's "origin unreachable" family: transient like 502/504.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309 §2.3.1.2
# Only codings `_BoundedDecoder` can inflate in bounded steps; httpx would also offer br/zstd.
ACCEPT_ENCODING = "gzip, deflate"
_ZLIB_WBITS = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": zlib.MAX_WBITS,
}
_UNBOUNDED_CODINGS = frozenset({"br", "zstd", "compress", "x-compress"})


@dataclass(frozen=True)
class _Exchange:
    """One request and its response, before it becomes a `FetchResult`."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    request_headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed: float
    attempts: int = 1

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


class _RetryableStatus(Exception):
    """A 429/5xx answer, raised so that tenacity retries it."""

    def __init__(self, exchange: _Exchange, retry_after: float | None) -> None:
        super().__init__(f"HTTP {exchange.status}")
        self.exchange = exchange
        self.retry_after = retry_after


class _DeadlineExceeded(Exception):
    """The response did not complete within `settings.total_timeout`."""


_RETRYABLE = (
    _RetryableStatus,
    _DeadlineExceeded,
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,  # the server closed the connection mid-response
)


class Fetcher:
    """Polite, capped HTTP GETs over an injected `httpx.Client`; safe to share between threads."""

    def __init__(
        self,
        client: httpx.Client,
        settings: Settings,
        scope: Scope,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        on_exchange: Callable[[FetchResult], None] | None = None,
    ) -> None:
        self._client = client
        self._settings = settings
        self._scope = scope
        self._clock = clock
        self._rng = rng or random.Random()
        self._on_exchange = on_exchange
        self._throttle = HostThrottle(clock)
        self._timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        self._lock = threading.Lock()  # guards the three dicts below
        self._robots: dict[str, RobotsRules] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    def fetch(
        self,
        url: str,
        *,
        kind: str = "page",
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """GET `url` politely and return the final response (see the module docstring).

        `headers` (e.g. If-None-Match) go with every hop; a 304 comes back with an empty body.
        The size cap is `max_bytes`, else `max_pdf_bytes` for kind "pdf", else `max_bytes`.
        `attempts` counts the tries of the last hop; `elapsed` sums the hops' request-to-body
        times, without politeness or backoff waits. `on_exchange` sees the returned result
        (and each robots.txt answer), never a failed attempt or an intermediate redirect.
        """
        self._check_scope(url, via=None)
        cap = max_bytes or self._default_cap(kind)
        exchange = self._follow(url, _without_user_agent(headers or {}), cap)
        result = self._result(url, exchange)
        self._notify(result)
        return result

    def robots_crawl_delay(self, url: str) -> float | None:
        """Crawl-delay that robots.txt of `url`'s origin sets for us (fetching it if needed)."""
        if not self._settings.obey_robots:
            return None
        return self._rules_for(url).crawl_delay()

    def close(self) -> None:
        self._client.close()

    def _default_cap(self, kind: str) -> int:
        return self._settings.max_pdf_bytes if kind == "pdf" else self._settings.max_bytes

    # --- redirects and scope

    def _follow(self, url: str, headers: dict[str, str], cap: int) -> _Exchange:
        current, seen, elapsed = url, {url}, 0.0
        limit = self._settings.max_redirects
        for _hop in range(limit + 1):
            self._check_robots(current)
            exchange = self._request(current, headers, cap)
            elapsed += exchange.elapsed
            target = _redirect_target(exchange)
            if target is None:
                return replace(exchange, elapsed=elapsed)
            self._check_scope(target, via=current)
            if target in seen:
                raise FetchError(f"redirect loop: {current} leads back to {target}", url)
            seen.add(target)
            current = target
        raise FetchError(f"too many redirects (more than {limit}) starting at {url}", url)

    def _check_scope(self, url: str, *, via: str | None) -> None:
        what = f"{via} redirects to {url}" if via else url
        if urlsplit(url).scheme.lower() not in WEB_SCHEMES:
            raise OutOfScope(f"{what}: only http and https URLs are fetched", url)
        if not self._scope.allows(url):
            hint = "add the host to allowed_hosts to follow it"
            raise OutOfScope(f"{what}: host outside the crawl scope ({hint})", url)

    # --- robots.txt

    def _check_robots(self, url: str) -> None:
        if not self._settings.obey_robots:
            return
        rules = self._rules_for(url)
        if rules.allowed(url):
            return
        if rules.disallow_all and rules.status is None:
            raise RobotsUnreachable(f"{url}: {rules.reason}", url)
        if rules.disallow_all:
            raise RobotsDisallowed(f"{url}: {rules.reason}", url)
        token = self._settings.robots_token
        raise RobotsDisallowed(f"robots.txt of {_origin(url)} forbids {url} for {token}", url)

    def _rules_for(self, url: str) -> RobotsRules:
        origin = _origin(url)
        rules = self._cached_rules(origin)
        if rules is not None and not rules.expired(self._clock.monotonic()):
            return rules  # every request but the first few of each robots.txt lifetime
        # One lock per origin: concurrent first requests wait for a single robots.txt fetch.
        with self._robots_lock(origin):
            rules = self._cached_rules(origin)
            if rules is None or rules.expired(self._clock.monotonic()):
                rules = self._fetch_robots(origin)
                with self._lock:
                    self._robots[origin] = rules
            return rules

    def _robots_lock(self, origin: str) -> threading.Lock:
        with self._lock:
            lock = self._robots_locks.get(origin)
            if lock is None:
                lock = self._robots_locks[origin] = threading.Lock()
            return lock

    def _cached_rules(self, origin: str) -> RobotsRules | None:
        with self._lock:
            return self._robots.get(origin)

    def _fetch_robots(self, origin: str) -> RobotsRules:
        url = f"{origin}/robots.txt"
        status: int | None = None
        body, detail = b"", ""
        try:
            exchange = self._robots_exchange(url)
        except HTTPStatusError as error:  # 5xx/429 after all retries
            status = error.status
        except FetchError as error:  # network, deadline, redirect off scope, Retry-After cap
            detail = str(error)
        else:
            status, body = exchange.status, exchange.body
            self._notify(self._result(url, exchange))
        return RobotsRules.from_response(
            status,
            body,
            self._settings.robots_token,
            fetched_at_monotonic=self._clock.monotonic(),
            retry_after=self._settings.robots_retry_after,
            detail=detail,
        )

    def _robots_exchange(self, url: str) -> _Exchange:
        current = url
        for _hop in range(ROBOTS_MAX_REDIRECTS + 1):
            # Truncate rather than fail: RFC 9309 lets us ignore what follows 500 KiB.
            exchange = self._request(current, {}, MAX_ROBOTS_BYTES, truncate=True)
            target = _redirect_target(exchange)
            if target is None:
                return exchange
            self._check_scope(target, via=current)
            current = target
        raise FetchError(f"{url} redirected more than {ROBOTS_MAX_REDIRECTS} times", url)

    # --- one request, with retries

    def _request(
        self, url: str, headers: dict[str, str], cap: int, *, truncate: bool = False
    ) -> _Exchange:
        attempts = 0
        try:
            for attempt in self._retrying():
                attempts = attempt.retry_state.attempt_number
                with attempt:
                    return replace(self._attempt(url, headers, cap, truncate), attempts=attempts)
        except _RetryableStatus as error:
            status = error.exchange.status
            message = f"HTTP {status} from {url} after {_count(attempts)}"
            raise HTTPStatusError(message, url, status) from None
        except _DeadlineExceeded:
            limit = self._settings.total_timeout
            message = f"no complete response from {url} within {limit:g} s, {_count(attempts)}"
            raise NetworkError(message, url) from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            message = f"{_describe(error)} (fetching {url}, {_count(attempts)})"
            raise NetworkError(message, url) from error
        raise AssertionError("tenacity stopped without an outcome")  # pragma: no cover

    def _retrying(self) -> Retrying:
        return Retrying(
            sleep=self._clock.sleep,
            stop=stop_after_attempt(1 + self._settings.retries),
            wait=self._retry_wait,
            retry=retry_if_exception_type(_RETRYABLE),
            reraise=True,
        )

    def _retry_wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _RetryableStatus) and error.retry_after is not None:
            return error.retry_after  # already checked against max_retry_after
        settings = self._settings
        return backoff(state.attempt_number, settings.backoff_base, settings.backoff_max, self._rng)

    def _attempt(self, url: str, headers: dict[str, str], cap: int, truncate: bool) -> _Exchange:
        key = self._host_key(url)
        with self._slot(key):
            self._throttle.wait(key, self._delay_for(url))
            exchange = self._send(url, headers, cap, truncate)
        if exchange.status in RETRY_STATUSES:
            raise self._retryable(exchange, key)
        return exchange

    def _retryable(self, exchange: _Exchange, key: str) -> _RetryableStatus:
        retry_after = parse_retry_after(exchange.header("Retry-After"), self._clock.now())
        cap = self._settings.max_retry_after
        if retry_after is not None and retry_after > cap:
            message = (
                f"server asked to wait {retry_after:g} s, more than the {cap:g} s cap; "
                f"giving up on {exchange.url}"
            )
            raise RetryAfterTooLong(message, exchange.url)
        if retry_after is not None:
            self._throttle.hold(key, retry_after)  # the whole host asked for the pause
        return _RetryableStatus(exchange, retry_after)

    def _host_key(self, url: str) -> str:
        host = urlsplit(url).hostname or ""
        return self._scope.host_map.get(host, host)

    def _slot(self, key: str) -> threading.BoundedSemaphore:
        with self._lock:
            if key not in self._slots:
                self._slots[key] = threading.BoundedSemaphore(self._settings.concurrency)
            return self._slots[key]

    def _delay_for(self, url: str) -> float:
        # Cached rules only: the robots.txt request itself must not wait for robots.txt.
        rules = self._cached_rules(_origin(url)) if self._settings.obey_robots else None
        return effective_delay(self._settings.delay, rules.crawl_delay() if rules else None)

    # --- the wire

    def _send(self, url: str, headers: dict[str, str], cap: int, truncate: bool) -> _Exchange:
        # With a client from `make_client()` every socket read and write also stops at this
        # deadline, so a server trickling its status line and headers is cut off as well.
        with _WireDeadline(self._settings.total_timeout) as wire:
            try:
                return self._exchange(url, headers, cap, truncate)
            except httpx.TimeoutException:
                if wire.passed:
                    raise _DeadlineExceeded from None
                raise

    def _exchange(self, url: str, headers: dict[str, str], cap: int, truncate: bool) -> _Exchange:
        started = self._clock.monotonic()
        deadline = started + self._settings.total_timeout
        sent = {"Accept-Encoding": ACCEPT_ENCODING, **headers}
        sent["User-Agent"] = self._settings.user_agent
        with self._client.stream(
            "GET", url, headers=sent, timeout=self._timeout, follow_redirects=False
        ) as response:
            self._check_deadline(deadline)
            body = self._read_body(response, url, cap, truncate, deadline)
            return _Exchange(
                url=url,
                status=response.status_code,
                headers=_pairs(response.headers),
                request_headers=_pairs(response.request.headers),
                body=b"" if response.status_code == 304 else body,
                elapsed=self._clock.monotonic() - started,
            )

    def _read_body(
        self, response: httpx.Response, url: str, cap: int, truncate: bool, deadline: float
    ) -> bytes:
        if not truncate:
            _check_declared_length(response, cap, url)
        # An in-memory response (httpx.MockTransport in tests) was read and decoded by httpx.
        done = response.is_stream_consumed
        decoder = _BoundedDecoder(response.headers, url, already_decoded=done)
        body = bytearray()
        # We inflate the raw bytes ourselves, never more than the cap allows per step: httpx's
        # iter_bytes() inflates each 64 KiB network chunk whole, which for a gzip bomb (or gzip
        # in gzip) means gigabytes in memory before the cap could be checked.
        for raw in iter((response.content,)) if done else response.iter_raw():
            body += decoder.decode(raw, cap + 1 - len(body))
            if len(body) > cap:
                if truncate:
                    return bytes(body[:cap])
                raise TooLarge(f"{url}: body exceeds the {cap} byte cap (after decoding)", url)
            self._check_deadline(deadline)
        return bytes(body)

    def _check_deadline(self, deadline: float) -> None:
        # Checked between chunks: a server trickling bytes never trips the read timeout.
        if self._clock.monotonic() > deadline:
            raise _DeadlineExceeded

    def _result(self, url: str, exchange: _Exchange) -> FetchResult:
        return FetchResult(
            url=url,
            final_url=exchange.url,
            status=exchange.status,
            headers=exchange.headers,
            request_headers=exchange.request_headers,
            body=exchange.body,
            fetched_at=self._clock.now(),
            sha256=hashlib.sha256(exchange.body).hexdigest(),
            elapsed=exchange.elapsed,
            attempts=exchange.attempts,
        )

    def _notify(self, result: FetchResult) -> None:
        if self._on_exchange is not None:
            self._on_exchange(result)


def make_client(settings: Settings) -> httpx.Client:
    """The httpx client `Fetcher` is made for: its timeouts and pool limits, sockets that give
    up when the response deadline (`total_timeout`) passes, in every read and write, and no
    cookies.

    httpx has no total timeout: each read may take up to the read timeout, so a server sending
    one byte of its headers every few seconds would hold the crawl forever. httpx offers no
    public hook for this, hence the wrapped network backend of the transport's pool.

    The crawl is stateless: a cookie a response sets is never stored, so no request carries
    one, and what a page returns cannot depend on the pages fetched before it (a snapshot can
    be repeated; a consent or session cookie cannot change what is archived). httpx has no
    switch for its cookie jar, which reads every response's headers through http.cookiejar's
    urllib shims (~80 µs a request, a fifth of the client's own time); the client's jar is
    told to keep nothing instead.
    """
    limits = httpx.Limits(max_connections=max(4, settings.concurrency * 2))
    transport = httpx.HTTPTransport(limits=limits)
    pool = transport._pool
    if isinstance(pool, httpcore.ConnectionPool):
        pool._network_backend = _DeadlineBackend(pool._network_backend)
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
    client.cookies.extract_cookies = _keep_no_cookies  # type: ignore[method-assign]
    return client


def _keep_no_cookies(response: httpx.Response) -> None:
    """The cookie jar's `extract_cookies`: nothing from any response is kept."""


_WIRE = threading.local()  # the deadline of the response this thread is fetching


class _WireDeadline:
    """Sets this thread's wire deadline for the duration of one exchange."""

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds  # real time: sockets do not use `Clock`
        self._previous: float | None = None

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self._deadline

    def __enter__(self) -> Self:
        self._previous = getattr(_WIRE, "deadline", None)
        _WIRE.deadline = self._deadline
        return self

    def __exit__(self, *exc: object) -> None:
        _WIRE.deadline = self._previous


def _time_left(timeout: float | None, error: type[httpcore.TimeoutException]) -> float | None:
    """`timeout`, shortened to what is left until this thread's wire deadline."""
    deadline: float | None = getattr(_WIRE, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the response deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _origin(url: str) -> str:
    """scheme://host[:port] with the default port dropped: the key robots.txt applies to."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    host = f"[{host}]" if ":" in host else host
    port = parts.port
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


def _redirect_target(exchange: _Exchange) -> str | None:
    location = exchange.header("Location")
    if exchange.status not in REDIRECT_STATUSES or not location or not location.strip():
        return None
    return urljoin(exchange.url, location.strip())


class _BoundedDecoder:
    """Content-Encoding decoding that never inflates more than it is asked for.

    Identity, gzip and deflate (zlib-wrapped or raw, as httpx accepts) are decoded; unknown
    tokens are ignored as httpx does. Stacked codings and codings zlib cannot bound (br,
    zstd) are refused: we never ask for them, and each could hide a decompression bomb.
    """

    def __init__(self, headers: httpx.Headers, url: str, *, already_decoded: bool) -> None:
        self._url = url
        values = headers.get_list("content-encoding", split_commas=True)
        codings = [v.strip().lower() for v in values]
        codings = [c for c in codings if c in _ZLIB_WBITS or c in _UNBOUNDED_CODINGS]
        if len(codings) > 1 or (codings and codings[0] in _UNBOUNDED_CODINGS):
            names = ", ".join(codings)
            raise FetchError(f"{url}: unsupported Content-Encoding {names!r} (not requested)", url)
        self._coding = codings[0] if codings else None
        self._wbits = _ZLIB_WBITS[self._coding] if self._coding else 0
        inflate = self._coding and not already_decoded
        self._inflater = zlib.decompressobj(self._wbits) if inflate else None
        self._started = False

    def decode(self, data: bytes, limit: int) -> bytes:
        """Inflate `data`, returning at most `limit` (≥ 1) bytes; more means over the cap."""
        if self._inflater is None:
            return data
        try:
            out = self._inflater.decompress(data, max(1, limit))
        except zlib.error as error:
            if self._coding == "deflate" and not self._started and self._wbits > 0:
                # Some servers send raw deflate without the zlib header.
                self._wbits = -zlib.MAX_WBITS
                self._inflater = zlib.decompressobj(self._wbits)
                return self.decode(data, limit)
            message = f"{self._url}: corrupt {self._coding} body ({error})"
            raise FetchError(message, self._url) from None
        self._started = True
        return out


def _check_declared_length(response: httpx.Response, cap: int, url: str) -> None:
    # Refuse early when the server announces an oversized plain body; encoded bodies are
    # only measured after decoding.
    length = response.headers.get("Content-Length", "")
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if length.isdigit() and int(length) > cap and not encoded:
        raise TooLarge(f"{url}: Content-Length {length} exceeds the {cap} byte cap", url)


def _without_user_agent(headers: Mapping[str, str]) -> dict[str, str]:
    # The User-Agent is settings.user_agent, always: robots.txt rules are matched against it.
    return {k: v for k, v in headers.items() if k.lower() != "user-agent"}


def _pairs(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    """Header pairs in wire order and original case (httpx lowercases its multi_items)."""
    encoding = headers.encoding
    return tuple((k.decode(encoding), v.decode(encoding)) for k, v in headers.raw)


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _count(attempts: int) -> str:
    return "1 attempt" if attempts == 1 else f"{attempts} attempts"
