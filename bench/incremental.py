"""Incremental snapshots: what a no-change `k360scrape snapshot` costs against the first one.

    python -m bench.incremental [--pages 20] [--modes excerpt,full]

Two `k360scrape snapshot URL --root DIR --delay 0` runs against the same synthetic archive
(`bench._synthetic_site`, which answers If-None-Match / If-Modified-Since with 304), nothing
changed in between. Reports requests, body bytes and wire bytes (headers included) as the
server counted them, and the counts of each snapshot's manifest. Target: the second snapshot
transfers under 5 % of the first one's bytes. Skipped with a message when the installed
k360scrape has no `snapshot` command.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench._compiled import describe_build, measure_compiled
from bench._machine import describe, verdict
from bench._synthetic_site import Mode, SyntheticSite

TARGET = 0.05
ENTRIES = 10


def snapshot_available() -> bool:
    done = subprocess.run([sys.executable, "-m", "k360scrape", "snapshot", "--help"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    return done.returncode == 0


def _manifest_counts(root: Path) -> dict[str, object]:
    latest = root / "latest" / "manifest.json"
    candidates = [latest] if latest.exists() else sorted(root.glob("snapshots/*/manifest.json"))
    if not candidates:
        return {}
    counts: dict[str, object] = json.loads(candidates[-1].read_text(encoding="utf-8"))["counts"]
    return counts


def snapshot(site: SyntheticSite, root: Path) -> tuple[dict[str, object], dict[str, object]]:
    site.stats(reset=True)
    argv = [sys.executable, "-m", "bench._run_k360", "snapshot", site.start_url,
            "--root", str(root), "--delay", "0", "--quiet"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["exit_code"] != 0:
        raise RuntimeError(f"snapshot failed ({report['exit_code']}): {done.stderr[-2000:]}")
    return site.stats(reset=True), _manifest_counts(root)


def _row(label: str, server: dict[str, object], counts: dict[str, object]) -> str:
    manifest = {k: counts.get(k) for k in ("requests", "status_200", "status_304", "bytes")}
    return (f"  {label:<7} requests {server['requests']:>5}  statuses {server['statuses']}  "
            f"body bytes {server['bytes']:>10,}  wire bytes {server['wire_bytes']:>10,}  "
            f"manifest {manifest}")  # fmt: skip


def measure(mode: Mode, pages: int) -> bool:
    with SyntheticSite(pages, entries=ENTRIES, mode=mode) as site, \
            tempfile.TemporaryDirectory(prefix="k360incr-") as tmp:  # fmt: skip
        root = Path(tmp)
        first = snapshot(site, root)
        second = snapshot(site, root)
    print(f"\nmode {mode}: {pages} archive pages, {site.html_pages} HTML pages")
    print(_row("first", *first))
    print(_row("second", *second))
    ratios = {
        key: float(second[0][key]) / float(first[0][key])  # type: ignore[arg-type]
        for key in ("requests", "bytes", "wire_bytes")
    }
    ok = ratios["wire_bytes"] < TARGET
    print(f"  second / first: requests {ratios['requests']:.1%}, body bytes "
          f"{ratios['bytes']:.1%}, wire bytes {ratios['wire_bytes']:.1%}  "
          f"(target < {TARGET:.0%} of the bytes)  {verdict(ok)}")  # fmt: skip
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--modes", default="excerpt,full")
    parser.add_argument(
        "--pure", action="store_true", help="measure the source tree, not the compiled wheel"
    )
    args = parser.parse_args(argv)
    if not args.pure:
        measure_compiled("bench.incremental", sys.argv[1:] if argv is None else list(argv))
    print(describe_build())
    print(describe("k360scrape", "httpx"))
    if not snapshot_available():
        print("SKIPPED: this k360scrape has no `snapshot` command yet")
        return 0
    ok = True
    for mode in args.modes.split(","):
        ok = measure(mode, args.pages) and ok  # type: ignore[arg-type]
    print(f"\noverall: {verdict(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
