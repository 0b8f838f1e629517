"""The exception hierarchy and the process exit codes.

    K360Error
     ├── UsageError              bad arguments or settings (exit 2)
     ├── OutputError             the output folder cannot be used (exit 2)
     ├── LockedError             another process holds the snapshot root (exit 8)
     ├── FetchError              one URL could not be fetched
     │    ├── NetworkError       no usable answer: connection, timeout, deadline
     │    ├── RobotsDisallowed   robots.txt forbids the URL
     │    │    └── RobotsUnreachable  robots.txt got no answer, so all is disallowed
     │    ├── OutOfScope         redirect or link leaves the allowed hosts or schemes
     │    ├── TooLarge           body over the size cap (or decompression bomb)
     │    ├── RetryAfterTooLong  the server asked us to wait longer than the cap
     │    └── HTTPStatusError    a final non-success status after retries
     ├── ParseError              the page is not something the parser understands
     └── StoreError              the state database, WARC or an output file failed

Exit codes are part of the public contract (README, "Exit codes"): stable and distinct.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    PARTIAL = 1  # finished, but some URLs failed
    USAGE = 2  # bad arguments, unusable output folder
    ROBOTS_FORBIDDEN = 3  # robots.txt forbids every start URL
    GATE_REFUSED = 4  # the quality gate refused promotion (snapshot) or a broken crawl
    INTERRUPTED = 5  # stopped by a signal; `snapshot --resume` continues
    NETWORK_UNREACHABLE = 6  # no start URL's host answered at all
    STRICT_WARNINGS = 7  # --strict and the run recorded warnings
    LOCKED = 8  # another process works on the same snapshot root


class K360Error(Exception):
    """Base of every error this package raises on purpose."""

    exit_code: ExitCode = ExitCode.PARTIAL


class UsageError(K360Error):
    exit_code = ExitCode.USAGE


class OutputError(K360Error):
    exit_code = ExitCode.USAGE


class LockedError(K360Error):
    exit_code = ExitCode.LOCKED


class FetchError(K360Error):
    """One URL could not be fetched; `url` says which."""

    def __init__(self, message: str, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class NetworkError(FetchError):
    """The host gave no usable answer after every retry."""


class RobotsDisallowed(FetchError):
    pass


class RobotsUnreachable(RobotsDisallowed):
    """robots.txt could not be fetched at all (RFC 9309: then nothing may be crawled)."""


class OutOfScope(FetchError):
    pass


class TooLarge(FetchError):
    pass


class RetryAfterTooLong(FetchError):
    pass


class HTTPStatusError(FetchError):
    def __init__(self, message: str, url: str = "", status: int = 0) -> None:
        super().__init__(message, url)
        self.status = status


class ParseError(K360Error):
    pass


class StoreError(K360Error):
    pass
