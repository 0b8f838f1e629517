"""`python -m k360scrape snapshot` as a real process: SIGKILL mid-crawl then --resume, two
concurrent processes on one root, and the exit codes a scheduler sees."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from k360scrape.clock import FakeClock
from k360scrape.demo import demo_start_urls
from k360scrape.errors import ExitCode
from k360scrape.fixture_server import FixtureServer
from k360scrape.settings import Settings
from k360scrape.snapshot import SnapshotRequest, run_snapshot

PROVENANCE = ("fetched_at", "status", "sha256", "source_url")


def command(server: FixtureServer, root: Path, *extra: str, delay: str = "0.05") -> list[str]:
    return [
        sys.executable,
        "-m",
        "k360scrape",
        "snapshot",
        *demo_start_urls(server.origin),
        "--root",
        str(root),
        "--delay",
        delay,
        "--quiet",
        *extra,
    ]


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def page_requests(server: FixtureServer) -> list[str]:
    """Requested paths, robots.txt aside (every process asks for it once, by design)."""
    return [r.path for r in server.requests if r.path != "/robots.txt"]


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.005)


def records(folder: Path) -> list[dict[str, Any]]:
    posts = json.loads((folder / "posts.json").read_text(encoding="utf-8"))
    return [{k: v for k, v in post.items() if k not in PROVENANCE} for post in posts]


def reference_snapshot(server: FixtureServer, root: Path) -> tuple[Path, int]:
    """An uninterrupted snapshot of the same site, in process; and its page requests."""
    request = SnapshotRequest(
        root=root,
        start_urls=demo_start_urls(server.origin),
        settings=Settings(delay=0.0, download_pdfs=True),
    )
    assert run_snapshot(request, clock=FakeClock()).exit_code is ExitCode.OK
    pages = [p for p in page_requests(server) if not p.startswith("/wp-content/")]
    server.clear_log()
    return root / "latest", len(pages)


@pytest.mark.parametrize("phase", ["pages", "pdfs"])
def test_sigkill_mid_crawl_then_resume_gives_the_uninterrupted_result(site_server, tmp_path, phase):
    reference, pages = reference_snapshot(site_server, tmp_path / "reference")
    kill_at = 4 if phase == "pages" else pages + 3  # PDFs are fetched after every page
    root = tmp_path / "root"
    with subprocess.Popen(
        command(site_server, root, "--download-pdfs"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as victim:
        wait_for(lambda: len(page_requests(site_server)) >= kill_at or victim.poll() is not None)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=10) == -signal.SIGKILL
    time.sleep(0.2)  # let the server log the request that was in flight
    before = page_requests(site_server)
    assert len(before) >= kill_at
    assert any(p.startswith("/wp-content/") for p in before) is (phase == "pdfs")
    site_server.clear_log()
    assert not (root / "latest").exists()  # an unfinished snapshot is never promoted

    resumed = run(command(site_server, root, "--download-pdfs", "--resume"))

    assert resumed.returncode == 0, resumed.stderr
    after = page_requests(site_server)
    assert after  # there was work left
    assert len(after) == len(set(after))
    # Nothing committed before the kill is fetched again; only the one request in flight.
    assert len(set(before) & set(after)) <= 1
    assert records(root / "latest") == records(reference)
    validators = json.loads((root / "latest" / "validators.json").read_text())
    assert validators.keys() == json.loads((reference / "validators.json").read_text()).keys()
    assert len(list((root / "snapshots").iterdir())) == 1


def test_a_second_process_on_the_same_root_is_refused(site_server, tmp_path):
    root = tmp_path / "root"
    with subprocess.Popen(
        command(site_server, root, delay="0.3"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as first:
        try:
            wait_for(lambda: site_server.requests or first.poll() is not None)
            assert first.poll() is None

            second = run(command(site_server, root))

            assert second.returncode == ExitCode.LOCKED
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1
            assert lines[0].startswith("k360scrape: error: another k360scrape snapshot")
            assert f"(pid {first.pid}, started " in lines[0]
        finally:
            first.kill()
            first.wait(timeout=10)


def test_exit_codes_of_a_scheduled_run(site_server, tmp_path):
    root = tmp_path / "root"
    assert run(command(site_server, root)).returncode == ExitCode.OK
    latest = (root / "latest").readlink()

    nothing = run(command(site_server, root, "--resume"))
    assert nothing.returncode == ExitCode.USAGE
    assert (
        nothing.stderr.strip() == f"k360scrape: error: no unfinished snapshot to resume in {root}"
    )

    empty = "<html><body><main class='content'></main></body></html>"
    for day in ("mittwoch", "donnerstag", "freitag"):
        site_server.set_page(f"/programm/tag/{day}/", empty)
    refused = run(command(site_server, root))
    assert refused.returncode == ExitCode.GATE_REFUSED
    assert "quality gate refused snapshot" in refused.stderr.strip().splitlines()[-1]
    assert (root / "latest").readlink() == latest

    forced = run(command(site_server, root, "--force"))
    assert forced.returncode == ExitCode.OK
    assert (root / "latest").readlink() != latest
    counts = Counter(p.name for p in (root / "snapshots").iterdir())
    assert len(counts) == 3
