"""Crawl orchestration: start URLs → archive pages → single post pages → `CrawlState`.

Every archive page is fetched (list pages change; skipping them would miss new posts); in an
incremental snapshot it is asked for conditionally, and a 304 is read as the earlier 200 it
stands for (`Revalidator.previous_result`). Its entries become posts at once when the archive
shows them in full, and excerpt entries are completed from their single pages. Each
response's effects are committed to the state in one transaction, so a crash at any moment can
be resumed. The fetcher is injected: the network
`Fetcher` for a crawl, a WARC replay for `reparse` — the same code builds the records either way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from k360scrape.encoding import decode_html
from k360scrape.errors import (
    ExitCode,
    FetchError,
    NetworkError,
    ParseError,
    RobotsDisallowed,
    RobotsUnreachable,
)
from k360scrape.models import ArchivePage, CrawlWarning, Entry, FetchLogEntry, FetchResult, Post
from k360scrape.parse import parse_archive_page, parse_single_page
from k360scrape.protocols import FetcherLike, Revalidator
from k360scrape.records import merge_single, missing_fields, to_post
from k360scrape.state import DONE, FAILED, SKIPPED, CrawlState, Task
from k360scrape.urls import Scope, archive_page_number, archive_root, canonicalize, post_id


@dataclass
class Outcome:
    """What a task produced, committed to the state in one go."""

    status: str = DONE
    posts: list[tuple[Post, int, int, int]] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    log: list[FetchLogEntry] = field(default_factory=list)
    warnings: list[CrawlWarning] = field(default_factory=list)


@dataclass
class StartStatus:
    """How the start URLs fared, to tell robots refusal and an unreachable site apart."""

    robots: int = 0  # robots.txt answered and forbids the start URL
    network: int = 0  # no answer at all (robots.txt included)
    answered: int = 0  # the server answered, but not with a usable page
    ok: int = 0


def _start_kind(exc: FetchError) -> str:
    if isinstance(exc, NetworkError | RobotsUnreachable):
        return "network"
    if isinstance(exc, RobotsDisallowed):
        return "robots"
    return "answered"


class Crawler:
    def __init__(
        self,
        start_urls: Sequence[str],
        fetcher: FetcherLike,
        state: CrawlState,
        scope: Scope,
        *,
        concurrency: int = 1,
        max_pages: int | None = None,
        revalidator: Revalidator | None = None,
        on_progress: Callable[[Task, Outcome], None] | None = None,
        stop: threading.Event | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        """`before_commit` runs on the crawl's own thread before each response is committed
        (run.py archives the deferred WARC records there)."""
        self._starts = [canonicalize(url, host_map=scope.host_map) for url in start_urls]
        self._fetcher = fetcher
        self._state = state
        self._scope = scope
        self._concurrency = concurrency
        self._max_pages = max_pages
        self._revalidator = revalidator
        self._on_progress = on_progress
        self._before_commit = before_commit
        self.stop = stop or threading.Event()
        self.start_status = StartStatus()
        self._count_lock = threading.Lock()
        self._page_links: dict[str, str] = {}  # pagination href → canonical URL
        self._pages_started = 0  # tasks submitted in this run: `max_pages` caps these

    @property
    def start_urls(self) -> list[str]:
        return list(self._starts)

    def run(self) -> None:
        """Crawl until the frontier is empty, the page limit is hit or `stop` is set.

        The pool is kept full: a task starts as soon as a worker is free, and each response
        is committed as it arrives (output order comes from the state's sort key, not from
        arrival). The pool never holds more than `concurrency` tasks; the fetcher's per-host
        limit and delay decide when each request may actually start.
        """
        for index, url in enumerate(self._starts):
            self._state.add_task(Task(url, "archive", index, archive_page_number(url)))
        running: dict[Future[Outcome], Task] = {}
        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            try:
                self._fill(pool, running, ())
                while running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    finished = [(running.pop(future), future) for future in done]
                    # Start the next fetches before committing these, so the network and
                    # the commits overlap; the finished tasks are still "pending" in SQLite,
                    # and what they found may start before it is committed (see _fill).
                    found = [new for _, future in finished if not future.exception()
                             for new in future.result().tasks]  # fmt: skip
                    self._fill(pool, running, [task.url for task, _ in finished], found)
                    for task, future in finished:
                        self._finish(task, future.result())
                    self._fill(pool, running, ())
            finally:
                for future in running:
                    future.cancel()  # an error is propagating: start nothing new

    @property
    def interrupted(self) -> bool:
        return self.stop.is_set() and bool(self._state.pending(limit=1))

    def _fill(
        self,
        pool: ThreadPoolExecutor,
        running: dict[Future[Outcome], Task],
        finishing: Sequence[str],
        found: Sequence[Task] = (),
    ) -> None:
        """Submit pending tasks until `concurrency` are running (none once stopped).

        `found` are tasks the `finishing` ones discovered, about to be committed with them:
        the new ones among them may start now, in the order the frontier will give them.
        The next list pages are known only from the page before (its pagination), so
        waiting for that page's commit would leave workers idle. Each is committed only
        after the task that found it, in a later round, so the state never holds a done
        task that was not queued; a crash before that commit refetches both.
        """
        free = self._concurrency - len(running)
        if self._max_pages is not None:
            free = min(free, self._max_pages - self._pages_started)
        if free <= 0 or self.stop.is_set():
            return
        busy = [task.url for task in running.values()] + list(finishing)
        tasks = self._state.pending(limit=free, exclude=busy)
        if found:
            tasks = _in_frontier_order(tasks, self._new_tasks(found, busy), free)
        for task in tasks:
            running[pool.submit(self._process, task)] = task
            self._pages_started += 1

    def _new_tasks(self, found: Sequence[Task], busy: Sequence[str]) -> list[Task]:
        """The first of each URL in `found` that was never queued and is not running."""
        candidates: dict[str, Task] = {}
        for task in found:
            if task.url not in busy:
                candidates.setdefault(task.url, task)
        unknown = self._state.unknown(list(candidates))
        return [task for url, task in candidates.items() if url in unknown]

    def _finish(self, task: Task, outcome: Outcome) -> None:
        if self._before_commit is not None:
            self._before_commit()
        self._state.complete(
            task,
            status=outcome.status,
            posts=outcome.posts,
            new_tasks=outcome.tasks,
            log=outcome.log,
            warnings=outcome.warnings,
        )
        if self._on_progress:
            self._on_progress(task, outcome)

    # --- one task
    def _process(self, task: Task) -> Outcome:
        outcome = Outcome()
        result = self._fetch(task, outcome)
        if result is None:
            return self._fallback(task, outcome)
        if result.status == 304 and task.kind == "post":
            return self._reuse_previous(task, result, outcome)
        if result.status == 304 and task.kind == "archive" and self._revalidator:
            # An unchanged list page is read again from the capture it stands for, exactly
            # as that 200 was: the same entries, next links and provenance.
            result = self._revalidator.previous_result(task.url) or result
        if result.status != 200:
            message = f"HTTP {result.status} for {task.kind} page {task.url}"
            outcome.warnings.append(CrawlWarning(url=task.url, kind="fetch", message=message))
            return self._fallback(task, outcome)
        wrong_type = _not_html(result)
        if wrong_type:
            outcome.warnings.append(CrawlWarning(url=task.url, kind="fetch", message=wrong_type))
            return self._fallback(task, outcome)
        try:
            html = decode_html(result.body, result.header("content-type"))
            if task.kind == "archive":
                self._archive(task, result, html, outcome)
            else:
                self._single(task, result, html, outcome)
        except ParseError as exc:
            outcome.warnings.append(CrawlWarning(url=task.url, kind="parse", message=str(exc)))
            return self._fallback(task, outcome)
        return outcome

    def _fetch(self, task: Task, outcome: Outcome) -> FetchResult | None:
        headers = self._revalidator.conditional_headers(task.url) if self._revalidator else {}
        is_start = task.kind == "archive" and task.url in self._starts
        try:
            result = self._fetcher.fetch(task.url, kind=task.kind, headers=headers or None)
        except FetchError as exc:
            kind = "robots" if isinstance(exc, RobotsDisallowed) else "fetch"
            # A page robots.txt forbids is skipped by policy, not a failure of the run.
            outcome.status = SKIPPED if kind == "robots" else FAILED
            if is_start:
                self._count_start(_start_kind(exc))
            outcome.log.append(
                FetchLogEntry(url=task.url, status=None, kind=task.kind, error=str(exc))
            )
            outcome.warnings.append(CrawlWarning(url=task.url, kind=kind, message=str(exc)))
            return None
        if is_start:
            self._count_start("ok")
        outcome.log.append(
            FetchLogEntry(
                url=task.url,
                status=result.status,
                kind=task.kind,
                bytes=len(result.body),
                from_cache=result.status == 304,
            )
        )
        return result

    def _count_start(self, kind: str) -> None:
        with self._count_lock:
            value = getattr(self.start_status, kind)
            setattr(self.start_status, kind, value + 1)

    def _fallback(self, task: Task, outcome: Outcome) -> Outcome:
        """A task failed: keep what the archive showed for an excerpt entry."""
        if outcome.status == DONE:
            outcome.status = FAILED
        if task.kind == "post" and task.fallback is not None and task.source is not None:
            page = ArchivePage(url=task.archive_url or task.url, page=task.page)
            post = to_post(
                task.fallback, page, task.position, task.source, day=task.day, fallback_url=task.url
            )
            outcome.posts.append((post, task.day_index, task.page, task.position))
            outcome.warnings.append(
                CrawlWarning(
                    url=task.url,
                    kind="excerpt-only",
                    message="single page unavailable; record kept from the excerpt",
                )
            )
        return outcome

    def _reuse_previous(self, task: Task, result: FetchResult, outcome: Outcome) -> Outcome:
        previous = self._revalidator.previous_post(task.url) if self._revalidator else None
        if previous is None:
            message = "304 Not Modified but no previous record to reuse"
            outcome.warnings.append(CrawlWarning(url=task.url, kind="fetch", message=message))
            return self._fallback(task, outcome)
        post = previous.model_copy(
            update={
                "archive_url": task.archive_url,
                "archive_page": task.page,
                "position": task.position,
                "day": task.day,
            }
        )
        outcome.posts.append((post, task.day_index, task.page, task.position))
        return outcome

    # --- archive pages
    def _archive(self, task: Task, result: FetchResult, html: str, outcome: Outcome) -> None:
        page = parse_archive_page(html, result.final_url)
        page = page.model_copy(update={"url": task.url, "page": task.page})
        day = page.day or _day_from_url(task.url)
        if not page.entries:
            message = "archive page lists no entries (has the markup changed?)"
            outcome.warnings.append(CrawlWarning(url=task.url, kind="parse", message=message))
        for position, entry in enumerate(page.entries, start=1):
            self._entry(task, page, position, entry, result, day, outcome)
        self._follow(task, page, outcome)

    def _entry(
        self,
        task: Task,
        page: ArchivePage,
        position: int,
        entry: Entry,
        result: FetchResult,
        day: str,
        outcome: Outcome,
    ) -> None:
        url = self._canonical(entry.url) if entry.url else None
        if url != entry.url:  # the parser's URLs are canonical already, bar the host's spelling
            entry = entry.model_copy(update={"url": url})
        if entry.is_excerpt and url and self._scope.allows(url):
            outcome.tasks.append(
                Task(
                    url,
                    "post",
                    task.day_index,
                    task.page,
                    position,
                    page.url,
                    day,
                    entry,
                    source=result.model_copy(update={"body": b""}),
                )
            )
            return
        post = to_post(
            entry, page, position, result, day=day, fallback_url=_entry_anchor(page, position)
        )
        outcome.posts.append((post, task.day_index, task.page, position))
        outcome.warnings.extend(_field_warnings(post, entry))

    def _follow(self, task: Task, page: ArchivePage, outcome: Outcome) -> None:
        root = archive_root(task.url)
        if page.next_url:
            self._queue_next(task, self._page_link(page.next_url), outcome)
        # The numeric pagination names later pages too; queueing them keeps the crawl
        # complete when one page in the middle fails.
        for link in page.page_urls:
            url = self._page_link(link)
            if archive_root(url) == root and self._scope.allows(url):
                outcome.tasks.append(Task(url, "archive", task.day_index, archive_page_number(url)))

    def _queue_next(self, task: Task, url: str, outcome: Outcome) -> None:
        number = archive_page_number(url)
        if not self._scope.allows(url):
            message = f"next page {url} is outside the crawl scope; not followed"
            outcome.warnings.append(CrawlWarning(url=task.url, kind="scope", message=message))
        elif number <= task.page or url == task.url:
            message = f"pagination loop: page {task.page} links forward to {url}; stopped there"
            outcome.warnings.append(CrawlWarning(url=task.url, kind="pagination", message=message))
        else:
            outcome.tasks.append(Task(url, "archive", task.day_index, number))

    # --- single post pages (excerpt entries)
    def _single(self, task: Task, result: FetchResult, html: str, outcome: Outcome) -> None:
        single = parse_single_page(html, result.final_url)
        entry = merge_single(task.fallback, single) if task.fallback else single
        entry = entry.model_copy(update={"url": task.url})
        page = ArchivePage(url=task.archive_url or task.url, page=task.page)
        post = to_post(entry, page, task.position, result, day=task.day, fallback_url=task.url)
        outcome.posts.append((post, task.day_index, task.page, task.position))
        outcome.warnings.extend(_field_warnings(post, entry))

    def _page_link(self, url: str) -> str:
        """`_canonical` for pagination links: every list page names the same few again."""
        canonical = self._page_links.get(url)
        if canonical is None:
            if len(self._page_links) >= _PAGE_LINK_CACHE:
                self._page_links.clear()
            canonical = self._page_links[url] = self._canonical(url)
        return canonical

    def _canonical(self, url: str) -> str:
        return canonicalize(url, host_map=self._scope.host_map)


def _in_frontier_order(queued: list[Task], new: list[Task], limit: int) -> list[Task]:
    """The first `limit` tasks in the order `CrawlState.pending` would give them once `new`
    were queued: archive pages first, by day and page, queued before newly found."""

    def key(item: tuple[int, Task]) -> tuple[str, int, int, int]:
        index, task = item
        return task.kind, task.day_index, task.page, index

    ordered = sorted(enumerate([*queued, *new]), key=key)
    return [task for _, task in ordered[:limit]]


_PAGE_LINK_CACHE = 4096

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def _not_html(result: FetchResult) -> str | None:
    """Why a 200 is not an HTML page (a PDF, an image, an SVG …), or None.

    Judged by the declared media type, as a browser does: a text-like type such as SVG or JSON
    would otherwise parse as an archive page without entries and pass for a success. A
    missing Content-Type is given the benefit of the doubt (the parser still sniffs binary).
    """
    declared = (result.header("content-type") or "").split(";", 1)[0].strip().lower()
    if not declared or declared in _HTML_TYPES:
        return None
    return f"expected HTML from {result.final_url}, got {declared}"


def _field_warnings(post: Post, entry: Entry) -> list[CrawlWarning]:
    url = entry.url or post.url
    return [
        CrawlWarning(url=url, kind="missing-field", message=f"entry has no {name}")
        for name in missing_fields(post)
    ]


def _entry_anchor(page: ArchivePage, position: int) -> str:
    return f"{page.url}#entry-{position}"


def _day_from_url(url: str) -> str:
    return post_id(archive_root(url)).replace("-", " ").title()


def exit_code_for(
    status: StartStatus,
    *,
    failed: int,
    posts: int,
    warnings: int,
    strict: bool,
    interrupted: bool,
) -> ExitCode:
    """The process exit code of a finished crawl (README, "Exit codes")."""
    if interrupted:
        return ExitCode.INTERRUPTED
    reached = status.ok + status.answered
    if reached == 0 and status.robots and not status.network:
        return ExitCode.ROBOTS_FORBIDDEN
    if reached == 0 and status.network:
        return ExitCode.NETWORK_UNREACHABLE
    if failed:
        return ExitCode.PARTIAL
    if posts == 0:
        return ExitCode.GATE_REFUSED
    if strict and warnings:
        return ExitCode.STRICT_WARNINGS
    return ExitCode.OK
