"""Exporters over in-memory files: columns, joins, CSV dialects, injection guard, JSON, schema."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from pydantic import TypeAdapter, create_model

from k360scrape.export.cells import csv_text, neutralise
from k360scrape.export.csvfile import CsvDialectName, CsvExporter, csv_format
from k360scrape.export.jsonfile import JsonExporter, JsonLinesExporter, write_pretty_json
from k360scrape.export.rows import (
    CHILDREN,
    Table,
    child_tables,
    flat_posts_table,
    flat_tables,
    join_values,
    model_columns,
    relational_tables,
    scalar_fields,
)
from k360scrape.export.schema import post_json_schema, schema_text
from k360scrape.models import Contributor, Image, Link, Pdf, Post

SCHEMA_FILE = Path(__file__).parents[1] / "schema" / "post.schema.json"

POSTS_HEADER = (
    "id",
    "url",
    "day",
    "title",
    "date",
    "author",
    "label",
    "subtitle",
    "description",
    "pdf_count",
    "pdf_names",
    "pdf_urls",
    "contributor_count",
    "contributor_names",
    "contributor_affiliations",
    "image_count",
    "image_urls",
    "image_captions",
    "link_count",
    "link_urls",
    "archive_url",
    "archive_page",
    "position",
    "source_url",
    "fetched_at",
    "status",
    "sha256",
)
CHILD_HEADERS = {
    "contributors": ("post_id", "position", "name", "affiliation", "bio"),
    "pdfs": (
        "post_id",
        "position",
        "name",
        "url",
        "sha256",
        "bytes",
        "content_type",
        "http_status",
        "is_pdf",
        "page_count",
        "pdf_title",
        "pdf_author",
        "pdf_created",
        "path",
        "text_path",
        "error",
    ),
    "images": ("post_id", "position", "url", "caption"),
    "links": ("post_id", "position", "text", "url"),
}
DIALECTS: tuple[CsvDialectName, ...] = ("plain", "excel-de")
INJECTIONS = ("=SUM(1)", "+1", "-1", "@cmd", "\tx", "\rx")

POST = Post(
    id="gruene-staedte",
    url="https://www.kommune360.de/gruene-staedte/",
    day="Freitag",
    title="Grüne Städte „für alle“",
    date="2025-05-16",
    author="Redaktion",
    label="Dokumentation",
    subtitle="Straßen\u2011Netz; Plätze, Wege",
    description='Erster Absatz mit ß und "Zitat".\n\nZweiter Absatz.',
    pdfs=(
        Pdf(name="Folien Müller", url="https://www.kommune360.de/a.pdf", bytes=1234, is_pdf=True),
        Pdf(name="Programm", url="https://www.kommune360.de/b.pdf"),
    ),
    contributors=(
        Contributor(name="Dr. Anna Müller", affiliation="Uni Köln", bio="Anna forscht."),
        Contributor(name="Bernd Weiß", bio="Bernd plant Städte.\nZweite Zeile."),
    ),
    images=(Image(url="https://www.kommune360.de/i.jpg"),),
    links=(Link(text="Mehr", url="https://example.org/m"),),
    archive_url="https://www.kommune360.de/programm/tag/freitag/",
    archive_page=1,
    position=3,
    source_url="https://www.kommune360.de/programm/tag/freitag/",
    fetched_at="2026-01-01T00:00:00Z",
    status=200,
    sha256="ab" * 32,
)
BARE = POST.model_copy(
    update={
        "id": "leer",
        "day": None,
        "title": None,
        "date": None,
        "author": None,
        "label": None,
        "subtitle": None,
        "description": "",
        "pdfs": (),
        "contributors": (),
        "images": (),
        "links": (),
    }
)


def flat_row(post: Post) -> dict[str, object]:
    table = flat_posts_table()
    (row,) = table.rows(post)
    return dict(zip(table.header, row, strict=True))


def write_csv(table: Table, posts: list[Post], dialect: CsvDialectName) -> str:
    buffer = io.StringIO(newline="")
    exporter = CsvExporter(buffer, table, dialect)
    exporter.start()
    for post in posts:
        exporter.write(post)
    exporter.finish()
    return buffer.getvalue()


def read_csv(text: str, dialect: CsvDialectName) -> list[list[str]]:
    text = text.removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=csv_format(dialect).delimiter))


def posts_record(post: Post, dialect: CsvDialectName) -> dict[str, str]:
    """The posts.csv record of `post`, written and read back in `dialect`."""
    rows = read_csv(write_csv(table_named("posts"), [post], dialect), dialect)
    return dict(zip(rows[0], rows[1], strict=True))


def table_named(name: str) -> Table:
    return next(table for table in flat_tables() if table.name == name)


# --- columns ---------------------------------------------------------------------------------


def test_posts_header_is_the_documented_order() -> None:
    assert flat_posts_table().header == POSTS_HEADER


@pytest.mark.parametrize(("name", "header"), CHILD_HEADERS.items())
def test_child_headers_are_the_documented_order(name: str, header: tuple[str, ...]) -> None:
    assert table_named(name).header == header


def test_csv_files_come_in_a_fixed_order() -> None:
    assert [table.name for table in flat_tables()] == [
        "posts",
        "contributors",
        "pdfs",
        "images",
        "links",
    ]


def test_sqlite_posts_table_has_only_the_scalar_fields() -> None:
    posts, *children = relational_tables()
    assert posts.header == scalar_fields()
    assert "pdf_count" not in posts.header
    assert [child.header for child in children] == [table.header for table in flat_tables()[1:]]


def test_every_post_field_is_a_column_or_a_child_table() -> None:
    """A new list field in models.py must be declared in rows.CHILDREN, not silently dropped."""
    covered = set(scalar_fields()) | {child.field for child in CHILDREN}
    assert covered == set(Post.model_fields)


@pytest.mark.parametrize("annotation", [float, list[str], int | str], ids=str)
def test_an_unsupported_field_type_is_refused(annotation: object) -> None:
    odd = create_model("Odd", value=(annotation, ...))
    with pytest.raises(TypeError, match="no column type"):
        model_columns(odd)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("table", flat_tables(), ids=lambda table: table.name)
def test_csv_header_row_matches_the_table(table: Table, dialect: CsvDialectName) -> None:
    assert tuple(read_csv(write_csv(table, [], dialect), dialect)[0]) == table.header


# --- joins and counts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("pdf_count", 2),
        ("pdf_names", "Folien Müller | Programm"),
        ("pdf_urls", "https://www.kommune360.de/a.pdf | https://www.kommune360.de/b.pdf"),
        ("contributor_count", 2),
        ("contributor_names", "Dr. Anna Müller | Bernd Weiß"),
        ("contributor_affiliations", "Uni Köln | "),  # the empty slot keeps positions aligned
        ("image_count", 1),
        ("image_urls", "https://www.kommune360.de/i.jpg"),
        ("image_captions", None),  # no image has a caption
        ("link_count", 1),
        ("link_urls", "https://example.org/m"),
        ("subtitle", "Straßen\u2011Netz; Plätze, Wege"),
        ("position", 3),
    ],
)
def test_flat_row_joins_and_counts(column: str, expected: object) -> None:
    assert flat_row(POST)[column] == expected


@pytest.mark.parametrize("column", [c for c in POSTS_HEADER if c.endswith("_count")])
def test_empty_lists_count_zero_and_leave_joined_cells_empty(column: str) -> None:
    row = flat_row(BARE)
    assert row[column] == 0
    prefix = column.removesuffix("count")
    joined = [name for name in POSTS_HEADER if name.startswith(prefix) and name != column]
    assert joined
    assert all(row[name] is None for name in joined)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([None, None], None),
        (["a"], "a"),
        (["a", None, "c"], "a |  | c"),
        ([None, "b"], " | b"),
        ([1, 2], "1 | 2"),
    ],
)
def test_join_values(values: list[str | int | None], expected: str | None) -> None:
    assert join_values(list(values)) == expected


def test_child_rows_have_1_based_positions_and_every_item_field() -> None:
    rows = list(table_named("pdfs").rows(POST))
    assert [row[:2] for row in rows] == [("gruene-staedte", 1), ("gruene-staedte", 2)]
    assert rows[0][2:] == tuple(POST.pdfs[0].model_dump().values())
    assert rows[1][CHILD_HEADERS["pdfs"].index("bytes")] is None


def test_column_metadata_comes_from_the_models() -> None:
    columns = {c.name: c for c in table_named("pdfs").columns}
    assert columns["sha256"].description == "SHA-256 of the downloaded bytes"
    assert (columns["bytes"].kind, columns["bytes"].required) == ("integer", False)
    assert columns["is_pdf"].kind == "boolean"
    posts = {c.name: c for c in flat_posts_table().columns}
    assert (posts["date"].kind, posts["fetched_at"].kind) == ("date", "datetime")
    assert (posts["id"].required, posts["title"].required) == (True, False)


# --- injection guard -------------------------------------------------------------------------


@pytest.mark.parametrize("payload", INJECTIONS)
def test_neutralise_prefixes_formula_triggers(payload: str) -> None:
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize(
    "text", ["", "Grüne Städte", "a=b", "E-Mail", "'quoted", " =lead space", "#N/A", "1+1"]
)
def test_neutralise_leaves_normal_text_alone(text: str) -> None:
    assert neutralise(text) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), (True, "true"), (False, "false"), (0, "0"), (-1, "-1"), ("-1", "'-1")],
)
def test_csv_text(value: str | int | bool | None, expected: str) -> None:
    assert csv_text(value) == expected


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("payload", INJECTIONS)
def test_csv_cells_are_neutralised_in_every_dialect(payload: str, dialect: CsvDialectName) -> None:
    contributor = Contributor(name=payload, affiliation=payload, bio=payload)
    post = POST.model_copy(update={"title": payload, "contributors": (contributor,)})
    posts = posts_record(post, dialect)
    assert posts["title"] == "'" + payload
    assert posts["contributor_names"] == "'" + payload
    child = read_csv(write_csv(table_named("contributors"), [post], dialect), dialect)[1]
    assert child == ["gruene-staedte", "1", "'" + payload, "'" + payload, "'" + payload]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_integer_columns_are_never_prefixed(dialect: CsvDialectName) -> None:
    post = POST.model_copy(update={"status": -1})
    row = posts_record(post, dialect)
    assert (row["status"], row["pdf_count"], row["position"]) == ("-1", "2", "3")
    assert row["title"] == POST.title  # normal text untouched


# --- dialects --------------------------------------------------------------------------------


def test_excel_de_is_bom_semicolon_crlf_and_keeps_umlauts() -> None:
    data = write_csv(table_named("posts"), [POST, BARE], "excel-de").encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbfid;url;day;")
    assert data.endswith(b"\r\n")
    assert data.count(b"\r\n") == 3  # header and two records; in-cell newlines stay "\n"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][0] == "id"
    record = dict(zip(POSTS_HEADER, rows[1], strict=True))
    assert record["title"] == "Grüne Städte „für alle“"
    assert record["subtitle"] == "Straßen\u2011Netz; Plätze, Wege"  # the ; is quoted
    assert record["description"] == POST.description


def test_plain_is_utf8_without_bom_comma_crlf() -> None:
    text = write_csv(table_named("posts"), [POST], "plain")
    assert not text.startswith("\ufeff")
    assert text.startswith("id,url,day,")
    assert text.endswith("\r\n")
    assert text.count("\r\n") == 2


@pytest.mark.parametrize("dialect", DIALECTS)
def test_newlines_and_quotes_inside_cells_round_trip(dialect: CsvDialectName) -> None:
    text = write_csv(table_named("contributors"), [POST], dialect)
    assert '"Bernd plant Städte.\nZweite Zeile."' in text
    rows = read_csv(text, dialect)
    assert rows[2][4] == "Bernd plant Städte.\nZweite Zeile."
    posts = read_csv(write_csv(table_named("posts"), [POST], dialect), dialect)
    assert posts[1][POSTS_HEADER.index("description")] == POST.description


@pytest.mark.parametrize("dialect", DIALECTS)
def test_none_is_an_empty_cell_and_booleans_are_words(dialect: CsvDialectName) -> None:
    rows = read_csv(write_csv(table_named("pdfs"), [POST], dialect), dialect)
    first = dict(zip(CHILD_HEADERS["pdfs"], rows[1], strict=True))
    second = dict(zip(CHILD_HEADERS["pdfs"], rows[2], strict=True))
    assert (first["is_pdf"], first["bytes"], first["sha256"]) == ("true", "1234", "")
    assert second["is_pdf"] == ""


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown CSV dialect"):
        csv_format("excel")  # type: ignore[arg-type]


# --- JSON ------------------------------------------------------------------------------------


def run_exporter(exporter_type: type[JsonExporter | JsonLinesExporter], posts: list[Post]) -> str:
    buffer = io.BytesIO()
    exporter = exporter_type(buffer)
    exporter.start()
    for post in posts:
        exporter.write(post)
    exporter.finish()
    return buffer.getvalue().decode("utf-8")  # strict: the files are valid UTF-8


@pytest.mark.parametrize("posts", [[], [POST], [POST, BARE]], ids=["none", "one", "two"])
def test_json_equals_json_dumps_of_the_whole_list(posts: list[Post]) -> None:
    dumped = [post.model_dump(mode="json") for post in posts]
    expected = json.dumps(dumped, ensure_ascii=False, indent=2) + "\n"
    assert run_exporter(JsonExporter, posts) == expected


def test_json_keys_follow_the_model_and_text_stays_unescaped() -> None:
    text = run_exporter(JsonExporter, [POST, BARE])
    (first, second) = json.loads(text)
    assert list(first) == list(Post.model_fields)
    assert list(first["pdfs"][0]) == list(Pdf.model_fields)
    assert second["title"] is None
    assert "Grüne Städte „für alle“" in text
    assert "\u2011" in text


def test_pretty_json_takes_what_a_manifest_carries() -> None:
    buffer = io.StringIO()
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    write_pretty_json({"z": moment, "a": Path("out/x"), "link": Link(text="ä", url="u")}, buffer)
    assert buffer.getvalue() == (
        '{\n  "z": "2026-01-02T03:04:05Z",\n  "a": "out/x",\n'
        '  "link": {\n    "text": "ä",\n    "url": "u"\n  }\n}\n'
    )


def test_jsonl_is_one_compact_object_per_line() -> None:
    text = run_exporter(JsonLinesExporter, [POST, BARE])
    lines = text.split("\n")
    assert lines[-1] == ""
    assert [json.loads(line) for line in lines[:-1]] == [
        POST.model_dump(mode="json"),
        BARE.model_dump(mode="json"),
    ]
    assert lines[0].startswith('{"id":"gruene-staedte","url":')
    assert "ß" in lines[0]


# --- JSON Schema -----------------------------------------------------------------------------


def test_committed_schema_is_current() -> None:
    """Refresh with `python scripts/refresh_schema.py` after changing models.py."""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()


def test_posts_json_validates_against_the_schema() -> None:
    document = json.loads(run_exporter(JsonExporter, [POST, BARE]))
    jsonschema.Draft202012Validator.check_schema(post_json_schema())
    jsonschema.Draft202012Validator(post_json_schema()).validate(document)
    posts = TypeAdapter(list[Post]).validate_json(run_exporter(JsonExporter, [POST, BARE]))
    assert posts == [POST, BARE]


@pytest.mark.parametrize(
    "breakage",
    [
        lambda post: post.pop("title"),
        lambda post: post.update(extra="x"),
        lambda post: post.update(status="200"),
        lambda post: post["pdfs"][0].pop("sha256"),
    ],
    ids=["missing-key", "extra-key", "wrong-type", "missing-nested-key"],
)
def test_schema_rejects_broken_documents(breakage: object) -> None:
    document = json.loads(run_exporter(JsonExporter, [POST]))
    assert callable(breakage)
    breakage(document[0])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, post_json_schema())


def test_child_tables_follow_the_children_declaration() -> None:
    assert [table.name for table in child_tables()] == [child.field for child in CHILDREN]
