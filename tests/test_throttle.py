"""Politeness arithmetic and the per-host start-slot throttle (pure; FakeClock, no sleeping)."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k360scrape.clock import FakeClock
from k360scrape.throttle import (
    HostThrottle,
    backoff,
    effective_delay,
    parse_retry_after,
    wait_before_start,
)

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_start", "now", "delay", "expected"),
    [
        (None, 10.0, 2.0, 0.0),
        (10.0, 10.0, 2.0, 2.0),
        (10.0, 11.5, 2.0, 0.5),
        (10.0, 12.0, 2.0, 0.0),
        (10.0, 30.0, 2.0, 0.0),
        (10.0, 10.0, 0.0, 0.0),
    ],
)
def test_wait_before_start(
    last_start: float | None, now: float, delay: float, expected: float
) -> None:
    assert wait_before_start(last_start, now, delay) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("delay", "crawl_delay", "expected"),
    [(1.0, None, 1.0), (1.0, 5.0, 5.0), (3.0, 0.5, 3.0), (1.0, float("inf"), 1.0)],
)
def test_effective_delay(delay: float, crawl_delay: float | None, expected: float) -> None:
    assert effective_delay(delay, crawl_delay) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Thu, 01 Jan 2026 12:01:30 GMT", 90.0),
        ("Thursday, 01-Jan-26 12:00:10 GMT", 10.0),  # RFC 850, obsolete but legal
        ("Thu Jan  1 12:00:05 2026", 5.0),  # asctime, naive: read as GMT
        ("Wed, 31 Dec 2025 12:00:00 GMT", 0.0),  # in the past: now, never negative
        ("-5", None),
        ("soon", None),
        ("inf", None),
        ("nan", None),
        ("", None),
        (None, None),
        ("Thu, 99 Foo 2026 12:00:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@given(st.text(max_size=40))
def test_parse_retry_after_never_raises_or_goes_negative(value: str) -> None:
    seconds = parse_retry_after(value, NOW)
    assert seconds is None or seconds >= 0


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0)])
def test_backoff_is_full_jitter_under_an_exponential_ceiling(attempt: int, ceiling: float) -> None:
    rng = random.Random(7)
    waits = [backoff(attempt, 1.0, 30.0, rng) for _ in range(500)]
    assert all(0.0 <= wait <= ceiling for wait in waits)
    assert max(waits) > 0.8 * ceiling  # jitter covers the range, not just a corner
    assert min(waits) < 0.2 * ceiling


def test_backoff_edge_cases() -> None:
    rng = random.Random(1)
    assert backoff(10_000, 1.0, 60.0, rng) <= 60.0  # no overflow for absurd attempt counts
    assert backoff(3, 0.0, 60.0, rng) == 0.0
    assert backoff(3, 1.0, 0.0, rng) == 0.0


def test_backoff_is_reproducible_with_a_seed() -> None:
    first = [backoff(n, 1.0, 60.0, random.Random(3)) for n in range(1, 5)]
    assert first == [backoff(n, 1.0, 60.0, random.Random(3)) for n in range(1, 5)]


def test_host_throttle_spaces_starts_per_host() -> None:
    clock = FakeClock()
    throttle = HostThrottle(clock)
    assert throttle.wait("a", 2.0) == 0.0
    assert throttle.wait("a", 2.0) == 2.0
    assert throttle.wait("b", 2.0) == 0.0  # another host has its own slots
    clock.advance(5.0)
    assert throttle.wait("a", 2.0) == 0.0
    assert clock.sleeps == [2.0]


def test_host_throttle_uses_the_delay_of_each_call() -> None:
    clock = FakeClock()
    throttle = HostThrottle(clock)
    throttle.wait("a", 1.0)
    assert throttle.wait("a", 10.0) == 10.0  # Crawl-delay learnt after the first request


def test_host_throttle_hold_delays_everyone_on_the_host() -> None:
    clock = FakeClock()
    throttle = HostThrottle(clock)
    throttle.wait("a", 1.0)
    throttle.hold("a", 30.0)
    throttle.hold("a", 5.0)  # a shorter hold never shortens a longer one
    assert throttle.wait("a", 1.0) == 30.0
    assert throttle.wait("b", 1.0) == 0.0


class FrozenClock(FakeClock):
    """Time stands still while threads sleep, so every slot is reserved at t=0."""

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)


def test_host_throttle_reserves_distinct_slots_across_threads() -> None:
    throttle = HostThrottle(FrozenClock())
    pauses: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        pause = throttle.wait("a", 1.5)
        with lock:
            pauses.append(pause)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(pauses) == [1.5 * n for n in range(8)]
