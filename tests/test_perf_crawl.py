"""The crawl loop that keeps its pool full, and the pieces made faster for it: arrival-order
commits that still give one output, the exact page limit, stop, deferred WARC records, post
totals in SQL and posts serialised by pydantic."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from k360scrape.crawl import Crawler, _in_frontier_order
from k360scrape.export.jsonfile import post_json, post_json_bytes, post_object
from k360scrape.models import Entry, FetchResult, Post
from k360scrape.state import DONE, PENDING, CrawlState, Task
from k360scrape.urls import Scope
from k360scrape.warc import WarcWriter, iter_exchanges
from test_crawl import DAY, HOST, _archive, _article, _single

OTHER_DAY = f"{HOST}/programm/tag/samstag/"


def _result(url: str, html: str) -> FetchResult:
    body = html.encode()
    return FetchResult(
        url=url,
        final_url=url,
        status=200,
        headers=(("content-type", "text/html; charset=utf-8"),),
        body=body,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        sha256=hashlib.sha256(body).hexdigest(),
    )


class SlowSite:
    """A FetcherLike over a dict of pages that counts the fetches running at once."""

    def __init__(self, pages: Mapping[str, str], slow: Mapping[str, float] | None = None) -> None:
        self.pages = pages
        self.slow = slow or {}
        self.fetched: list[str] = []
        self.running = self.most = 0
        self._lock = threading.Lock()

    def fetch(
        self,
        url: str,
        *,
        kind: str = "page",
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        with self._lock:
            self.fetched.append(url)
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.slow.get(url, 0.002))
        with self._lock:
            self.running -= 1
        return _result(url, self.pages[url])


def _excerpt_site(pages: int, per_page: int) -> dict[str, str]:
    site: dict[str, str] = {}
    for number in range(1, pages + 1):
        url = DAY if number == 1 else f"{DAY}page/{number}/"
        slugs = [f"p{number}-{i}" for i in range(per_page)]
        following = f"{DAY}page/{number + 1}/" if number < pages else None
        site[url] = _archive([_article(s, s, excerpt=True) for s in slugs], following)
        site.update({f"{HOST}/programm/event/{s}/": _single(s, s) for s in slugs})
    return site


def _crawl(
    site: SlowSite,
    path: Path,
    starts: list[str],
    concurrency: int,
    **options: object,
) -> tuple[Crawler, CrawlState]:
    state = CrawlState(path)
    crawler = Crawler(starts, site, state, Scope(starts), concurrency=concurrency, **options)  # type: ignore[arg-type]
    crawler.run()
    return crawler, state


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_the_pool_is_kept_full_but_never_over_concurrency(tmp_path, concurrency):
    site = SlowSite(_excerpt_site(pages=3, per_page=10))
    _, state = _crawl(site, tmp_path / "s.sqlite", [DAY], concurrency)
    assert site.most == concurrency  # full, and never more
    assert len(site.fetched) == len(set(site.fetched)) == 3 + 30
    assert state.post_count() == 30
    assert not state.pending(limit=1)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_max_pages_is_honoured_exactly(tmp_path, concurrency):
    site = SlowSite(_excerpt_site(pages=3, per_page=6))
    _, state = _crawl(site, tmp_path / "s.sqlite", [DAY], concurrency, max_pages=5)
    assert len(site.fetched) == 5
    assert state.count("archive", DONE) + state.count("post", DONE) == 5


def test_stop_starts_nothing_new_and_commits_what_was_running(tmp_path):
    site = SlowSite(_excerpt_site(pages=3, per_page=6))
    stop = threading.Event()
    crawler, state = _crawl(
        site, tmp_path / "s.sqlite", [DAY], 3, stop=stop, on_progress=lambda *_: stop.set()
    )
    # The first completion sets stop: at most the 3 running tasks and the one started
    # while it was being committed were fetched, and every one of them was committed.
    assert 1 <= len(site.fetched) <= 4
    done = state.count("archive", DONE) + state.count("post", DONE)
    assert done == len(site.fetched)
    assert crawler.interrupted


def _chain(pages: int) -> tuple[dict[str, str], dict[str, str | None]]:
    """List pages that each name only the next one: the crawl can only go one step ahead."""
    urls = [DAY if n == 1 else f"{DAY}page/{n}/" for n in range(1, pages + 1)]
    following = dict(zip(urls, [*urls[1:], None], strict=True))
    site = {
        url: _archive([_article(f"c{n}", f"Beitrag {n}")], following[url])
        for n, url in enumerate(urls, start=1)
    }
    return site, following


class _StartWatch(SlowSite):
    """Signals when the fetch of each URL starts."""

    def __init__(self, pages: Mapping[str, str]) -> None:
        super().__init__(pages)
        self.started = {url: threading.Event() for url in pages}

    def fetch(self, url: str, **options: object) -> FetchResult:  # type: ignore[override]
        self.started[url].set()
        return super().fetch(url, **options)  # type: ignore[arg-type]


class _CommitWatch(CrawlState):
    """Notes, as each list page is committed, whether the page it found already started."""

    def __init__(self, path: Path, site: _StartWatch, following: Mapping[str, str | None]):
        super().__init__(path)
        self.site, self.following = site, following
        self.committed: list[str] = []
        self.next_started_before_commit: list[bool] = []

    def complete(self, task: Task, **changes: object) -> None:  # type: ignore[override]
        found = self.following[task.url]
        if found is not None:
            self.next_started_before_commit.append(self.site.started[found].wait(2))
        super().complete(task, **changes)  # type: ignore[arg-type]
        self.committed.append(task.url)


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_page_found_by_a_finished_page_starts_before_that_page_is_committed(
    tmp_path, concurrency
):
    pages, following = _chain(4)
    site = _StartWatch(pages)
    state = _CommitWatch(tmp_path / "s.sqlite", site, following)
    Crawler([DAY], site, state, Scope([DAY]), concurrency=concurrency).run()
    assert state.next_started_before_commit == [True, True, True]
    # Each page is committed after the page that found it, so the frontier row it updates
    # exists; nothing is fetched twice and nothing is left.
    assert state.committed == list(pages)
    assert sorted(site.fetched) == sorted(pages)
    assert state.count("archive", DONE) == 4
    assert not state.pending(limit=1)
    assert state.post_count() == 4


def test_pages_found_early_start_in_frontier_order(tmp_path):
    # Page 1 names pages 2 to 5 (numeric pagination) and its posts' single pages: with
    # one worker the fetch order must be the frontier's, list pages by number first.
    site = SlowSite(_excerpt_site(pages=5, per_page=2))
    first = site.pages[DAY]
    numbers = "".join(
        f'<a class="page-numbers" href="{DAY}page/{n}/">{n}</a>' for n in (5, 3, 4, 2)
    )
    nav = f'<nav class="navigation pagination"><div class="nav-links">{numbers}</div></nav>'
    site.pages = {**site.pages, DAY: first.replace("</main>", f"{nav}</main>")}
    _crawl(site, tmp_path / "s.sqlite", [DAY], 1)
    posts = [f"{HOST}/programm/event/p{n}-{i}/" for n in range(1, 6) for i in range(2)]
    assert site.fetched == [DAY] + [f"{DAY}page/{n}/" for n in (2, 3, 4, 5)] + posts


def _task(url: str, kind: str = "archive", page: int = 1) -> Task:
    return Task(f"{HOST}{url}", kind, 0, page)


@pytest.mark.parametrize(
    ("queued", "new", "limit", "expected"),
    [
        ([], [_task("/p3", page=3), _task("/p2", page=2)], 5, ["/p2", "/p3"]),
        ([_task("/p9", page=9)], [_task("/p2", page=2)], 1, ["/p2"]),
        # same place: what was queued before comes first (its seq is smaller)
        ([_task("/a", page=2)], [_task("/b", page=2)], 2, ["/a", "/b"]),
        ([_task("/e", "post")], [_task("/p4", page=4)], 2, ["/p4", "/e"]),
        ([_task("/e", "post", 1)], [_task("/f", "post", 1)], 2, ["/e", "/f"]),
        ([], [], 3, []),
    ],
)
def test_in_frontier_order(queued, new, limit, expected):
    tasks = _in_frontier_order(queued, new, limit)
    assert [task.url.removeprefix(HOST) for task in tasks] == expected


def test_unknown_names_the_urls_never_queued(tmp_path):
    state = CrawlState(tmp_path / "s.sqlite")
    state.add_task(Task(DAY, "archive", 0, 1))
    state.add_task(Task(f"{DAY}page/2/", "archive", 0, 2))
    state.complete(Task(DAY, "archive", 0, 1), status=DONE)
    asked = [DAY, f"{DAY}page/2/", f"{DAY}page/3/", f"{HOST}/programm/event/x/"]
    assert state.unknown(asked) == {f"{DAY}page/3/", f"{HOST}/programm/event/x/"}
    assert state.unknown([]) == set()


def test_a_post_listed_twice_keeps_its_first_listing_whatever_arrives_first(tmp_path):
    # "shared" is listed on Freitag page 2 (the first listing) and on Samstag page 1; the
    # Freitag page answers slowly, so Samstag is committed first when both are in flight.
    shared = _article("shared", "Geteilt", excerpt=True)
    pages = {
        DAY: _archive([_article("a", "A", excerpt=True)], f"{DAY}page/2/"),
        f"{DAY}page/2/": _archive([_article("b", "B", excerpt=True), shared]),
        OTHER_DAY: _archive([shared, _article("c", "C", excerpt=True)]),
    }
    pages.update({f"{HOST}/programm/event/{s}/": _single(s, s) for s in "abc"})
    pages[f"{HOST}/programm/event/shared/"] = _single("shared", "Geteilt")
    outputs = []
    for concurrency, slow in ((1, {}), (4, {f"{DAY}page/2/": 0.2}), (4, {DAY: 0.2})):
        site = SlowSite(pages, slow)
        path = tmp_path / f"{concurrency}-{len(outputs)}.sqlite"
        _, state = _crawl(site, path, [DAY, OTHER_DAY], concurrency)
        outputs.append([post.model_dump() for post in state.iter_posts()])
    assert outputs[0] == outputs[1] == outputs[2]
    placed = {p["id"]: (p["day"], p["archive_page"], p["position"]) for p in outputs[0]}
    assert placed["shared"] == ("Freitag", 2, 2)


def _post_task(url: str, day_index: int, page: int, position: int) -> Task:
    entry = Entry(url=url, title="T", is_excerpt=True)
    return Task(url, "post", day_index, page, position, f"{DAY}page/{page}/", "Tag", entry)


def _post(task: Task) -> Post:
    return Post(
        id="x", url=task.url, day=task.day, title="T", date=None, author=None, label=None,
        subtitle=None, description="", archive_url=task.archive_url, archive_page=task.page,
        position=task.position, source_url=task.url, fetched_at="2026-01-01T00:00:00Z",
        status=200, sha256="0",
    )  # fmt: skip


@pytest.mark.parametrize("stored_first", [True, False])
def test_state_moves_a_post_to_an_earlier_listing(tmp_path, stored_first):
    state = CrawlState(tmp_path / "s.sqlite")
    url = f"{HOST}/programm/event/x/"
    later, earlier = _post_task(url, 1, 3, 4), _post_task(url, 0, 2, 1)
    state.add_task(Task(DAY, "archive", 0, 1))
    state.add_task(Task(OTHER_DAY, "archive", 1, 1))
    state.complete(Task(OTHER_DAY, "archive", 1, 1), status=DONE, new_tasks=[later])
    if stored_first:  # the single page was fetched before the earlier listing came in
        state.complete(later, status=DONE, posts=[(_post(later), 1, 3, 4)])
    state.complete(Task(DAY, "archive", 0, 1), status=DONE, new_tasks=[earlier])
    if not stored_first:  # still in flight with the later listing when that was moved
        state.complete(later, status=DONE, posts=[(_post(later), 1, 3, 4)])
    [post] = state.iter_posts()
    assert (post.archive_url, post.archive_page, post.position) == (f"{DAY}page/2/", 2, 1)
    assert state.count("post", PENDING) == 0


def test_post_totals_are_counted_in_sql(tmp_path):
    state = CrawlState(tmp_path / "s.sqlite")
    site = SlowSite(_excerpt_site(pages=2, per_page=3))
    _, state = _crawl(site, tmp_path / "t.sqlite", [DAY], 2)
    assert state.post_totals() == {
        "posts": 6,
        "pdfs": 0,
        "contributors": 0,
        "images": 0,
    }
    assert state.post_totals() == dict(
        zip(("posts", "pdfs", "contributors", "images"), state._totals_in_python(), strict=True)
    )


def test_deferred_warc_records_are_written_by_drain_in_order(tmp_path):
    path = tmp_path / "a.warc.gz"
    writer = WarcWriter(path, software="k360scrape/test")
    first, second = _result(DAY, "<p>1</p>"), _result(OTHER_DAY, "<p>2</p>")
    with writer:
        writer.defer(first)
        writer.defer(second)
        assert _stored(path) == []
        writer.drain()
        assert _stored(path) == [(DAY, b"<p>1</p>"), (OTHER_DAY, b"<p>2</p>")]
        writer.drain()  # nothing left: nothing written twice
    assert _stored(path) == [(DAY, b"<p>1</p>"), (OTHER_DAY, b"<p>2</p>")]


def _stored(path: Path) -> list[tuple[str, bytes]]:
    return [(result.url, result.body) for result in iter_exchanges(path)]


@pytest.mark.parametrize("title", ["Straße „Zitat“ \u2028 \x7f \x01 😀 </script>", "\ud800"])
def test_posts_serialise_exactly_as_json_dumps(title):
    post = _post(_post_task(f"{HOST}/programm/event/x/", 0, 1, 1)).model_copy(
        update={"title": title}
    )
    for indent, separators in ((2, None), (None, (",", ":"))):
        expected = json.dumps(
            post_object(post), ensure_ascii=False, indent=indent, separators=separators
        )
        assert post_json(post, indent=indent) == expected
        data = post_json_bytes(post, indent=indent)  # what the exporters write
        assert json.loads(data.decode("utf-8"))["title"] == title  # valid UTF-8, same string
        if "\ud800" not in title:  # a lone surrogate is written as its JSON escape
            assert data == expected.encode("utf-8")
