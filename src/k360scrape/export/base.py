"""The exporter lifecycle every output format follows: start, write each post, finish.

Exporters write to something the caller opened (a text or binary file, or a path for SQLite);
naming, temporary files and the atomic rename belong to `writer.write_outputs`, so a test can
drive any exporter with `io.StringIO` or `io.BytesIO`.
"""

from __future__ import annotations

from typing import Protocol

from k360scrape.models import Post


class Exporter(Protocol):
    def start(self) -> None:
        """Write whatever precedes the first post (a header, a BOM, an opening bracket)."""

    def write(self, post: Post) -> None:
        """Write one post; called once per post, in output order."""

    def finish(self) -> None:
        """Write whatever follows the last post and flush; the caller closes the file."""
