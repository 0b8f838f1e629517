"""The quality gate: may a finished snapshot replace `latest`? Pure functions, no I/O.

A scheduled scrape that silently publishes an empty or half-broken result is worse than one
that publishes nothing, so a snapshot is refused when

1. it holds no posts at all (the site or its markup changed);
2. any archive page failed (a list page missing means posts missing, maybe unnoticed);
3. its post count fell by more than `max_drop` (a share, 0.2 = 20 %) against `latest`;
4. the share of posts missing a title, a date or an author rose against `latest` (checked per
   field, so a selector that broke for one field shows up even if another improved).

Rules 3 and 4 need a previous snapshot; the first snapshot only has to pass 1 and 2. Shares are
compared exactly (cross-multiplied integers), so 1 of 30 against 0 of 29 is a rise, and an
equal share is not. Every failed rule is reported; `Verdict.reason` joins them on one line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from k360scrape.models import Post

REQUIRED_FIELDS = ("title", "date", "author")
DEFAULT_MAX_DROP = 0.2


@dataclass(frozen=True)
class Quality:
    """The numbers the gate looks at, for one snapshot."""

    posts: int
    failed_archive_pages: int = 0
    missing: dict[str, int] = field(default_factory=dict)  # field name → posts without it

    def missing_share(self, name: str) -> float:
        return self.missing.get(name, 0) / self.posts if self.posts else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "posts": self.posts,
            "failed_archive_pages": self.failed_archive_pages,
            "missing": {name: self.missing.get(name, 0) for name in REQUIRED_FIELDS},
        }


@dataclass(frozen=True)
class Verdict:
    """The gate's answer: passed, or refused with the failed rules."""

    reasons: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.reasons

    @property
    def reason(self) -> str:
        """One line for the terminal: every failed rule, or 'passed'."""
        return "; ".join(self.reasons) if self.reasons else "passed"


def quality_of(posts: Iterable[Post], *, failed_archive_pages: int = 0) -> Quality:
    """Count the posts and, per required field, the posts that lack it."""
    total = 0
    missing = dict.fromkeys(REQUIRED_FIELDS, 0)
    for post in posts:
        total += 1
        for name in REQUIRED_FIELDS:
            if not getattr(post, name):
                missing[name] += 1
    return Quality(total, failed_archive_pages, missing)


def evaluate(new: Quality, previous: Quality | None, *, max_drop: float) -> Verdict:
    """Apply the four rules (module docstring) to `new`, against `previous` if there is one."""
    if not 0.0 <= max_drop <= 1.0:
        raise ValueError("max_drop must be a share between 0 and 1")
    reasons = [*_absolute(new)]
    if previous is not None and previous.posts:
        reasons += _drop(new, previous, max_drop) + _missing_rises(new, previous)
    return Verdict(tuple(reasons))


def _absolute(new: Quality) -> list[str]:
    reasons = []
    if new.posts == 0:
        reasons.append("the snapshot has no posts")
    if new.failed_archive_pages:
        reasons.append(f"{new.failed_archive_pages} archive page(s) failed")
    return reasons


def _drop(new: Quality, previous: Quality, max_drop: float) -> list[str]:
    fallen = previous.posts - new.posts
    if fallen <= 0 or fallen / previous.posts <= max_drop:
        return []
    share = _percent(fallen / previous.posts)
    limit = _percent(max_drop)
    return [f"post count fell from {previous.posts} to {new.posts} (-{share}, over {limit})"]


def _missing_rises(new: Quality, previous: Quality) -> list[str]:
    if new.posts == 0:
        return []  # already refused, and a share of nothing says nothing
    reasons = []
    for name in REQUIRED_FIELDS:
        now, before = new.missing.get(name, 0), previous.missing.get(name, 0)
        # now/new.posts > before/previous.posts, without floating point
        if now * previous.posts > before * new.posts:
            reasons.append(
                f"share of posts without {name} rose from {_percent(previous.missing_share(name))}"
                f" to {_percent(new.missing_share(name))}"
            )
    return reasons


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %"
