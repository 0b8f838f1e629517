"""Run one `k360scrape` command in this process and report its time and peak memory.

    python -m bench._run_k360 crawl URL --out DIR --delay 0 --quiet

The benchmarks start this as a subprocess, so the crawler has a process of its own: the
command's time is measured from just before the CLI is called to its exit (interpreter start
and imports excluded, as Scrapy's own elapsed time excludes them), and the peak RSS is the
process's `ru_maxrss`. Prints one JSON line on stdout after the command's own output.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from k360scrape.cli import main


def run(argv: list[str]) -> dict[str, float | int]:
    started = time.perf_counter()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"exit_code": code, "seconds": seconds, "peak_rss_mb": peak_kib * 1024 / 1e6}


if __name__ == "__main__":
    report = run(sys.argv[1:])
    sys.stdout.flush()
    print("\n" + json.dumps(report))
