"""What a run prints: a rich progress line on a terminal, warnings with --verbose, one summary.

Nothing but errors with --quiet; no progress bar when stderr is not a terminal (cron, CI logs).
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from k360scrape.crawl import Outcome
from k360scrape.state import Task


class Reporter:
    def __init__(self, *, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self._console = Console(stderr=True, highlight=False)
        self._counts = {"archive": 0, "post": 0, "posts": 0, "warnings": 0}
        self._progress: Progress | None = None
        self._bar: TaskID | None = None

    def __enter__(self) -> Self:
        if not self.quiet and sys.stderr.isatty():
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._bar = self._progress.add_task(self._describe(), total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def on_task(self, task: Task, outcome: Outcome) -> None:
        self._counts[task.kind] = self._counts.get(task.kind, 0) + 1
        self._counts["posts"] += len(outcome.posts)
        self._counts["warnings"] += len(outcome.warnings)
        if self._progress is not None and self._bar is not None:
            self._progress.update(self._bar, description=self._describe())

    def warnings(self, lines: list[str]) -> None:
        if self.verbose and not self.quiet:
            for line in lines:
                self._console.print(f"warning: {line}", markup=False, soft_wrap=True)

    def line(self, text: str, *, error: bool = False) -> None:
        if not self.quiet or error:
            self._console.print(text, markup=False, soft_wrap=True)

    def _describe(self) -> str:
        c = self._counts
        return (
            f"archive pages {c['archive']} · post pages {c['post']} · "
            f"posts {c['posts']} · warnings {c['warnings']}"
        )
