"""`k360scrape demo`: the bundled fixture site, served on 127.0.0.1, crawled for real."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from k360scrape.errors import UsageError
from k360scrape.fixture_server import FixtureServer

DAYS = ("mittwoch", "donnerstag", "freitag")
DEMO_DELAY = 0.05


def find_site(site: Path | None) -> Path:
    """The fixture site: the given folder, or `fixtures/site` of this source checkout."""
    candidates = (
        [site]
        if site
        else [
            Path.cwd() / "fixtures" / "site",
            Path(__file__).resolve().parents[2] / "fixtures" / "site",
        ]
    )
    for candidate in candidates:
        if candidate and (candidate / "www.kommune360.de").is_dir():
            return candidate
    raise UsageError("fixture site not found; run from the source checkout or give --site")


def demo_start_urls(origin: str) -> tuple[str, ...]:
    return tuple(f"{origin}/programm/tag/{day}/" for day in DAYS)


@contextmanager
def serve(root: Path) -> Iterator[str]:
    with FixtureServer(root) as server:
        yield server.origin
