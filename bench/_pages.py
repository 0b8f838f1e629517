"""The pages the parse benchmark runs on: the fixture archive pages and synthetic variants.

Synthetic pages are cut from the fixture pages with plain string operations, so they keep the
fixture markup byte for byte: each one takes a fixture page's chrome and a deterministic
selection of its `<article>` blocks (rotated, repeated or left out, 1 to n + 5 of them), gives
every article a unique slug and prefixes its title with a number. Nothing random, so every run
(and every implementation) sees the same pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SITE = ROOT / "fixtures" / "site"
ARCHIVE_GLOB = "*/programm/tag/**/index.html"

_ARTICLE = re.compile(r"<article\b.*?</article>", re.DOTALL | re.IGNORECASE)
_TITLE_LINK = re.compile(r"(<a\b[^>]*\bentry-title-link\b[^>]*>)")


@dataclass(frozen=True)
class Page:
    url: str
    html: str


def fixture_archive_pages(site: Path = FIXTURE_SITE) -> list[Page]:
    """Every day-archive page of the fixture site, with the live URL it mirrors."""
    pages = []
    for path in sorted(site.glob(ARCHIVE_GLOB)):
        url_path = path.parent.relative_to(site).as_posix()
        pages.append(Page(f"https://{url_path}/", path.read_text(encoding="utf-8")))
    return pages


def _split(html: str) -> tuple[str, list[str], str]:
    """The page before the first article, the articles, and the page after the last one."""
    articles = _ARTICLE.findall(html)
    if not articles:
        return html, [], ""
    head = html[: html.index(articles[0])]
    tail = html[html.rindex(articles[-1]) + len(articles[-1]) :]
    return head, articles, tail


def _renamed(article: str, slugs: Iterable[str], suffix: str, number: int) -> str:
    """The article with each of its post slugs made unique and its title numbered."""
    for slug in slugs:
        article = re.sub(rf"(/){re.escape(slug)}(?=[/\"'#?])", rf"\g<1>{slug}-{suffix}", article)
    return _TITLE_LINK.sub(rf"\g<1>Nr. {number} – ", article, count=1)


def _slugs_in(article: str, known: Iterable[str]) -> list[str]:
    return [slug for slug in known if f"/{slug}" in article]


def synthesize(base: Page, variant: int, slugs: Iterable[str]) -> Page:
    """Variant `variant` of a fixture archive page (see the module docstring)."""
    head, articles, tail = _split(base.html)
    if not articles:
        return base
    count = 1 + (variant * 7) % (len(articles) + 5)
    known = sorted(set(slugs), key=len, reverse=True)
    chosen = []
    for j in range(count):
        article = articles[(variant + j) % len(articles)]
        number = variant * 100 + j
        chosen.append(_renamed(article, _slugs_in(article, known), f"v{variant}-{j}", number))
    return Page(base.url, head + "\n".join(chosen) + tail)


def bench_pages(base: list[Page], total: int, slugs_of: Callable[[Page], list[str]]) -> list[Page]:
    """The fixture pages followed by synthetic variants, `total` pages in all (at least base)."""
    pages = list(base)
    slugs = [slugs_of(page) for page in base]
    while len(pages) < total:
        index = len(pages) % len(base)  # the variant number is the page's serial: unique
        pages.append(synthesize(base[index], len(pages), slugs[index]))
    return pages
