"""Write the fixture site's small, valid PDF files (fixtures/site/www.kommune360.de/wp-content/).

Each PDF has 1–2 pages of real text (Helvetica, WinAnsi) and /Title, /Author and
/CreationDate metadata, so PDF checks (page count, metadata, text extraction) have something to
read. The output is byte-for-byte reproducible: run it again and `git diff` stays empty.

    python scripts/make_fixture_pdfs.py
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)

UPLOADS = (
    Path(__file__).resolve().parent.parent / "fixtures/site/www.kommune360.de/wp-content/uploads"
)
A4 = (595, 842)
NOTE = "Synthetische Testdatei für k360scrape – kein Originaldokument."


@dataclass(frozen=True)
class FixturePdf:
    path: str  # relative to wp-content/uploads, as the URL path (umlauts raw)
    title: str
    author: str
    created: str  # PDF date string
    pages: tuple[tuple[str, ...], ...]  # lines of text per page


PDFS = (
    FixturePdf(
        "2023/01/Soziale-Durchmischung-und-Segregation.pdf",
        "Soziale Durchmischung und Segregation",
        "Kommune 360°",
        "D:20230111093000+01'00'",
        (
            ("Soziale Durchmischung und Segregation", "Workshop, K360-Festival 2022, Apolda"),
            ("Ergebnisse der Gruppenarbeit", "Soziale Durchmischung als Planungsziel"),
        ),
    ),
    FixturePdf(
        "2022/12/Faktenquiz-Thueringen.pdf",
        "Faktenquiz Thüringen",
        "Kommune 360°",
        "D:20221205140000+01'00'",
        (("Faktenquiz Thüringen", "Armutsprävention, Sozialplanung und Integration"),),
    ),
    FixturePdf(
        "2022/12/Poster-Inklusion_IKPE.pdf",
        "Poster Inklusion",
        "Kommune 360°",
        "D:20221205141500+01'00'",
        (("Soziale Integration und Inklusion", "Ergebnisse der Ukraine-Befragung"),),
    ),
    FixturePdf(
        "2022/12/Poster-Bedarfe_IKPE.pdf",
        "Poster Bedarfe",
        "Kommune 360°",
        "D:20221205141600+01'00'",
        (("Bedarfsermittlung als Grundlage für Integration", "Ergebnisse der Befragung"),),
    ),
    FixturePdf(
        "2019/04/Übersicht-Förderung.pdf",
        "Übersicht Förderung",
        "Landesprogramm Präventionsketten",
        "D:20190410120000+02'00'",
        (("Übersicht Förderung", "Förderprogramme für kommunale Präventionsketten"),),
    ),
    FixturePdf(
        "2020/02/Präventionsketten-Überblick.pdf",
        "Präventionsketten im Überblick",
        "Landesprogramm Präventionsketten",
        "D:20200218100000+01'00'",
        (("Präventionsketten im Überblick", "Von der Geburt bis zum Berufseinstieg"),),
    ),
    FixturePdf(
        "2023/01/Jugendhilfe-und-Schulentwicklungsplanung-1.pdf",
        "Jugendhilfe- und Schulentwicklungsplanung",
        "Kommune 360°",
        "D:20230120113000+01'00'",
        (("Jugendhilfe- und Schulentwicklungsplanung verzahnen", "Workshop-Dokumentation"),),
    ),
    FixturePdf(
        "2022/12/Ergebnisse-Fishbowl.pdf",
        "Ergebnisse Fishbowl",
        "Kommune 360°",
        "D:20221215100000+01'00'",
        (("Ressortübergreifend arbeiten – aber wie?", "Ergebnisse des Fishbowls"),),
    ),
    FixturePdf(
        "2022/12/Checkliste_Ressortuebergreifend.pdf",
        "Checkliste Ressortübergreifend",
        "Kommune 360°",
        "D:20221215101000+01'00'",
        (("Checkliste: ressortübergreifend planen", "Zehn Fragen für den Start"),),
    ),
    FixturePdf(
        "2022/11/K360-Festival-2022-Programmheft.pdf",
        "K360-Festival 2022 – Programmheft",
        "Kommune 360°",
        "D:20221120090000+01'00'",
        (
            ("K360-Festival 2022", "07.–09. Dezember 2022, Apolda", "Programmheft"),
            ("Mittwoch, Donnerstag, Freitag", "Workshops, Werkstätten und Fishbowls"),
        ),
    ),
    FixturePdf(
        "2022/12/Thesen-Jugendhilfeplanung.pdf",
        "Thesen Jugendhilfeplanung",
        "Kommune 360°",
        "D:20221202160000+01'00'",
        (("Thesen für die Jugendhilfeplanung", "der nächsten zehn Jahre"),),
    ),
)


def _pdf_string(text: str) -> bytes:
    # A literal string in WinAnsi: the standard 14 fonts cover German umlauts, "–" and "°".
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _content_stream(lines: tuple[str, ...]) -> bytes:
    ops = [b"BT", b"/F1 16 Tf", b"72 760 Td", b"20 TL"]
    for index, line in enumerate((*lines, "", NOTE)):
        if index == 1:
            ops.append(b"/F1 11 Tf")
        ops.append(_pdf_string(line) + b" '")
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


def _font() -> DictionaryObject:
    font = DictionaryObject()
    font[NameObject("/Type")] = NameObject("/Font")
    font[NameObject("/Subtype")] = NameObject("/Type1")
    font[NameObject("/BaseFont")] = NameObject("/Helvetica")
    font[NameObject("/Encoding")] = NameObject("/WinAnsiEncoding")
    return font


def _add_page(writer: PdfWriter, lines: tuple[str, ...]) -> None:
    page = writer.add_blank_page(*A4)
    stream = DecodedStreamObject()
    stream.set_data(_content_stream(lines))
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(_font())})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    page[NameObject("/Contents")] = writer._add_object(stream)


def render(spec: FixturePdf) -> bytes:
    writer = PdfWriter()
    for lines in spec.pages:
        _add_page(writer, lines)
    writer.add_metadata(
        {
            "/Title": spec.title,
            "/Author": spec.author,
            "/CreationDate": spec.created,
            "/ModDate": spec.created,
            "/Producer": "k360scrape make_fixture_pdfs.py",
        }
    )
    # A fixed file identifier keeps the bytes reproducible (pypdf would otherwise hash the time).
    ident = ByteStringObject(hashlib.md5(spec.path.encode()).digest())
    writer._ID = ArrayObject([ident, ident])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def main() -> None:
    for spec in PDFS:
        target = UPLOADS / spec.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(render(spec))
        print(f"{target.stat().st_size:6d}  {spec.path}")


if __name__ == "__main__":
    main()
