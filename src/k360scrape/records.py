"""Turn a parsed entry plus the response it came from into a `Post`: the one place where
provenance, position and the post id are decided."""

from __future__ import annotations

from k360scrape.clock import iso_utc
from k360scrape.models import ArchivePage, Entry, FetchResult, Post
from k360scrape.urls import post_id


def to_post(
    entry: Entry,
    page: ArchivePage,
    position: int,
    result: FetchResult,
    *,
    day: str | None,
    fallback_url: str,
) -> Post:
    """Build the record; `result` is the response the entry's content was read from."""
    url = entry.url or fallback_url
    return Post(
        id=post_id(url) or url,
        url=url,
        day=day,
        title=entry.title,
        date=entry.date,
        author=entry.author,
        label=entry.label,
        subtitle=entry.subtitle,
        description=entry.description,
        pdfs=entry.pdfs,
        contributors=entry.contributors,
        images=entry.images,
        links=entry.links,
        archive_url=page.url,
        archive_page=page.page,
        position=position,
        source_url=result.final_url,
        fetched_at=iso_utc(result.fetched_at),
        status=result.status,
        sha256=result.sha256,
    )


def merge_single(excerpt: Entry, single: Entry) -> Entry:
    """The single page is the full record; the excerpt only fills what the page lacks."""
    update = {
        "url": excerpt.url or single.url,
        "title": single.title or excerpt.title,
        "date": single.date or excerpt.date,
        "author": single.author or excerpt.author,
        "is_excerpt": False,
    }
    return single.model_copy(update=update)


def missing_fields(post: Post) -> list[str]:
    """The required fields an entry lacks; each is a warning (an error under --strict)."""
    return [name for name in ("title", "date", "author") if not getattr(post, name)]
