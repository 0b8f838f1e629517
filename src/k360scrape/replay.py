"""`k360scrape reparse`: the crawl again, served from WARC files instead of the network.

`ReplayFetcher` answers `fetch()` with the stored exchange for that URL, and decides robots.txt
from the stored robots.txt, so the very same `Crawler` builds the very same records: the
rebuilt `posts.json` is byte-identical to the crawl's. Several WARCs may be given (a snapshot
and the ones before it); for a URL captured more than once the last capture wins, which is the
one a resumed crawl committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from k360scrape.errors import FetchError, RobotsDisallowed, StoreError, UsageError
from k360scrape.models import FetchResult
from k360scrape.robots import RobotsRules
from k360scrape.settings import Settings
from k360scrape.warc import iter_exchanges


class ReplayFetcher:
    """A `FetcherLike` over stored exchanges; never touches the network."""

    def __init__(self, exchanges: Iterable[FetchResult], settings: Settings) -> None:
        self._settings = settings
        self._by_url: dict[str, FetchResult] = {}
        for result in exchanges:
            if result.status == 304 and result.url in self._by_url:
                continue  # a revisit adds nothing to the capture it points to
            self._by_url[result.url] = result

    def fetch(
        self,
        url: str,
        *,
        kind: str = "page",
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        result = self._by_url.get(url)
        if result is not None:
            return result
        if self._settings.obey_robots and not self._robots(url).allowed(url):
            raise RobotsDisallowed(f"robots.txt disallows {url}", url)
        raise FetchError(f"{url} is not in the archive (it failed when crawled)", url)

    def _robots(self, url: str) -> RobotsRules:
        parts = urlsplit(url)
        stored = self._by_url.get(f"{parts.scheme}://{parts.netloc}/robots.txt")
        if stored is None:
            return RobotsRules.allow_all("no robots.txt in the archive")
        return RobotsRules.from_response(
            stored.status,
            stored.body,
            self._settings.robots_token,
            fetched_at_monotonic=0.0,
            retry_after=0.0,
        )


def load_warcs(paths: Sequence[Path]) -> tuple[list[FetchResult], dict[str, str]]:
    """Every exchange of the WARCs in order, and the first file's warcinfo fields."""
    exchanges: list[FetchResult] = []
    for path in paths:
        if not path.is_file():
            raise UsageError(f"no such WARC file: {path}")
        exchanges.extend(iter_exchanges(path, allow_truncated=True))
    return exchanges, read_warcinfo(paths[0])


def read_warcinfo(path: Path) -> dict[str, str]:
    """The `key: value` fields of the file's first warcinfo record."""
    try:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "warcinfo":
                    text = record.content_stream().read().decode("utf-8", "replace")
                    return _fields(text)
    except Exception as exc:  # warcio raises bare Exceptions on damaged files
        raise StoreError(f"cannot read {path}: {exc}") from exc
    raise StoreError(f"{path} has no warcinfo record; was it written by k360scrape?")


def crawl_parameters(info: Mapping[str, str]) -> tuple[tuple[str, ...], Settings]:
    """Start URLs and settings of the crawl that wrote the WARC."""
    try:
        starts = tuple(json.loads(info["start-urls"]))
        settings = Settings.model_validate_json(info["settings"])
    except (KeyError, ValueError) as exc:
        raise StoreError(f"warcinfo lacks the crawl's start URLs or settings: {exc}") from exc
    return starts, settings


def _fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    return fields
