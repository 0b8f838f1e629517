"""write_outputs() end to end: file set, atomicity, determinism, SQLite, XLSX, data package."""

from __future__ import annotations

import csv
import json
import sqlite3
import weakref
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import frictionless
import openpyxl
import pytest
import sqlite_utils

from k360scrape.errors import OutputError, StoreError
from k360scrape.export import ExportOptions, write_outputs
from k360scrape.export.rows import flat_tables
from k360scrape.export.xlsx import FIXED_TIME, MAX_WIDTH, MIN_WIDTH, XlsxExporter
from k360scrape.models import Contributor, Image, Link, Pdf, Post

MANIFEST = {"tool": "k360scrape", "started": "2026-01-01T00:00:00Z", "counts": {"posts": 3}}
ALL = ExportOptions(sqlite=True, xlsx=True, datapackage=True)
CSV_FILES = ["posts.csv", "contributors.csv", "pdfs.csv", "images.csv", "links.csv"]
DIALECTS = ("plain", "excel-de")


def make_post(slug: str, **update: object) -> Post:
    post = Post(
        id=slug,
        url=f"https://www.kommune360.de/{slug}/",
        day="Samstag",
        title="Klimaresiliente Städte „jetzt“",
        date="2025-05-17",
        author="Redaktion",
        label=None,
        subtitle="Wasser\u2011Management",
        description="Erster Absatz über Straßen.\n\nZweiter Absatz mit Ökologie.",
        pdfs=(Pdf(name="Folien", url=f"https://www.kommune360.de/{slug}.pdf", bytes=10),),
        contributors=(
            Contributor(
                name="Prof. Dr. Jörg Weiß",
                affiliation="TU München",
                bio="Jörg erforscht Schwammstädte und Regenwassernutzung.",
            ),
            Contributor(name="Ana Núñez", bio="Ana moderiert."),
        ),
        images=(Image(url=f"https://www.kommune360.de/{slug}.jpg", caption="Foto: Ö. Ü"),),
        links=(Link(text="Video", url="https://example.org/v"),),
        archive_url="https://www.kommune360.de/programm/tag/samstag/",
        archive_page=1,
        position=1,
        source_url=f"https://www.kommune360.de/{slug}/",
        fetched_at="2026-01-01T10:00:00Z",
        status=200,
        sha256="cd" * 32,
    )
    return post.model_copy(update=update)


POSTS = (
    make_post("schwammstadt"),
    make_post(
        "formeln",
        title="=SUM(1)",
        author="#N/A",
        description="-1 Grad\nzweite Zeile",
        contributors=(Contributor(name="@cmd", bio="\tx"),),
        position=2,
    ),
    make_post(
        "leer",
        day=None,
        title=None,
        date=None,
        author=None,
        subtitle=None,
        description="",
        pdfs=(),
        contributors=(),
        images=(),
        links=(),
        position=3,
    ),
)


def sample() -> Iterator[Post]:
    return iter(POSTS)


def write(
    out_dir: Path, options: ExportOptions = ALL, posts: Callable[[], Iterator[Post]] = sample
) -> list[Path]:
    return write_outputs(posts, out_dir, manifest=MANIFEST, options=options)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


# --- the file set ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            ExportOptions(),
            [
                "posts.json",
                "posts.jsonl",
                *CSV_FILES,
                "posts.sqlite",
                "datapackage.json",
                "manifest.json",
            ],
        ),
        (
            ALL,
            [
                "posts.json",
                "posts.jsonl",
                *CSV_FILES,
                "posts.sqlite",
                "posts.xlsx",
                "datapackage.json",
                "manifest.json",
            ],
        ),
        (
            ExportOptions(sqlite=False, datapackage=False),
            ["posts.json", "posts.jsonl", *CSV_FILES, "manifest.json"],
        ),
    ],
    ids=["default", "all", "minimal"],
)
def test_written_files(tmp_path: Path, options: ExportOptions, expected: list[str]) -> None:
    paths = write(tmp_path, options)
    assert [path.name for path in paths] == expected
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(expected)
    assert all(path.parent == tmp_path for path in paths)


def test_manifest_is_pretty_json_in_the_given_order(tmp_path: Path) -> None:
    write(tmp_path)
    text = (tmp_path / "manifest.json").read_text(encoding="utf-8")
    assert text == json.dumps(MANIFEST, indent=2, ensure_ascii=False) + "\n"


def test_json_and_jsonl_hold_every_post(tmp_path: Path) -> None:
    write(tmp_path)
    expected = [post.model_dump(mode="json") for post in POSTS]
    assert json.loads((tmp_path / "posts.json").read_text(encoding="utf-8")) == expected
    lines = (tmp_path / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == expected


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="csv_dialect"):
        ExportOptions(csv_dialect="excel")  # type: ignore[arg-type]


# --- atomicity and determinism ---------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rerun_is_byte_identical(tmp_path: Path, dialect: str) -> None:
    options = ALL.model_copy(update={"csv_dialect": dialect})
    write(tmp_path / "a", options)
    write(tmp_path / "b", options)
    first, second = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def failing_stream() -> Iterator[Post]:
    yield POSTS[0]
    raise RuntimeError("parser exploded")


@pytest.mark.parametrize(
    ("patch", "error"),
    [
        (None, RuntimeError),
        ("k360scrape.export.writer.XlsxExporter.write", RuntimeError),
        ("k360scrape.export.writer.SqliteExporter.finish", RuntimeError),
        ("k360scrape.export.atomic.StagedFiles.commit", RuntimeError),
    ],
    ids=["stream", "xlsx-write", "sqlite-finish", "commit"],
)
def test_a_failure_leaves_the_previous_files_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, patch: str | None, error: type[Exception]
) -> None:
    write(tmp_path, ExportOptions(csv_dialect="excel-de", xlsx=True))
    before = snapshot(tmp_path)
    posts: Callable[[], Iterator[Post]] = sample
    if patch is None:
        posts = failing_stream
    else:

        def boom(*args: object) -> None:
            raise RuntimeError("exporter exploded")

        monkeypatch.setattr(patch, boom)
    with pytest.raises(error):
        write(tmp_path, ALL, posts)
    assert snapshot(tmp_path) == before  # same names, same bytes, no .tmp- files


def test_a_duplicate_post_id_is_a_store_error_and_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(StoreError, match="UNIQUE"):
        write(tmp_path, ALL, lambda: iter([POSTS[0], POSTS[0]]))
    assert snapshot(tmp_path) == before


def test_an_unusable_output_folder_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError):
        write(blocker / "out")


def test_output_folder_is_created(tmp_path: Path) -> None:
    write(tmp_path / "deep" / "out", ExportOptions(sqlite=False))
    assert (tmp_path / "deep" / "out" / "posts.csv").is_file()


# --- streaming -------------------------------------------------------------------------------


def test_posts_are_streamed_in_one_pass_never_held(tmp_path: Path) -> None:
    calls = 0
    alive = 0
    most_alive = 0

    def gone() -> None:
        nonlocal alive
        alive -= 1

    def many() -> Iterator[Post]:
        nonlocal calls, alive, most_alive
        calls += 1
        for number in range(20_000):
            post = Post(
                id=f"p{number}",
                url=f"https://www.kommune360.de/p{number}/",
                day="Freitag",
                title=f"Titel {number}",
                date="2025-05-16",
                author=None,
                label=None,
                subtitle=None,
                description="Kurz.",
                contributors=(Contributor(name="A", bio="B"),),
                archive_url="https://www.kommune360.de/programm/tag/freitag/",
                archive_page=1,
                position=1,
                source_url="https://www.kommune360.de/programm/tag/freitag/",
                fetched_at="2026-01-01T00:00:00Z",
                status=200,
                sha256="ef" * 32,
            )
            weakref.finalize(post, gone)
            alive += 1
            most_alive = max(most_alive, alive)
            yield post
            del post

    write(tmp_path, ALL, many)
    assert calls == 1
    assert most_alive <= 3  # a list of posts anywhere would keep all 20,000 alive
    with (tmp_path / "posts.jsonl").open(encoding="utf-8") as lines:
        assert sum(1 for _ in lines) == 20_000
    with sqlite3.connect(tmp_path / "posts.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM contributors").fetchone() == (20_000,)


# --- SQLite ----------------------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    write(tmp_path, ExportOptions())
    conn = sqlite3.connect(tmp_path / "posts.sqlite")
    yield conn
    conn.close()


def test_sqlite_tables_and_columns(database: sqlite3.Connection) -> None:
    tables = [
        row[0]
        for row in database.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE '%fts%'"
        )
    ]
    assert tables == ["posts", "contributors", "pdfs", "images", "links"]
    for table in flat_tables()[1:]:
        columns = [row[1] for row in database.execute(f"PRAGMA table_info({table.name})")]
        assert tuple(columns) == table.header
    posts = [row[1] for row in database.execute("PRAGMA table_info(posts)")]
    assert posts[0] == "id"
    assert "pdfs" not in posts
    assert "pdf_count" not in posts


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("posts", ["id"]),
        ("contributors", ["post_id", "position"]),
        ("pdfs", ["post_id", "position"]),
        ("images", ["post_id", "position"]),
        ("links", ["post_id", "position"]),
    ],
)
def test_sqlite_keys_and_indexes(database: sqlite3.Connection, table: str, key: list[str]) -> None:
    info = database.execute(f"PRAGMA table_info({table})").fetchall()
    primary = sorted((row[5], row[1]) for row in info if row[5])
    assert [name for _, name in primary] == key
    if table == "posts":
        assert info[0][2] == "TEXT"
        return
    foreign = database.execute(f"PRAGMA foreign_key_list({table})").fetchall()
    assert [(row[2], row[3], row[4]) for row in foreign] == [("posts", "post_id", "id")]
    indexes = [row[1] for row in database.execute(f"PRAGMA index_list({table})")]
    assert f"idx_{table}_post_id" in indexes


def test_sqlite_rows_keep_exact_values(database: sqlite3.Connection) -> None:
    titles = database.execute("SELECT id, title, author FROM posts ORDER BY rowid").fetchall()
    assert titles == [
        ("schwammstadt", "Klimaresiliente Städte „jetzt“", "Redaktion"),
        ("formeln", "=SUM(1)", "#N/A"),  # no spreadsheet guard in a database
        ("leer", None, None),
    ]
    contributors = database.execute(
        "SELECT post_id, position, name, affiliation FROM contributors ORDER BY rowid"
    ).fetchall()
    assert contributors == [
        ("schwammstadt", 1, "Prof. Dr. Jörg Weiß", "TU München"),
        ("schwammstadt", 2, "Ana Núñez", None),
        ("formeln", 1, "@cmd", None),
    ]
    assert database.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.parametrize(
    ("table", "query", "expected"),
    [
        ("contributors", "Schwammstädte", ["schwammstadt"]),  # a bio word
        ("contributors", "schwammstadte", ["schwammstadt"]),  # unicode61 folds umlauts
        ("contributors", "Núñez", ["schwammstadt"]),  # a name
        ("contributors", "moderiert", ["schwammstadt"]),
        ("posts", "Ökologie", ["schwammstadt"]),  # a description word
        ("posts", "Klimaresiliente", ["schwammstadt"]),  # a title word
        ("posts", "Grad", ["formeln"]),
        ("posts", "Nirgendwo", []),
    ],
)
def test_sqlite_full_text_search(
    database: sqlite3.Connection, table: str, query: str, expected: list[str]
) -> None:
    key = "id" if table == "posts" else "post_id"
    sql = (
        f"SELECT t.{key} FROM {table}_fts JOIN {table} t ON t.rowid = {table}_fts.rowid"
        f" WHERE {table}_fts MATCH ? ORDER BY t.rowid"
    )
    assert [row[0] for row in database.execute(sql, [query])] == expected


def test_sqlite_utils_and_datasette_see_the_fts_tables(tmp_path: Path) -> None:
    write(tmp_path, ExportOptions())
    db = sqlite_utils.Database(tmp_path / "posts.sqlite")
    assert db.table("posts").detect_fts() == "posts_fts"
    assert db.table("contributors").detect_fts() == "contributors_fts"
    hits = list(db.table("contributors").search("Regenwassernutzung", columns=["post_id"]))
    assert hits == [{"post_id": "schwammstadt"}]
    posts = db.table("posts").search("Straßen", columns=["id"])
    assert [row["id"] for row in posts] == ["schwammstadt"]
    db.close()


# --- XLSX ------------------------------------------------------------------------------------


@pytest.fixture
def workbook(tmp_path: Path) -> openpyxl.Workbook:
    write(tmp_path)
    return openpyxl.load_workbook(tmp_path / "posts.xlsx")


def test_xlsx_sheets_headers_and_layout(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == ["posts", "contributors", "pdfs", "images", "links"]
    for table in flat_tables():
        sheet = workbook[table.name]
        header = next(sheet.iter_rows(min_row=1, max_row=1))
        assert tuple(cell.value for cell in header) == table.header
        assert all(cell.font.b for cell in header)
        assert sheet.freeze_panes == "A2"
        widths = [sheet.column_dimensions[cell.column_letter].width for cell in header]
        assert all(MIN_WIDTH <= width <= MAX_WIDTH for width in widths)
    posts = workbook["posts"]
    width = {cell.value: posts.column_dimensions[cell.column_letter].width for cell in posts[1]}
    assert width["pdf_count"] == len("pdf_count") + 2  # the header is the longest
    assert width["description"] == len("Zweiter Absatz mit Ökologie.") + 2  # longest line
    assert width["sha256"] == MAX_WIDTH  # 64 characters, capped


def test_xlsx_cells_are_guarded_and_typed(workbook: openpyxl.Workbook) -> None:
    rows = list(workbook["posts"].iter_rows(values_only=True))
    header = rows[0]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert records[1]["title"] == "'=SUM(1)"
    assert records[1]["description"] == "'-1 Grad\nzweite Zeile"
    assert records[1]["author"] == "#N/A"
    assert records[0]["title"] == "Klimaresiliente Städte „jetzt“"
    assert records[0]["contributor_count"] == 2
    assert records[2]["title"] is None
    contributors = list(workbook["contributors"].iter_rows(min_row=2, values_only=True))
    assert contributors[2][2:] == ("'@cmd", None, "'\tx")
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type in {"s", "n", "b"}, (sheet.title, cell.coordinate)


def test_xlsx_properties_and_zip_times_are_fixed(tmp_path: Path) -> None:
    write(tmp_path)
    with zipfile.ZipFile(tmp_path / "posts.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    properties = openpyxl.load_workbook(tmp_path / "posts.xlsx").properties
    assert (properties.created, properties.modified) == (FIXED_TIME, FIXED_TIME)
    assert properties.creator == "k360scrape"


def test_xlsx_replaces_characters_xml_cannot_hold(tmp_path: Path) -> None:
    post = make_post("steuer", title="a\x0bb\x00c")
    with (tmp_path / "x.xlsx").open("wb") as file:
        exporter = XlsxExporter(file)
        exporter.start()
        exporter.write(post)
        exporter.finish()
    sheet = openpyxl.load_workbook(tmp_path / "x.xlsx")["posts"]
    assert sheet["D2"].value == "a\ufffdb\ufffdc"


# --- data package ----------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_datapackage_is_valid_for_both_dialects(tmp_path: Path, dialect: str) -> None:
    write(tmp_path, ExportOptions(csv_dialect=dialect))  # type: ignore[arg-type]
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    resources = {resource["name"]: resource for resource in descriptor["resources"]}
    assert [resource["path"] for resource in descriptor["resources"]] == CSV_FILES
    posts = resources["posts"]
    assert posts["encoding"] == ("utf-8-sig" if dialect == "excel-de" else "utf-8")
    assert posts["dialect"]["delimiter"] == (";" if dialect == "excel-de" else ",")
    assert posts["schema"]["primaryKey"] == ["id"]
    for name in CSV_FILES[1:]:
        schema = resources[name.removesuffix(".csv")]["schema"]
        assert schema["primaryKey"] == ["post_id", "position"]
        assert schema["foreignKeys"] == [
            {"fields": ["post_id"], "reference": {"resource": "posts", "fields": ["id"]}}
        ]
    fields = {field["name"]: field for field in resources["pdfs"]["schema"]["fields"]}
    assert fields["sha256"]["description"] == "SHA-256 of the downloaded bytes"
    assert (fields["bytes"]["type"], fields["is_pdf"]["type"]) == ("integer", "boolean")


def test_datapackage_catches_a_broken_reference(tmp_path: Path) -> None:
    """Proves the validation above really checks the foreign keys."""
    write(tmp_path, ExportOptions(sqlite=False))
    links = tmp_path / "links.csv"
    with links.open("a", encoding="utf-8", newline="") as file:
        csv.writer(file).writerow(["nirgendwo", "1", "x", "https://example.org/"])
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert not report.valid
    assert [error[0] for error in report.flatten(["type"])] == ["foreign-key"]
