"""Incremental fetching for snapshots: conditional requests against the previous snapshot.

Every archive page is requested on every run (a list page that changed is how new posts show
up), but, like single post pages and PDFs, conditionally: what the previous snapshot (`latest`
when this one started) fetched with an `ETag` or `Last-Modified` is asked for with
`If-None-Match` / `If-Modified-Since`. A changed page comes back 200 and is read as usual;
a 304 costs only the headers:

- an archive page answered 304 is read again from the previous snapshot's copy of its body
  (`pages/<sha256>.html.gz`, kept for this purpose): the crawler processes
  `SnapshotRevalidator.previous_result` exactly as the 200 it was, so its entries, links and
  provenance are those of the capture the content came from (and `k360scrape reparse` of the
  earlier WARC plus this one's revisit rebuilds the same records). Each snapshot keeps a copy
  (a hard link when possible) of every archive page it read, so the next one can do the same;
- a post page answered 304 reuses the previous `Post` (the crawler does that through
  `SnapshotRevalidator.previous_post`);
- a PDF answered 304 reuses the previous file: `IncrementalFetcher` hands `pdfs.py` the previous
  snapshot's stored bytes as if they had been downloaded, so the `Pdf` record and the file come
  out the same. Conditional headers go out only when that file is still there.

Each snapshot records the validators of what it fetched in `validators.json`. While it runs,
every exchange is appended at once to a journal (`validators.jsonl` in the root's work folder),
so a `kill -9` loses none and `--resume` carries on with them. The journal also knows which PDFs
this snapshot already stored, so a resumed run takes those from disk instead of the network.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from k360scrape.clock import Clock
from k360scrape.models import FetchResult, Post
from k360scrape.pdfs import FILES_DIR
from k360scrape.protocols import FetcherLike

VALIDATORS = "validators.json"
PAGES_DIR = "pages"  # archive page bodies by sha256, for the next snapshot's 304s
_JOURNAL_ONLY = ("url", "status", "bytes")
REVALIDATED_KINDS = ("archive", "post", "pdf")
_CAPTURE_ONLY = ("final_url", "fetched_at")  # kept for archive pages only


@dataclass(frozen=True)
class Validator:
    """What one completed exchange tells the next snapshot about a URL (a journal line)."""

    url: str
    kind: str
    status: int = 0  # journal only: validators.json leaves out what changes every run
    bytes: int = 0  # journal only
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None  # of the body; for a 304 the previous body's
    content_type: str | None = None
    # Archive pages only: the rest of the capture a 304 stands for (see previous_result).
    final_url: str | None = None
    fetched_at: str | None = None  # ISO 8601 with microseconds, as the FetchResult had it

    def conditional_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def validator_for(url: str, kind: str, result: FetchResult, before: Validator | None) -> Validator:
    """The journal line for `result`; a 304 keeps what the previous snapshot knew."""
    if result.status == 304 and before is not None:
        # A 304 need not repeat the validators (RFC 9110 §15.4.5 only asks for ETag if sent).
        return replace(
            before,
            status=304,
            bytes=len(result.body),
            etag=result.header("etag") or before.etag,
            last_modified=result.header("last-modified") or before.last_modified,
        )
    capture = kind == "archive" and result.status == 200
    return Validator(
        url=url,
        kind=kind,
        status=result.status,
        bytes=len(result.body),
        etag=result.header("etag"),
        last_modified=result.header("last-modified"),
        sha256=hashlib.sha256(result.body).hexdigest() if result.status == 200 else None,
        content_type=result.header("content-type"),
        final_url=result.final_url if capture else None,
        fetched_at=result.fetched_at.isoformat() if capture else None,
    )


# --- the previous snapshot


class PreviousSnapshot:
    """The base snapshot, read once: its posts by URL and its validators by URL."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name
        self.posts = {post.url: post for post in read_posts(folder)}
        self.validators = read_validators(folder)

    def post_headers(self, url: str) -> dict[str, str]:
        known = self.validators.get(url)
        if known is None or known.kind != "post" or url not in self.posts:
            return {}  # never without a record to fall back on
        return known.conditional_headers()

    def archive_headers(self, url: str) -> dict[str, str]:
        known = self.validators.get(url)
        if known is None or known.kind != "archive" or not _has_capture(known):
            return {}
        if not page_path(self.folder, known.sha256 or "").is_file():
            return {}  # no body to read again after a 304
        return known.conditional_headers()

    def archive_result(self, url: str) -> FetchResult | None:
        """The capture a 304 for this archive page stands for: a 200 with the stored body."""
        known = self.validators.get(url)
        if known is None or known.kind != "archive" or not _has_capture(known):
            return None
        body = stored_page(self.folder, known.sha256 or "")
        if body is None:
            return None
        return FetchResult(
            url=url,
            final_url=known.final_url or url,
            status=200,
            headers=_type_header(known),
            body=body,
            fetched_at=datetime.fromisoformat(known.fetched_at or ""),
            sha256=known.sha256 or "",
        )

    def pdf_headers(self, url: str) -> dict[str, str]:
        known = self.validators.get(url)
        if known is None or known.kind != "pdf" or self.pdf_body(url) is None:
            return {}
        return known.conditional_headers()

    def pdf_body(self, url: str) -> bytes | None:
        known = self.validators.get(url)
        if known is None or not known.sha256:
            return None
        return stored_file(self.folder, known.sha256)


def read_posts(folder: Path) -> Iterator[Post]:
    """Every post of a finished snapshot (or crawl output), from its posts.jsonl."""
    with (folder / "posts.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield Post.model_validate_json(line)


def read_validators(folder: Path) -> dict[str, Validator]:
    try:
        data = json.loads((folder / VALIDATORS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a snapshot without validators is simply fetched in full
    return {url: Validator(url=url, **fields) for url, fields in data.items()}


def write_validators(validators: Mapping[str, Validator]) -> str:
    """The text of validators.json: what the next snapshot can revalidate (post and PDF URLs,
    archive pages whose body this snapshot keeps), sorted, stable between runs."""
    kept = {
        url: _validator_fields(found)
        for url, found in sorted(validators.items())
        if found.kind in REVALIDATED_KINDS
        and found.status in (200, 304)
        and (found.kind != "archive" or _has_capture(found))
    }
    return json.dumps(kept, ensure_ascii=False, indent=2) + "\n"


def _validator_fields(found: Validator) -> dict[str, Any]:
    dropped = _JOURNAL_ONLY if found.kind == "archive" else _JOURNAL_ONLY + _CAPTURE_ONLY
    return {k: v for k, v in asdict(found).items() if k not in dropped}


def _has_capture(known: Validator) -> bool:
    return bool(known.sha256 and known.fetched_at)


def page_path(folder: Path, sha256: str) -> Path:
    return folder / PAGES_DIR / f"{sha256}.html.gz"


def store_page(folder: Path, body: bytes, sha256: str) -> None:
    """Keep an archive page's body for the next snapshot (gzip, named by its sha256)."""
    target = page_path(folder, sha256)
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    temp.write_bytes(gzip.compress(body, mtime=0))
    temp.replace(target)  # whole or absent, even if the process dies mid-write


def carry_page(source: Path, folder: Path, sha256: str) -> bool:
    """Give this snapshot the previous one's copy of a page (hard link, else copy)."""
    target = page_path(folder, sha256)
    if target.is_file():
        return True
    body = stored_page(source, sha256)
    if body is None:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(page_path(source, sha256), target)
    except OSError:  # another file system, or no hard links there
        store_page(folder, body, sha256)
    return True


def stored_page(folder: Path, sha256: str) -> bytes | None:
    """The archive page body stored under that sha256, if the file is there and matches."""
    try:
        body = gzip.decompress(page_path(folder, sha256).read_bytes())
    except (OSError, EOFError, zlib.error):
        return None
    return body if hashlib.sha256(body).hexdigest() == sha256 else None


def stored_file(folder: Path, sha256: str) -> bytes | None:
    """The bytes `pdfs.py` stored under files/<sha256[:16]>/, if a file there still matches."""
    directory = folder / FILES_DIR / sha256[:16]
    if not directory.is_dir():
        return None
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue  # temporary files of an interrupted write
        body = path.read_bytes()
        if hashlib.sha256(body).hexdigest() == sha256:
            return body
    return None


class SnapshotRevalidator:
    """`crawl.Revalidator` over the previous snapshot (or none: everything fetched in full)."""

    def __init__(self, previous: PreviousSnapshot | None) -> None:
        self._previous = previous

    def conditional_headers(self, url: str) -> dict[str, str]:
        if self._previous is None:
            return {}
        return self._previous.post_headers(url) or self._previous.archive_headers(url)

    def previous_post(self, url: str) -> Post | None:
        return self._previous.posts.get(url) if self._previous else None

    def previous_result(self, url: str) -> FetchResult | None:
        return self._previous.archive_result(url) if self._previous else None


# --- the journal


class Journal:
    """validators.jsonl: one JSON line per exchange, written through at once (crash-safe).

    A torn last line (the process died mid-write) is skipped when reading; its URL was not
    committed to the crawl state either, so the resumed run fetches it again.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None

    def entries(self) -> list[Validator]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [entry for line in text.splitlines() if (entry := _parse_line(line))]

    def latest(self) -> dict[str, Validator]:
        """The last line per URL: what this snapshot knows now."""
        return {entry.url: entry for entry in self.entries()}

    def record(self, entry: Validator) -> None:
        line = (json.dumps(asdict(entry), ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            # One write() per line with O_APPEND: the kernel keeps it once the call returns,
            # which is all a killed process needs (no fsync: a power cut is out of scope).
            os.write(self._fd, line)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _parse_line(line: str) -> Validator | None:
    try:
        data: dict[str, Any] = json.loads(line)
        return Validator(**data)
    except (ValueError, TypeError):
        return None


def transfer_counts(entries: list[Validator]) -> dict[str, dict[str, int]]:
    """Requests, 200s, 304s and bytes per kind and in total, from the journal."""
    counts: dict[str, dict[str, int]] = {}
    for entry in entries:
        for key in (entry.kind, "total"):
            row = counts.setdefault(
                key, dict.fromkeys(("requests", "status_200", "status_304", "bytes"), 0)
            )
            row["requests"] += 1
            row["status_200"] += entry.status == 200
            row["status_304"] += entry.status == 304
            row["bytes"] += entry.bytes
    return dict(sorted(counts.items()))


# --- the fetcher wrapper


class IncrementalFetcher:
    """Wraps the crawl's fetcher: journals every exchange, revalidates and resumes PDFs."""

    def __init__(
        self,
        inner: FetcherLike,
        journal: Journal,
        out_dir: Path,
        previous: PreviousSnapshot | None,
        clock: Clock,
    ) -> None:
        self._inner = inner
        self._clock = clock
        self._journal = journal
        self._out_dir = out_dir
        self._previous = previous
        self._done = journal.latest()  # what this snapshot fetched before an interruption

    def fetch(
        self,
        url: str,
        *,
        kind: str = "page",
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        if kind == "pdf":
            stored = self._already_stored(url)
            if stored is not None:
                return stored
            headers = {**(headers or {}), **self._pdf_headers(url)}
        result = self._inner.fetch(url, kind=kind, headers=headers or None, max_bytes=max_bytes)
        if kind == "archive" and result.status == 200:
            # Stored before the journal line, which tells the next snapshot it is there.
            store_page(self._out_dir, result.body, result.sha256)
        before = self._previous.validators.get(url) if self._previous else None
        self._journal.record(validator_for(url, kind, result, before))
        if kind == "archive" and result.status == 304 and headers:
            return self._carry_page(url, result, max_bytes)
        if kind == "pdf" and result.status == 304:
            return self._reuse_pdf(url, result, max_bytes)
        return result

    def _carry_page(self, url: str, result: FetchResult, max_bytes: int | None) -> FetchResult:
        """An archive page answered 304: this snapshot keeps the previous one's copy of it
        (the crawler reads it back), or, should that copy have gone meanwhile, fetches it in
        full."""
        known = self._previous.validators.get(url) if self._previous else None
        if self._previous is None or known is None or not known.sha256:
            return result  # an unasked-for 304: the crawler reports it
        if carry_page(self._previous.folder, self._out_dir, known.sha256):
            return result
        full = self._inner.fetch(url, kind="archive", max_bytes=max_bytes)
        if full.status == 200:
            store_page(self._out_dir, full.body, full.sha256)
        self._journal.record(validator_for(url, "archive", full, None))
        return full

    def _pdf_headers(self, url: str) -> dict[str, str]:
        return self._previous.pdf_headers(url) if self._previous else {}

    def _already_stored(self, url: str) -> FetchResult | None:
        """A PDF this snapshot stored before it was interrupted: no second request."""
        done = self._done.get(url)
        if done is None or done.kind != "pdf" or done.status not in (200, 304):
            return None
        body = stored_file(self._out_dir, done.sha256) if done.sha256 else None
        if body is None:
            return None
        return FetchResult(
            url=url,
            final_url=url,
            status=200,
            headers=_type_header(done),
            body=body,
            fetched_at=self._clock.now(),
            sha256=done.sha256 or "",
        )

    def _reuse_pdf(self, url: str, result: FetchResult, max_bytes: int | None) -> FetchResult:
        known = self._previous.validators.get(url) if self._previous else None
        body = self._previous.pdf_body(url) if self._previous else None
        if known is None or body is None:
            # The previous file vanished between the check and now: fetch it in full.
            full = self._inner.fetch(url, kind="pdf", max_bytes=max_bytes)
            self._journal.record(validator_for(url, "pdf", full, None))
            return full
        # A 200 carrying the stored bytes, so `pdfs.py` stores and describes them as if
        # downloaded: the same file and the same `Pdf` record as in the previous snapshot.
        update = {
            "status": 200,
            "headers": _type_header(known),
            "body": body,
            "sha256": known.sha256 or "",
        }
        return result.model_copy(update=update)


def _type_header(known: Validator) -> tuple[tuple[str, str], ...]:
    return (("content-type", known.content_type),) if known.content_type else ()
