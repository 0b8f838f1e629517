"""How close to a bare Lexbor parse any extraction of the contract can come with selectolax.

    python -m bench.floor [--pages 1000] [--repeat 5] [--pure]

Issue 6 asks for the full extraction at no more than 2× selectolax's bare parse. This measures
the work no extraction of the contract can leave out, one step on top of the other, on the
pages `bench.parse` uses, as a ratio to the bare parse measured in the same run:

    bare parse     LexborHTMLParser(html).root
    + entries      the page's entries found (one query), and in each the title, meta line and
                   body found (one query for all three, the fewest there can be)
    + text         the text of every block of each body, and of the title and meta line,
                   normalised as the contract requires (`text.clean`)
    + models       the page validated into `ArchivePage`/`Entry` with just those fields
    + links        each entry's permalink and the pagination's links resolved (one query for
                   the pagination, `hrefs.Urls` for the URLs)

No date or name is read, no PDF, image, body link, contributor or label is told apart, no day
heading is found: a floor, not an extraction. If this already costs more than 2×
the parse, so must the full one. The steps are plain selectolax and pydantic calls in a short
loop, so they cost what the C underneath costs, compiled or not.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from selectolax.lexbor import LexborHTMLParser

from bench._compiled import describe_build, measure_compiled
from bench._machine import describe
from bench._pages import bench_pages, fixture_archive_pages
from bench.parse import best_time, slugs_of
from k360scrape import selectors as sel
from k360scrape.models import ArchivePage
from k360scrape.parsing.hrefs import Urls
from k360scrape.text import clean

_LANDMARKS = ".entry-title, .entry-meta, .entry-content, .entry-excerpt"


def bare(html: str, url: str) -> object:
    return LexborHTMLParser(html).root


def entries(html: str, url: str) -> object:
    tree = LexborHTMLParser(html)
    find = tree.selector.find
    return [find(_LANDMARKS, entry) for entry in tree.css("article")]


def text(html: str, url: str) -> object:
    return _texts(LexborHTMLParser(html))


def models(html: str, url: str) -> object:
    found = [
        {"title": title, "description": "\n\n".join(paragraphs)}
        for title, paragraphs, _ in _texts(LexborHTMLParser(html))
    ]
    return ArchivePage.model_validate({"url": url, "entries": found})


def _texts(
    tree: LexborHTMLParser, *, with_links: bool = False
) -> list[tuple[str, list[str], str | None]]:
    find = tree.selector.find
    found = []
    for entry in tree.css("article"):
        title, paragraphs, href = "", [], None
        for node in find(_LANDMARKS, entry):
            if node.tag in ("h1", "h2", "h3"):
                title = clean(node.text())
                link = node.child if with_links else None
                href = link.attributes.get("href") if link is not None else None
            elif node.tag == "div":  # the body: each of its blocks' text
                paragraphs += [clean(block.text()) for block in node.iter()]
            else:
                clean(node.text())  # the meta line's words
        found.append((title, paragraphs, href))
    return found


def links(html: str, url: str) -> object:
    tree = LexborHTMLParser(html)
    urls = Urls(url)
    found = []
    for title, paragraphs, href in _texts(tree, with_links=True):
        entry = {"title": title, "description": "\n\n".join(paragraphs), "url": urls.resolve(href)}
        found.append(entry)
    pages = [urls.resolve(node.attributes.get("href")) for node in tree.css(sel.PAGINATION_LINKS)]
    return ArchivePage.model_validate({"url": url, "entries": found, "page_urls": pages})


STEPS: dict[str, Callable[[str, str], object]] = {
    "bare parse": bare,
    "+ entries": entries,
    "+ text": text,
    "+ models": models,
    "+ links": links,
}


def run(total: int, repeat: int) -> int:
    pages = bench_pages(fixture_archive_pages(), total, slugs_of)
    print(describe_build())
    print(describe("selectolax", "pydantic"))
    print(f"pages: {len(pages)}; best of {repeat}")
    times = {name: best_time(step, pages, repeat) for name, step in STEPS.items()}
    floor = times["bare parse"]
    for name, seconds in times.items():
        ms = seconds * 1e3 / len(pages)
        print(f"{name:<12} {ms:7.3f} ms/page  {seconds / floor:5.2f}× the bare parse")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--pure", action="store_true", help="measure the source tree, not the compiled wheel"
    )
    args = parser.parse_args(argv)
    if not args.pure:
        measure_compiled("bench.floor", sys.argv[1:] if argv is None else list(argv))
    return run(max(args.pages, 1), max(args.repeat, 1))


if __name__ == "__main__":
    sys.exit(main())
