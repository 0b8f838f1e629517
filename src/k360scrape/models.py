"""The data contract: frozen pydantic models passed between fetching, parsing and exporting.

Parsing produces `Entry` and `ArchivePage` (no I/O facts); the crawler adds provenance and
position and turns each entry into a `Post`. Exporters take `Post` only. `FetchResult` is what
the fetcher returns for one HTTP exchange.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pdf(_Model):
    """A PDF file linked from an entry; the download fields are set by `--download-pdfs`."""

    name: str = Field(description="The file link's text as shown on the page")
    url: str = Field(description="Absolute, canonical file URL")
    sha256: str | None = Field(default=None, description="SHA-256 of the downloaded bytes")
    bytes: int | None = Field(default=None, description="Size of the downloaded file")
    content_type: str | None = Field(default=None, description="Content-Type of the response")
    http_status: int | None = Field(default=None, description="Final HTTP status of the download")
    is_pdf: bool | None = Field(default=None, description="The bytes are a complete PDF")
    page_count: int | None = Field(default=None, description="Pages, read with pypdf")
    pdf_title: str | None = Field(default=None, description="Title from the PDF's metadata")
    pdf_author: str | None = Field(default=None, description="Author from the PDF's metadata")
    pdf_created: str | None = Field(default=None, description="Creation date (ISO 8601)")
    path: str | None = Field(default=None, description="Stored file, relative to the output")
    text_path: str | None = Field(default=None, description="Extracted text, relative path")
    error: str | None = Field(default=None, description="Why the download or check failed")


class Contributor(_Model):
    name: str = Field(description="Leading person name, with academic titles and particles")
    affiliation: str | None = Field(default=None, description="Text in parentheses after it")
    bio: str = Field(description="The whole paragraph as published")


class Image(_Model):
    url: str = Field(description="Absolute image URL")
    caption: str | None = Field(default=None, description="Caption, e.g. the photo credit")


class Link(_Model):
    text: str = Field(description="Link text as shown")
    url: str = Field(description="Absolute URL")


class Entry(_Model):
    """One entry as the parser sees it on an archive page or a single post page."""

    url: str | None = Field(default=None, description="Permalink (canonical) or None")
    title: str | None = None
    date: str | None = Field(default=None, description="YYYY-MM-DD")
    author: str | None = None
    label: str | None = None
    subtitle: str | None = None
    description: str = ""
    pdfs: tuple[Pdf, ...] = ()
    contributors: tuple[Contributor, ...] = ()
    images: tuple[Image, ...] = ()
    links: tuple[Link, ...] = ()
    is_excerpt: bool = Field(
        default=False, description="The archive shows a shortened entry; fetch the single page"
    )


class ArchivePage(_Model):
    """One page of a day archive."""

    url: str
    day: str | None = Field(default=None, description="The archive heading, e.g. 'Freitag'")
    page: int = Field(default=1, ge=1)
    entries: tuple[Entry, ...] = ()
    next_url: str | None = None
    page_urls: tuple[str, ...] = Field(
        default=(), description="Every archive page linked from the numeric pagination"
    )


class Post(_Model):
    """One harvested programme item: the unit of every output file."""

    id: str = Field(description="Slug of the permalink")
    url: str = Field(description="Absolute, canonical permalink")
    day: str | None = Field(description="Archive heading, e.g. 'Freitag'")
    title: str | None = Field(description="Entry title as published")
    date: str | None = Field(description="Publication date, YYYY-MM-DD")
    author: str | None = Field(description="Author, without the 'by'/'von' before it")
    label: str | None = Field(description="'Dokumentation' or null")
    subtitle: str | None = Field(description="Sub-heading before the label, or null")
    description: str = Field(description="Body paragraphs joined by one blank line")
    pdfs: tuple[Pdf, ...] = ()
    contributors: tuple[Contributor, ...] = ()
    images: tuple[Image, ...] = ()
    links: tuple[Link, ...] = ()
    archive_url: str = Field(description="Canonical URL of the archive page listing the post")
    archive_page: int = Field(ge=1)
    position: int = Field(ge=1, description="1-based position on that archive page")
    source_url: str = Field(description="Page the record was read from (archive or single)")
    fetched_at: str = Field(description="When that page was fetched, ISO 8601 UTC")
    status: int = Field(description="HTTP status of that page")
    sha256: str = Field(description="SHA-256 of that page's body")


class FetchResult(_Model):
    """One completed HTTP exchange (after redirects and retries)."""

    url: str = Field(description="The URL asked for")
    final_url: str
    method: str = "GET"
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    request_headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    fetched_at: datetime
    sha256: str
    elapsed: float = 0.0
    attempts: int = 1

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


class CrawlWarning(_Model):
    url: str
    kind: str = Field(description="missing-field, parse, fetch, robots, ...")
    message: str


class FetchLogEntry(_Model):
    """One line of the manifest's record of every URL the crawl asked for."""

    url: str
    status: int | None = Field(description="Final HTTP status, None when no response")
    kind: str = Field(description="robots, archive, post, pdf")
    bytes: int = 0
    error: str | None = None
    from_cache: bool = Field(default=False, description="304 revalidated or resumed")
