"""CSV files, one per table, in two dialects.

    plain     UTF-8 without BOM, `,` delimiter: for scripts, pandas, csvkit, Datasette
    excel-de  UTF-8 with BOM, `;` delimiter: German Excel opens it with umlauts and columns
              right on a double click (a `sep=` line would switch off its UTF-8 detection)

Both quote minimally with `"` (doubled inside fields) and end records with CRLF, as RFC 4180
specifies, so the two dialects differ only in BOM and delimiter; every CSV reader accepts
CRLF. Newlines inside a field are kept as they are, and such fields are quoted. None is an
empty field, booleans are `true`/`false`. Text cells are guarded against formula injection
in every dialect (see `cells`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Final, Literal, TextIO

from k360scrape.export.cells import csv_text
from k360scrape.export.rows import Table
from k360scrape.models import Post

CsvDialectName = Literal["plain", "excel-de"]

BOM: Final = "\ufeff"


@dataclass(frozen=True)
class CsvFormat:
    delimiter: str
    bom: bool
    line_terminator: str = "\r\n"
    quote_char: str = '"'

    @property
    def encoding(self) -> str:
        """The encoding name a reader should use (Python's and frictionless' spelling)."""
        return "utf-8-sig" if self.bom else "utf-8"


def csv_format(dialect: CsvDialectName) -> CsvFormat:
    if dialect == "plain":
        return CsvFormat(delimiter=",", bom=False)
    if dialect == "excel-de":
        return CsvFormat(delimiter=";", bom=True)
    raise ValueError(f"unknown CSV dialect {dialect!r}; use 'plain' or 'excel-de'")


class CsvExporter:
    """One table as CSV; the file must be opened with `encoding="utf-8", newline=""`."""

    def __init__(self, file: TextIO, table: Table, dialect: CsvDialectName = "plain") -> None:
        self._file = file
        self._table = table
        self._format = csv_format(dialect)
        self._writer = csv.writer(
            file,
            delimiter=self._format.delimiter,
            quotechar=self._format.quote_char,
            lineterminator=self._format.line_terminator,
            quoting=csv.QUOTE_MINIMAL,
            doublequote=True,
            strict=True,
        )

    def start(self) -> None:
        if self._format.bom:
            self._file.write(BOM)
        self._writer.writerow(self._table.header)

    def write(self, post: Post) -> None:
        self._writer.writerows([csv_text(v) for v in row] for row in self._table.rows(post))

    def finish(self) -> None:
        self._file.flush()
