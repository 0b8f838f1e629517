"""The WARC 1.1 archive of every HTTP exchange: `WarcWriter` (a `Fetcher.on_exchange` sink)
and `iter_exchanges()`, which reads one back into `FetchResult`s for `k360scrape reparse`.

One exchange is a `request` record followed by a `response` record (a `revisit` record with
the server-not-modified profile for a 304), linked both ways with WARC-Concurrent-To. Each
record is its own gzip member, written whole and flushed to the kernel after every exchange, so
a killed process (`kill -9`) loses nothing and leaves at most one incomplete member at the
tail: the reader stops before it, and `WarcWriter(append=True)` cuts it off before writing on
(never rewriting what is already there). The file is fsynced on `close()` only: an fsync per
exchange cost about 1 ms a page and guards only against a power cut, which the crawl state
(SQLite, synchronous=NORMAL) does not survive without loss either.

httpx hands over *decoded* bodies, so a stored response is made self-consistent:
Content-Encoding and Transfer-Encoding move to `X-K360-Original-<name>`, and Content-Length is
the stored body's length (a different original value is kept as
`X-K360-Original-Content-Length`). Digests are `sha256:` + base32, as warcio writes them.

Named fields of our own (other WARC tools ignore unknown fields):

    K360-Requested-URI   the URL asked for, when redirects ended elsewhere
                         (WARC-Target-URI is always the final URL)
    K360-Elapsed         seconds the exchange took, as the fetcher measured it
    K360-Attempts        tries the fetcher needed
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import hashlib
import json
import os
import threading
import uuid
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any, Final, Self
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.statusandheaders import StatusAndHeadersParserException
from warcio.timeutils import iso_date_to_datetime

from k360scrape.clock import Clock, SystemClock
from k360scrape.errors import StoreError
from k360scrape.models import FetchResult

REVISIT_PROFILE: Final = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
WARC_SPEC: Final = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
REQUESTED_URI: Final = "K360-Requested-URI"
ELAPSED: Final = "K360-Elapsed"
ATTEMPTS: Final = "K360-Attempts"
ORIGINAL_PREFIX: Final = "X-K360-Original-"

_CHUNK: Final = 1 << 20
_GZIP_MAGIC: Final = b"\x1f\x8b"
# Headers that describe the bytes on the wire, not the decoded body we store.
_WIRE_ONLY: Final = frozenset({"content-encoding", "transfer-encoding"})


@dataclass(frozen=True)
class _Capture:
    """What a later revisit record needs to know about an earlier response."""

    uri: str
    record_id: str
    date: str
    payload_digest: str


@dataclass(frozen=True)
class _Prepared:
    """A response exchange built and gzipped ahead of its place in the file."""

    members: bytes
    capture: _Capture


@dataclass(frozen=True)
class _Scan:
    """Where the intact gzip members of a file end, and what follows them."""

    good_end: int
    size: int
    problem: str | None  # None, "incomplete" or "corrupt"


# --------------------------------------------------------------------------- writing


class WarcWriter:
    """Append-only, thread-safe writer of one `.warc.gz` file.

    `append=False` refuses an existing file (a new crawl never overwrites an archive);
    `append=True` continues one after a crash and records `dropped_bytes`, the size of the
    incomplete tail it had to cut off.
    """

    def __init__(
        self,
        path: Path,
        *,
        software: str,
        append: bool = False,
        info: Mapping[str, object] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.path = path
        self.dropped_bytes = 0
        self._lock = threading.Lock()
        self._clock = clock or SystemClock()
        self._captures: dict[str, _Capture] = {}
        self._deferred: list[FetchResult | _Prepared | StoreError] = []
        self._deferred_lock = threading.Lock()
        self._file = self._open_for_append() if append else self._create()
        self._warcinfo_id = _record_id()
        self._emit(_gzip_members([self._warcinfo(software, info or {})]))

    def write(
        self,
        result: FetchResult,
        *,
        refers_to_uri: str | None = None,
        refers_to_date: datetime | str | None = None,
    ) -> None:
        """Archive one exchange; a 304 becomes a revisit of the earlier capture."""
        if result.status == 304:
            with self._lock:
                self._check_open()
                target = self._refers_to(result, refers_to_uri, refers_to_date)
                self._emit(self._revisit_exchange(result, target))
        else:
            self._commit(self._prepare(result))

    def defer(self, result: FetchResult, *, build_now: bool = False) -> None:
        """Queue an exchange for the next `drain()` instead of archiving it now.

        For a caller that commits what it read from the exchange elsewhere (the crawl state):
        it drains before that commit, so nothing committed is missing from the WARC after a
        `kill -9`. `build_now` builds and gzips a response's records here, on the calling
        thread, so the draining thread only writes bytes: right when several crawl workers
        call this (zlib releases the GIL, so one gzips while the others parse), wrong for a
        single worker, whose next fetch would wait while the draining thread idles. A revisit
        is always built by `drain()`: it refers to captures written before it.
        """
        item: FetchResult | _Prepared | StoreError = result
        if build_now and result.status != 304:
            try:
                item = self._prepare(result)
            except StoreError as exc:
                item = exc  # raised by drain(), on the thread that handles the commit
        with self._deferred_lock:
            self._deferred.append(item)

    def drain(self) -> None:
        """Archive every deferred exchange, in the order they were deferred."""
        with self._deferred_lock:
            queued, self._deferred = self._deferred, []
        for item in queued:
            if isinstance(item, StoreError):
                raise item
            if isinstance(item, _Prepared):
                self._commit(item)
            else:
                self.write(item)

    def close(self) -> None:
        with self._lock:
            if self._file.closed:
                return
            try:
                self._file.flush()
                os.fsync(self._file.fileno())  # once, not per record: see the module docstring
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot write the WARC: {exc}") from exc
            finally:
                self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- opening

    def _create(self) -> IO[bytes]:
        try:
            return self.path.open("xb")
        except FileExistsError as exc:
            raise StoreError(
                f"{self.path} exists; resume with append=True or choose another file"
            ) from exc

    def _open_for_append(self) -> IO[bytes]:
        if not self.path.exists():
            return self._create()
        self.dropped_bytes = _cut_incomplete_tail(self.path)
        self._captures = _index_captures(self.path)
        return self.path.open("ab")

    # --- records

    def _warcinfo(self, software: str, info: Mapping[str, object]) -> bytes:
        fields = [("software", software), ("format", "WARC File Format 1.1")]
        fields += [("conformsTo", WARC_SPEC)]
        fields += [(key, _info_value(info[key])) for key in sorted(info)]
        block = "".join(f"{k}: {v}\r\n" for k, v in fields).encode("utf-8")
        head = [
            ("WARC-Type", "warcinfo"),
            ("WARC-Record-ID", self._warcinfo_id),
            ("WARC-Date", warc_date(self._clock.now())),
            ("WARC-Filename", self.path.name),
            ("Content-Type", "application/warc-fields"),
            ("WARC-Block-Digest", _digest(block)),
        ]
        return _record(head, block)

    def _request(self, result: FetchResult, own_id: str, response_id: str, date: str) -> bytes:
        block = _http_head(_request_line(result), result.request_headers)
        head = [
            *self._common("request", own_id, response_id, date, result.final_url),
            ("Content-Type", "application/http; msgtype=request"),
            ("WARC-Block-Digest", _digest(block)),
        ]
        return _record(head, block)

    def _response(
        self, result: FetchResult, own_id: str, request_id: str, date: str
    ) -> tuple[bytes, _Capture]:
        headers = stored_headers(result.headers, len(result.body))
        block = _http_head(_status_line(result.status), headers) + result.body
        payload_digest = _digest(result.body)
        head = [
            *self._common("response", own_id, request_id, date, result.final_url),
            *_k360_fields(result),
            ("Content-Type", "application/http; msgtype=response"),
            ("WARC-Payload-Digest", payload_digest),
            ("WARC-Block-Digest", _digest(block)),
        ]
        return _record(head, block), _Capture(result.final_url, own_id, date, payload_digest)

    def _revisit(
        self,
        result: FetchResult,
        own_id: str,
        request_id: str,
        date: str,
        target: list[tuple[str, str]],
    ) -> bytes:
        # A 304 has no body; the record keeps only the status line and headers.
        headers = stored_headers(result.headers, None)
        block = _http_head(_status_line(result.status), headers)
        head = [
            *self._common("revisit", own_id, request_id, date, result.final_url),
            ("WARC-Profile", REVISIT_PROFILE),
            *target,
            *_k360_fields(result),
            ("Content-Type", "application/http; msgtype=response"),
            ("WARC-Block-Digest", _digest(block)),
        ]
        return _record(head, block)

    def _common(
        self, kind: str, own_id: str, other_id: str, date: str, uri: str
    ) -> list[tuple[str, str]]:
        return [
            ("WARC-Type", kind),
            ("WARC-Record-ID", own_id),
            ("WARC-Date", date),
            ("WARC-Target-URI", uri),
            ("WARC-Warcinfo-ID", self._warcinfo_id),
            ("WARC-Concurrent-To", other_id),
        ]

    def _refers_to(
        self, result: FetchResult, uri: str | None, date: datetime | str | None
    ) -> list[tuple[str, str]]:
        """The earlier capture a revisit points at: the caller's word, else our own index."""
        if uri is None:
            capture = self._captures.get(result.final_url) or self._captures.get(result.url)
        else:
            capture = self._captures.get(uri)
        uri = uri or (capture.uri if capture else None)
        when = warc_date(date) if isinstance(date, datetime) else date
        fields: list[tuple[str, str]] = []
        if capture is not None:
            when = when or capture.date
            fields += [("WARC-Refers-To", capture.record_id)]
            fields += [("WARC-Payload-Digest", capture.payload_digest)]
        if when:
            fields.insert(0, ("WARC-Refers-To-Date", when))
        if uri:
            fields.insert(0, ("WARC-Refers-To-Target-URI", uri))
        return fields

    def _prepare(self, result: FetchResult) -> _Prepared:
        """A response's request and response records, gzipped, not yet written."""
        request_id, response_id = _record_id(), _record_id()
        date = warc_date(result.fetched_at)
        request = self._request(result, request_id, response_id, date)
        response, capture = self._response(result, response_id, request_id, date)
        return _Prepared(_gzip_members([request, response]), capture)

    def _revisit_exchange(self, result: FetchResult, target: list[tuple[str, str]]) -> bytes:
        request_id, response_id = _record_id(), _record_id()
        date = warc_date(result.fetched_at)
        request = self._request(result, request_id, response_id, date)
        response = self._revisit(result, response_id, request_id, date, target)
        return _gzip_members([request, response])

    def _commit(self, prepared: _Prepared) -> None:
        with self._lock:
            self._check_open()
            self._emit(prepared.members)
            self._captures[prepared.capture.uri] = prepared.capture  # only once it is in the file

    def _check_open(self) -> None:
        if self._file.closed:
            raise StoreError(f"{self.path}: WARC already closed")

    def _emit(self, members: bytes) -> None:
        """Write gzip members (one per record) and hand the exchange to the kernel.

        flush() is what a killed process needs: written bytes survive it. No fsync here
        (see the module docstring); close() makes the file durable.
        """
        start = self._file.tell()
        try:
            self._file.write(members)
            self._file.flush()
        except OSError as exc:
            self._roll_back(start)
            raise StoreError(f"{self.path}: cannot write the WARC: {exc}") from exc

    def _roll_back(self, start: int) -> None:
        """Drop a half-written exchange (disk full …) so later records never follow damage."""
        with contextlib.suppress(OSError):
            self._file.close()
        try:
            os.truncate(self.path, start)
            self._file = self.path.open("ab")
        except OSError:
            pass  # the file stays closed: every later write raises StoreError


def stored_headers(
    headers: Sequence[tuple[str, str]], body_length: int | None
) -> list[tuple[str, str]]:
    """Response headers as stored: wire-only headers renamed, Content-Length = stored length.

    `body_length=None` (a revisit: no body stored) leaves Content-Length alone.
    """
    stored: list[tuple[str, str]] = []
    length_done = body_length is None
    for name, value in headers:
        low = name.lower()
        if low in _WIRE_ONLY:
            stored.append((_original(name), value))
        elif low == "content-length" and body_length is not None:
            if value.strip() != str(body_length):
                stored.append((_original(name), value))
            if not length_done:
                stored.append((name, str(body_length)))
                length_done = True
        else:
            stored.append((name, value))
    if not length_done:
        stored.append(("Content-Length", str(body_length)))
    return stored


def _original(name: str) -> str:
    """`content-encoding` → `X-K360-Original-Content-Encoding`."""
    return ORIGINAL_PREFIX + "-".join(part.capitalize() for part in name.split("-"))


def warc_date(moment: datetime) -> str:
    """WARC 1.1 date with microseconds; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _record(head: list[tuple[str, str]], block: bytes) -> bytes:
    lines = [f"{_one_line(name)}: {_one_line(value)}\r\n" for name, value in head]
    lines.append(f"Content-Length: {len(block)}\r\n")
    return b"WARC/1.1\r\n" + "".join(lines).encode("utf-8") + b"\r\n" + block + b"\r\n\r\n"


def _gzip_members(records: Sequence[bytes]) -> bytes:
    # One gzip member per record, so a reader (and crash recovery) can stop at any record.
    return b"".join(gzip.compress(record, compresslevel=6, mtime=0) for record in records)


def _http_head(first_line: str, headers: Sequence[tuple[str, str]]) -> bytes:
    # UTF-8, not warcio's ASCII-or-percent-encoding: header values read back unchanged.
    lines = [first_line] + [f"{_one_line(n)}: {_one_line(v)}" for n, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _one_line(value: str) -> str:
    # A CR or LF would let a header forge further headers or records.
    if "\r" in value or "\n" in value:
        raise StoreError(f"line break in a header: {value!r}")
    return value


def _status_line(status: int) -> str:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return f"HTTP/1.1 {status} {reason}"


def _request_line(result: FetchResult) -> str:
    parts = urlsplit(result.final_url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{result.method} {target} HTTP/1.1"


def _k360_fields(result: FetchResult) -> list[tuple[str, str]]:
    fields = [(ELAPSED, repr(result.elapsed)), (ATTEMPTS, str(result.attempts))]
    if result.url != result.final_url:
        fields.insert(0, (REQUESTED_URI, result.url))
    return fields


def _info_value(value: object) -> str:
    if isinstance(value, str) and "\r" not in value and "\n" not in value:
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _digest(data: bytes) -> str:
    return "sha256:" + base32(hashlib.sha256(data).digest())


_BASE32: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_BASE32_KEPT: Final = (0, 2, 4, 5, 7)  # symbols of a last group of 0…4 bytes; "=" fill to 8


def base32(data: bytes) -> str:
    """`base64.b32encode(data).decode()`, which is a Python loop in CPython 3.11; this
    module is compiled in wheels, and three digests an exchange are encoded here."""
    symbols: list[str] = []
    for start in range(0, len(data), 5):
        group = data[start : start + 5]
        value = int.from_bytes(group + bytes(5 - len(group)), "big")
        kept = 8 if len(group) == 5 else _BASE32_KEPT[len(group)]
        for index in range(kept):
            symbols.append(_BASE32[(value >> (35 - 5 * index)) & 31])
        symbols.append("=" * (8 - kept))
    return "".join(symbols)


def _record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


# --------------------------------------------------------------------------- crash recovery


def _scan_gzip(fh: IO[bytes]) -> _Scan:
    """Walk the gzip members from the start; stop at the first one that does not end well.

    Decompressing each member to its end makes zlib check its CRC and length, which is the
    proof that the member (one record) was written completely.
    """
    good_end = offset = 0
    decompressor = zlib.decompressobj(wbits=31)
    pending = b""
    while True:
        if not pending:
            pending = fh.read(_CHUNK)
            if not pending:
                break
        try:
            decompressor.decompress(pending, _CHUNK)  # output unneeded; bounded for memory
        except zlib.error:
            return _Scan(good_end, _size(fh), "corrupt")
        if decompressor.eof:
            rest = decompressor.unused_data
            offset += len(pending) - len(rest)
            good_end, pending = offset, rest
            decompressor = zlib.decompressobj(wbits=31)
        else:
            rest = decompressor.unconsumed_tail
            offset += len(pending) - len(rest)
            pending = rest
    return _Scan(good_end, offset, "incomplete" if offset > good_end else None)


def _cut_incomplete_tail(path: Path) -> int:
    """Truncate an interrupted last record; return how many bytes were dropped."""
    with path.open("r+b") as fh:
        scan = _scan_gzip(fh)
        if scan.problem is None:
            return 0
        if scan.problem == "corrupt" and not _only_zeros(fh, scan.good_end):
            raise StoreError(
                f"{path}: damaged gzip data at byte {scan.good_end} that is not an interrupted "
                "last record; refusing to append (inspect or move the file)"
            )
        fh.truncate(scan.good_end)
        fh.flush()
        os.fsync(fh.fileno())
        return scan.size - scan.good_end


def _only_zeros(fh: IO[bytes], start: int) -> bool:
    """True for a NUL-filled tail, which some file systems leave after a power loss."""
    fh.seek(start)
    while chunk := fh.read(_CHUNK):
        if chunk.count(0) != len(chunk):
            return False
    return True


def _size(fh: IO[bytes]) -> int:
    return fh.seek(0, os.SEEK_END)


def _index_captures(path: Path) -> dict[str, _Capture]:
    """The responses already in the file, so revisits after a resume can point at them."""
    captures: dict[str, _Capture] = {}
    with path.open("rb") as fh, _as_store_error(path):
        for record in _records(fh, _size(fh), no_record_parse=True):
            get = record.rec_headers.get_header
            if record.rec_type == "response" and get("WARC-Payload-Digest"):
                uri = get("WARC-Target-URI")
                captures[uri] = _Capture(
                    uri, get("WARC-Record-ID"), get("WARC-Date"), get("WARC-Payload-Digest")
                )
    return captures


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Request:
    method: str
    headers: tuple[tuple[str, str], ...]


def iter_exchanges(path: Path, *, allow_truncated: bool = False) -> Iterator[FetchResult]:
    """Read a WARC (gzipped or plain) back into one `FetchResult` per response or revisit.

    Bodies are checked against WARC-Payload-Digest and block digests are verified; a mismatch
    raises `StoreError`. An incomplete last record (a crash) raises `StoreError` after every
    intact exchange was yielded, unless `allow_truncated`.
    """
    with path.open("rb") as fh:
        scan = _scan_file(fh)
        yield from _exchanges(fh, scan.good_end, path)
    if scan.problem and not (allow_truncated and scan.problem == "incomplete"):
        raise StoreError(
            f"{path}: {scan.problem} record at byte {scan.good_end} "
            f"({scan.size - scan.good_end} bytes); everything before it was read"
        )


def _scan_file(fh: IO[bytes]) -> _Scan:
    if fh.read(2) != _GZIP_MAGIC:
        size = _size(fh)
        return _Scan(size, size, None)  # plain WARC: the digests catch a cut-off record
    fh.seek(0)
    return _scan_gzip(fh)


def _exchanges(fh: IO[bytes], end: int, path: Path) -> Iterator[FetchResult]:
    requests: dict[str, _Request] = {}
    with _as_store_error(path):
        for record in _records(fh, end, no_record_parse=False):
            if record.http_headers is None:
                continue
            if record.rec_type == "request":
                requests[record.rec_headers.get_header("WARC-Record-ID")] = _read_request(record)
            elif record.rec_type in ("response", "revisit"):
                yield _read_response(record, requests, path)


def _records(fh: IO[bytes], end: int, *, no_record_parse: bool) -> Iterator[Any]:
    """warcio records of the file's first `end` bytes.

    Digests are verified (while a record is read) only when records are parsed: warcio would
    otherwise hash the HTTP headers into the payload digest.
    """
    checks = False if no_record_parse else "raise"
    fh.seek(0)
    reader = LimitReader(fh, end)
    return iter(ArchiveIterator(reader, no_record_parse=no_record_parse, check_digests=checks))


@contextlib.contextmanager
def _as_store_error(path: Path) -> Iterator[None]:
    """warcio's complaints (bad digest, malformed record) as our `StoreError`."""
    try:
        yield
    except (ArchiveLoadFailed, StatusAndHeadersParserException, ValueError) as exc:
        raise StoreError(f"{path}: unreadable WARC: {exc}") from exc


def _read_request(record: Any) -> _Request:
    record.raw_stream.read()  # let warcio verify the block digest
    method = str(record.http_headers.protocol)
    return _Request(method, tuple(record.http_headers.headers))


def _read_response(record: Any, requests: dict[str, _Request], path: Path) -> FetchResult:
    get = record.rec_headers.get_header
    http = record.http_headers
    headers: tuple[tuple[str, str], ...] = tuple(http.headers)
    _refuse_encoded(headers, get("WARC-Target-URI"), path)
    body = record.raw_stream.read()
    if record.rec_type == "revisit":
        body = b""  # the revisit's own payload, if any, is not this capture's body
    else:
        _check_payload(body, get("WARC-Payload-Digest"), get("WARC-Target-URI"), path)
    request = _paired_request(record, requests)
    final_url = get("WARC-Target-URI")
    return FetchResult(
        url=get(REQUESTED_URI) or final_url,
        final_url=final_url,
        method=request.method if request else "GET",
        status=int(http.get_statuscode()),
        headers=headers,
        request_headers=request.headers if request else (),
        body=body,
        fetched_at=parse_warc_date(get("WARC-Date")),
        sha256=hashlib.sha256(body).hexdigest(),
        elapsed=float(get(ELAPSED) or 0.0),
        attempts=int(get(ATTEMPTS) or 1),
    )


def _paired_request(record: Any, requests: dict[str, _Request]) -> _Request | None:
    links = [v for k, v in record.rec_headers.headers if k.lower() == "warc-concurrent-to"]
    return next((requests.pop(link) for link in links if link in requests), None)


def _refuse_encoded(headers: Sequence[tuple[str, str]], uri: str, path: Path) -> None:
    # Our writer never stores an encoded payload; another tool's WARC may (raw gzip, chunks),
    # and handing such bytes to the parser as if decoded would be silently wrong.
    for name, value in headers:
        if name.lower() in _WIRE_ONLY and value.strip().lower() not in ("", "identity"):
            raise StoreError(f"{path}: {uri}: stored payload has {name}: {value}; not supported")


def _check_payload(body: bytes, digest: str | None, uri: str, path: Path) -> None:
    if not digest:
        return
    algorithm, _, value = digest.partition(":")
    try:
        actual = hashlib.new(algorithm.lower(), body).digest()
    except ValueError as exc:
        raise StoreError(f"{path}: {uri}: unknown digest algorithm in {digest!r}") from exc
    if actual not in _decodings(value):
        raise StoreError(f"{path}: {uri}: body does not match WARC-Payload-Digest {digest}")


def _decodings(value: str) -> list[bytes]:
    """The value read as base32 (warcio's form), hex and base64: WARC writers use all three."""
    decoded = []
    for decode in (base64.b32decode, bytes.fromhex, base64.b64decode):
        with contextlib.suppress(ValueError, binascii.Error):
            decoded.append(decode(value))
    return decoded


def parse_warc_date(value: str) -> datetime:
    """WARC-Date as an aware UTC datetime, keeping whatever fraction of a second it has."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = iso_date_to_datetime(value, tz_aware=True)  # e.g. more than 6 digits
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
