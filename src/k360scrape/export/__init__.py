"""Output files: models in, JSON, JSONL, CSV, SQLite, XLSX and a Frictionless data package out.

`write_outputs()` writes them all atomically in one pass; the exporters can also be used alone
over an open file (`start()`, `write(post)`, `finish()`).
"""

from __future__ import annotations

from k360scrape.export.csvfile import CsvExporter
from k360scrape.export.jsonfile import JsonExporter, JsonLinesExporter
from k360scrape.export.schema import post_json_schema
from k360scrape.export.sqlite import SqliteExporter
from k360scrape.export.writer import ExportOptions, write_outputs
from k360scrape.export.xlsx import XlsxExporter

__all__ = [
    "CsvExporter",
    "ExportOptions",
    "JsonExporter",
    "JsonLinesExporter",
    "SqliteExporter",
    "XlsxExporter",
    "post_json_schema",
    "write_outputs",
]
