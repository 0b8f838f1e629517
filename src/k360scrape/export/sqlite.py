"""posts.sqlite: the posts and their child tables, with full-text search, ready for Datasette.

    posts          id TEXT PRIMARY KEY, then every scalar Post field
    contributors   post_id REFERENCES posts(id), position, name, affiliation, bio
    pdfs           post_id REFERENCES posts(id), position, name, url, download fields...
    images         post_id REFERENCES posts(id), position, url, caption
    links          post_id REFERENCES posts(id), position, text, url
                   (children: PRIMARY KEY (post_id, position), index idx_<table>_post_id)
    posts_fts        FTS5 over posts(title, description)
    contributors_fts FTS5 over contributors(name, bio)

Tables, indexes and FTS are made with sqlite-utils, so they look exactly as `sqlite-utils
enable-fts` and Datasette expect (`db["posts"].detect_fts() == "posts_fts"`, external-content
FTS5 keyed by rowid). The FTS index is populated once at the end, without triggers: the file is
a finished snapshot, rebuilt on each export. Rows are inserted in output order in one
transaction, a batch of posts at a time, so the same posts give the same bytes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import MappingProxyType
from typing import Final

from sqlite_utils import Database

from k360scrape.export.rows import Kind, Row, Table, relational_tables
from k360scrape.models import Post

# Posts whose rows are inserted together: a few executemany calls per batch instead of five
# per post, in bounded memory.
_BATCH: Final = 500
FTS_COLUMNS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("posts", ("title", "description")),
    ("contributors", ("name", "bio")),
)

_SQL_TYPES: Final[MappingProxyType[Kind, type]] = MappingProxyType(
    {
        "string": str,
        "date": str,
        "datetime": str,
        "integer": int,
        "boolean": bool,  # sqlite-utils stores it as INTEGER 0/1
    }
)


class SqliteExporter:
    """Build the database at `path`, which must be a new or empty file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._tables = relational_tables()
        self._inserts = tuple((table, _insert_sql(table)) for table in self._tables)
        self._pending: tuple[list[Row], ...] = tuple([] for _ in self._tables)
        self._posts = 0
        self._conn: sqlite3.Connection | None = None

    def start(self) -> None:
        # isolation_level=None: we open the one bulk transaction ourselves.
        conn = sqlite3.connect(self._path, isolation_level=None)
        self._conn = conn
        # A crash loses only a temporary file, so durability during the build buys nothing;
        # the writer fsyncs the finished file. MEMORY keeps the journal out of the folder.
        conn.execute("PRAGMA journal_mode=MEMORY")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=ON")
        db = Database(conn)
        for table in self._tables:
            _create(db, table)
        conn.execute("BEGIN")

    def write(self, post: Post) -> None:
        self._connection()
        for (table, _), pending in zip(self._inserts, self._pending, strict=True):
            pending.extend(table.rows(post))
        self._posts += 1
        if self._posts >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        """Insert the rows gathered so far, one executemany per table, posts first (the
        children's foreign keys point at them)."""
        conn = self._connection()
        for (_, insert), pending in zip(self._inserts, self._pending, strict=True):
            conn.executemany(insert, pending)
            pending.clear()
        self._posts = 0

    def finish(self) -> None:
        self._flush()
        conn = self._connection()
        conn.execute("COMMIT")
        db = Database(conn)
        for table in self._tables:
            if table.parent_key:
                db.table(table.name).create_index([table.parent_key])
        for name, columns in FTS_COLUMNS:
            db.table(name).enable_fts(columns)
        # No VACUUM: with the in-memory journal it would hold the whole old file in RAM, and
        # a database built in one append-only pass has almost no free pages to reclaim.
        self.close()

    def close(self) -> None:
        """Close the connection; safe to call twice and after a failure."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("SqliteExporter.start() was not called")
        return self._conn


def _create(db: Database, table: Table) -> None:
    columns = {column.name: _SQL_TYPES[column.kind] for column in table.columns}
    required = {column.name for column in table.columns if column.required}
    foreign_keys = [(table.parent_key, "posts", "id")] if table.parent_key else []
    pk = table.primary_key[0] if len(table.primary_key) == 1 else table.primary_key
    db.table(table.name).create(columns, pk=pk, foreign_keys=foreign_keys, not_null=required)


def _insert_sql(table: Table) -> str:
    names = ", ".join(f'"{name}"' for name in table.header)
    marks = ", ".join("?" for _ in table.header)
    return f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
