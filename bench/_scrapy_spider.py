"""The Scrapy side of `bench/crawl.py`: an equivalent spider, run in its own process.

    python -m bench._scrapy_spider START_URL --concurrency 4 [--delay 0]

Same pages as `k360scrape crawl`: robots.txt (obeyed), the archive's next and numeric page
links within the same archive, and the single post page of every excerpt entry. Same fields:
every entry is extracted with `bench._extract_parsel` (the data contract, on Scrapy's own
parsel selector). Same concurrency: `CONCURRENT_REQUESTS` and `CONCURRENT_REQUESTS_PER_DOMAIN`.
No pipelines or feeds: items are only counted. Prints one JSON line: pages, items, requests
and Scrapy's own elapsed time (engine start to close, imports excluded).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

from bench import _extract_parsel
from k360scrape.urls import archive_root, canonicalize


class ArchiveSpider(Spider):
    name = "k360bench"

    def __init__(self, start_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url
        self.root = archive_root(canonicalize(start_url))
        self.items = 0

    async def start(self) -> Any:  # Scrapy ≥ 2.13
        yield Request(self.start_url, callback=self.parse)

    def start_requests(self) -> Iterator[Request]:  # older Scrapy
        yield Request(self.start_url, callback=self.parse)

    def parse(self, response: Response) -> Iterator[Any]:
        page = _extract_parsel.extract_archive(response.selector, response.url)
        for position, entry in enumerate(page.entries, start=1):
            if entry.is_excerpt and entry.url:
                yield Request(
                    entry.url, callback=self.parse_single, cb_kwargs={"position": position}
                )
            else:
                yield self._item(entry.model_dump(), page.url, position)
        for url in (page.next_url, *page.page_urls):
            if url and archive_root(url) == self.root:
                yield Request(url, callback=self.parse)

    def parse_single(self, response: Response, position: int) -> Iterator[dict[str, Any]]:
        entry = _extract_parsel.extract_single(response.selector, response.url)
        yield self._item(entry.model_dump(), response.url, position)

    def _item(self, fields: dict[str, Any], archive_url: str, position: int) -> dict[str, Any]:
        self.items += 1
        return {**fields, "archive_url": archive_url, "position": position}


def settings(concurrency: int, delay: float) -> dict[str, Any]:
    return {
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": delay,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "ITEM_PIPELINES": {},
        "USER_AGENT": "k360bench-scrapy (+local benchmark)",
    }


def run(start_url: str, concurrency: int, delay: float) -> dict[str, Any]:
    process = CrawlerProcess(settings(concurrency, delay))
    crawler = process.create_crawler(ArchiveSpider)
    opened: list[float] = []

    def on_opened(spider: Spider) -> None:  # kept referenced: Scrapy holds receivers weakly
        opened.append(time.perf_counter())

    crawler.signals.connect(on_opened, signal=signals.spider_opened)
    process.crawl(crawler, start_url=start_url)
    started = time.perf_counter()
    process.start()
    finished = time.perf_counter()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return {
        "pages": stats.get("response_received_count", 0) - stats.get("robotstxt/response_count", 0),
        "responses": stats.get("response_received_count", 0),
        "requests": stats.get("downloader/request_count", 0),
        "items": stats.get("item_scraped_count", 0),
        "bytes": stats.get("downloader/response_bytes", 0),
        "seconds": finished - (opened[0] if opened else started),
        "seconds_with_engine_start": finished - started,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("start_url")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.start_url, args.concurrency, args.delay)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
