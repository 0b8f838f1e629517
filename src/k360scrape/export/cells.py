"""Cell values for spreadsheet formats (CSV, XLSX): the formula-injection guard.

Spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` as a formula, and a
leading tab or carriage return can smuggle one past naive checks (CWE-1236). Following the
OWASP "CSV Injection" advice, every *text* cell that starts with one of

    =  +  -  @  TAB  CR

gets a single quote `'` in front, in every CSV dialect and in XLSX, so `=SUM(1)` is written
as `'=SUM(1)` and `-1` as `'-1`. Integer columns (counts, positions, statuses, sizes) are ints,
never text, so they are never prefixed. Text that merely contains such a character later on
is untouched. JSON, JSONL and SQLite keep the exact values: they are data formats, not
spreadsheets, and researchers need the bytes as published.
"""

from __future__ import annotations

from typing import Final

from k360scrape.export.rows import Cell

FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Prefix `'` to text a spreadsheet would run as a formula; leave other text alone."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_text(value: Cell) -> str:
    """One CSV field: None → "", booleans as true/false, ints as digits, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return neutralise(value)
