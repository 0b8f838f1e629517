"""robots.txt rules for one origin, with the status handling of RFC 9309; pure, over protego.

| answer                               | rules                          | valid for                |
|--------------------------------------|--------------------------------|--------------------------|
| 2xx                                  | parse the first 500 KiB        | 24 h (RFC 9309 §2.4)     |
| 4xx except 429 (401 and 403 too)     | allow all ("unavailable")      | 24 h                     |
| 5xx, 429, 3xx left over, no answer   | disallow all ("unreachable")   | `retry_after` seconds    |

A disallow-all is never cached for the whole run: once it expires the fetcher asks again
(crawlee-python #2065, Scrapling #451). 429 counts as unreachable, not unavailable, because it
says the server is overloaded, not that the file is missing (Google does the same). A 3xx that
reaches this class means the fetcher could not follow it (off scope, loop, over 5 hops).

Groups are matched by the exact product token (protego#65): a `User-agent: k360scrape` group
beats `*`, and a group for a prefix such as `k360` does not apply to us.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from protego import Protego

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 §2.5: parse at least 500 KiB, may ignore the rest
RULES_TTL = 24 * 3600.0  # RFC 9309 §2.4: do not use a cached copy for more than 24 hours
_ANY_AGENT = "*"
# Mirrors protego's lenient reading of user-agent lines ("User-agent:", "User agent", ...).
_USER_AGENT_LINE = re.compile(
    r"^[ \t]*user[- ]?agent[ \t]*(?::|[ \t])[ \t]*([^#\r\n]*)", re.IGNORECASE | re.MULTILINE
)


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt allows our product token, and until when that holds."""

    status: int | None
    reason: str
    expires_at: float
    disallow_all: bool = False
    parser: Protego | None = None
    agent: str = _ANY_AGENT  # the name protego is asked with: our token or "*"

    @classmethod
    def from_response(
        cls,
        status: int | None,
        body: bytes,
        token: str,
        *,
        fetched_at_monotonic: float,
        retry_after: float,
        detail: str = "",
    ) -> RobotsRules:
        """Rules from the final robots.txt answer; `status` None means no answer at all.

        `detail` (why there was no answer) goes into `reason` for error messages.
        """
        if status is not None and 200 <= status < 300:
            return cls._parsed(status, body, token, fetched_at_monotonic)
        if status is not None and 400 <= status < 500 and status != 429:
            reason = f"robots.txt answered {status}; allowing all"
            return cls(status, reason, fetched_at_monotonic + RULES_TTL)
        until = fetched_at_monotonic + retry_after
        return cls(status, _unreachable_reason(status, detail, retry_after), until, True)

    @classmethod
    def allow_all(cls, reason: str = "robots.txt not consulted") -> RobotsRules:
        """Rules that allow everything and never expire (for `obey_robots=False`)."""
        return cls(None, reason, float("inf"))

    @classmethod
    def _parsed(cls, status: int, body: bytes, token: str, now: float) -> RobotsRules:
        # errors="replace" keeps a stray Latin-1 byte in a comment from losing the file;
        # utf-8-sig drops a byte-order mark, which would otherwise hide the first line.
        text = body[:MAX_ROBOTS_BYTES].decode("utf-8-sig", errors="replace")
        agent = token.lower() if _has_group(text, token) else _ANY_AGENT
        reason = f"robots.txt answered {status}; rules of the {agent!r} group apply"
        return cls(status, reason, now + RULES_TTL, parser=Protego.parse(text), agent=agent)

    def allowed(self, url: str) -> bool:
        """May our product token fetch `url`?"""
        if self.disallow_all:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, self.agent))

    def crawl_delay(self) -> float | None:
        """Crawl-delay of our group, else of the `*` group (the politer reading), else None."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(self.agent)
        if delay is None and self.agent != _ANY_AGENT:
            delay = self.parser.crawl_delay(_ANY_AGENT)
        return None if delay is None else float(delay)

    def expired(self, now_monotonic: float) -> bool:
        """Time to fetch robots.txt again."""
        return now_monotonic >= self.expires_at


def _has_group(text: str, token: str) -> bool:
    # protego scores groups by substring, so "k360" would match "k360scrape"; RFC 9309 wants
    # the exact token. Asking protego with "*" when no exact group exists avoids the prefix.
    wanted = token.strip().lower()
    names = (match.group(1).strip().lower() for match in _USER_AGENT_LINE.finditer(text))
    return any(name.replace("*", "") == wanted for name in names)


def _unreachable_reason(status: int | None, detail: str, retry_after: float) -> str:
    if status is None:
        cause = f"robots.txt could not be fetched ({detail})" if detail else "robots.txt timed out"
    else:
        cause = f"robots.txt answered {status}" + (f" ({detail})" if detail else "")
    return f"{cause}; disallowing all until it is asked again in {retry_after:g} s"
