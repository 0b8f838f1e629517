"""One whole crawl into an output folder: the library call behind `k360scrape crawl`.

    prepare --out → state + WARC in the work folder → crawl → PDFs → export → rename into place

Outputs are replaced only when the run produced posts (or `force`), so a broken scrape never
overwrites good data; an interrupted run keeps its work folder for `--resume`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from k360scrape import __version__, outdir
from k360scrape.clock import Clock, SystemClock, iso_utc
from k360scrape.crawl import Crawler, Outcome, exit_code_for
from k360scrape.errors import ExitCode, UsageError
from k360scrape.export import ExportOptions, write_outputs
from k360scrape.fetch import Fetcher, make_client
from k360scrape.models import CrawlWarning, FetchLogEntry, FetchResult, Pdf
from k360scrape.pdfs import download_pdfs
from k360scrape.protocols import FetcherLike, Revalidator
from k360scrape.settings import Settings
from k360scrape.state import FAILED, CrawlState, Task
from k360scrape.urls import Scope
from k360scrape.warc import WarcWriter

WARC_NAME = "archive.warc.gz"
STATE_NAME = "state.sqlite"


@dataclass(frozen=True)
class RunRequest:
    start_urls: tuple[str, ...]
    out_dir: Path
    settings: Settings = field(default_factory=Settings)
    export: ExportOptions = field(default_factory=ExportOptions)
    resume: bool = False
    force: bool = False


@dataclass
class RunReport:
    exit_code: ExitCode
    counts: dict[str, int | float]
    message: str
    out_dir: Path
    warnings: list[str] = field(default_factory=list)


ProgressHook = Callable[[Task, Outcome], None]


def run_crawl(
    request: RunRequest,
    *,
    client: httpx.Client | None = None,
    clock: Clock | None = None,
    progress: ProgressHook | None = None,
    stop: threading.Event | None = None,
    revalidator: Revalidator | None = None,
    fetch_middleware: Callable[[FetcherLike], FetcherLike] | None = None,
) -> RunReport:
    """Crawl the start URLs into `request.out_dir` and say how it went.

    `fetch_middleware` wraps the fetcher used for pages and PDFs (snapshots journal every
    exchange and revalidate PDFs with it).
    """
    clock = clock or SystemClock()
    scope = Scope(request.start_urls, request.settings.allowed_hosts)
    _check_one_site(request)
    work = _work_folder(request)
    started = time.monotonic()
    started_at = clock.now()
    state = CrawlState(work / STATE_NAME)
    try:
        _check_resume(state, request)
        warc = WarcWriter(
            work / WARC_NAME,
            software=f"k360scrape/{__version__}",
            append=request.resume,
            info=_warc_info(request),
        )
        own_client = client is None
        http = client or _default_client(request.settings)
        archiver = _Archiver(warc, state, workers=request.settings.concurrency)
        try:
            fetcher: FetcherLike = Fetcher(
                http, request.settings, scope, clock, on_exchange=archiver
            )
            if fetch_middleware is not None:
                fetcher = fetch_middleware(fetcher)
            crawler = Crawler(
                request.start_urls,
                fetcher,
                state,
                scope,
                concurrency=request.settings.concurrency,
                max_pages=request.settings.max_pages,
                revalidator=revalidator,
                on_progress=progress,
                stop=stop,
                before_commit=warc.drain,
            )
            crawler.run()
            archiver.deferring = False  # PDFs: each exchange archived at once, as it comes
            warc.drain()
            if not crawler.interrupted and request.settings.download_pdfs:
                _download_pdfs(state, fetcher, request, stop)
        finally:
            warc.close()
            if own_client:
                http.close()
        return _finish(request, state, crawler, started, started_at, clock)
    finally:
        state.close()


def replay_crawl(
    request: RunRequest, fetcher: FetcherLike, *, clock: Clock | None = None
) -> RunReport:
    """Rebuild every output from stored responses (no network): `k360scrape reparse`."""
    clock = clock or SystemClock()
    scope = Scope(request.start_urls, request.settings.allowed_hosts)
    work = _work_folder(request)
    started, started_at = time.monotonic(), clock.now()
    state = CrawlState(work / STATE_NAME)
    try:
        crawler = Crawler(request.start_urls, fetcher, state, scope)
        crawler.run()
        if request.settings.download_pdfs:
            _download_pdfs(state, fetcher, request, None)
        return _finish(request, state, crawler, started, started_at, clock, keep_warc=False)
    finally:
        state.close()


def _check_one_site(request: RunRequest) -> None:
    """A crawl is of one site: the first start URL's host (www and bare count as one) plus
    the `--allow-host` hosts. A start URL elsewhere is a usage error, so that a pasted wrong
    URL never silently widens what the crawl may touch."""
    site = Scope(request.start_urls[:1], request.settings.allowed_hosts)
    for url in request.start_urls[1:]:
        if not site.allows(url):
            host = urlsplit(url.strip()).hostname
            first = urlsplit(request.start_urls[0].strip()).hostname
            raise UsageError(
                f"start URL {url} is on {host}, not on {first} like the first one; "
                f"add --allow-host {host} to crawl both"
            )


def _work_folder(request: RunRequest) -> Path:
    if request.resume:
        if not (request.out_dir / outdir.WORK_DIR / STATE_NAME).exists():
            raise UsageError(f"nothing to resume in {request.out_dir}")
        # Our own crawl state proves the folder is ours, even before any output exists: a run
        # killed while downloading PDFs leaves files/ next to the work folder.
        return request.out_dir / outdir.WORK_DIR
    return outdir.fresh_work(request.out_dir)


def _check_resume(state: CrawlState, request: RunRequest) -> None:
    starts = json.dumps(list(request.start_urls))
    stored = state.get_meta("start_urls")
    if stored is None:
        state.set_meta("start_urls", starts)
    elif stored != starts:
        raise UsageError("--resume with other start URLs than the interrupted run")


def _warc_info(request: RunRequest) -> dict[str, str]:
    return {
        "start-urls": json.dumps(list(request.start_urls)),
        "settings": request.settings.model_dump_json(),
    }


def _default_client(settings: Settings) -> httpx.Client:
    # make_client() also enforces the per-response deadline while headers arrive.
    return make_client(settings)


def _download_pdfs(
    state: CrawlState, fetcher: FetcherLike, request: RunRequest, stop: threading.Event | None
) -> None:
    cache: dict[str, Pdf] = {}
    before: set[str] = set()
    urls = [post.url for post in state.iter_posts() if post.pdfs]
    for url in urls:
        if stop is not None and stop.is_set():
            return
        post = state.get_post(url)
        if post is None:
            continue
        pdfs = download_pdfs(
            post.pdfs,
            fetcher,
            request.out_dir,
            max_bytes=request.settings.max_pdf_bytes,
            text=request.settings.pdf_text,
            cache=cache,
        )
        state.replace_post(post.model_copy(update={"pdfs": pdfs}))
        logged = set(cache) - before
        state.record_extra([_pdf_log(pdf) for pdf in pdfs if pdf.url in logged])
        before |= logged


def _pdf_log(pdf: Pdf) -> FetchLogEntry:
    return FetchLogEntry(
        url=pdf.url, status=pdf.http_status, kind="pdf", bytes=pdf.bytes or 0, error=pdf.error
    )


_BUILD_ON_WORKER_BYTES = 16 * 1024


class _Archiver:
    """The fetcher's exchange sink: every answer goes to the WARC (raw first); robots.txt
    answers, which belong to no crawl task, also go to the fetch log for the manifest.

    While the crawler runs, exchanges are deferred and archived by its `before_commit`
    (`WarcWriter.drain`) just before the response they belong to is committed, so no
    committed page is ever missing from the WARC. With several workers each gzips its own
    responses; a single worker leaves that to the committing thread and fetches on.
    """

    def __init__(self, warc: WarcWriter, state: CrawlState, *, workers: int) -> None:
        self.deferring = True
        self._warc = warc
        self._state = state
        self._build_on_worker = workers > 1  # see WarcWriter.defer

    def __call__(self, result: FetchResult) -> None:
        if self.deferring:
            self._warc.defer(
                result,
                build_now=self._build_on_worker and len(result.body) >= _BUILD_ON_WORKER_BYTES,
            )
        else:
            self._warc.write(result)
        if urlsplit(result.url).path == "/robots.txt":
            entry = FetchLogEntry(
                url=result.url, status=result.status, kind="robots", bytes=len(result.body)
            )
            self._state.record_extra([entry])


def _finish(
    request: RunRequest,
    state: CrawlState,
    crawler: Crawler,
    started: float,
    started_at: datetime,
    clock: Clock,
    *,
    keep_warc: bool = True,
) -> RunReport:
    counts = _counts(state, time.monotonic() - started)
    warnings = [_warning_line(w) for w in state.warnings()]
    code = exit_code_for(
        crawler.start_status,
        failed=int(counts["errors"]),
        posts=int(counts["posts"]),
        warnings=len(warnings),
        strict=request.settings.strict,
        # Any stop, not only `crawler.interrupted`: a stop during the PDF downloads leaves the
        # frontier empty but the PDFs unfinished, and such a run must not pass for complete.
        interrupted=crawler.stop.is_set(),
    )
    if code is ExitCode.INTERRUPTED:
        return RunReport(
            code,
            counts,
            "interrupted; run again with --resume to continue",
            request.out_dir,
            warnings,
        )
    if code in (ExitCode.ROBOTS_FORBIDDEN, ExitCode.NETWORK_UNREACHABLE) or (
        counts["posts"] == 0 and not request.force
    ):
        # A scrape without a single post never replaces what the folder held before.
        state.close()
        outdir.discard_work(request.out_dir)
        return RunReport(code, counts, _refusal(code), request.out_dir, warnings)
    manifest = _manifest(request, state, crawler, counts, code, started_at, clock)
    write_outputs(state.iter_posts, request.out_dir, manifest=manifest, options=request.export)
    work = request.out_dir / outdir.WORK_DIR
    if keep_warc and (work / WARC_NAME).exists():
        (work / WARC_NAME).replace(request.out_dir / WARC_NAME)
    state.close()
    outdir.discard_work(request.out_dir)
    return RunReport(code, counts, _success(code, counts), request.out_dir, warnings)


def _warning_line(warning: CrawlWarning) -> str:
    # Fetch errors already name their URL; say it once.
    if warning.message.startswith(warning.url):
        return f"{warning.kind}: {warning.message}"
    return f"{warning.kind}: {warning.url}: {warning.message}"


def _counts(state: CrawlState, seconds: float) -> dict[str, int | float]:
    counts: dict[str, int | float] = {**state.post_totals(), **state.fetch_counts()}
    counts["errors"] = state.count("archive", FAILED) + state.count("post", FAILED)
    counts["archive_errors"] = state.count("archive", FAILED)
    counts["warnings"] = state.warning_count()
    counts["seconds"] = round(seconds, 3)
    return counts


def _manifest(
    request: RunRequest,
    state: CrawlState,
    crawler: Crawler,
    counts: dict[str, int | float],
    code: ExitCode,
    started_at: datetime,
    clock: Clock,
) -> dict[str, object]:
    return {
        "generator": outdir.GENERATOR,
        "version": __version__,
        "started_at": iso_utc(started_at),
        "finished_at": iso_utc(clock.now()),
        "start_urls": crawler.start_urls,
        "settings": request.settings.model_dump(mode="json"),
        "export": request.export.model_dump(mode="json"),
        "exit_code": int(code),
        "forced": request.force and counts["posts"] == 0,
        "counts": {k: v for k, v in counts.items() if k != "seconds"},
        "warnings": [w.model_dump(mode="json") for w in state.warnings()],
        "fetched": state.fetched_rows(),
    }


def _refusal(code: ExitCode) -> str:
    return {
        ExitCode.ROBOTS_FORBIDDEN: "robots.txt forbids every start URL; nothing written",
        ExitCode.NETWORK_UNREACHABLE: "no start URL could be reached; nothing written",
    }.get(code, "the crawl harvested no posts; earlier outputs kept (--force writes anyway)")


def _success(code: ExitCode, counts: dict[str, int | float]) -> str:
    if code is ExitCode.PARTIAL:
        return f"finished with {counts['errors']} failed URL(s)"
    if code is ExitCode.STRICT_WARNINGS:
        return f"finished with {counts['warnings']} warning(s) (--strict)"
    return "finished"
