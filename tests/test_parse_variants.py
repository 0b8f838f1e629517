"""The parser on hand-written pages (tests/variants/*.html) covering both markup families and
every B9 variant of site-and-markup.md. Each page's whole result is asserted, field by field.

- genesis_core.html (Genesis core): microdata `datetime`, comments/edit links in the meta,
  entry footer terms, numeric pagination without a11y spans (3.1.2) on a middle page with an
  omission, `h2`/`h4` without class, „Referent:innen“, `<b>` names, `<br>`, lists and quotes,
  classic `div.wp-caption`, an old File block whose name link is the attachment page, inline
  `.PDF?ver=2`, a button block, a lazy image in a link with a credit link in its caption, an
  empty title with `p.entry-permalink`, content-limit `a.more-link`, German date text with
  „von“, an unlinked author, a mid-body heading ending the contributors, a sidebar entry.
- genesis_prevnext.html (Genesis core): prev/next `div` pagination, no microdata, a missing
  `entry-content`, a nested article in the body, an excerpt „[…]“, unclosed tags, duplicated
  ids.
- genesis_last_page.html (Genesis core): the last page (no next), a11y „Page “ spans, no
  archive heading, `<base href>` with relative links, an empty PDF link text, a non-PDF file
  link, www/bare host folding.
- mai_full.html (Mai): full content, page-header title, Mai numeric pagination with button
  classes, `<link rel=next>`, JS text containing `<article>`.
- mai_excerpt.html (Mai): excerpt mode, `a.entry-more-link`, „by“ inside `span.entry-author`,
  no heading, no pagination, an entry without excerpt and meta, a Mai grid in the footer.
- single_genesis.html / single_mai.html: single posts (`h1.entry-title`; title in the page
  header, og:url, `article:published_time`, meta words „von …“, contributors as a list).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from k360scrape.models import ArchivePage, Contributor, Entry, Image, Link, Pdf
from k360scrape.parse import parse_archive_page, parse_single_page

VARIANTS = Path(__file__).resolve().parent / "variants"
K360 = "https://www.kommune360.de"
BARE = "https://kommune360.de"


def page(name: str, url: str) -> ArchivePage:
    return parse_archive_page((VARIANTS / name).read_text(encoding="utf-8"), url)


def single(name: str, url: str) -> Entry:
    return parse_single_page((VARIANTS / name).read_text(encoding="utf-8"), url)


def entry(**fields: Any) -> dict[str, Any]:
    """The full dump of an Entry with these fields (every other field at its default)."""
    return Entry(**fields).model_dump()


def paragraphs(*texts: str) -> str:
    return "\n\n".join(texts)


def pdf(name: str, url: str) -> Pdf:
    return Pdf(name=name, url=url)


def person(name: str, affiliation: str | None, bio: str) -> Contributor:
    return Contributor(name=name, affiliation=affiliation, bio=bio)


def assert_entries(got: tuple[Entry, ...], expected: list[dict[str, Any]]) -> None:
    assert len(got) == len(expected), [e.title for e in got]
    for index, (actual, wanted) in enumerate(zip(got, expected, strict=True)):
        dump = actual.model_dump()
        for key in wanted:
            assert dump[key] == wanted[key], f"entry {index + 1} ({actual.title!r}): {key}"


# --- Genesis core ----------------------------------------------------------------------

GENESIS_CORE_URL = f"{BARE}/category/netzwerk/page/2/"
GENESIS_CORE = [
    entry(
        url=f"{BARE}/planung-im-dialog/",
        title="Planung im Dialog & auf Augenhöhe",
        date="2021-09-14",
        author="Jane Doe",
        label="Dokumentation",
        description=paragraphs(
            "Die Ergebnisse stehen in der Übersicht (PDF) und auf der Ergebnisseite.",
            "Erstens: gemeinsam planen",
            "Zweitens: verbindlich umsetzen",
            "Planung ist Beziehungsarbeit.",
            "Eine Teilnehmerin",
        ),
        pdfs=(
            pdf(
                "Übersicht (PDF)",
                f"{BARE}/wp-content/uploads/2021/09/%C3%9Cbersicht-Ergebnisse.PDF?ver=2",
            ),
        ),
        contributors=(
            person(
                "Prof. Dr. Jane Doe-Smith",
                "Uni X",
                "Prof. Dr. Jane Doe-Smith (Uni X) forscht zu kommunaler Planung.",
            ),
            person(
                "Kerstin Beispiel",
                "Stadt Y",
                "Kerstin Beispiel (Stadt Y) moderierte den Austausch.",
            ),
        ),
        images=(
            Image(
                url=f"{BARE}/wp-content/uploads/2021/09/Runde-300x200.jpg",
                caption="Foto: Max Muster",
            ),
        ),
        # The list item's link differs from the paragraph's only by its fragment: one link.
        links=(Link(text="Ergebnisseite", url=f"{BARE}/netzwerk/ergebnisse/"),),
    ),
    entry(
        url=f"{BARE}/werkstatt-beteiligung/",
        title="Werkstatt Beteiligung",
        date="2023-03-17",
        author="Max Muster",
        label="Dokumentation",
        subtitle="Was Beteiligung braucht",
        description="In der Werkstatt ging es um Beteiligung.\n\nWeitere Informationen\n\n"
        "Kontakt: werkstatt@kommune360.de",
        # Old File block: the name link points at the attachment page, the button at the file.
        pdfs=(
            pdf("Handout Werkstatt", f"{BARE}/wp-content/uploads/2023/03/Handout-Werkstatt.pdf"),
        ),
        contributors=(
            person("Anna Beispiel", None, "Anna Beispiel ist Referentin für Beteiligung."),
        ),
        links=(Link(text="werkstatt@kommune360.de", url="mailto:werkstatt@kommune360.de"),),
    ),
    entry(
        url=f"{BARE}/ohne-titel/",
        description="Ein Beitrag ohne Titel.",
        pdfs=(pdf("Download", f"{BARE}/wp-content/uploads/2021/08/Flyer.pdf"),),
        images=(
            Image(
                url=f"{BARE}/wp-content/uploads/2021/08/Gruppe-1024x683.jpg",
                caption="Foto: Erika Beispiel",
            ),
        ),
        links=(
            Link(text="Erika Beispiel", url="https://example.org/fotografin/"),
            Link(text="Anmelden", url=f"{BARE}/anmeldung/"),
        ),
    ),
    entry(
        url=f"{BARE}/kurz-gefasst/",
        title="Kurz gefasst",
        date="2021-08-02",
        author="Jane Doe",
        description="Die Kommunen trafen sich zum dritten Mal und besprachen …",
        is_excerpt=True,
    ),
]


def test_genesis_core_page() -> None:
    result = page("genesis_core.html", GENESIS_CORE_URL)
    assert result.url == GENESIS_CORE_URL
    assert result.day == "Netzwerk"
    assert result.page == 2
    # li.pagination-next, not the menu's rel=next link nor the head's link[rel=next].
    assert result.next_url == f"{BARE}/category/netzwerk/page/3/"
    suffixes = ("", "page/2/", "page/3/", "page/4/", "page/5/")
    assert result.page_urls == tuple(f"{BARE}/category/netzwerk/{end}" for end in suffixes)
    assert_entries(result.entries, GENESIS_CORE)


# --- Genesis prev/next -----------------------------------------------------------------

PREVNEXT = [
    entry(
        url=f"{K360}/ohne-inhalt/",
        title="Ohne Inhaltsbereich",
        date="2022-03-02",
        author="Max Muster",
        description="Der Text steht direkt im Artikel.\n\nMit einem Link.",
        links=(Link(text="Link", url=f"{K360}/weiter/"),),
    ),
    entry(
        url=f"{K360}/mit-verschachtelung/",
        title="Mit verschachteltem Artikel",
        date="2022-03-01",
        author="Max Muster",
        description="Der eigentliche Beitrag.\n\nSchluss des Beitrags.",
    ),
    entry(
        url=f"{K360}/auszug/",
        title="Nur ein Auszug",
        date="2022-02-28",
        author="Jane Doe",
        description="Viele Kommunen planen Jugendhilfe und Schule noch getrennt. "
        "Im Workshop ging es darum, wie […]",
        is_excerpt=True,
    ),
    entry(
        url=f"{K360}/unordentlich/",
        title="Unordentlich",
        date="2022-02-27",
        author="Jane Doe",
        description="Erster Absatz ohne Ende\n\nZweiter Absatz mit fettem Text\n\n"
        "Punkt eins\n\nPunkt zwei",
        contributors=(person("Jane Doe", None, "Jane Doe leitet das Projekt."),),
    ),
]


def test_genesis_prevnext_page() -> None:
    result = page("genesis_prevnext.html", f"{K360}/blog/page/3/")
    assert (result.day, result.page) == ("Unser Blog", 3)
    assert result.next_url == f"{K360}/blog/page/4/"
    assert result.page_urls == (f"{K360}/blog/page/2/", f"{K360}/blog/page/4/")
    assert_entries(result.entries, PREVNEXT)


# --- Genesis last page -----------------------------------------------------------------


def test_genesis_last_page() -> None:
    result = page("genesis_last_page.html", f"{BARE}/programm/tag/samstag/page/3/")
    assert result.day is None
    assert result.page == 3
    assert result.next_url is None
    assert result.page_urls == (
        f"{BARE}/programm/tag/samstag/page/2/",
        f"{BARE}/programm/tag/samstag/",
        f"{BARE}/programm/tag/samstag/page/3/",
    )
    uploads = f"{BARE}/wp-content/uploads/2022/12"
    assert_entries(
        result.entries,
        [
            entry(
                url=f"{BARE}/programm/event/letzter-beitrag/",
                title="Letzter Beitrag",
                date="2022-12-05",
                author="Nancy Weber dos Santos",
                description="Zum Schluss ein Bericht und die Fotos.",
                pdfs=(
                    pdf("Bericht", f"{uploads}/Abschlussbericht%20final.pdf"),
                    pdf("Anhang.pdf", f"{uploads}/Anhang.pdf"),
                ),
                # www. folded into the page's own (bare) host spelling
                links=(Link(text="Fotos", url=f"{uploads}/Fotos.zip"),),
            )
        ],
    )


# --- Mai -------------------------------------------------------------------------------

MAI_UPLOADS = f"{K360}/wp-content/uploads"
MAI_FULL = [
    entry(
        url=f"{K360}/programm/event/soziale-durchmischung-und-segregation-zwischen-planungsidylle"
        "-und-lebensrealitaeten-2/",
        title="Soziale Durchmischung und Segregation – zwischen Planungsidylle und "
        "Lebensrealitäten",
        date="2023-01-11",
        author="Nancy Weber dos Santos",
        label="Dokumentation",
        description="In diesem Workshop ging es um den facettenreichen Begriff der Segregation. "
        "Zusammen mit Dr. Marius Otto (HAW Landshut) diskutierten die Teilnehmenden soziale "
        "Durchmischung als Planungsziel.",
        pdfs=(
            pdf(
                "Soziale Durchmischung und Segregation.pdf",
                f"{MAI_UPLOADS}/2023/01/Soziale-Durchmischung-und-Segregation.pdf",
            ),
        ),
        contributors=(
            person(
                "Dr. Marius Otto",
                None,
                "Dr. Marius Otto ist Professor für Sozialräumliche Soziale Arbeit an der "
                "Hochschule für angewandte Wissenschaften in Landshut.",
            ),
            person(
                "Adrian Groschwitz",
                "Kommune 360°",
                "Adrian Groschwitz (Kommune 360°) geht den Dingen gerne auf den Grund.",
            ),
        ),
    ),
    entry(
        url=f"{K360}/programm/event/flucht-und-integration/",
        title="Flucht und Integration: Wie stellt sich kommunale Planungspraxis zu Bedarf und "
        "Potentialen auf?",
        date="2022-11-29",
        author="Vanessa Janson",
        label="Dokumentation",
        description="Viele Ukrainer:innen müssen wegen des Angriffskriegs ihre Lebensorte "
        "verlassen.\n\nWenn Sie Interesse haben, senden Sie gerne eine Email an "
        "info@ikpe-erfurt.de. Einen kleinen Einblick zeigen die folgenden Dateien.",
        pdfs=(
            pdf("Faktenquiz Thüringen.pdf", f"{MAI_UPLOADS}/2022/11/Faktenquiz-Th%C3%BCringen.pdf"),
            pdf("Poster Inklusion_IKPE.pdf", f"{MAI_UPLOADS}/2022/11/Poster-Inklusion_IKPE.pdf"),
            pdf("Poster Bedarfe_IKPE.pdf", f"{MAI_UPLOADS}/2022/11/Poster-Bedarfe_IKPE.pdf"),
        ),
        contributors=(
            person(
                "Kariem Soliman",
                None,
                "Kariem Soliman ist wissenschaftlicher Mitarbeiter beim IKPE.",
            ),
            person(
                "Dr. Stefan Huber",
                None,
                "Dr. Stefan Huber hat seit 2018 am IKPE die Projektleitung inne.",
            ),
            person(
                "Andreas Blume-Strotzer",
                None,
                "Andreas Blume-Strotzer sammelte viel Erfahrungen. Seit Juli 2022 ist er "
                "Ansprechpartner im Programm „Thüringer Präventionsketten“.",
            ),
        ),
        links=(Link(text="info@ikpe-erfurt.de", url="mailto:info@ikpe-erfurt.de"),),
    ),
    entry(
        url=f"{K360}/programm/event/loop-approach/",
        title="LOOP APPROACH – ein Ansatz zur Teamentwicklung und Kulturveränderung!",
        date="2022-11-29",
        author="Vanessa Janson",
        label="Dokumentation",
        description="Im Fokus stand das 4\u2011Räume-Modell zur effektiven Zusammenarbeit.\n\n"
        "Sie haben weiteres Interesse? Hier geht es zur Anmeldung.",
        contributors=(
            person("Markus Büchel", None, "Markus Büchel ist Projektmanager der Auridis Stiftung."),
            person(
                "Alexander Raths", None, "Alexander Raths ist Projektmanager der Auridis Stiftung."
            ),
        ),
        links=(Link(text="Hier geht es zur Anmeldung.", url=f"{K360}/kommune-gestaltet/"),),
    ),
    entry(
        url=f"{K360}/programm/event/lasst-uns-spielen-das-spiel/",
        title="Lasst uns spielen - DAS SPIEL",
        date="2022-11-29",
        author="Vanessa Janson",
        label="Dokumentation",
        subtitle="Auf nach Schlotterbrück: Das Planspiel zur kooperativen Jugendhilfeplanung",
        description="Um kommunale Akteure zu unterstützen, hat die Initiative ein Planspiel "
        "entwickelt.\n\nBei Fragen informieren Sie sich gerne über die Methode oder kontaktieren "
        "Sie Keno Franke (Kommune 360°).",
        contributors=(
            person(
                "Christiane von Bernstorff",
                "Kommune 360°",
                "Christiane von Bernstorff (Kommune 360°) glaubt an Dialog und gute Prozesse.",
            ),
            person(
                "Kerstin Großbröhmer",
                "Kommune 360°",
                "Kerstin Großbröhmer (Kommune 360°) sucht gerne nach dem Spagat.",
            ),
        ),
        links=(
            Link(text="die Methode", url=f"{K360}/k360-planspiel/"),
            Link(text="Keno Franke", url="mailto:keno.franke@dkjs.de"),
        ),
    ),
    entry(
        url=f"{K360}/programm/event/die-k360-ecke/",
        title="Die K360-Ecke",
        date="2022-11-26",
        author="Nancy Weber dos Santos",
        description="In unserer interaktiven K360-Ecke konnten die Festival-Teilnehmenden malen.",
        images=(
            Image(
                url=f"{MAI_UPLOADS}/2022/11/K360-Ecke-1024x683.jpg",
                caption="Foto: DKJS / Henry Sowinski",
            ),
        ),
    ),
    entry(
        url=f"{K360}/programm/event/kommunen-podcast/",
        title="Inspiration für die Ohren: Der Kommunen-Podcast",
        date="2022-11-26",
        author="Nancy Weber dos Santos",
        description="Unsere Festival-Teilnehmenden hatten die Möglichkeit.\n\nFolgen Sie dem Link "
        "und hören Sie hinein!\n\nPodcast – Der Kommunen-Podcast (kommune360.de)",
        images=(
            Image(
                url=f"{MAI_UPLOADS}/2022/11/Podcast-1024x683.jpg",
                caption="Foto: DKJS / Henry Sowinski",
            ),
        ),
        links=(
            Link(text="Podcast – Der Kommunen-Podcast (kommune360.de)", url=f"{K360}/podcast/"),
        ),
    ),
    entry(
        url=f"{K360}/programm/event/kaffeepause/",
        title="Kaffeepause",
        date="2022-11-26",
        author="Nancy Weber dos Santos",
    ),
    entry(
        url=f"{K360}/programm/event/lean-coffee/",
        title="Lean Coffee gefällig?",
        date="2022-11-26",
        author="Nancy Weber dos Santos",
        label="Dokumentation",
        description="Wer kennt diese Fragen nicht?\n\nWie genau wir das gemacht haben, lesen Sie "
        "in diesem Blog-Beitrag.",
        contributors=(
            person(
                "Nancy Weber dos Santos",
                "Kommune 360°",
                "Nancy Weber dos Santos (Kommune 360°) ist Agile Coach. All das möglichst agil "
                "und integrativ.",
            ),
            person(
                "Marlous Behrendt",
                "Kommune 360°",
                "Marlous Behrendt (Kommune 360°) liebt die Momente.",
            ),
        ),
        links=(
            Link(
                text="diesem Blog-Beitrag",
                url=f"{K360}/lean-coffee-ein-meetingformat-mit-demokratischem-charakter/",
            ),
        ),
    ),
    entry(
        url=f"{K360}/programm/event/abschluss/",
        title="Abschluss",
        date="2022-11-26",
        author="Nancy Weber dos Santos",
    ),
]


def test_mai_full_content_page() -> None:
    result = page("mai_full.html", f"{K360}/programm/tag/freitag/")
    assert (result.day, result.page) == ("Freitag", 1)
    assert result.next_url == f"{K360}/programm/tag/freitag/page/2/"
    assert result.page_urls == (
        f"{K360}/programm/tag/freitag/",
        f"{K360}/programm/tag/freitag/page/2/",
    )
    assert_entries(result.entries, MAI_FULL)


def test_mai_excerpt_page() -> None:
    result = page("mai_excerpt.html", f"{K360}/programm/tag/mittwoch/")
    assert (result.day, result.page, result.next_url, result.page_urls) == (None, 1, None, ())
    assert_entries(
        result.entries,
        [
            entry(
                url=f"{K360}/programm/event/begruessung/",
                title="Begrüßung und Eröffnung",
                date="2022-12-02",
                author="Vanessa Janson",
                description="Mit rund 200 Teilnehmenden begann am Mittwoch das Festival in "
                "Apolda. Nach der Begrüßung […]",
                is_excerpt=True,
            ),
            entry(url=f"{K360}/programm/event/kaffeepause/", title="Kaffeepause", is_excerpt=True),
            entry(
                url=f"{K360}/programm/event/ohne-mehr-link/",
                title="Ohne Mehr-Link",
                date="2022-11-28",
                author="Nancy Weber dos Santos",
                description="Ein kurzer Auszug, vollständig.",
                is_excerpt=True,
            ),
        ],
    )


# --- single pages ----------------------------------------------------------------------


def test_genesis_single_page() -> None:
    url = f"{K360}/programm/event/lasst-uns-spielen-das-spiel/"
    got = single("single_genesis.html", url)
    assert got.model_dump() == entry(
        url=url,  # the canonical link, bare host folded into the page's www spelling
        title="Lasst uns spielen - DAS SPIEL",
        date="2022-11-29",  # the entry's time, not article:published_time
        author="Vanessa Janson",
        label="Dokumentation",
        subtitle="Auf nach Schlotterbrück: Das Planspiel zur kooperativen Jugendhilfeplanung",
        description="Um kommunale Akteure zu unterstützen, hat die Initiative ein Planspiel "
        "entwickelt.\n\nBei Fragen kontaktieren Sie Keno Franke (Kommune 360°).",
        contributors=(
            person(
                "Christiane von Bernstorff",
                "Kommune 360°",
                "Christiane von Bernstorff (Kommune 360°) glaubt an Dialog und gute Prozesse.",
            ),
            person(
                "Kerstin Großbröhmer",
                "Kommune 360°",
                "Kerstin Großbröhmer (Kommune 360°) sucht gerne nach dem Spagat.",
            ),
        ),
        links=(Link(text="Planspiel", url=f"{K360}/k360-planspiel/"),),
    )


def test_mai_single_page() -> None:
    url = f"{K360}/programm/event/kooperation-braucht-struktur/"
    got = single("single_mai.html", f"{K360}/programm/event/kooperation-braucht-struktur")
    file_url = f"{K360}/wp-content/uploads/2023/01/Jugendhilfe-und-Schulentwicklungsplanung-1.pdf"
    assert got.model_dump() == entry(
        url=url,
        title="Kooperation braucht Struktur",
        date="2023-01-20",
        author="Vanessa Janson",
        label="Dokumentation",
        description="Jugendhilfeplanung und Schulentwicklungsplanung arbeiten oft getrennt.",
        pdfs=(pdf("Jugendhilfe-und-Schulentwicklungsplanung-1.pdf", file_url),),
        contributors=(
            person(
                "Prof. Dr. Heike Lindemann-Struck",
                "Hochschule Merseburg",
                "Prof. Dr. Heike Lindemann-Struck (Hochschule Merseburg) lehrt Sozialplanung.",
            ),
            person(
                "Tobias Renner",
                "Landkreis Saalfeld-Rudolstadt",
                "Tobias Renner (Landkreis Saalfeld-Rudolstadt) ist Jugendhilfeplaner.",
            ),
        ),
    )


# --- small inline variants -------------------------------------------------------------


def wrap(body: str, meta: str = "") -> str:
    return f"<html><head>{meta}</head><body><main>{body}</main></body></html>"


def article(content: str, header: str = "") -> str:
    header = header or (
        '<header class="entry-header"><h2 class="entry-title"><a class="entry-title-link" '
        f'href="{K360}/programm/event/x/">X</a></h2></header>'
    )
    return f'<article class="entry">{header}<div class="entry-content">{content}</div></article>'


@pytest.mark.parametrize(
    ("pagination", "next_url"),
    [
        pytest.param(
            '<div class="archive-pagination pagination"><ul><li class="pagination-next">'
            f'<a href="{K360}/t/page/2/" >Next Page &#x000BB;</a></li></ul></div>',
            f"{K360}/t/page/2/",
            id="genesis-li",
        ),
        pytest.param(
            '<div class="archive-pagination pagination" role="navigation">'
            f'<a href="{K360}/t/page/2/" rel="next">Weiter</a></div>',
            f"{K360}/t/page/2/",
            id="a-rel-next",
        ),
        pytest.param(
            '<nav class="navigation pagination"><div class="nav-links">'
            f'<span aria-current="page" class="page-numbers current">1</span>'
            f'<a class="page-numbers" href="{K360}/t/page/2/">2</a>'
            f'<a class="next page-numbers" href="{K360}/t/page/2/">Nächste</a></div></nav>',
            f"{K360}/t/page/2/",
            id="core-paginate-links",
        ),
        pytest.param(
            '<div class="archive-pagination pagination"><ul><li>'
            f'<a href="{K360}/t/page/2/">Nächste →</a></li></ul></div>',
            None,
            id="label-text-alone-is-not-a-next-link",
        ),
        pytest.param(
            '<div class="archive-pagination pagination"><ul><li class="pagination-next">'
            f'<a href="{K360}/t/" >Next</a></li></ul></div>',
            None,
            id="link-to-itself-is-not-a-next-page",
        ),
    ],
)
def test_next_url_by_markup_never_by_label(pagination: str, next_url: str | None) -> None:
    result = parse_archive_page(wrap(article("<p>x</p>") + pagination), f"{K360}/t/")
    assert result.next_url == next_url


def test_a_menu_link_with_rel_next_is_no_next_page() -> None:
    nav = f'<nav class="nav-primary"><a href="{K360}/blog/page/2/" rel="next">Blog</a></nav>'
    html = f"<html><body>{nav}<main>{article('<p>x</p>')}</main></body></html>"
    assert parse_archive_page(html, f"{K360}/t/").next_url is None


def test_next_url_from_head_link_when_no_pagination_block() -> None:
    html = wrap(article("<p>x</p>"), f'<link rel="next" href="{K360}/t/page/2/">')
    assert parse_archive_page(html, f"{K360}/t/").next_url == f"{K360}/t/page/2/"


def test_page_number_from_active_item_when_the_url_has_none() -> None:
    html = wrap(
        article("<p>x</p>") + '<div class="archive-pagination pagination"><ul>'
        f'<li><a href="{K360}/t/">1</a></li>'
        f'<li class="active" ><a href="{K360}/t/?paged=2">2</a></li></ul></div>'
    )
    assert parse_archive_page(html, f"{K360}/t/").page == 2
    assert parse_archive_page(html, f"{K360}/t/?paged=3").page == 3


@pytest.mark.parametrize(
    ("content", "field", "expected"),
    [
        pytest.param(
            "<p><strong>Zu den Mitwirkenden</strong></p><p>Jane Doe forscht.</p>",
            "contributors",
            (person("Jane Doe", None, "Jane Doe forscht."),),
            id="bold-paragraph-as-heading",
        ),
        pytest.param(
            "<p>Erst <a href='https://www.kommune360.de/a.pdf'>A</a>, dann "
            "<a href='https://www.kommune360.de/A.pdf#seite=2'>noch einmal</a>.</p>",
            "pdfs",
            (pdf("A", f"{K360}/a.pdf"), pdf("noch einmal", f"{K360}/A.pdf")),
            id="pdf-case-kept-fragment-dropped",
        ),
        pytest.param(
            "<h2>Dokumentation</h2><h2>Dokumentation</h2><p>x</p>",
            "description",
            "x",
            id="label-heading-twice",
        ),
        pytest.param(
            '<figure class="wp-block-gallery has-nested-images"><figure class="wp-block-image">'
            '<img src="/a.jpg"><figcaption>A</figcaption></figure><figure class="wp-block-image">'
            '<img src="/b.jpg"></figure><figcaption class="blocks-gallery-caption">Galerie'
            "</figcaption></figure>",
            "images",
            (Image(url=f"{K360}/a.jpg", caption="A"), Image(url=f"{K360}/b.jpg")),
            id="gallery",
        ),
        pytest.param(
            '<div class="wp-block-image"><figure class="aligncenter size-large">'
            '<img src="/c.jpg" class="wp-image-9"><figcaption>Foto: C</figcaption></figure></div>',
            "images",
            (Image(url=f"{K360}/c.jpg", caption="Foto: C"),),
            id="old-aligned-image",
        ),
        pytest.param(
            '<p>Ein <img class="emoji" src="/smile.svg"> Lächeln <a href="#top">oben</a> '
            '<a href="javascript:void(0)">js</a> <a href="tel:+4930123">Telefon</a></p>',
            "links",
            (Link(text="Telefon", url="tel:+4930123"),),
            id="skipped-hrefs-and-emoji",
        ),
        pytest.param(
            "<ul><li>Eins<ul><li>Eins.a</li></ul></li><li>Zwei</li></ul>",
            "description",
            "Eins\n\nEins.a\n\nZwei",
            id="nested-list",
        ),
        pytest.param(
            "<table><tr><td>A</td><td>B</td></tr></table>",
            "description",
            "A\n\nB",
            id="table-cells",
        ),
        pytest.param(
            "loser Text <em>mit</em> Auszeichnung<p>Absatz</p>",
            "description",
            "loser Text mit Auszeichnung\n\nAbsatz",
            id="loose-text-run",
        ),
    ],
)
def test_body_details(content: str, field: str, expected: object) -> None:
    got = parse_archive_page(wrap(article(content)), f"{K360}/t/").entries[0]
    assert getattr(got, field) == expected


def test_entries_outside_main_and_nested_in_bodies_are_ignored() -> None:
    nested = article('<p>a</p><article class="entry"><h2 class="entry-title">Karte</h2></article>')
    html = (
        f"<html><body><main>{nested}</main><aside>{article('<p>sidebar</p>')}</aside></body></html>"
    )
    result = parse_archive_page(html, f"{K360}/t/")
    assert [e.description for e in result.entries] == ["a"]


def test_unclosed_article_keeps_both_entries() -> None:
    first = article("<p>eins</p>").removesuffix("</article>")
    html = wrap(first + article("<p>zwei</p>"))
    assert [e.description for e in parse_archive_page(html, f"{K360}/t/").entries] == [
        "eins",
        "zwei",
    ]


# --- excerpts and file lines -------------------------------------------------------


def entries_of(*bodies: str) -> tuple[Entry, ...]:
    return parse_archive_page(wrap("".join(article(body) for body in bodies)), f"{K360}/t/").entries


def test_bare_one_paragraph_bodies_stay_full_entries() -> None:
    # Nothing marks an uncut excerpt in markup; one short paragraph is taken as the full text.
    entries = entries_of("<p>Kurzer Text.</p>", "<p>Noch ein kurzer Text.</p>", "")
    assert [entry.is_excerpt for entry in entries] == [False, False, False]


@pytest.mark.parametrize(
    "body",
    [
        "<p>Dokumentation Drei Tage, viele Gespräche.</p>",
        "<p>Text. Zu den Mitwirkenden Jane Doe (Uni X) forscht.</p>",
    ],
)
def test_headings_run_into_the_text_mark_an_excerpt(body: str) -> None:
    (entry,) = entries_of(body)
    assert entry.is_excerpt is True


def test_a_paragraph_of_pdf_links_is_a_file_line_not_body_text() -> None:
    body = (
        "<p>Ergebnisse:</p>"
        '<p><a href="/a.pdf">A.pdf</a><br><a href="/b.pdf">B.pdf</a></p>'
        '<p>Mehr im <a href="/c.pdf">Bericht</a> (PDF).</p>'
    )
    entry = entries_of(body, "<h2>Dokumentation</h2>")[0]
    assert entry.description == "Ergebnisse:\n\nMehr im Bericht (PDF)."
    assert [pdf.name for pdf in entry.pdfs] == ["A.pdf", "B.pdf", "Bericht"]
