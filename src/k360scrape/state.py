"""Crawl state in SQLite, committed after every response so a `kill -9` loses nothing.

One database per run holds the frontier (what is still to fetch), the done set, every post
record with its sort key, the fetch log and the warnings. A resumed run opens the same file and
carries on: done URLs are never fetched again, and posts are keyed by canonical URL, so none is
lost or written twice. Exporters stream posts out of it in output order, which keeps memory
flat however large the archive.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from k360scrape.errors import StoreError
from k360scrape.models import CrawlWarning, Entry, FetchLogEntry, FetchResult, Post

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS frontier (
    url TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    day_index INTEGER NOT NULL,
    page INTEGER NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    payload TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS frontier_pending ON frontier (status, kind, day_index, page, seq);
CREATE TABLE IF NOT EXISTS posts (
    url TEXT PRIMARY KEY,
    day_index INTEGER NOT NULL,
    page INTEGER NOT NULL,
    position INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_order ON posts (day_index, page, position);
CREATE TABLE IF NOT EXISTS fetch_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL, kind TEXT NOT NULL, status INTEGER, bytes INTEGER NOT NULL,
    error TEXT, from_cache INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS warnings (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL, kind TEXT NOT NULL,
    message TEXT NOT NULL
);
"""

PENDING, DONE, FAILED, SKIPPED = "pending", "done", "failed", "skipped"


@dataclass(frozen=True)
class Task:
    """One frontier item: an archive page or a single post page to fetch."""

    url: str
    kind: str  # "archive" or "post"
    day_index: int
    page: int
    position: int = 0
    archive_url: str = ""  # for post tasks: the archive page that listed the entry
    day: str | None = None
    fallback: Entry | None = None  # the excerpt to keep when the single page is unreachable
    source: FetchResult | None = None  # the archive response the excerpt was read from


class CrawlState:
    """The persistent state of one run; thread-safe, one connection guarded by a lock."""

    def __init__(self, path: Path | str) -> None:
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open crawl state {path}: {exc}") from exc
        self._lock = threading.RLock()
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM frontier").fetchone()
        self._seq = int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- meta
    def get_meta(self, key: str) -> str | None:
        row = self._query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- frontier
    def add_task(self, task: Task) -> bool:
        """Queue a URL unless it was queued before; True when it is new."""
        payload = _payload(task)
        with self._lock:
            seq = self._next_seq()
            cur = self._db.execute(
                "INSERT OR IGNORE INTO frontier VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task.url,
                    task.kind,
                    task.day_index,
                    task.page,
                    task.position,
                    payload,
                    PENDING,
                    seq,
                ),
            )
            return cur.rowcount == 1

    def unknown(self, urls: Sequence[str]) -> set[str]:
        """The URLs among `urls` that were never queued."""
        if not urls:
            return set()
        marks = ", ".join("?" * len(urls))
        rows = self._query_all(f"SELECT url FROM frontier WHERE url IN ({marks})", tuple(urls))
        return set(urls) - {str(row[0]) for row in rows}

    def pending(self, limit: int = 64, exclude: Sequence[str] = ()) -> list[Task]:
        """Pending tasks, archive pages first, in day and page order; `exclude` names URLs
        already being worked on (still pending until their response is committed)."""
        skip = f"AND url NOT IN ({', '.join('?' * len(exclude))}) " if exclude else ""
        # "archive" sorts before "post", so this order is the frontier_pending index's own:
        # SQLite walks the index and stops after `limit` rows instead of sorting the frontier.
        rows = self._query_all(
            "SELECT url, kind, day_index, page, position, payload FROM frontier "
            f"WHERE status = ? {skip}ORDER BY kind, day_index, page, seq LIMIT ?",
            (PENDING, *exclude, limit),
        )
        return [_task_from_row(row) for row in rows]

    def count(self, kind: str, status: str) -> int:
        row = self._query_one(
            "SELECT COUNT(*) FROM frontier WHERE kind = ? AND status = ?", (kind, status)
        )
        return int(row[0]) if row else 0

    # --- one response's worth of changes, committed together
    def complete(
        self,
        task: Task,
        *,
        status: str,
        posts: Sequence[tuple[Post, int, int, int]] = (),
        new_tasks: Sequence[Task] = (),
        log: Sequence[FetchLogEntry] = (),
        warnings: Sequence[CrawlWarning] = (),
    ) -> None:
        """Mark `task` done or failed and store what it produced, in one transaction."""
        with self._lock:
            try:
                self._db.execute("BEGIN")
                self._db.execute("UPDATE frontier SET status = ? WHERE url = ?", (status, task.url))
                for post, day_index, page, position in posts:
                    self._put_post(post, day_index, page, position)
                if task.kind == "post":
                    self._settle_listing(task.url)  # it may have been listed earlier meanwhile
                for new in new_tasks:
                    if not self.add_task(new) and new.kind == "post":
                        self._relist(new)
                for entry in log:
                    self._log(entry)
                for warning in warnings:
                    self._warn(warning)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"cannot write crawl state: {exc}") from exc

    def record_extra(
        self, log: Sequence[FetchLogEntry], warnings: Sequence[CrawlWarning] = ()
    ) -> None:
        """Store fetch-log lines and warnings that belong to no frontier task (robots, PDFs)."""
        with self._lock:
            self._db.execute("BEGIN")
            for entry in log:
                self._log(entry)
            for warning in warnings:
                self._warn(warning)
            self._db.execute("COMMIT")

    def replace_post(self, post: Post) -> None:
        """Update a stored post in place (e.g. after its PDFs were downloaded)."""
        with self._lock:
            self._db.execute(
                "UPDATE posts SET record = ? WHERE url = ?", (post.model_dump_json(), post.url)
            )

    # --- reading back
    def iter_posts(self) -> Iterator[Post]:
        """Every post in output order: start URL order, archive page, position."""
        with self._lock:
            rows = self._db.execute(
                "SELECT record FROM posts ORDER BY day_index, page, position, url"
            )
            batch = rows.fetchmany(500)
        while batch:
            for (record,) in batch:
                yield Post.model_validate_json(record)
            with self._lock:
                batch = rows.fetchmany(500)

    def get_post(self, url: str) -> Post | None:
        row = self._query_one("SELECT record FROM posts WHERE url = ?", (url,))
        return None if row is None else Post.model_validate_json(str(row[0]))

    def post_totals(self) -> dict[str, int]:
        """Posts and their PDFs, contributors and images, counted in SQL (no record parsed)."""
        sql = (
            "SELECT COUNT(*), COALESCE(SUM(json_array_length(record, '$.pdfs')), 0), "
            "COALESCE(SUM(json_array_length(record, '$.contributors')), 0), "
            "COALESCE(SUM(json_array_length(record, '$.images')), 0) FROM posts"
        )
        try:
            row = self._query_one(sql, ())
        except sqlite3.OperationalError:  # an SQLite built without JSON functions
            row = self._totals_in_python()
        names = ("posts", "pdfs", "contributors", "images")
        return dict(zip(names, (int(value) for value in row), strict=True))

    def _totals_in_python(self) -> tuple[int, int, int, int]:
        posts = pdfs = contributors = images = 0
        for post in self.iter_posts():
            posts += 1
            pdfs += len(post.pdfs)
            contributors += len(post.contributors)
            images += len(post.images)
        return posts, pdfs, contributors, images

    def post_count(self) -> int:
        row = self._query_one("SELECT COUNT(*) FROM posts", ())
        return int(row[0]) if row else 0

    def fetch_counts(self) -> dict[str, int]:
        """Requests, statuses and bytes of the fetch log, counted in SQL (flat memory)."""
        row = self._query_one(
            "SELECT COUNT(*), "
            "COALESCE(SUM(kind = 'archive' AND status = 200), 0), "
            "COALESCE(SUM(kind = 'post' AND status = 200), 0), "
            "COALESCE(SUM(status = 200), 0), COALESCE(SUM(status = 304), 0), "
            "COALESCE(SUM(bytes), 0) FROM fetch_log",
            (),
        )
        names = ("requests", "archive_pages", "post_pages", "status_200", "status_304", "bytes")
        return dict(zip(names, (int(value) for value in row), strict=True))

    def fetched_rows(self) -> list[dict[str, object]]:
        """The fetch log as plain rows in a stable order (URL, kind, status) for the manifest."""
        rows = self._query_all(
            "SELECT url, status, kind, bytes, error, from_cache FROM fetch_log "
            "ORDER BY url, kind, COALESCE(status, 0), seq",
            (),
        )
        keys = ("url", "status", "kind", "bytes", "error", "from_cache")
        return [{**dict(zip(keys, row, strict=True)), "from_cache": bool(row[5])} for row in rows]

    def warning_count(self) -> int:
        row = self._query_one("SELECT COUNT(*) FROM warnings", ())
        return int(row[0])

    def warnings(self) -> list[CrawlWarning]:
        rows = self._query_all("SELECT url, kind, message FROM warnings ORDER BY seq", ())
        return [CrawlWarning(url=u, kind=k, message=m) for u, k, m in rows]

    # --- internals
    def _put_post(self, post: Post, day_index: int, page: int, position: int) -> None:
        # A post listed twice keeps its first place in output order, whatever order the
        # responses arrived in, so concurrent and resumed runs write the same bytes.
        self._db.execute(
            "INSERT INTO posts VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
            "day_index = excluded.day_index, page = excluded.page, "
            "position = excluded.position, record = excluded.record "
            "WHERE (excluded.day_index, excluded.page, excluded.position) "
            "< (posts.day_index, posts.page, posts.position) "
            "OR (excluded.day_index, excluded.page, excluded.position) "
            "= (posts.day_index, posts.page, posts.position)",
            (post.url, day_index, page, position, post.model_dump_json()),
        )

    def _relist(self, task: Task) -> None:
        """A single page queued before is listed again: keep its first listing.

        "First" is the smallest (day, page, position), as `_put_post` keeps it for entries
        shown in full, so the output does not depend on which archive page was committed
        first (concurrent crawls commit in arrival order). A post already stored moves too.
        """
        row = self._db.execute(
            "SELECT day_index, page, position FROM frontier WHERE url = ? AND kind = 'post'",
            (task.url,),
        ).fetchone()
        if row is None or _key(task) >= tuple(row):
            return
        self._db.execute(
            "UPDATE frontier SET day_index = ?, page = ?, position = ?, payload = ? WHERE url = ?",
            (task.day_index, task.page, task.position, _payload(task), task.url),
        )
        self._settle_listing(task.url)

    def _settle_listing(self, url: str) -> None:
        """Move a stored single-page post to its queued listing when that one comes first."""
        row = self._db.execute(
            "SELECT f.day_index, f.page, f.position, f.payload, p.day_index, p.page, "
            "p.position, p.record FROM frontier f JOIN posts p ON p.url = f.url "
            "WHERE f.url = ?",
            (url,),
        ).fetchone()
        if row is None or tuple(row[:3]) >= tuple(row[4:7]):
            return
        day_index, page, position, payload, *_, record = row
        extra = json.loads(str(payload)) if payload else {}
        listing = {
            "archive_url": extra.get("archive_url") or url,
            "archive_page": page,
            "position": position,
            "day": extra.get("day"),
        }
        post = Post.model_validate_json(str(record)).model_copy(update=listing)
        self._db.execute(
            "UPDATE posts SET day_index = ?, page = ?, position = ?, record = ? WHERE url = ?",
            (day_index, page, position, post.model_dump_json(), url),
        )

    def _log(self, entry: FetchLogEntry) -> None:
        self._db.execute(
            "INSERT INTO fetch_log (url, kind, status, bytes, error, from_cache) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (entry.url, entry.kind, entry.status, entry.bytes, entry.error, int(entry.from_cache)),
        )

    def _warn(self, warning: CrawlWarning) -> None:
        self._db.execute(
            "INSERT INTO warnings (url, kind, message) VALUES (?, ?, ?)",
            (warning.url, warning.kind, warning.message),
        )

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _query_one(self, sql: str, args: tuple[object, ...]) -> Any:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _query_all(self, sql: str, args: tuple[object, ...]) -> list[Any]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())


def _key(task: Task) -> tuple[int, int, int]:
    return task.day_index, task.page, task.position


def _payload(task: Task) -> str | None:
    if task.kind != "post":
        return None
    fallback = task.fallback.model_dump(mode="json") if task.fallback else None
    source = task.source.model_dump(mode="json", exclude={"body"}) if task.source else None
    return json.dumps(
        {"archive_url": task.archive_url, "day": task.day, "fallback": fallback, "source": source}
    )


def _task_from_row(row: Any) -> Task:
    url, kind, day_index, page, position, payload = row
    extra = json.loads(str(payload)) if payload else {}
    fallback = extra.get("fallback")
    source = extra.get("source")
    return Task(
        url=str(url),
        kind=str(kind),
        day_index=int(str(day_index)),
        page=int(str(page)),
        position=int(str(position)),
        archive_url=str(extra.get("archive_url", "")),
        day=extra.get("day"),
        fallback=Entry.model_validate(fallback) if fallback else None,
        source=FetchResult.model_validate(source) if source else None,
    )
