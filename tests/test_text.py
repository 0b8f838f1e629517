"""The string rules of the data contract: normalisation, dates, heading vocabulary, names."""

from __future__ import annotations

import unicodedata

import pytest
from selectolax.lexbor import LexborHTMLParser

from k360scrape.text import (
    clean,
    date_from_iso,
    date_from_text,
    is_contributors_heading,
    label_of,
    name_and_affiliation,
    split_contributor,
)

NBSP = "\u00a0"
NNBSP = "\u202f"


# --- clean -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Lean Coffee gefällig?" + NBSP, "Lean Coffee gefällig?", id="trailing-nbsp"),
        pytest.param("auf? " + NBSP, "auf?", id="space-then-nbsp"),
        pytest.param("Markus Büchel" + NBSP + "ist", "Markus Büchel ist", id="inner-nbsp"),
        pytest.param("integrativ." + NNBSP, "integrativ.", id="narrow-nbsp"),
        pytest.param("a" + NNBSP + "b", "a b", id="inner-narrow-nbsp"),
        pytest.param("  a \t\n b\r\n  c  ", "a b c", id="ascii-whitespace"),
        pytest.param("a\u2002\u2009\u3000b", "a b", id="unicode-spaces"),
        pytest.param("Pla\u00adnungs\u00adidylle", "Planungsidylle", id="soft-hyphen"),
        pytest.param("a\u200bb\u200cc\u200dd\u2060e\ufefff", "abcdef", id="zero-width"),
        pytest.param("\ufeffFreitag", "Freitag", id="bom"),
        pytest.param("Lu\u0301cia", "Lúcia", id="decomposed-to-nfc"),
        pytest.param("Lúcia", "Lúcia", id="composed-stays"),
        pytest.param("e\u200b\u0301", "é", id="nfc-after-removing-zero-width"),
        pytest.param("4\u2011Räume-Modell", "4\u2011Räume-Modell", id="u2011-kept"),
        pytest.param("a – b — c „d“ ‚e‘ “f”", "a – b — c „d“ ‚e‘ “f”", id="visible-kept"),
        pytest.param("Kommune 360°", "Kommune 360°", id="degree-kept"),
        pytest.param("", "", id="empty"),
        pytest.param(NBSP + " \n", "", id="only-whitespace"),
        pytest.param("a\x00b\x07c", "abc", id="control-characters"),
    ],
)
def test_clean(raw: str, expected: str) -> None:
    assert clean(raw) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param("Segregation &#8211; zwischen", "Segregation – zwischen", id="numeric"),
        pytest.param("&#8222;Thüringer&#8220;", "„Thüringer“", id="german-quotes"),
        pytest.param("Stadt &amp; Land", "Stadt & Land", id="amp"),
        pytest.param("gefällig?&nbsp;", "gefällig?", id="nbsp-entity"),
        pytest.param("4&#8209;Räume", "4\u2011Räume", id="u2011-entity"),
        pytest.param("&hellip; [&hellip;]", "… […]", id="hellip"),
        pytest.param("Pla&shy;nung", "Planung", id="shy-entity"),
    ],
)
def test_clean_after_entity_decoding(html: str, expected: str) -> None:
    text = LexborHTMLParser(f"<p>{html}</p>").css_first("p")
    assert text is not None
    assert clean(text.text()) == expected


def test_clean_output_is_nfc_and_stable() -> None:
    raw = "  Ana Lu\u0301cia\u00a0dos\u202fSantos \u00ad "
    once = clean(raw)
    assert once == "Ana Lúcia dos Santos"
    assert unicodedata.is_normalized("NFC", once)
    assert clean(once) == once


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-01-11T10:21:37+01:00", "2023-01-11"),
        ("2022-11-29", "2022-11-29"),
        (" 2022-11-29T00:00:00Z ", "2022-11-29"),
        ("2023-02-30T10:00:00", None),
        ("11.01.2023", None),
        ("", None),
        (None, None),
    ],
)
def test_date_from_iso(value: str | None, expected: str | None) -> None:
    assert date_from_iso(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11.01.2023", "2023-01-11"),
        ("29.11.2022 by Vanessa Janson", "2022-11-29"),
        ("1.2.2023", "2023-02-01"),
        ("17. März 2023", "2023-03-17"),
        ("17. Maerz 2023", "2023-03-17"),
        ("1. Dezember 2022", "2022-12-01"),
        ("26. November 2022 von Nancy Weber dos Santos", "2022-11-26"),
        ("5. Mai 2023", "2023-05-05"),
        ("17. Mär. 2023", "2023-03-17"),
        ("3. Jan. 2023", "2023-01-03"),
        ("9. Okt 2022", "2022-10-09"),
        ("17 März 2023", "2023-03-17"),
        ("March 17, 2023", "2023-03-17"),
        ("2023-03-17", "2023-03-17"),
        ("17.03.2023\u00a0|\u00a0Blogbeitrag von Jane", "2023-03-17"),
        ("31.02.2023", None),
        ("17. Foo 2023", None),
        ("Freitag", None),
        ("garbage 12 34", None),
        ("", None),
        (None, None),
    ],
)
def test_date_from_text(text: str | None, expected: str | None) -> None:
    assert date_from_text(text) == expected


# --- heading vocabulary ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Dokumentation", "Dokumentation"),
        ("Dokumentation" + NBSP, "Dokumentation"),
        ("DOKUMENTATION:", "Dokumentation"),
        ("Dokumentation der Ergebnisse", None),
        ("Zu den Mitwirkenden", None),
    ],
)
def test_label_of(text: str, label: str | None) -> None:
    assert label_of(text) == label


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zu den Mitwirkenden", True),
        ("Zu den Mitwirkenden" + NBSP, True),
        ("zu den mitwirkenden:", True),
        ("Mitwirkende", True),
        ("Referent:innen", True),
        ("Referentinnen und Referenten", True),
        ("Dokumentation", False),
        ("Mitwirkende Organisationen und Partner", False),
    ],
)
def test_is_contributors_heading(text: str, expected: bool) -> None:
    assert is_contributors_heading(text) is expected


# --- contributor names -----------------------------------------------------------------

# Every contributor of freitag-page-1.txt (bio openings as published, U+00A0 included),
# plus the variants the data contract names.
CONTRIBUTORS = [
    ("Dr. Marius Otto ist Professor für Sozialräumliche Soziale Arbeit", None,
     "Dr. Marius Otto", None),
    ("Adrian Groschwitz (Kommune 360°) geht den Dingen gerne auf den Grund.", None,
     "Adrian Groschwitz", "Kommune 360°"),
    ("Kariem Soliman ist wissenschaftlicher Mitarbeiter beim IKPE.", "Kariem Soliman",
     "Kariem Soliman", None),
    ("Dr. Stefan Huber hat seit 2018 am IKPE die Projektleitung", "Dr. Stefan Huber",
     "Dr. Stefan Huber", None),
    ("Andreas Blume-Strotzer sammelte als Jugendhilfe- und Sozialplaner", None,
     "Andreas Blume-Strotzer", None),
    ("Markus Büchel\u00a0ist Projektmanager der Auridis Stiftung", "Markus Büchel",
     "Markus Büchel", None),
    ("Alexander Raths ist Projektmanager der Auridis Stiftung", None,
     "Alexander Raths", None),
    ("Christiane von Bernstorff (Kommune 360°) glaubt an Dialog", "Christiane von Bernstorff",
     "Christiane von Bernstorff", "Kommune 360°"),
    ("Kerstin Großbröhmer\u00a0(Kommune 360°) sucht gerne nach dem Spagat", "Kerstin Großbröhmer",
     "Kerstin Großbröhmer", "Kommune 360°"),
    ("Nancy Weber dos Santos (Kommune 360°) ist Agile Coach. All das agil.\u202f", None,
     "Nancy Weber dos Santos", "Kommune 360°"),
    ("Marlous Behrendt (Kommune 360°) liebt die Momente", None,
     "Marlous Behrendt", "Kommune 360°"),
    # Variants
    ("Prof. Dr. Jane Doe-Smith (Uni X) forscht zu Planung.", None,
     "Prof. Dr. Jane Doe-Smith", "Uni X"),
    ("Prof. Dr. Jane Doe-Smith (Uni X) forscht zu Planung.", "Prof. Dr. Jane Doe-Smith",
     "Prof. Dr. Jane Doe-Smith", "Uni X"),
    ("Jane Doe: Leiterin des Jugendamts", "Jane Doe:", "Jane Doe", None),
    ("Jane Doe (Uni X) forscht.", "Jane Doe (Uni X)", "Jane Doe", "Uni X"),
    ("Jonas von der Heide (Landkreis Weimarer Land) plant.", None,
     "Jonas von der Heide", "Landkreis Weimarer Land"),
    ("Dr. Ana Lu\u0301cia dos Santos (Stadt Leipzig) leitet", None,
     "Dr. Ana Lúcia dos Santos", "Stadt Leipzig"),
    ("Dipl.-Ing. Max Muster baut Brücken.", None, "Dipl.-Ing. Max Muster", None),
    ("Jane Doe, Leiterin des Jugendamts, plant.", None, "Jane Doe", None),
    ("Jane Doe (Uni (Bonn)) forscht.", None, "Jane Doe", "Uni (Bonn)"),
    ("Jane Doe (ohne Ende", None, "Jane Doe", None),
    ("Ludwig van Beethoven zu Bonn komponiert", None, "Ludwig van Beethoven zu Bonn", None),
    ("Maria de la Cruz ten Brink tanzt", None, "Maria de la Cruz ten Brink", None),
    ("Jane von", None, "Jane", None),
    # Bold text that is the whole paragraph is no name marker.
    ("Jane Doe forscht.", "Jane Doe forscht.", "Jane Doe", None),
]  # fmt: skip


@pytest.mark.parametrize(("bio", "lead", "name", "affiliation"), CONTRIBUTORS)
def test_split_contributor(bio: str, lead: str | None, name: str, affiliation: str | None) -> None:
    assert split_contributor(bio, lead) == (name, affiliation)


@pytest.mark.parametrize(
    ("bio", "name"),
    [
        pytest.param("als Leiterin des Amtes ist sie (X) gut", "als Leiterin des Amtes ist sie",
                     id="lower-case-start: up to six tokens before the parenthesis"),
        pytest.param("von hier aus geht es weiter in die Stadt", "von hier aus geht es weiter",
                     id="no-name: six tokens"),
        pytest.param("(Kommune 360°) ist dabei", "(Kommune", id="opens-with-parenthesis"),
        pytest.param("– und dann?", "– und dann?", id="punctuation-first"),
        pytest.param("x", "x", id="one-letter"),
    ],
)  # fmt: skip
def test_split_contributor_without_clear_name_is_never_empty(bio: str, name: str) -> None:
    assert split_contributor(bio)[0] == name


def test_name_limit_is_six_name_tokens() -> None:
    assert split_contributor("A B C D E F G H")[0] == "A B C D E F"
    assert split_contributor("Prof. Dr. A B C D E F G")[0] == "Prof. Dr. A B C D E F"


def test_name_and_affiliation_takes_clean_text() -> None:
    bio = clean("Kerstin Großbröhmer\u00a0(Kommune 360°) sucht")
    assert name_and_affiliation(bio) == ("Kerstin Großbröhmer", "Kommune 360°")
