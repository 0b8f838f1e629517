"""PDF handling: hostile file names, content-addressed storage, pypdf inspection, downloads."""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from k360scrape.errors import FetchError, HTTPStatusError, StoreError, TooLarge
from k360scrape.models import FetchResult, Pdf
from k360scrape.pdfs import (
    download_pdfs,
    extract_text,
    inspect_pdf,
    safe_filename,
    store_file,
)

HTML_ERROR = b"<!DOCTYPE html><html><body>Seite nicht gefunden</body></html>"
FORBIDDEN = set('<>:"|?*/\\')


# --------------------------------------------------------------------------- helpers


def make_pdf(
    pages: tuple[bytes, ...] = (b"", b""),
    *,
    title: str | None = "Programm Freitag – Übersicht",
    author: str | None = "Kommune 360°",
    password: str | None = None,
) -> bytes:
    """A real PDF made with pypdf: one page per entry, with that text on it."""
    writer = PdfWriter()
    for text in pages:
        page = writer.add_blank_page(width=300, height=200)
        if text:
            _put_text(writer, page, text)
    meta = {"/CreationDate": "D:20221209101500+01'00'"}
    meta |= {"/Title": title} if title else {}
    meta |= {"/Author": author} if author else {}
    writer.add_metadata(meta)
    if password:
        writer.encrypt(password, "owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _put_text(writer: PdfWriter, page: DictionaryObject, text: bytes) -> None:
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 20 100 Td (" + text + b") Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)


def result(
    url: str, body: bytes, status: int = 200, content_type: str = "application/pdf"
) -> FetchResult:
    return FetchResult(
        url=url,
        final_url=url,
        status=status,
        headers=(("content-type", content_type), ("content-length", str(len(body)))),
        body=body,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        sha256=hashlib.sha256(body).hexdigest(),
    )


class FakeFetcher:
    """Serves a fixed table: a FetchResult, or an exception to raise."""

    def __init__(self, table: Mapping[str, FetchResult | Exception]) -> None:
        self.table = table
        self.calls: list[tuple[str, str, int | None]] = []

    def fetch(
        self,
        url: str,
        *,
        kind: str = "page",
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        self.calls.append((url, kind, max_bytes))
        answer = self.table[url]
        if isinstance(answer, Exception):
            raise answer
        return answer


# --------------------------------------------------------------------------- safe_filename

HOSTILE_NAMES = [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("/abs/path.pdf", "path.pdf"),
    ("C:\\x\\y.pdf", "y.pdf"),
    ("..\\..\\boot.ini", "boot.ini.pdf"),
    ("a\x00b\x01c\x1fd\x7fe\x85f.pdf", "abcdef.pdf"),
    ("Zeile\neins\tzwei.pdf", "Zeileeinszwei.pdf"),
    ("CON.pdf", "_CON.pdf"),
    ("nul", "_nul.pdf"),
    ("com1.tar.pdf", "_com1.tar.pdf"),
    ("LPT9 .pdf", "_LPT9.pdf"),
    ("", "file.pdf"),
    ("   ", "file.pdf"),
    ("..", "file.pdf"),
    ("../", "file.pdf"),
    (".hidden.pdf", "hidden.pdf"),
    ("Präsentation", "Präsentation.pdf"),
    ("Programm: Freitag?.PDF", "Programm Freitag.PDF"),
    ('a<b>c"d|e*f.pdf', "abcdef.pdf"),
    ("Lean  Coffee\u00a0 gefällig?.pdf", "Lean Coffee gefällig.pdf"),
    ("Vortrag..pdf", "Vortrag.pdf"),
    ("Bericht.pdf.", "Bericht.pdf"),
    ("rechnung\u202efdp.exe", "rechnungfdp.exe.pdf"),
    ("Soziale Durchmischung.pdf", "Soziale Durchmischung.pdf"),
]


@pytest.mark.parametrize(("name", "expected"), HOSTILE_NAMES)
def test_safe_filename_table(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_normalises_to_nfc() -> None:
    decomposed = "Pra\u0308sentation.pdf"  # a + combining diaeresis
    assert safe_filename(decomposed) == "Präsentation.pdf"


@pytest.mark.parametrize("name", [name for name, _ in HOSTILE_NAMES] + ["x" * 500, "ä" * 500])
def test_safe_filename_invariants(name: str) -> None:
    safe = safe_filename(name)
    assert not FORBIDDEN & set(safe)
    assert "\x00" not in safe
    assert not safe.startswith(".")
    assert ".." not in safe
    assert safe.lower().endswith(".pdf")
    assert len(safe.encode("utf-8")) <= 120
    assert safe_filename(safe) == safe  # idempotent


@pytest.mark.parametrize("limit", [5, 20, 33, 120, 255])
def test_long_names_are_cut_on_character_boundaries(limit: int) -> None:
    name = "Ä€😀x" * 200 + ".pdf"
    safe = safe_filename(name, max_length=limit)
    assert len(safe.encode("utf-8")) <= limit
    assert safe.endswith(".pdf")
    safe.encode("utf-8").decode("utf-8")  # no half character
    assert name.startswith(safe[:-4]) or "file.pdf".startswith(safe[:-4])


def test_a_500_character_name_keeps_its_start_and_extension() -> None:
    safe = safe_filename("Dokumentation " * 40 + ".pdf")
    assert safe.startswith("Dokumentation Dokumentation")
    assert safe.endswith(".pdf")
    assert len(safe.encode("utf-8")) <= 120


def test_too_small_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="max_length"):
        safe_filename("x.pdf", max_length=4)


# --------------------------------------------------------------------------- store_file


def test_store_file_layout_and_content(tmp_path: Path) -> None:
    body = make_pdf()
    path = store_file(body, "Programm.pdf", tmp_path / "files")
    digest = hashlib.sha256(body).hexdigest()
    assert path == tmp_path / "files" / digest[:16] / "Programm.pdf"
    assert path.read_bytes() == body
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".part-")]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not private like a mkstemp file


@pytest.mark.parametrize("name", [n for n, _ in HOSTILE_NAMES] + ["../" * 50 + "x.pdf"])
def test_store_file_never_escapes(tmp_path: Path, name: str) -> None:
    files = tmp_path / "out" / "files"
    path = store_file(b"%PDF-1.4 x", name, files)
    assert path.resolve().is_relative_to(files.resolve())
    assert path.parent.parent == files
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [path]


def test_store_file_refuses_a_symlinked_folder_pointing_outside(tmp_path: Path) -> None:
    files, elsewhere = tmp_path / "files", tmp_path / "elsewhere"
    files.mkdir()
    elsewhere.mkdir()
    body = b"%PDF-1.4 evil"
    (files / hashlib.sha256(body).hexdigest()[:16]).symlink_to(elsewhere)
    with pytest.raises(StoreError, match="outside"):
        store_file(body, "x.pdf", files)
    assert list(elsewhere.iterdir()) == []


def test_two_files_with_one_name_are_both_kept(tmp_path: Path) -> None:
    first = store_file(b"%PDF-1.4 first", "Programm.pdf", tmp_path)
    second = store_file(b"%PDF-1.4 second", "Programm.pdf", tmp_path)
    assert first != second
    assert first.name == second.name == "Programm.pdf"
    assert first.read_bytes() == b"%PDF-1.4 first"
    assert second.read_bytes() == b"%PDF-1.4 second"


def test_same_bytes_and_name_is_idempotent(tmp_path: Path) -> None:
    first = store_file(b"%PDF-1.4 same", "Programm.pdf", tmp_path)
    os.utime(first, (1, 1))
    second = store_file(b"%PDF-1.4 same", "Programm.pdf", tmp_path)
    assert second == first
    assert first.stat().st_mtime == 1  # not rewritten


def test_store_file_refuses_to_overwrite_other_content(tmp_path: Path) -> None:
    path = store_file(b"%PDF-1.4 good", "a.pdf", tmp_path)
    path.write_bytes(b"tampered")
    with pytest.raises(StoreError, match="other content"):
        store_file(b"%PDF-1.4 good", "a.pdf", tmp_path)
    assert path.read_bytes() == b"tampered"


# --------------------------------------------------------------------------- inspect_pdf


def test_inspect_real_pdf() -> None:
    info = inspect_pdf(make_pdf())
    assert info.is_pdf
    assert info.error is None
    assert info.page_count == 2
    assert info.title == "Programm Freitag – Übersicht"
    assert info.author == "Kommune 360°"
    assert info.created == "2022-12-09T10:15:00+01:00"


def test_inspect_pdf_without_metadata() -> None:
    info = inspect_pdf(make_pdf((b"",), title=None, author=None))
    assert (info.is_pdf, info.page_count, info.title, info.author) == (True, 1, None, None)


def test_inspect_html_error_page() -> None:
    info = inspect_pdf(HTML_ERROR)
    assert not info.is_pdf
    assert info.page_count is None
    assert info.error == "not a PDF (starts with <!DOCTYPE html>…)"


def test_inspect_empty_body() -> None:
    assert inspect_pdf(b"") == inspect_pdf(b"")
    assert inspect_pdf(b"").error == "empty body"


def test_inspect_truncated_pdf() -> None:
    body = make_pdf()
    info = inspect_pdf(body[: len(body) // 2])
    assert not info.is_pdf
    assert info.error is not None
    assert "truncated" in info.error


def test_inspect_pdf_that_pypdf_cannot_read() -> None:
    info = inspect_pdf(b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n")
    assert not info.is_pdf
    assert info.error is not None
    assert info.error.startswith("unreadable PDF")


def test_inspect_encrypted_pdf() -> None:
    info = inspect_pdf(make_pdf(password="geheim"))
    assert info.is_pdf
    assert info.page_count is None
    assert info.error is not None
    assert "encrypted" in info.error


def test_pypdf_complaints_stay_quiet(caplog: pytest.LogCaptureFixture) -> None:
    body = make_pdf()
    # A broken PDF makes pypdf warn and log; with filterwarnings=error a leaked warning fails.
    with caplog.at_level(logging.DEBUG):
        inspect_pdf(body[:-40] + b"\n")
        inspect_pdf(b"%PDF-1.4\ngarbage\n%%EOF\n")
        extract_text(b"%PDF-1.4\ngarbage\n%%EOF\n")
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert logging.getLogger("pypdf").level == logging.NOTSET  # restored


# --------------------------------------------------------------------------- extract_text


def test_extract_text_joins_pages_with_form_feed() -> None:
    body = make_pdf((b"Hallo Freitag", b"Seite zwei"))
    assert extract_text(body) == "Hallo Freitag\fSeite zwei"


@pytest.mark.parametrize("body", [b"", HTML_ERROR, b"%PDF-1.4 cut", b"%PDF-1.4\nx\n%%EOF"])
def test_extract_text_never_raises(body: bytes) -> None:
    assert extract_text(body) == ""


# --------------------------------------------------------------------------- download_pdfs


def test_download_pdfs(tmp_path: Path) -> None:
    good = make_pdf((b"Hallo Freitag", b"Seite zwei"))
    fetcher = FakeFetcher(
        {
            "https://k.de/a.pdf": result("https://k.de/a.pdf", good),
            "https://k.de/gone.pdf": result("https://k.de/gone.pdf", HTML_ERROR, 404, "text/html"),
            "https://k.de/big.pdf": TooLarge("over 10 bytes", "https://k.de/big.pdf"),
            "https://k.de/503.pdf": HTTPStatusError("503", "https://k.de/503.pdf", status=503),
            "https://k.de/fake.pdf": result("https://k.de/fake.pdf", HTML_ERROR, 200, "text/html"),
        }
    )
    pdfs = [
        Pdf(name="Programm Freitag.pdf", url="https://k.de/a.pdf"),
        Pdf(name="Weg.pdf", url="https://k.de/gone.pdf"),
        Pdf(name="Groß.pdf", url="https://k.de/big.pdf"),
        Pdf(name="Kaputt.pdf", url="https://k.de/503.pdf"),
        Pdf(name="Falsch.pdf", url="https://k.de/fake.pdf"),
        Pdf(name="Nochmal.pdf", url="https://k.de/a.pdf"),
    ]
    got = download_pdfs(pdfs, fetcher, tmp_path, max_bytes=10_000, text=True)

    assert [p.url for p in got] == [p.url for p in pdfs]
    assert [p.name for p in got] == [p.name for p in pdfs]
    assert [c[0] for c in fetcher.calls] == [  # the repeated URL is fetched once
        "https://k.de/a.pdf",
        "https://k.de/gone.pdf",
        "https://k.de/big.pdf",
        "https://k.de/503.pdf",
        "https://k.de/fake.pdf",
    ]
    assert all(kind == "pdf" and cap == 10_000 for _, kind, cap in fetcher.calls)

    ok = got[0]
    digest = hashlib.sha256(good).hexdigest()
    assert ok.sha256 == digest
    assert ok.bytes == len(good)
    assert (ok.http_status, ok.content_type, ok.is_pdf, ok.page_count) == (
        200,
        "application/pdf",
        True,
        2,
    )
    assert (ok.pdf_title, ok.pdf_author) == ("Programm Freitag – Übersicht", "Kommune 360°")
    assert ok.pdf_created == "2022-12-09T10:15:00+01:00"
    assert ok.path == f"files/{digest[:16]}/Programm Freitag.pdf"
    assert (tmp_path / ok.path).read_bytes() == good
    assert ok.text_path == f"files/{digest[:16]}/Programm Freitag.pdf.txt"
    text = (tmp_path / ok.text_path).read_text(encoding="utf-8")
    assert text == "Hallo Freitag\fSeite zwei"
    assert ok.error is None

    again = got[5]
    assert again.model_dump(exclude={"name"}) == ok.model_dump(exclude={"name"})

    gone = got[1]
    assert (gone.http_status, gone.error, gone.path, gone.sha256) == (404, "HTTP 404", None, None)
    assert gone.content_type == "text/html"

    big = got[2]
    assert big.http_status is None
    assert big.error == "TooLarge: over 10 bytes"

    broken = got[3]
    assert (broken.http_status, broken.error) == (503, "HTTPStatusError: 503")

    fake = got[4]
    fake_digest = hashlib.sha256(HTML_ERROR).hexdigest()
    assert (fake.http_status, fake.is_pdf, fake.page_count, fake.text_path) == (
        200,
        False,
        None,
        None,
    )
    assert fake.error == "not a PDF (starts with <!DOCTYPE html>…)"
    assert fake.sha256 == fake_digest
    assert fake.path == f"files/{fake_digest[:16]}/Falsch.pdf.html"
    assert (tmp_path / fake.path).read_bytes() == HTML_ERROR


def test_download_without_text_writes_no_text_file(tmp_path: Path) -> None:
    body = make_pdf()
    fetcher = FakeFetcher({"https://k.de/a.pdf": result("https://k.de/a.pdf", body)})
    (got,) = download_pdfs(
        [Pdf(name="a.pdf", url="https://k.de/a.pdf")], fetcher, tmp_path, max_bytes=1, text=False
    )
    assert got.text_path is None
    assert not list(tmp_path.rglob("*.txt"))


def test_cache_is_shared_across_calls(tmp_path: Path) -> None:
    body = make_pdf()
    fetcher = FakeFetcher(
        {
            "https://k.de/a.pdf": result("https://k.de/a.pdf", body),
            "https://k.de/x.pdf": FetchError("connection refused", "https://k.de/x.pdf"),
        }
    )
    cache: dict[str, Pdf] = {}
    post_one = [
        Pdf(name="a.pdf", url="https://k.de/a.pdf"),
        Pdf(name="x", url="https://k.de/x.pdf"),
    ]
    post_two = [
        Pdf(name="Anhang", url="https://k.de/x.pdf"),
        Pdf(name="b", url="https://k.de/a.pdf"),
    ]
    first = download_pdfs(post_one, fetcher, tmp_path, max_bytes=1, text=False, cache=cache)
    second = download_pdfs(post_two, fetcher, tmp_path, max_bytes=1, text=False, cache=cache)
    assert len(fetcher.calls) == 2
    assert second[1].path == first[0].path
    assert (second[0].name, second[0].error) == ("Anhang", "FetchError: connection refused")
    assert set(cache) == {"https://k.de/a.pdf", "https://k.de/x.pdf"}


def test_a_truncated_pdf_is_kept_as_pdf_evidence(tmp_path: Path) -> None:
    body = make_pdf()[:300]
    fetcher = FakeFetcher({"https://k.de/t.pdf": result("https://k.de/t.pdf", body)})
    (got,) = download_pdfs(
        [Pdf(name="t.pdf", url="https://k.de/t.pdf")], fetcher, tmp_path, max_bytes=1, text=True
    )
    assert got.is_pdf is False
    assert got.error is not None
    assert "truncated" in got.error
    assert got.path is not None
    assert got.path.endswith("/t.pdf")
    assert got.text_path is None


def test_a_store_failure_is_recorded_not_raised(tmp_path: Path) -> None:
    (tmp_path / "files").write_text("a file where the folder should be")
    fetcher = FakeFetcher({"https://k.de/a.pdf": result("https://k.de/a.pdf", make_pdf())})
    (got,) = download_pdfs(
        [Pdf(name="a.pdf", url="https://k.de/a.pdf")], fetcher, tmp_path, max_bytes=1, text=False
    )
    assert got.http_status == 200
    assert got.path is None
    assert got.error is not None
    assert got.error.startswith("could not store")
