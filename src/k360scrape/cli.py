"""The command line: options → `Settings` → one library call → one summary line and an exit code.

No selectors, loops or file formats live here. Every `K360Error` and every click usage error is
printed as one line (`k360scrape: error: …`) with its documented exit code, never a traceback.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from pydantic import ValidationError

from k360scrape import __version__
from k360scrape.errors import ExitCode, K360Error, UsageError
from k360scrape.export import ExportOptions
from k360scrape.parse import parse_archive_page, parse_single_page
from k360scrape.progress import Reporter
from k360scrape.run import RunReport, RunRequest, run_crawl
from k360scrape.settings import DEFAULT_START_URLS, Settings
from k360scrape.snapshot import SnapshotReport, SnapshotRequest, run_snapshot

F = Callable[..., Any]


def _settings_options(func: F) -> F:
    """Options shared by every command that fetches."""
    options = [
        click.option(
            "--delay",
            type=float,
            default=1.0,
            show_default=True,
            help="Seconds between request starts per host (raised to Crawl-delay).",
        ),
        click.option(
            "--concurrency",
            type=int,
            default=1,
            show_default=True,
            help="Requests in flight per host.",
        ),
        click.option("--user-agent", default=None, help="User-Agent header to send."),
        click.option(
            "--retries",
            type=int,
            default=3,
            show_default=True,
            help="Extra attempts on timeouts, connection errors, 429 and 5xx.",
        ),
        click.option(
            "--max-retry-after",
            type=float,
            default=120.0,
            show_default=True,
            help="Longest Retry-After to honour; longer gives up on the URL.",
        ),
        click.option(
            "--timeout",
            type=float,
            default=30.0,
            show_default=True,
            help="Read timeout in seconds (total deadline is 4x).",
        ),
        click.option("--max-pages", type=int, default=None, help="Stop after this many pages."),
        click.option(
            "--allow-host",
            multiple=True,
            help="Extra host in scope besides the start URLs' hosts (repeatable).",
        ),
        click.option("--strict", is_flag=True, help="Warnings (missing title/date/author) fail."),
        click.option("--download-pdfs", is_flag=True, help="Fetch every PDF into files/."),
        click.option("--pdf-text", is_flag=True, help="With --download-pdfs: extract text."),
        click.option(
            "--csv-dialect",
            type=click.Choice(["plain", "excel-de"]),
            default="plain",
            show_default=True,
            help="plain: UTF-8 RFC 4180; excel-de: BOM, ';', CRLF.",
        ),
        click.option("--xlsx", is_flag=True, help="Also write posts.xlsx."),
        click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors."),
        click.option("-v", "--verbose", is_flag=True, help="Print every warning."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _settings(params: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {
        "delay": params["delay"],
        "concurrency": params["concurrency"],
        "retries": params["retries"],
        "max_retry_after": params["max_retry_after"],
        "read_timeout": params["timeout"],
        "total_timeout": params["timeout"] * 4,
        "max_pages": params["max_pages"],
        "allowed_hosts": tuple(params["allow_host"]),
        "strict": params["strict"],
        "download_pdfs": params["download_pdfs"],
        "pdf_text": params["pdf_text"],
    }
    if params["user_agent"] is not None:
        values["user_agent"] = params["user_agent"]
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise UsageError(_first_error(exc)) from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "setting"
    option = {"read_timeout": "timeout", "allowed_hosts": "allow-host"}.get(name, name)
    return f"invalid --{option.replace('_', '-')}: {error['msg']}"


def _export_options(params: dict[str, Any]) -> ExportOptions:
    return ExportOptions(csv_dialect=params["csv_dialect"], xlsx=params["xlsx"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="k360scrape")
def cli() -> None:
    """Harvest the Kommune 360° festival day archives into JSON, CSV, SQLite and a WARC."""


@cli.command()
@click.argument("urls", nargs=-1)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Output folder (new, empty or an earlier output).",
)
@click.option("--resume", is_flag=True, help="Continue the interrupted crawl in --out.")
@click.option("--force", is_flag=True, help="Write outputs even when no post was found.")
@_settings_options
def crawl(urls: tuple[str, ...], out_dir: Path, resume: bool, force: bool, **params: Any) -> None:
    """Crawl the day archives (default: Mittwoch, Donnerstag, Freitag) into --out.

    \b
    Example:
      k360scrape crawl --out output/2026-11 --delay 2
      k360scrape crawl https://www.kommune360.de/programm/tag/freitag/ --out freitag
    """
    request = RunRequest(
        start_urls=urls or DEFAULT_START_URLS,
        out_dir=out_dir,
        settings=_settings(params),
        export=_export_options(params),
        resume=resume,
        force=force,
    )
    _run(request, params)


@cli.command()
@click.argument("urls", nargs=-1)
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Snapshot root: holds snapshots/, the latest symlink and the lock file.",
)
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    default=None,
    help="Keep the N newest finished snapshots (latest is always kept).",
)
@click.option(
    "--max-drop",
    type=click.FloatRange(0.0, 1.0),
    default=0.2,
    show_default=True,
    help="Refuse promotion when the post count falls by more than this share.",
)
@click.option("--force", is_flag=True, help="Promote even when the quality gate refuses.")
@click.option("--resume", is_flag=True, help="Continue the unfinished (interrupted) snapshot.")
@_settings_options
def snapshot(
    urls: tuple[str, ...],
    root: Path,
    keep: int | None,
    max_drop: float,
    force: bool,
    resume: bool,
    **params: Any,
) -> None:
    """Take a snapshot into ROOT/snapshots/<UTC time>/ and promote it to ROOT/latest.

    Post pages and PDFs are revalidated against latest (ETag / Last-Modified); CHANGES.md and
    changes.json list what changed; the quality gate decides promotion (exit 4 if refused).

    \b
    Example:
      k360scrape snapshot --root /srv/k360 --keep 30
      k360scrape snapshot --root /srv/k360 --resume
    """
    request = SnapshotRequest(
        root=root,
        start_urls=urls,
        settings=_settings(params),
        export=_export_options(params),
        keep=keep,
        max_drop=max_drop,
        force=force,
        resume=resume,
    )
    _run_snapshot(request, params)


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("output/demo"),
    show_default=True,
    help="Output folder.",
)
@click.option(
    "--site",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Fixture site folder (default: the bundled fixtures/site).",
)
@_settings_options
def demo(out_dir: Path, site: Path | None, **params: Any) -> None:
    """Serve the bundled fixture site on 127.0.0.1 and crawl it with the real crawler."""
    from k360scrape.demo import DEMO_DELAY, demo_start_urls, find_site, serve

    source = click.get_current_context().get_parameter_source("delay")
    if source is click.core.ParameterSource.DEFAULT:
        params["delay"] = DEMO_DELAY  # the local site needs no 1 s pause; --delay still wins
    root = find_site(site)
    with serve(root) as origin:
        if not params["quiet"]:
            click.echo(f"k360scrape: serving {root} at {origin}", err=True)
        request = RunRequest(
            start_urls=demo_start_urls(origin),
            out_dir=out_dir,
            settings=_settings(params),
            export=_export_options(params),
        )
        _run(request, params)


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--url",
    "urls",
    multiple=True,
    required=True,
    help="URL each file was fetched from (one for all, or one per file).",
)
@click.option("--single", is_flag=True, help="The files are single post pages.")
def parse(files: tuple[Path, ...], urls: tuple[str, ...], single: bool) -> None:
    """Parse saved HTML offline and print JSON on stdout (no network).

    \b
    Example:
      k360scrape parse freitag.html --url https://www.kommune360.de/programm/tag/freitag/
    """
    if len(urls) not in (1, len(files)):
        raise UsageError("give one --url for all files or one per file")
    pairs = zip(files, urls * len(files) if len(urls) == 1 else urls, strict=False)
    results = [_parse_file(path, url, single) for path, url in pairs]
    data = results[0] if len(results) == 1 else results
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@cli.command()
@click.argument(
    "warcs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Output folder (new, empty or an earlier output).",
)
@click.option(
    "--csv-dialect",
    type=click.Choice(["plain", "excel-de"]),
    default="plain",
    show_default=True,
    help="plain: UTF-8 RFC 4180; excel-de: BOM, ';', CRLF.",
)
@click.option("--xlsx", is_flag=True, help="Also write posts.xlsx.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print every warning.")
def reparse(warcs: tuple[Path, ...], out_dir: Path, **params: Any) -> None:
    """Rebuild every output file from WARC files, offline (no network).

    \b
    Example:
      k360scrape reparse output/festival/archive.warc.gz --out reparsed
    """
    from k360scrape.replay import ReplayFetcher, crawl_parameters, load_warcs
    from k360scrape.run import replay_crawl

    exchanges, info = load_warcs(list(warcs))
    starts, settings = crawl_parameters(info)
    request = RunRequest(
        start_urls=starts, out_dir=out_dir, settings=settings, export=_export_options(params)
    )
    reporter = Reporter(quiet=params["quiet"], verbose=params["verbose"])
    report = replay_crawl(request, ReplayFetcher(exchanges, settings))
    _summarise(report, reporter)
    sys.exit(int(report.exit_code))


def _parse_file(path: Path, url: str, single: bool) -> dict[str, Any]:
    from k360scrape.encoding import decode_html

    html = decode_html(path.read_bytes(), None)
    model = parse_single_page(html, url) if single else parse_archive_page(html, url)
    return model.model_dump(mode="json")


R = TypeVar("R")


def _supervised(
    params: dict[str, Any], action: Callable[[Reporter, threading.Event], R]
) -> tuple[R, Reporter]:
    """Run `action` with progress on the terminal and resumable stops on SIGINT/SIGTERM."""
    stop = threading.Event()
    reporter = Reporter(quiet=params["quiet"], verbose=params["verbose"])
    with _stop_on_signals(stop), reporter:
        return action(reporter, stop), reporter


def _run(request: RunRequest, params: dict[str, Any]) -> NoReturn:
    report, reporter = _supervised(
        params, lambda reporter, stop: run_crawl(request, progress=reporter.on_task, stop=stop)
    )
    _summarise(report, reporter)
    sys.exit(int(report.exit_code))


def _summarise(report: RunReport, reporter: Reporter) -> None:
    reporter.warnings(report.warnings)
    c = report.counts
    reporter.line(
        f"k360scrape: {report.message}: {c.get('archive_pages', 0)} archive pages, "
        f"{c.get('post_pages', 0)} post pages, {c.get('posts', 0)} posts, "
        f"{c.get('pdfs', 0)} PDFs, {c.get('warnings', 0)} warnings, "
        f"{c.get('errors', 0)} errors in {c.get('seconds', 0)} s → {report.out_dir} "
        f"(exit {int(report.exit_code)})",
        error=report.exit_code is not ExitCode.OK,
    )


def _run_snapshot(request: SnapshotRequest, params: dict[str, Any]) -> NoReturn:
    report, reporter = _supervised(
        params, lambda reporter, stop: run_snapshot(request, progress=reporter.on_task, stop=stop)
    )
    _summarise_snapshot(report, reporter)
    sys.exit(int(report.exit_code))


def _summarise_snapshot(report: SnapshotReport, reporter: Reporter) -> None:
    if report.run is not None:
        reporter.warnings(report.run.warnings)
        c = report.run.counts
        reporter.line(
            f"k360scrape: crawled {c.get('archive_pages', 0)} archive pages, "
            f"{c.get('post_pages', 0)} post pages, {c.get('status_304', 0)} not modified, "
            f"{c.get('posts', 0)} posts, {c.get('warnings', 0)} warnings, "
            f"{c.get('errors', 0)} errors in {c.get('seconds', 0)} s"
        )
    for note in report.notes:
        reporter.line(f"k360scrape: note: {note}")
    if report.pruned:
        reporter.line(f"k360scrape: pruned {len(report.pruned)} old snapshot(s)")
    reporter.line(
        f"k360scrape: {report.message} (exit {int(report.exit_code)})",
        error=report.exit_code is not ExitCode.OK,
    )


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """First SIGINT/SIGTERM: finish the requests in flight and stop resumably."""

    def handler(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: click in non-standalone mode so every error is one line."""
    try:
        cli.main(args=argv, prog_name="k360scrape", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        _fail("interrupted", ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        _fail(exc.format_message().splitlines()[0], ExitCode.USAGE)
    except K360Error as exc:
        _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, exc.exit_code)
    sys.exit(0)


def _fail(message: str, code: ExitCode) -> NoReturn:
    click.echo(f"k360scrape: error: {message}", err=True)
    sys.exit(int(code))
