"""posts.xlsx: the CSV tables as one workbook for people who live in Excel.

One sheet per table (posts, contributors, pdfs, images, links; same columns as the CSVs), bold
header row, frozen below the header, column widths from the content (8 to 60 characters).
openpyxl's write-only mode streams rows to disk, but it writes the column widths before the
first row. So rows are spooled to anonymous temporary files while the widths are measured, and
the workbook is built from the spools in `finish()`: one pass over the posts, bounded memory.

Cells: text is guarded against formula injection like the CSVs (`cells.neutralise`) and always
stored as a string cell (openpyxl would otherwise read `#N/A` as an error value); characters
XML cannot hold become U+FFFD and text is cut at Excel's 32,767-character cell limit; the CSV,
JSON and SQLite files keep the full text.

Determinism: openpyxl stamps the save time into docProps/core.xml and every zip entry, so the
finished zip is rewritten with fixed times (`FIXED_TIME`, 1980-01-01, the zip epoch) and the
same entry order: the same posts give the same bytes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, BinaryIO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from k360scrape.export.cells import neutralise
from k360scrape.export.rows import Cell, Row, Table, flat_tables
from k360scrape.models import Post

FIXED_TIME = datetime(1980, 1, 1)
MIN_WIDTH, MAX_WIDTH = 8, 60
MAX_CELL_CHARS = 32_767
_CORE_XML = "docProps/core.xml"


def xlsx_value(value: Cell) -> Cell:
    """A cell value Excel shows as written: neutralised, XML-safe, within the length limit."""
    if not isinstance(value, str):
        return value
    if not value:
        return None  # a blank cell, as in the CSVs; an empty text cell is not ISBLANK()
    text: str = ILLEGAL_CHARACTERS_RE.sub("\ufffd", neutralise(value))
    return text[:MAX_CELL_CHARS]


def display_width(value: Cell) -> int:
    """Characters of the longest line, a good enough proxy for the width Excel needs."""
    if value is None:
        return 0
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return max(len(line) for line in text.split("\n"))


class _Spool:
    """The rows of one sheet in a temporary JSON-lines file, and their column widths."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.widths = [len(name) for name in table.header]
        # Lives across start/write/finish, so no `with`; close() ends it (and deletes it).
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115

    def add(self, row: Row) -> None:
        for index, value in enumerate(row):
            self.widths[index] = max(self.widths[index], display_width(value))
        self._file.write(json.dumps(row, ensure_ascii=False) + "\n")

    def rows(self) -> Iterator[Row]:
        self._file.seek(0)
        for line in self._file:
            yield tuple(json.loads(line))

    def close(self) -> None:
        self._file.close()


class XlsxExporter:
    """Write posts.xlsx to a binary file opened for writing."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._spools: list[_Spool] = []

    def start(self) -> None:
        self._spools = [_Spool(table) for table in flat_tables()]

    def write(self, post: Post) -> None:
        for spool in self._spools:
            for row in spool.table.rows(post):
                spool.add(tuple(xlsx_value(value) for value in row))

    def finish(self) -> None:
        workbook = Workbook(write_only=True)
        workbook.properties.creator = "k360scrape"
        workbook.properties.created = FIXED_TIME
        for spool in self._spools:
            _write_sheet(workbook, spool)
        with tempfile.TemporaryFile() as raw:
            workbook.save(raw)
            workbook.properties.modified = FIXED_TIME  # save() set it to now
            _repack(raw, self._file, core_xml=tostring(workbook.properties.to_tree()))
        self.close()

    def close(self) -> None:
        """Drop the spools; safe to call twice and after a failure."""
        for spool in self._spools:
            spool.close()
        self._spools = []


def _write_sheet(workbook: Workbook, spool: _Spool) -> None:
    sheet = workbook.create_sheet(spool.table.name)
    # Write-only sheets take views and column widths only before the first row.
    sheet.freeze_panes = "A2"
    for index, width in enumerate(spool.widths, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, name, font=bold) for name in spool.table.header])
    for row in spool.rows():
        sheet.append([_cell(sheet, value) for value in row])


def _cell(sheet: object, value: Cell) -> object:
    # Plain values are fastest; only text openpyxl would reinterpret needs a typed cell.
    if isinstance(value, str) and value in ERROR_CODES:
        return _text_cell(sheet, value)
    return value


def _text_cell(sheet: object, text: str, font: Font | None = None) -> object:
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def _repack(source: IO[bytes], target: BinaryIO, *, core_xml: bytes) -> None:
    """Copy the zip with fixed entry times and the given core properties."""
    source.seek(0)
    with ZipFile(source) as zin, ZipFile(target, "w", ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed = ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            if info.filename == _CORE_XML:
                zout.writestr(fixed, core_xml)
                continue
            with zin.open(info) as src, zout.open(fixed, "w") as dst:
                shutil.copyfileobj(src, dst)
