"""Shared pytest fixtures: the fixture site on disk and served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from k360scrape.fixture_server import FixtureServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="session")
def fixture_site() -> Path:
    """fixtures/site: one folder per host, URL paths mirrored (see fixtures/README.md)."""
    return FIXTURES / "site"


@pytest.fixture
def site_server(fixture_site: Path) -> Iterator[FixtureServer]:
    """A fresh FixtureServer per test: no overrides, no faults, an empty request log."""
    with FixtureServer(fixture_site, max_seconds=120) as server:
        yield server
