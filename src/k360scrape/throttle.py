"""Politeness arithmetic: start spacing, Crawl-delay, Retry-After and retry backoff.

The functions are pure; `HostThrottle` is the one stateful piece, and it takes its time and
its sleep from an injected `Clock`, so tests drive it with `FakeClock` and never wait.
"""

from __future__ import annotations

import math
import random
import re
import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from k360scrape.clock import Clock

_DELTA_SECONDS = re.compile(r"\d+(?:\.\d+)?")  # RFC 9110 says digits; some servers add ".5"
_MAX_EXPONENT = 64  # 2**64 × any sane base is far beyond every cap; avoids float overflow


def wait_before_start(last_start: float | None, now: float, delay: float) -> float:
    """Seconds to wait so that a request starting now is `delay` after the previous start."""
    if last_start is None:
        return 0.0
    return max(0.0, last_start + delay - now)


def effective_delay(delay: float, crawl_delay: float | None) -> float:
    """The spacing to use: robots.txt's Crawl-delay when it asks for more than `delay`."""
    if crawl_delay is None or not math.isfinite(crawl_delay):
        return delay
    return max(delay, crawl_delay)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a Retry-After header asks for: delta-seconds or an HTTP-date; garbage → None.

    Never negative: a date in the past means "now".

    >>> from datetime import UTC, datetime
    >>> parse_retry_after("Wed, 01 Jan 2026 00:01:00 GMT", datetime(2026, 1, 1, tzinfo=UTC))
    60.0
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)
    return _seconds_until_date(text, now)


def _seconds_until_date(text: str, now: datetime) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; obsolete forms parse as naive
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def backoff(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Wait after failed attempt number `attempt` (1-based): exponential with full jitter.

    Full jitter (uniform between 0 and min(cap, base·2^(attempt-1))) spreads the retries of
    several workers instead of having them return in lock-step.
    """
    exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
    ceiling = min(cap, base * 2.0**exponent)
    return rng.uniform(0.0, ceiling) if ceiling > 0 else 0.0


class HostThrottle:
    """Hands out start slots per host so no two requests start closer than the delay.

    Thread-safe: a worker reserves its slot under the lock and sleeps outside it, so
    concurrent workers queue up behind each other instead of all starting at once.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last_start: dict[str, float] = {}
        self._not_before: dict[str, float] = {}

    def wait(self, key: str, delay: float) -> float:
        """Block until this host's next start slot; return the seconds slept."""
        with self._lock:
            now = self._clock.monotonic()
            start = now + wait_before_start(self._last_start.get(key), now, delay)
            start = max(start, self._not_before.get(key, now))
            self._last_start[key] = start
        pause = start - now
        if pause > 0:
            self._clock.sleep(pause)
        return pause

    def hold(self, key: str, seconds: float) -> None:
        """Start nothing on this host for `seconds` (a server's Retry-After applies to all)."""
        with self._lock:
            until = self._clock.monotonic() + max(0.0, seconds)
            self._not_before[key] = max(until, self._not_before.get(key, until))
