"""Scale: wall time and peak RSS of `k360scrape crawl` at 1,000, 10,000 and 100,000 posts.

    python -m bench.scale [--posts 1000,10000,100000] [--concurrency 1] [--keep DIR]

Each size is a synthetic archive (`bench._synthetic_site`, "full" mode: 10 entries per page,
so 100,000 posts = 10,000 archive pages) crawled at delay 0 by the real CLI in a subprocess
of its own (`bench._run_k360`), every output written. Peak RSS is the crawler process's
`ru_maxrss`. Targets: peak RSS under 200 MB at 100,000 posts, growing less than 15 % from
10,000 to 100,000 posts; time per post at 100,000 within 10 % of that at 10,000 (linear).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._compiled import describe_build, measure_compiled
from bench._machine import describe, verdict
from bench._synthetic_site import SyntheticSite

ENTRIES = 10
RSS_LIMIT_MB = 200.0
RSS_GROWTH = 0.15
LINEARITY = 0.10


@dataclass(frozen=True)
class Size:
    posts: int
    seconds: float
    wall: float
    peak_rss_mb: float
    written_posts: int
    output_mib: float
    requests: int


def _dir_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def crawl(posts: int, concurrency: int, keep: Path | None) -> Size:
    pages = posts // ENTRIES
    out = Path(tempfile.mkdtemp(prefix=f"k360scale-{posts}-"))
    try:
        with SyntheticSite(pages, entries=ENTRIES, mode="full", max_seconds=4 * 3600) as site:
            argv = [sys.executable, "-m", "bench._run_k360", "crawl", site.start_url,
                    "--out", str(out), "--delay", "0", "--concurrency", str(concurrency),
                    "--quiet"]  # fmt: skip
            started = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - started
            server = site.stats()
        report = json.loads(done.stdout.strip().splitlines()[-1])
        if report["exit_code"] != 0:
            raise RuntimeError(f"crawl of {posts} posts failed: {done.stderr[-2000:]}")
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        size = Size(posts, report["seconds"], wall, report["peak_rss_mb"],
                    manifest["counts"]["posts"], _dir_mib(out), int(server["requests"]))  # type: ignore[call-overload]  # fmt: skip
        if keep is not None:
            shutil.copytree(out, keep / f"posts-{posts}", dirs_exist_ok=True)
        return size
    finally:
        shutil.rmtree(out, ignore_errors=True)


HEADER = (
    f"{'posts':>8} {'requests':>9} {'seconds':>9} {'µs/post':>9} {'peak RSS':>11} "
    f"{'written':>8} {'output':>10}"
)


def row(s: Size) -> str:
    return (
        f"{s.posts:8d} {s.requests:9d} {s.seconds:9.2f} {s.seconds / s.posts * 1e6:9.0f} "
        f"{s.peak_rss_mb:8.1f} MB {s.written_posts:8d} {s.output_mib:6.1f} MiB"
    )


def report(sizes: list[Size]) -> bool:
    by_posts = {s.posts: s for s in sizes}
    ok = all(s.written_posts == s.posts for s in sizes)
    if not ok:
        print("MISS: some crawls did not write every post")
    if 10_000 in by_posts and 100_000 in by_posts:
        small, big = by_posts[10_000], by_posts[100_000]
        rss_ok = big.peak_rss_mb < RSS_LIMIT_MB
        growth = big.peak_rss_mb / small.peak_rss_mb - 1
        per_post = (big.seconds / big.posts) / (small.seconds / small.posts) - 1
        checks = (
            (f"peak RSS at 100,000 posts {big.peak_rss_mb:.1f} MB (< {RSS_LIMIT_MB:g} MB)",
             rss_ok),
            (f"RSS growth 10,000 → 100,000 posts {growth:+.1%} (< {RSS_GROWTH:.0%})",
             growth < RSS_GROWTH),
            (f"time per post 100,000 vs 10,000 {per_post:+.1%} (within ±{LINEARITY:.0%})",
             abs(per_post) <= LINEARITY),
        )  # fmt: skip
        for label, passed in checks:
            print(f"{label:<62} {verdict(passed)}")
            ok = ok and passed
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", default="1000,10000,100000")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="copy each output folder here")
    parser.add_argument(
        "--pure", action="store_true", help="measure the source tree, not the compiled wheel"
    )
    args = parser.parse_args(argv)
    if not args.pure:
        measure_compiled("bench.scale", sys.argv[1:] if argv is None else list(argv))
    print(describe_build())
    print(describe("k360scrape", "httpx", "selectolax", "pydantic"))
    print(f"synthetic archive, {ENTRIES} entries per page, delay 0, concurrency {args.concurrency}")
    print(HEADER, flush=True)
    sizes = []
    for posts in args.posts.split(","):
        sizes.append(crawl(int(posts), args.concurrency, args.keep))
        print(row(sizes[-1]), flush=True)
    print(f"\noverall: {verdict(report(sizes))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
