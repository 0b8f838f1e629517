"""Archive-parser throughput: k360scrape against BeautifulSoup, parsel and a bare Lexbor parse.

    python -m bench.parse [--pages 1000] [--repeat 5]

Every implementation extracts every field of the data contract (`ArchivePage` with its
`Entry` records) from the same pages; before any timing they are checked to give the same
records as k360scrape's parser on a sample, and the run aborts with a diff if one does not.
Timing: `time.perf_counter`, garbage collector off, best of `--repeat` passes over all pages.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from bench import _extract_bs4, _extract_parsel
from bench._compiled import describe_build, measure_compiled
from bench._machine import describe, verdict
from bench._pages import Page, bench_pages, fixture_archive_pages
from k360scrape.models import ArchivePage
from k360scrape.parse import parse_archive_page
from k360scrape.urls import post_id

Parser = Callable[[str, str], object]

K360 = "k360scrape (selectolax/Lexbor)"
BS4_HTML = "bs4 + html.parser"
BS4_LXML = "bs4 + lxml"
PARSEL = "parsel (lxml)"
BARE = "selectolax bare parse (floor)"


def bare_parse(html: str, url: str) -> object:
    """The floor: Lexbor builds the tree and we touch its root, nothing else."""
    return LexborHTMLParser(html).root


def extractors() -> dict[str, Callable[[str, str], ArchivePage]]:
    """Every full extraction, k360scrape's first (the reference for the agreement check)."""
    return {
        K360: parse_archive_page,
        BS4_HTML: _extract_bs4.parse_with_html_parser,
        BS4_LXML: _extract_bs4.parse_with_lxml,
        PARSEL: _extract_parsel.parse_archive_page,
    }


def slugs_of(page: Page) -> list[str]:
    return [post_id(e.url) for e in parse_archive_page(page.html, page.url).entries if e.url]


def _dump(page: ArchivePage) -> list[str]:
    return json.dumps(page.model_dump(mode="json"), ensure_ascii=False, indent=1).splitlines()


def disagreements(pages: Sequence[Page]) -> list[str]:
    """A unified diff per (implementation, page) whose records differ from k360scrape's."""
    impls = extractors()
    reference = impls.pop(K360)
    diffs = []
    for page in pages:
        expected = reference(page.html, page.url)
        for name, extract in impls.items():
            got = extract(page.html, page.url)
            if got != expected:
                diff = difflib.unified_diff(_dump(expected), _dump(got), K360, name, lineterm="")
                diffs.append(f"--- {page.url} ({name})\n" + "\n".join(diff))
    return diffs


def best_time(parse: Parser, pages: Sequence[Page], repeat: int) -> float:
    """Best of `repeat` passes over all pages, in seconds, with the collector off."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            for page in pages:
                parse(page.html, page.url)
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


@dataclass(frozen=True)
class Target:
    """A speed-up (pages/s over pages/s, at least `bound`) or a cost (time over time, at most)."""

    label: str
    numerator: str
    denominator: str
    bound: float | None
    at_least: bool = True

    def check(self, rate: dict[str, float]) -> str:
        if self.at_least:
            ratio, sign = rate[self.numerator] / rate[self.denominator], "≥"
        else:
            ratio, sign = rate[self.denominator] / rate[self.numerator], "≤"
        if self.bound is None:
            return f"{self.label:<44} {ratio:7.2f}×  (no target)"
        ok = ratio >= self.bound if self.at_least else ratio <= self.bound
        return f"{self.label:<44} {ratio:7.2f}×  (target {sign} {self.bound:g}×)  {verdict(ok)}"


TARGETS = (
    Target("k360scrape vs bs4 + html.parser (speed-up)", K360, BS4_HTML, 20.0),
    Target("k360scrape vs bs4 + lxml (speed-up)", K360, BS4_LXML, None),
    Target("k360scrape vs parsel (speed-up)", K360, PARSEL, 4.0),
    Target("k360scrape full extraction / bare parse", K360, BARE, 2.0, at_least=False),
)


def run(total: int, repeat: int, sample: int) -> int:
    base = fixture_archive_pages()
    if not base:
        print("no fixture archive pages under fixtures/site/", file=sys.stderr)
        return 2
    pages = bench_pages(base, total, slugs_of)
    print(describe("selectolax", "beautifulsoup4", "lxml", "parsel", "pydantic"))
    size = sum(len(p.html) for p in pages) / len(pages) / 1024
    entries = sum(len(parse_archive_page(p.html, p.url).entries) for p in pages)
    print(
        f"pages: {len(pages)} ({len(base)} fixture + synthetic), {entries} entries, "
        f"mean {size:.1f} KiB; best of {repeat}"
    )
    diffs = disagreements(pages[: len(base) + sample])
    if diffs:
        print("\n\n".join(diffs))
        print(f"ABORT: {len(diffs)} extraction(s) disagree with k360scrape", file=sys.stderr)
        return 1
    print(f"agreement: all implementations give the same records on {len(base) + sample} pages")
    parsers: dict[str, Parser] = {**extractors(), BARE: bare_parse}
    rate = {}
    for name, parse in parsers.items():
        seconds = best_time(parse, pages, repeat)
        rate[name] = len(pages) / seconds
        print(f"{name:<34} {rate[name]:9.0f} pages/s  {seconds * 1e3 / len(pages):7.3f} ms/page")
    for target in TARGETS:
        print(target.check(rate))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="pages in all (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="passes; the best counts")
    parser.add_argument("--sample", type=int, default=40, help="synthetic pages checked")
    parser.add_argument(
        "--pure", action="store_true", help="measure the source tree, not the compiled wheel"
    )
    args = parser.parse_args(argv)
    if not args.pure:
        measure_compiled("bench.parse", sys.argv[1:] if argv is None else list(argv))
    print(describe_build())
    return run(max(args.pages, 1), max(args.repeat, 1), max(args.sample, 0))


if __name__ == "__main__":
    sys.exit(main())
