"""datapackage.json: a Frictionless (Tabular) Data Package describing every CSV file.

Each resource names its file, encoding (`utf-8`, or `utf-8-sig` for the excel-de BOM), CSV
dialect and a Table Schema built from the same `rows.Table` the CSV writer uses: field names
in file order, types, descriptions from the pydantic `Field(description=...)`, primary key,
and a foreign key from every child table's post_id to posts.id. `frictionless validate
datapackage.json` then checks types, keys and references of a whole export.
"""

from __future__ import annotations

from k360scrape.export.csvfile import CsvDialectName, CsvFormat, csv_format
from k360scrape.export.rows import Column, Table, flat_tables

NAME = "k360scrape-posts"


def datapackage(dialect: CsvDialectName) -> dict[str, object]:
    """The descriptor for the CSV files written in `dialect`."""
    fmt = csv_format(dialect)
    return {
        "profile": "tabular-data-package",
        "name": NAME,
        "title": "Kommune 360° festival programme items harvested by k360scrape",
        "resources": [_resource(table, fmt) for table in flat_tables()],
    }


def _resource(table: Table, fmt: CsvFormat) -> dict[str, object]:
    return {
        "profile": "tabular-data-resource",
        "name": table.name,
        "path": f"{table.name}.csv",
        "description": table.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": fmt.encoding,
        "dialect": {
            "delimiter": fmt.delimiter,
            "lineTerminator": fmt.line_terminator,
            "quoteChar": fmt.quote_char,
            "doubleQuote": True,
            "header": True,
        },
        "schema": _schema(table),
    }


def _schema(table: Table) -> dict[str, object]:
    keys = {*table.primary_key, table.parent_key}
    schema: dict[str, object] = {
        "fields": [_field(column, is_key=column.name in keys) for column in table.columns],
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    if table.parent_key:
        reference = {"resource": "posts", "fields": ["id"]}
        schema["foreignKeys"] = [{"fields": [table.parent_key], "reference": reference}]
    return schema


def _field(column: Column, *, is_key: bool) -> dict[str, object]:
    field: dict[str, object] = {"name": column.name, "type": column.kind}
    if column.description:
        field["description"] = column.description
    if column.kind == "boolean":
        field["trueValues"] = ["true"]
        field["falseValues"] = ["false"]
    # CSV cannot tell "" from null, so a text field the model allows to be empty ("" bio,
    # link text) is not marked required; keys and non-text fields are.
    if column.required and (is_key or column.kind != "string"):
        field["constraints"] = {"required": True}
    return field
