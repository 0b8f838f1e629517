"""A/B: the same crawl by two builds of k360scrape, interleaved, against one synthetic site.

    python -m bench.ab BUILD_A BUILD_B [--mode full|excerpt] [--pages N] [--concurrency 4]
                       [--repeat 4]

A build is a folder with an importable `k360scrape` in it: what `python -m bench._compiled`
prints (the compiled wheel of the checked-out sources, unpacked), so check out A, build, check
out B, build, and compare the two folders. The runs alternate A, B, A, B … so that the
machine's drift hits both alike; a ratio below 1 means B is faster. Each run is the real CLI
in a subprocess (`bench._run_k360`: its own time, imports excluded). The changes in
docs/PERFORMANCE.md were measured this way; differences under ~2 % are the machine's noise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench._machine import describe
from bench._synthetic_site import SyntheticSite

ENTRIES = 10
ROOT = Path(__file__).resolve().parents[1]


def crawl_seconds(build: Path, url: str, concurrency: int) -> float:
    """One crawl by the k360scrape in `build`; its own seconds."""
    with tempfile.TemporaryDirectory(prefix="k360ab-") as out:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(build), str(ROOT)))}
        argv = [sys.executable, "-m", "bench._run_k360", "crawl", url, "--out", out,
                "--delay", "0", "--concurrency", str(concurrency), "--quiet"]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    report = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    if report.get("exit_code") != 0:
        raise SystemExit(f"bench.ab: the crawl by {build} failed: {done.stderr[-500:]}")
    return float(report["seconds"])


def _summary(name: str, runs: list[float]) -> str:
    return f"{name}: best {min(runs):.2f} s, median {statistics.median(runs):.2f} s"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_a", type=Path)
    parser.add_argument("build_b", type=Path)
    parser.add_argument("--mode", choices=("full", "excerpt"), default="full")
    parser.add_argument("--pages", type=int, help="archive pages (default: ~2,000 HTML pages)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args(argv)
    for build in (args.build_a, args.build_b):
        if not (build / "k360scrape").is_dir():
            parser.error(f"{build} holds no k360scrape package (see python -m bench._compiled)")
    pages = args.pages or (2000 if args.mode == "full" else 182)
    print(describe("httpx", "selectolax", "pydantic"))
    print(f"mode {args.mode}, {pages} archive pages, concurrency {args.concurrency}, "
          f"{args.repeat} runs each, interleaved")  # fmt: skip
    times: dict[str, list[float]] = {"A": [], "B": []}
    with SyntheticSite(pages, entries=ENTRIES, mode=args.mode, max_requests=10**9) as site:
        for _ in range(args.repeat):
            for name, build in (("A", args.build_a), ("B", args.build_b)):
                times[name].append(crawl_seconds(build, site.start_url, args.concurrency))
    a, b = times["A"], times["B"]
    print(_summary("A", a))
    print(_summary("B", b))
    best, median = min(b) / min(a), statistics.median(b) / statistics.median(a)
    print(f"B / A: best {best:.3f}, median {median:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
