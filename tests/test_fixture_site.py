"""The fixture site is faithful to the reference, internally consistent and complete.

Checks: Freitag page 1 renders to the reference text character for character; every internal
link resolves (except the documented dead links); every PDF opens; the hand-derived golden
files validate and agree with the pages; the committed HTML is what build_site.py generates.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlsplit

import pytest
from protego import Protego
from pypdf import PdfReader
from selectolax.lexbor import LexborHTMLParser, LexborNode

from k360scrape.models import ArchivePage, Entry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SITE = FIXTURES / "site"
HOST_DIR = SITE / "www.kommune360.de"
EXPECTED = FIXTURES / "expected"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "freitag-page-1.txt"
SITE_HOSTS = {"www.kommune360.de", "kommune360.de"}
DAYS = ("mittwoch", "donnerstag", "freitag")  # crawl order
NBSP, NNBSP, NB_HYPHEN = "\u00a0", "\u202f", "\u2011"

# Elements that start and end a line when a browser renders text (enough for this site).
BLOCK = frozenset(
    {
        *("address", "article", "aside", "blockquote", "button", "details", "div", "dl", "dd"),
        *("dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6"),
        *("header", "li", "main", "nav", "ol", "p", "section", "summary", "table", "tr", "ul"),
    }
)
INVISIBLE = frozenset({"head", "script", "style", "noscript", "template", "object", "svg"})


# --------------------------------------------------------------------------- helpers


def render(node: LexborNode) -> list[str]:
    """Visible text, one line per block; lines lose only leading/trailing ASCII newlines."""
    lines: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        text = "".join(buffer).strip("\n")
        buffer.clear()
        if text.strip(" \t\r\n"):
            lines.append(text)

    def walk(parent: LexborNode) -> None:
        for child in parent.iter(include_text=True):
            if child.tag == "-text":
                buffer.append(child.text(deep=False))
            elif child.tag in INVISIBLE or child.tag == "-comment":
                continue
            elif child.tag == "br" or child.tag in BLOCK:
                flush()
                walk(child)
                flush()
            else:
                walk(child)

    walk(node)
    flush()
    return lines


def parse(path: Path) -> LexborHTMLParser:
    return LexborHTMLParser(path.read_text(encoding="utf-8"))


def first(node: LexborHTMLParser | LexborNode, selector: str) -> LexborNode:
    found = node.css_first(selector)
    assert found is not None, selector
    return found


def clean(text: str) -> str:
    """The data contract's normalisation: NFC, whitespace runs to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def page_file(url: str) -> Path:
    path = unquote(urlsplit(url).path)
    return HOST_DIR / path.lstrip("/") / "index.html"


def reference_lines() -> list[str]:
    if not REFERENCE.exists():
        pytest.skip(f"reference text not available at {REFERENCE}")
    return REFERENCE.read_text(encoding="utf-8").split("\n")


def reference_entry_part() -> list[str]:
    lines = reference_lines()
    start = lines.index("Freitag")
    end = max(i for i, line in enumerate(lines) if line.startswith("26.11.2022 by "))
    return [line for line in lines[start : end + 1] if line.strip("\n")]


def html_files() -> list[Path]:
    return sorted(HOST_DIR.rglob("*.html"))


def archive_pages(day: str) -> Iterator[tuple[int, Path]]:
    """Page files of one day archive, found by following li.pagination-next like a crawler."""
    url: str | None = f"https://www.kommune360.de/programm/tag/{day}/"
    number = 0
    while url:
        number += 1
        path = page_file(url)
        yield number, path
        link = parse(path).css_first("li.pagination-next a[href]")
        url = link.attributes.get("href") if link else None


def site_links() -> Iterator[tuple[Path, str]]:
    """(file, url) for every href/data/loc in the site that points at a site host."""
    for path in html_files():
        tree = parse(path)
        for node in tree.css("a[href], link[href]"):
            yield path, node.attributes.get("href") or ""
        for node in tree.css("object[data]"):
            yield path, node.attributes.get("data") or ""
    for path in sorted(HOST_DIR.glob("*.xml")):
        for url in re.findall(r"<loc>([^<]+)</loc>", path.read_text(encoding="utf-8")):
            yield path, url
    robots = (HOST_DIR / "robots.txt").read_text(encoding="utf-8")
    for url in re.findall(r"^Sitemap: (\S+)$", robots, flags=re.MULTILINE):
        yield HOST_DIR / "robots.txt", url


def internal_paths() -> dict[str, set[Path]]:
    paths: dict[str, set[Path]] = {}
    for source, url in site_links():
        parts = urlsplit(url)
        if parts.hostname in SITE_HOSTS:
            paths.setdefault(unquote(parts.path) or "/", set()).add(source)
    return paths


def resolves(path: str) -> bool:
    """Whether the fixture server would answer 200 (or a 301 to the slash form)."""
    target = HOST_DIR / path.lstrip("/")
    if path.endswith("/"):
        return (target / "index.html").is_file()
    return target.is_file() or (target / "index.html").is_file()


def dead_links() -> set[str]:
    text = (SITE / "dead-links.txt").read_text(encoding="utf-8")
    return {line.strip() for line in text.splitlines() if line.strip().startswith("/")}


def expected(name: str) -> object:
    return json.loads((EXPECTED / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- (a) reference


def test_freitag_page_1_entries_match_the_reference_character_for_character() -> None:
    main = first(parse(HOST_DIR / "programm/tag/freitag/index.html"), "main")
    want = reference_entry_part()
    got = render(main)
    assert got[: len(want)] == want
    assert got[len(want) :] == ["Go to page 1", "Go to page 2", "Nächste →"]


def test_freitag_page_1_whole_page_matches_the_reference_lines() -> None:
    # Chrome lines are compared without list bullets and indentation, which are rendering.
    def strip(line: str) -> str:
        return line.strip().removeprefix("• ")

    body = first(parse(HOST_DIR / "programm/tag/freitag/index.html"), "body")
    want = [strip(line) for line in reference_lines() if line.strip()]
    assert [strip(line) for line in render(body)] == want
    assert "{vendor_count}" in body.text()
    assert "{title} {title} {title}" in body.text()


def test_freitag_page_1_keeps_the_special_characters() -> None:
    got = render(first(parse(HOST_DIR / "programm/tag/freitag/index.html"), "body"))
    reference = reference_lines()
    assert sum(line.endswith(NBSP) for line in got) == 20
    assert sum(line.endswith(NBSP) for line in reference) == 20
    assert sum(line.endswith(" " + NBSP) for line in got) == 2  # two titles end "space + NBSP"
    assert any(f"4{NB_HYPHEN}Räume-Modell" in line for line in got)
    assert [line for line in got if line.endswith(NNBSP)] == [
        line for line in reference if line.endswith(NNBSP)
    ]
    assert f"{NBSP}Podcast – Der Kommunen-Podcast (kommune360.de)" in got


# --------------------------------------------------------------------------- (b) links


def test_every_internal_link_resolves_except_the_documented_dead_links() -> None:
    unresolved = {path for path in internal_paths() if not resolves(path)}
    assert unresolved - dead_links() == set()


def test_the_dead_link_list_is_exact() -> None:
    linked = internal_paths()
    listed = dead_links()
    assert listed - set(linked) == set(), "listed but never linked"
    assert {path for path in listed if resolves(path)} == set(), "listed but present"


def test_links_use_both_hosts_and_slashless_forms() -> None:
    urls = [url for _, url in site_links()]
    assert any(url.startswith("https://kommune360.de/") for url in urls)
    assert "https://kommune360.de" in urls  # the bare host, no path at all
    assert any(urlsplit(url).path.endswith("k360-planspiel") for url in urls)


# --------------------------------------------------------------------------- (c) PDFs


@pytest.mark.parametrize(
    "pdf", sorted(HOST_DIR.rglob("*.pdf")), ids=lambda p: p.name if isinstance(p, Path) else p
)
def test_every_pdf_is_a_small_valid_pdf_with_metadata(pdf: Path) -> None:
    reader = PdfReader(pdf)
    assert 1 <= len(reader.pages) <= 2
    assert reader.metadata is not None
    assert reader.metadata.title
    assert reader.metadata.author
    assert reader.metadata.creation_date is not None
    assert reader.pages[0].extract_text().strip()
    assert pdf.stat().st_size < 5 * 1024


def test_every_pdf_is_linked_and_every_linked_pdf_exists() -> None:
    files = {"/" + str(p.relative_to(HOST_DIR)) for p in HOST_DIR.rglob("*.pdf")}
    linked = {path for path in internal_paths() if path.lower().endswith(".pdf")}
    assert files == linked


# --------------------------------------------------------------------------- (d) golden files


def test_expected_freitag_page_1_validates_against_the_models() -> None:
    data = expected("freitag-page-1.json")
    assert isinstance(data, dict)
    assert set(data) == set(ArchivePage.model_fields)
    entries = [Entry.model_validate(entry) for entry in data["entries"]]
    ArchivePage.model_validate(data)
    assert len(entries) == 9
    assert [entry.model_dump(mode="json") for entry in entries] == data["entries"]


def test_expected_freitag_page_1_matches_the_page() -> None:
    data = expected("freitag-page-1.json")
    assert isinstance(data, dict)
    tree = parse(HOST_DIR / "programm/tag/freitag/index.html")
    links = tree.css("article a.entry-title-link")
    assert [entry["url"] for entry in data["entries"]] == [a.attributes["href"] for a in links]
    assert [entry["title"] for entry in data["entries"]] == [clean(a.text()) for a in links]
    assert data["next_url"] == first(tree, "li.pagination-next a").attributes["href"]


def site_rows() -> list[dict[str, object]]:
    rows = expected("site.json")
    assert isinstance(rows, list)
    return rows


def crawled_rows() -> list[dict[str, object]]:
    """What site.json must say about (day, page, position, id, url, title, date, author)."""
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for day in DAYS:
        for number, path in archive_pages(day):
            tree = parse(path)
            heading = first(tree, "h1.archive-title, h1.page-header-title")
            for position, article in enumerate(tree.css("main article"), start=1):
                url = first(article, "a.entry-title-link").attributes["href"] or ""
                if url not in seen:
                    seen.add(url)
                    rows.append(_row(heading.text(), number, position, url, article))
    return rows


def _row(day: str, number: int, position: int, url: str, article: LexborNode) -> dict[str, object]:
    return {
        "day": day,
        "archive_page": number,
        "position": position,
        "id": url.rstrip("/").rsplit("/", 1)[-1],
        "url": url,
        "title": clean(first(article, "a.entry-title-link").text()),
        "date": _iso_date(first(article, "time.entry-time").text()),
        "author": clean(first(article, ".entry-author-name").text()),
    }


MONTHS = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"


def _iso_date(text: str) -> str:
    numeric = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d{4})", text)
    if numeric:
        day, month, year = numeric.groups()
        return f"{year}-{month}-{day}"
    day, month_name, year = text.replace(".", "").split()
    month = MONTHS.split().index(month_name) + 1
    return f"{year}-{month:02d}-{int(day):02d}"


def test_site_json_lists_every_post_once_in_crawl_order() -> None:
    keys = ("day", "archive_page", "position", "id", "url", "title", "date", "author")
    assert [{key: row[key] for key in keys} for row in site_rows()] == crawled_rows()
    singles = {p.parent.name for p in (HOST_DIR / "programm/event").glob("*/index.html")}
    assert {row["id"] for row in site_rows()} == singles


def content_facts(content: LexborNode | None) -> tuple[str | None, int, int]:
    """(label, distinct PDFs, contributor paragraphs) of a div.entry-content, counted simply."""
    if content is None:
        return None, 0, 0
    pdfs = {
        unquote(urlsplit(node.attributes.get("href") or node.attributes.get("data") or "").path)
        for node in content.css("a[href], object[data]")
    }
    label, contributors, in_contributors = None, 0, False
    for child in content.iter():
        text = clean(child.text())
        if child.tag in {"h2", "h3", "h4"}:
            label = "Dokumentation" if text == "Dokumentation" else label
            in_contributors = text == "Zu den Mitwirkenden"
        elif child.tag == "p" and in_contributors:
            contributors += 1
    return label, len({p for p in pdfs if p.lower().endswith(".pdf")}), contributors


def test_site_json_counts_match_the_single_pages() -> None:
    for row in site_rows():
        tree = parse(page_file(str(row["url"])))
        facts = content_facts(tree.css_first("article div.entry-content"))
        assert (row["label"], row["pdf_count"], row["contributor_count"]) == facts, row["id"]


def test_site_json_agrees_with_freitag_page_1_json() -> None:
    data = expected("freitag-page-1.json")
    assert isinstance(data, dict)
    rows = {row["url"]: row for row in site_rows()}
    for entry in data["entries"]:
        row = rows[entry["url"]]
        assert (row["title"], row["date"], row["author"], row["label"]) == (
            entry["title"],
            entry["date"],
            entry["author"],
            entry["label"],
        )
        assert (row["pdf_count"], row["contributor_count"]) == (
            len(entry["pdfs"]),
            len(entry["contributors"]),
        )


# --------------------------------------------------------------------------- consistency


def test_single_pages_repeat_the_full_content_of_the_archives() -> None:
    for day in ("donnerstag", "freitag"):
        for _, path in archive_pages(day):
            for article in parse(path).css("main article"):
                url = first(article, "a.entry-title-link").attributes["href"] or ""
                single = first(parse(page_file(url)), "article div.entry-content")
                archived = article.css_first("div.entry-content")
                assert (archived.inner_html if archived else "") == single.inner_html, url


def test_the_committed_site_is_what_build_site_generates() -> None:
    module = _load_builder()
    assert module.main(["--check"]) == 0, "run: python fixtures/build_site.py"


def _load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_site", FIXTURES / "build_site.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class body runs.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_synthetic_pages_are_marked() -> None:
    reference = HOST_DIR / "programm/tag/freitag/index.html"
    notes = (FIXTURES / "site" / "SYNTHETIC.md").read_text(encoding="utf-8")
    for path in html_files():
        head = path.read_text(encoding="utf-8")[:300]
        assert ("<!-- REFERENCE:" if path == reference else "<!-- SYNTHETIC") in head, path
    for day in DAYS:
        for _, path in archive_pages(day):
            assert str(path.parent.relative_to(HOST_DIR)) + "/" in notes, path


def test_robots_txt_disallows_exactly_one_linked_post() -> None:
    robots = Protego.parse((HOST_DIR / "robots.txt").read_text(encoding="utf-8"))
    blocked = "https://www.kommune360.de/programm/event/interne-vorbesprechung/"
    assert not robots.can_fetch(blocked, "k360scrape")
    others = [url for _, url in site_links() if "/programm/" in url or "/wp-content/" in url]
    assert {url for url in others if not robots.can_fetch(url, "k360scrape")} == {blocked}
    mittwoch = parse(HOST_DIR / "programm/tag/mittwoch/index.html")
    assert mittwoch.css_first(f'a.entry-title-link[href="{blocked}"]') is not None
    assert list(robots.sitemaps) == ["https://www.kommune360.de/wp-sitemap.xml"]


# --------------------------------------------------------------------------- variants (B9)


def test_mittwoch_is_an_excerpt_archive_without_pagination() -> None:
    tree = parse(HOST_DIR / "programm/tag/mittwoch/index.html")
    assert tree.css_first("div.archive-pagination") is None
    articles = tree.css("main article.entry-archive")
    assert len(articles) == 4
    for article in articles:
        assert article.css_first("div.entry-content") is None
        assert article.css_first("div.entry-more > a.entry-more-link[href]") is not None
    excerpts = tree.css("div.entry-excerpt p")
    assert len(excerpts) == 3
    assert all(p.text().endswith("[…]") for p in excerpts)


@pytest.mark.parametrize(
    ("page", "previous", "following"),
    [
        ("freitag/", False, True),
        ("freitag/page/2/", True, False),
        ("donnerstag/", False, True),
        ("donnerstag/page/2/", True, True),
        ("donnerstag/page/3/", True, False),
    ],
)
def test_pagination_has_previous_and_next_where_it_should(
    page: str, previous: bool, following: bool
) -> None:
    tree = parse(HOST_DIR / "programm/tag" / page / "index.html")
    assert (tree.css_first("li.pagination-previous a[href]") is not None) is previous
    assert (tree.css_first("li.pagination-next a[href]") is not None) is following
    assert tree.css_first("li.active a[aria-current=page]") is not None


def test_the_omission_variant_has_gaps_on_both_sides() -> None:
    tree = parse(FIXTURES / "variants" / "pagination-omission.html")
    assert len(tree.css("li.pagination-omission")) == 2
    items = tree.css("div.archive-pagination li:not([class]), div.archive-pagination li.active")
    numbers = [clean(li.text()) for li in items]
    assert numbers == [f"Go to page {n}" for n in (1, 3, 4, 5, 6, 7, 9)]


VARIANTS = {
    "time with datetime": "time.entry-time[datetime]",
    "time without datetime": "time.entry-time:not([datetime])",
    "author linked": "a.entry-author-link > span.entry-author-name",
    "author unlinked": "span.entry-author > span.entry-author-name",
    "file block, new form": "div.wp-block-file a.wp-block-file__button.wp-element-button",
    "file block, old form": "div.wp-block-file a.wp-block-file__button:not(.wp-element-button)",
    "file block with preview": "div.wp-block-file object.wp-block-file__embed",
    "image caption, block form": "figure.wp-block-image figcaption.wp-element-caption",
    "image caption, no class": "figure.wp-block-image figcaption:not([class])",
    "image caption, classic": "figure.wp-caption figcaption.wp-caption-text",
    "linked image": "figure.wp-block-image > a[href] > img",
    "contributor name in strong": "div.entry-content p > strong:first-child",
    "genesis archive": "main > article.entry > header.entry-header > h2.entry-title",
    "mai archive": "div.entries-wrap > article.entry-archive > div.entry-wrap-archive",
    "mai page header": "section.page-header h1.page-header-title",
    "mai excerpt": "div.entry-excerpt",
    "empty content": "div.entry-content:empty",
    "mailto link": 'div.entry-content a[href^="mailto:"]',
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_site_covers_the_markup_variant(name: str) -> None:
    assert any(parse(path).css_first(VARIANTS[name]) for path in html_files()), name


def test_the_site_covers_the_text_variants() -> None:
    html = "\n".join(path.read_text(encoding="utf-8") for path in html_files())
    for entity in ("&#8211;", "&#8222;", "&#8220;", "&amp; Land"):
        assert entity in html
    assert "17. März 2023</time> von " in html
    assert "%C3%9Cbersicht-F%C3%B6rderung.pdf" in html  # percent-encoded umlauts
    assert "/2020/02/Präventionsketten-Überblick.pdf" in html  # raw umlauts
    assert "Download</a>" in html
    assert "Herunterladen</a>" in html
    assert "Lu\u0301cia" in html  # decomposed: the parser must output NFC
    for name in ("Prof. Dr. ", "von der Heide", "dos Santos", "Blume-Strotzer"):
        assert name in html
    assert '<span class="entry-author">by <a' in html  # Mai: "by" inside span.entry-author
