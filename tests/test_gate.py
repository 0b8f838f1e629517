"""The quality gate's rules, table-driven."""

from __future__ import annotations

import pytest

from k360scrape.gate import Quality, evaluate, quality_of
from k360scrape.models import Post

FELL_TO_ZERO = "post count fell from 100 to 0 (-100.0 %, over 20.0 %)"
FELL_TO_TEN = "post count fell from 20 to 10 (-50.0 %, over 20.0 %)"
TITLE_ROSE = "share of posts without title rose from 0.0 % to 10.0 %"


def q(posts: int, failed: int = 0, **missing: int) -> Quality:
    return Quality(posts, failed, missing)


@pytest.mark.parametrize(
    ("new", "previous", "max_drop", "passed", "reason"),
    [
        # first snapshot: only "no posts" and "archive page failed" apply
        (q(10), None, 0.2, True, "passed"),
        (q(0), None, 0.2, False, "the snapshot has no posts"),
        (q(10, failed=1), None, 0.2, False, "1 archive page(s) failed"),
        (q(10, author=10), None, 0.2, True, "passed"),
        # count drop, exactly at and beyond the limit
        (q(80), q(100), 0.2, True, "passed"),
        (q(79), q(100), 0.2, False, "post count fell from 100 to 79 (-21.0 %, over 20.0 %)"),
        (q(120), q(100), 0.2, True, "passed"),
        (q(99), q(100), 0.0, False, "post count fell from 100 to 99 (-1.0 %, over 0.0 %)"),
        (q(1), q(100), 1.0, True, "passed"),
        (q(0), q(100), 0.2, False, "the snapshot has no posts; " + FELL_TO_ZERO),
        # missing-field shares, per field, compared exactly
        (
            q(30, title=1),
            q(29),
            0.2,
            False,
            "share of posts without title rose from 0.0 % to 3.3 %",
        ),
        (q(20, date=2), q(10, date=1), 0.2, True, "passed"),  # same share
        (
            q(20, date=3),
            q(10, date=1),
            0.2,
            False,
            "share of posts without date rose from 10.0 % to 15.0 %",
        ),
        (q(10, author=1, title=0), q(10, author=2, title=0), 0.2, True, "passed"),  # improved
        (
            q(10, author=1, date=1),
            q(10, author=2),
            0.2,
            False,
            "share of posts without date rose from 0.0 % to 10.0 %",
        ),
        # an empty previous snapshot gives no baseline for drop or shares
        (q(5, title=5), q(0), 0.2, True, "passed"),
        # several failures at once are all named
        (
            q(10, failed=2, title=1),
            q(20),
            0.2,
            False,
            "2 archive page(s) failed; " + FELL_TO_TEN + "; " + TITLE_ROSE,
        ),
    ],
)
def test_rules(new, previous, max_drop, passed, reason):
    verdict = evaluate(new, previous, max_drop=max_drop)
    assert verdict.passed is passed
    assert verdict.reason == reason
    assert "\n" not in verdict.reason


def test_max_drop_must_be_a_share():
    with pytest.raises(ValueError, match="max_drop"):
        evaluate(q(1), None, max_drop=1.5)


def _post(n: int, **fields: object) -> Post:
    values: dict[str, object] = {
        "id": f"p{n}",
        "url": f"https://x.test/p{n}/",
        "day": "Freitag",
        "title": "T",
        "date": "2023-03-17",
        "author": "A",
        "label": None,
        "subtitle": None,
        "description": "",
        "archive_url": "https://x.test/",
        "archive_page": 1,
        "position": n,
        "source_url": "https://x.test/",
        "fetched_at": "2026-01-01T00:00:00Z",
        "status": 200,
        "sha256": "0" * 64,
    }
    values.update(fields)
    return Post.model_validate(values)


def test_quality_counts_missing_fields_per_field():
    posts = [_post(1), _post(2, title=None), _post(3, title="", author=None), _post(4, date=None)]
    quality = quality_of(posts, failed_archive_pages=1)
    assert quality.as_dict() == {
        "posts": 4,
        "failed_archive_pages": 1,
        "missing": {"title": 2, "date": 1, "author": 1},
    }
    assert quality.missing_share("title") == 0.5
    assert quality_of([]).missing_share("title") == 0.0
