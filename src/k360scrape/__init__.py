"""k360scrape: a polite crawler and structured-data extractor for the Kommune 360° archives.

The public API: parse saved pages (`parse_archive_page`, `parse_single_page`), crawl into an
output folder (`run_crawl` with a `RunRequest`), and the models that are the data contract.
"""

from __future__ import annotations

__version__ = "0.1.0"

from k360scrape.errors import ExitCode, K360Error
from k360scrape.models import (
    ArchivePage,
    Contributor,
    Entry,
    FetchResult,
    Image,
    Link,
    Pdf,
    Post,
)
from k360scrape.parse import parse_archive_page, parse_single_page
from k360scrape.run import RunReport, RunRequest, run_crawl
from k360scrape.settings import Settings

__all__ = [
    "ArchivePage",
    "Contributor",
    "Entry",
    "ExitCode",
    "FetchResult",
    "Image",
    "K360Error",
    "Link",
    "Pdf",
    "Post",
    "RunReport",
    "RunRequest",
    "Settings",
    "parse_archive_page",
    "parse_single_page",
    "run_crawl",
]
