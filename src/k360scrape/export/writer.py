"""`write_outputs()`: every output file of a run, in one streaming pass, all or nothing.

    posts.json, posts.jsonl                 every post, every field (machine formats)
    posts.csv, contributors.csv, pdfs.csv,  one table per entity (see `rows`), in the chosen
    images.csv, links.csv                   CSV dialect (see `csvfile`)
    posts.sqlite                            optional, default on (see `sqlite`)
    posts.xlsx                              optional, default off (see `xlsx`)
    datapackage.json                        optional, default on (see `datapackage`)
    manifest.json                           the run's manifest as given

Posts come from a factory so the archive never has to fit in memory; it is called once and
every exporter receives each post in turn. Same posts and manifest in, same bytes out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from k360scrape.errors import OutputError, StoreError
from k360scrape.export.atomic import StagedFiles
from k360scrape.export.base import Exporter
from k360scrape.export.csvfile import CsvExporter
from k360scrape.export.datapackage import datapackage
from k360scrape.export.jsonfile import JsonExporter, JsonLinesExporter, write_pretty_json
from k360scrape.export.rows import flat_tables
from k360scrape.export.sqlite import SqliteExporter
from k360scrape.export.xlsx import XlsxExporter
from k360scrape.models import Post


class ExportOptions(BaseModel):
    """Which optional files to write, and the CSV dialect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    csv_dialect: Literal["plain", "excel-de"] = "plain"
    sqlite: bool = True
    xlsx: bool = False
    datapackage: bool = True


def write_outputs(
    posts: Callable[[], Iterator[Post]],
    out_dir: Path,
    *,
    manifest: Mapping[str, object],
    options: ExportOptions,
) -> list[Path]:
    """Write every output file into `out_dir` atomically; return their paths.

    Raises OutputError if `out_dir` cannot be created, StoreError if a file cannot be written
    (including a duplicate post id, which SQLite's primary key refuses). On any failure the
    folder's previous files are left exactly as they were.
    """
    _prepare(out_dir)
    try:
        with StagedFiles(out_dir) as staged:
            _write_posts(posts, staged, options)
            if options.datapackage:
                _write_json(staged, "datapackage.json", datapackage(options.csv_dialect))
            _write_json(staged, "manifest.json", manifest)
            return staged.commit()
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"export to {out_dir} failed: {exc}") from exc


def _prepare(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot use {out_dir} as the output folder: {exc}") from exc


def _write_posts(
    posts: Callable[[], Iterator[Post]], staged: StagedFiles, options: ExportOptions
) -> None:
    with ExitStack() as stack:
        exporters = _open_exporters(staged, stack, options)
        for exporter in exporters:
            exporter.start()
        for post in posts():
            for exporter in exporters:
                exporter.write(post)
        for exporter in exporters:
            exporter.finish()


def _open_exporters(
    staged: StagedFiles, stack: ExitStack, options: ExportOptions
) -> list[Exporter]:
    """The exporters in output order; their files close when `stack` does."""

    exporters: list[Exporter] = [
        JsonExporter(stack.enter_context(staged.open_binary("posts.json"))),
        JsonLinesExporter(stack.enter_context(staged.open_binary("posts.jsonl"))),
    ]
    for table in flat_tables():
        file = stack.enter_context(staged.open_text(f"{table.name}.csv"))
        exporters.append(CsvExporter(file, table, options.csv_dialect))
    if options.sqlite:
        database = SqliteExporter(staged.reserve("posts.sqlite"))
        stack.callback(database.close)
        exporters.append(database)
    if options.xlsx:
        workbook = XlsxExporter(stack.enter_context(staged.open_binary("posts.xlsx")))
        stack.callback(workbook.close)
        exporters.append(workbook)
    return exporters


def _write_json(staged: StagedFiles, name: str, value: object) -> None:
    with staged.open_text(name) as file:
        write_pretty_json(value, file)
