"""Crawl speed: a polite crawl against its politeness bound, an unthrottled one against Scrapy.

    python -m bench.crawl [--polite-pages 30] [--delay 0.2] [--pages 2000]
                          [--concurrency 1,4,8] [--modes excerpt,full] [--repeat 1]

Both crawlers run as subprocesses against the same `bench._synthetic_site` server (its own
process): `k360scrape crawl` through `bench._run_k360` (the real CLI, every output written)
and the equivalent Scrapy spider `bench._scrapy_spider` (robots obeyed, same pages and
fields, same concurrency, items only counted). Pages/s = HTML pages the server answered
divided by the crawler's own elapsed time (interpreter start and imports excluded on both
sides); the subprocess wall time is printed too.

(1) polite: `--polite-pages` archive pages at `--delay`, concurrency 1; the span from the
first request's arrival to the last response, against the bound (N − 1) · delay for the N
requests the server saw (robots.txt included). Target ≤ 1.05×.
(2) unthrottled: about `--pages` HTML pages at delay 0 for each concurrency; k360scrape's
pages/s over Scrapy's. Target ≥ 1.5× at every concurrency. In "excerpt" mode the archive
lists excerpts, so each archive page brings 10 single post pages (pages = archive + posts);
in "full" mode every page is an archive page.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._compiled import describe_build, measure_compiled
from bench._machine import describe, verdict
from bench._synthetic_site import Mode, SyntheticSite

POLITE_TARGET = 1.05
GAP_JITTER = 0.005  # seconds
SPEED_TARGET = 1.5
ENTRIES = 10


@dataclass(frozen=True)
class Run:
    crawler: str
    concurrency: int
    seconds: float  # the crawler's own elapsed time
    wall: float  # the subprocess, start to exit
    pages: int  # HTML pages answered by the server
    items: int
    server: dict[str, object]

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def _last_json(stdout: str) -> dict[str, object]:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            result: dict[str, object] = json.loads(line)
            return result
    raise RuntimeError(f"no JSON report in the crawler's output: {stdout[-500:]!r}")


def _subprocess(argv: list[str]) -> tuple[dict[str, object], float]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{argv[2]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return _last_json(done.stdout), wall


def _html_pages(server: dict[str, object]) -> int:
    kinds = server["kinds"]
    assert isinstance(kinds, dict)
    return int(kinds.get("archive", 0)) + int(kinds.get("post", 0))


def run_k360(site: SyntheticSite, concurrency: int, delay: float) -> Run:
    site.stats(reset=True)
    with tempfile.TemporaryDirectory(prefix="k360bench-") as out:
        argv = [sys.executable, "-m", "bench._run_k360", "crawl", site.start_url,
                "--out", out, "--delay", str(delay), "--concurrency", str(concurrency),
                "--quiet"]  # fmt: skip
        report, wall = _subprocess(argv)
        manifest = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
    server = site.stats(reset=True)
    items, seconds = int(manifest["counts"]["posts"]), float(report["seconds"])  # type: ignore[arg-type]
    return Run("k360scrape", concurrency, seconds, wall, _html_pages(server), items, server)


def run_scrapy(site: SyntheticSite, concurrency: int, delay: float) -> Run:
    site.stats(reset=True)
    argv = [sys.executable, "-m", "bench._scrapy_spider", site.start_url,
            "--concurrency", str(concurrency), "--delay", str(delay)]  # fmt: skip
    report, wall = _subprocess(argv)
    server = site.stats(reset=True)
    seconds, items = float(report["seconds"]), int(report["items"])  # type: ignore[arg-type,call-overload]
    return Run("Scrapy", concurrency, seconds, wall, _html_pages(server), items, server)


def _line(run: Run) -> str:
    return (
        f"  {run.crawler:<11} c={run.concurrency}  {run.pages:5d} pages {run.items:6d} items  "
        f"{run.seconds:7.2f} s  {run.rate:7.1f} pages/s  (process wall {run.wall:6.2f} s)"
    )


# --- (1) polite crawl ------------------------------------------------------------------


def polite(pages: int, delay: float) -> bool:
    print(f"\n(1) polite crawl: {pages} archive pages, --delay {delay}, concurrency 1")
    ok = True
    with SyntheticSite(pages=pages, entries=ENTRIES, mode="full") as site:
        for runner in (run_k360, run_scrapy):
            run = runner(site, 1, delay)
            span = float(run.server["last_sent"]) - float(run.server["first_arrival"])  # type: ignore[arg-type]
            requests = int(run.server["requests"])  # type: ignore[call-overload]
            bound = (requests - 1) * delay
            ratio = span / bound
            gap = float(run.server["min_gap"])  # type: ignore[arg-type]
            print(_line(run))
            print(f"    {requests} requests; first request → last response {span:.3f} s; "
                  f"bound (N−1)·delay = {bound:.3f} s; ratio {ratio:.3f}×; "
                  f"shortest gap between request starts {gap:.3f} s")  # fmt: skip
            if run.crawler == "k360scrape":
                # Arrival times at the server carry a few ms of jitter against the client's
                # request starts; the bound is what the target is about.
                ok = ratio <= POLITE_TARGET and gap >= delay - GAP_JITTER
                print(f"    k360scrape polite crawl ≤ {POLITE_TARGET}× bound, gaps ≥ delay − 5 ms: "
                      f"{verdict(ok)}")  # fmt: skip
    return ok


# --- (2) unthrottled against Scrapy ----------------------------------------------------


def archive_pages_for(html_pages: int, mode: Mode) -> int:
    per_archive_page = ENTRIES + 1 if mode == "excerpt" else 1
    return math.ceil(html_pages / per_archive_page)


def _best(runs: list[Run]) -> Run:
    return max(runs, key=lambda run: run.rate)


def unthrottled(pages: int, mode: Mode, concurrencies: Sequence[int], repeat: int) -> bool:
    archive_pages = archive_pages_for(pages, mode)
    runs = 2 * len(concurrencies) * repeat
    print(f"\n(2) unthrottled, mode {mode}: {archive_pages} archive pages × {ENTRIES} entries, "
          f"delay 0, best of {repeat}")  # fmt: skip
    all_ok = True
    budget = runs * (archive_pages * (ENTRIES + 1) + 10) * 2
    with SyntheticSite(archive_pages, entries=ENTRIES, mode=mode, max_requests=budget) as site:
        for concurrency in concurrencies:
            ours: list[Run] = []
            theirs: list[Run] = []
            for _ in range(repeat):  # interleaved, so drift hits both alike
                ours.append(run_k360(site, concurrency, 0.0))
                theirs.append(run_scrapy(site, concurrency, 0.0))
            k360, scrapy = _best(ours), _best(theirs)
            print(_line(k360))
            print(_line(scrapy))
            if (k360.pages, k360.items) != (scrapy.pages, scrapy.items):
                print(f"    WARNING: the crawls differ: {k360.server} vs {scrapy.server}")
            ratio = k360.rate / scrapy.rate
            ok = ratio >= SPEED_TARGET
            all_ok = all_ok and ok
            print(f"    c={concurrency}: k360scrape / Scrapy = {ratio:.2f}×  "
                  f"(target ≥ {SPEED_TARGET}×)  {verdict(ok)};  by process wall "
                  f"{scrapy.wall / k360.wall:.2f}×")  # fmt: skip
    return all_ok


def server_capacity(seconds: float = 2.0) -> None:
    """How many archive pages/s the synthetic server answers to one keep-alive client."""
    import http.client

    with SyntheticSite(pages=10_000, entries=ENTRIES, mode="full") as site:
        host = site.origin.removeprefix("http://")
        connection = http.client.HTTPConnection(host)
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            connection.request("GET", f"/programm/tag/freitag/page/{2 + count % 9000}/")
            connection.getresponse().read()
            count += 1
        elapsed = time.perf_counter() - started
        connection.close()
    print(f"server capacity: {count / elapsed:.0f} archive pages/s to one keep-alive "
          f"http.client connection (the client's cost included)")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polite-pages", type=int, default=30)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--pages", type=int, default=2000, help="HTML pages per unthrottled crawl")
    parser.add_argument("--concurrency", default="1,4,8")
    parser.add_argument("--modes", default="excerpt,full")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-polite", action="store_true")
    parser.add_argument(
        "--pure", action="store_true", help="measure the source tree, not the compiled wheel"
    )
    args = parser.parse_args(argv)
    if not args.pure:
        measure_compiled("bench.crawl", sys.argv[1:] if argv is None else list(argv))
    print(describe_build())
    print(describe("k360scrape", "httpx", "selectolax", "scrapy", "twisted", "parsel"))
    server_capacity()
    ok = True if args.skip_polite else polite(args.polite_pages, args.delay)
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    for mode in args.modes.split(","):
        ok = unthrottled(args.pages, mode, concurrencies, max(1, args.repeat)) and ok  # type: ignore[arg-type]
    print(f"\noverall: {verdict(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
