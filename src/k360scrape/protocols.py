"""The behaviour the crawl stages expect from each other, as typing protocols.

Anything with this `fetch()` can feed the crawler and the PDF downloader: the network
`Fetcher`, the WARC `ReplayFetcher` of `reparse`, or a snapshot's revalidating wrapper.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from k360scrape.models import FetchResult, Post


class FetcherLike(Protocol):
    def fetch(
        self,
        url: str,
        *,
        kind: str = "page",
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult: ...


class Revalidator(Protocol):
    """What an incremental run knows from the previous snapshot."""

    def conditional_headers(self, url: str) -> dict[str, str]: ...

    def previous_post(self, url: str) -> Post | None:
        """The record a single post page answered 304 stands for."""
        ...

    def previous_result(self, url: str) -> FetchResult | None:
        """The earlier 200 (body included) an archive page answered 304 stands for."""
        ...
