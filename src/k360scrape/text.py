"""String rules of the data contract: text normalisation, dates and contributor names.

Pure functions over `str`. The parser hands them text it took from the HTML, so entities are
already decoded; these functions decide what a field's value looks like:

- `clean()`: NFC, invisible characters removed, every whitespace run one space, trimmed;
- `date_from_iso()` / `date_from_text()`: `YYYY-MM-DD` from a `datetime` attribute or from
  German ("11.01.2023", "17. März 2023", "1. Dez. 2022") and English date text;
- `label_of()` / `is_contributors_heading()`, over `LABELS` and `CONTRIBUTOR_HEADINGS` keyed
  by `fold()`: the vocabulary of the content headings;
- `split_contributor()` (`name_and_affiliation()` for text already clean): name and
  affiliation at the start of a contributor's bio.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from typing import Final

# Deleted outright: soft hyphen, zero-width (non-)joiners and spaces, word joiner, BOM, and
# control characters that no browser shows. Visible characters (dashes, quotes, U+2011) stay.
_INVISIBLE: Final = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_CONTROLS: Final = "\x00-\x08\x0e-\x1b\x7f-\x9f"
# A regex, not str.translate: translate with a deletion table costs ~40 ns per character.
_DELETE: Final = re.compile(f"[{_CONTROLS}{_INVISIBLE}]")
# Whitespace that clean()'s fast path turns into spaces (&nbsp; and newlines before these).
_OTHER_SPACES: Final = ("\t", "\r", "\u202f")


def clean(text: str) -> str:
    """Normalise text as published: NFC, invisibles gone, whitespace runs one space, trimmed.

    >>> clean("Lean\u00a0Coffee\u00ad gefällig? \u00a0")
    'Lean Coffee gefällig?'
    """
    # Fast path, same result as `_clean_slow`: a printable string has no control, format
    # (soft hyphen, zero-width) or separator characters besides the ASCII space, so only
    # space runs and the ends are left to fix. The parser cleans every text it reads, and
    # this keeps that at a few nanoseconds per character.
    if not text.isprintable():
        # replace() hands back the very string when there is nothing to replace.
        text = text.replace("\u00a0", " ").replace("\n", " ")  # by far the most common
        if not text.isprintable():
            for char in _OTHER_SPACES:
                text = text.replace(char, " ")
            if not text.isprintable():
                return _clean_slow(text)
    # normalize() hands back the very string when it is already NFC (the quick check).
    if not text.isascii() and unicodedata.normalize("NFC", text) is not text:
        return _clean_slow(text)
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip()


def _clean_slow(text: str) -> str:
    text = _DELETE.sub("", text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # str.split() without arguments splits on every Unicode whitespace character,
    # which covers U+00A0, U+202F, U+2009, tabs and newlines alike.
    return " ".join(text.split())


def fold(text: str) -> str:
    """`clean()` plus case folding and trailing colons removed: the form used for matching."""
    return clean(text).casefold().rstrip(": ")


def fold_clean(text: str) -> str:
    """`fold()` for text that is already `clean()`."""
    return text.casefold().rstrip(": ")


# --- dates -----------------------------------------------------------------------------

_MONTHS: Final[dict[str, int]] = {
    **dict.fromkeys(("januar", "jan", "jänner", "jän", "january"), 1),
    **dict.fromkeys(("februar", "feb", "february"), 2),
    **dict.fromkeys(("märz", "mär", "maerz", "mrz", "march", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juni", "jun", "june"), 6),
    **dict.fromkeys(("juli", "jul", "july"), 7),
    **dict.fromkeys(("august", "aug"), 8),
    **dict.fromkeys(("september", "sep", "sept"), 9),
    **dict.fromkeys(("oktober", "okt", "october", "oct"), 10),
    **dict.fromkeys(("november", "nov"), 11),
    **dict.fromkeys(("dezember", "dez", "december", "dec"), 12),
}
_ISO_DATE: Final = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_NUMERIC_DATE: Final = re.compile(r"(?<!\d)(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})(?!\d)")
_DAY_MONTH_YEAR: Final = re.compile(
    r"(?<![\d.])(\d{1,2})\.?\s+([^\W\d_]{3,10})\.?,?\s+(\d{4})(?!\d)"
)
_MONTH_DAY_YEAR: Final = re.compile(
    r"\b([^\W\d_]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)"
)


def date_from_iso(value: str | None) -> str | None:
    """`YYYY-MM-DD` from an ISO 8601 value such as `2023-03-17T10:15:00+01:00`."""
    if not value:
        return None
    match = _ISO_DATE.match(value.strip())
    if match is None:
        return None
    found = match.group()
    if len(found) == 10 and found.isascii():  # already YYYY-MM-DD: only check the date
        try:
            date.fromisoformat(found)
        except ValueError:  # 2023-02-31, month 13, year 0: not a date
            return None
        return found
    return _ymd(match.group(1), match.group(2), match.group(3))


def date_from_text(text: str | None) -> str | None:
    """`YYYY-MM-DD` from the first date in `text` ("11.01.2023", "17. März 2023"), else None.

    >>> date_from_text("29.11.2022 by Vanessa Janson")
    '2022-11-29'
    """
    if not text:
        return None
    text = clean(text)
    for match in _NUMERIC_DATE.finditer(text):
        found = _ymd(match.group(3), match.group(2), match.group(1))
        if found:
            return found
    return _worded_date(text) or date_from_iso(_first_iso(text))


def _worded_date(text: str) -> str | None:
    for match in _DAY_MONTH_YEAR.finditer(text):
        found = _ymd(match.group(3), _MONTHS.get(match.group(2).casefold()), match.group(1))
        if found:
            return found
    for match in _MONTH_DAY_YEAR.finditer(text):
        found = _ymd(match.group(3), _MONTHS.get(match.group(1).casefold()), match.group(2))
        if found:
            return found
    return None


def _first_iso(text: str) -> str | None:
    match = _ISO_DATE.search(text)
    return match.group(0) if match else None


def _ymd(year: str, month: str | int | None, day: str) -> str | None:
    if month is None:
        return None
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:  # 31.02., month 13, year 0: not a date
        return None


# --- heading vocabulary ----------------------------------------------------------------

# Keyed by `fold()`: the heading text as matched, and the label as output.
LABELS: Final[dict[str, str]] = {"dokumentation": "Dokumentation"}
CONTRIBUTOR_HEADINGS: Final = frozenset(
    (
        "zu den mitwirkenden",
        "die mitwirkenden",
        "mitwirkende",
        "referent:innen",
        "referent*innen",
        "referent_innen",
        "referentinnen und referenten",
        "referentinnen",
        "referenten",
        "zu den referent:innen",
        "zu den referentinnen und referenten",
    )
)


def label_of(text: str) -> str | None:
    """The canonical label ("Dokumentation") when `text` is a known label heading."""
    return LABELS.get(fold(text))


def is_contributors_heading(text: str) -> bool:
    """`text` introduces the contributors section („Zu den Mitwirkenden“ and its variants)."""
    return fold(text) in CONTRIBUTOR_HEADINGS


# --- contributor names -----------------------------------------------------------------

_TITLES: Final = frozenset(
    (
        "Dr.", "Prof.", "Dres.", "Dr.-Ing.", "Dipl.-Ing.", "Dipl.-Päd.", "Dipl.-Soz.",
        "Dipl.-Soz.-Päd.", "Dipl.-Psych.", "Dipl.-Kfm.", "Dipl.-Verw.", "Dipl.", "Ing.", "Mag.",
        "PD", "Priv.-Doz.", "Jun.-Prof.", "apl.", "h.c.", "habil.", "med.", "phil.", "rer.",
        "nat.", "pol.", "soc.", "jur.", "oec.", "paed.", "M.A.", "B.A.", "M.Sc.", "B.Sc.",
        "LL.M.", "MBA", "Dr.in", "Prof.in",
    )
)  # fmt: skip
_PARTICLES: Final = frozenset(
    {
        "von", "van", "de", "der", "den", "dos", "da", "das", "zu", "vom", "zur", "du", "la",
        "le", "ten", "ter", "di", "del", "della", "y", "al", "el", "bin", "ibn",
    }
)  # fmt: skip
_NAME_LIMIT: Final = 6  # name tokens (titles and particles not counted)
_STOP_PUNCTUATION: Final = ",:;"
_LETTER: Final = re.compile(r"[^\W\d_]")
_LEAD_STRIP: Final = ":,;–—- "


def split_contributor(bio: str, lead: str | None = None) -> tuple[str, str | None]:
    """Name and affiliation at the start of a contributor paragraph (both cleaned).

    `lead` is the text of a leading `<strong>`/`<b>`, which names the person when present.
    The affiliation is the text in parentheses right after the name.

    >>> split_contributor("Adrian Groschwitz (Kommune 360°) geht den Dingen auf den Grund.")
    ('Adrian Groschwitz', 'Kommune 360°')
    """
    return name_and_affiliation(clean(bio), clean(lead) if lead else None)


def name_and_affiliation(bio: str, lead: str | None = None) -> tuple[str, str | None]:
    """`split_contributor()` for text that is already `clean()` (the parser's hot path)."""
    end = _lead_end(bio, lead) if lead else 0
    if not end:
        end = _name_run_end(bio) or _fallback_end(bio)
    name = bio[:end].rstrip(_LEAD_STRIP) or bio[:end]
    return name, _affiliation(bio[end:])


def _lead_end(bio: str, lead: str) -> int:
    # A bold lead names the person unless it is the whole bio or plainly not a name.
    lead = lead.split("(", 1)[0].rstrip(_LEAD_STRIP)
    if not lead or not bio.startswith(lead) or len(lead) == len(bio):
        return 0
    if len(lead.split()) > _NAME_LIMIT + 4 or not _LETTER.search(lead):
        return 0
    return len(lead)


def _name_run_end(bio: str) -> int:
    """End of the run of name tokens (titles, capitalised words, particles) at the start."""
    counted = start = last_name_end = 0
    # `bio` is clean, so single spaces separate the tokens (the parser's hot path: the token
    # rules are inline rather than one call per token).
    for token in _tokens(bio, _NAME_LIMIT * 3):
        core = token.rstrip(_STOP_PUNCTUATION)
        stop = core != token
        if not stop and core[-1:] == "." and core not in _TITLES and not _is_initial(core):
            core, stop = core[:-1], True  # "… Soliman." ends a sentence
        if not core or core[0] == "(":
            break
        if core in _TITLES or (core.startswith("Dipl.-") and core.endswith(".")):
            last_name_end = start + len(core)  # a title
        elif core not in _PARTICLES:  # particles never end the name: "Jane Doe von"
            if not (core[0].isupper() and core[0].isalpha()):
                break
            last_name_end = start + len(core)
            counted += 1
        if stop or counted >= _NAME_LIMIT:
            break
        start += len(token) + 1
    return last_name_end if counted else 0


_FIRST_TOKENS: Final = 6


def _tokens(text: str, limit: int) -> Iterator[str]:
    """The first `limit` space-separated tokens of `text`, split lazily."""
    head = text.split(" ", _FIRST_TOKENS)
    yield from head[:_FIRST_TOKENS]
    if len(head) > _FIRST_TOKENS:
        yield from head[_FIRST_TOKENS].split(" ", limit - _FIRST_TOKENS)[: limit - _FIRST_TOKENS]


def _is_initial(core: str) -> bool:
    return len(core) == 2 and core[0].isupper()


def _fallback_end(bio: str) -> int:
    """No clear name: the text before the first "(", at most six tokens, never empty."""
    head = bio.split("(", 1)[0].strip()
    tokens = head.split(" ", _NAME_LIMIT)[:_NAME_LIMIT] if head else bio.split(" ", 1)[:1]
    return len(" ".join(tokens)) if tokens else len(bio)


def _affiliation(rest: str) -> str | None:
    rest = rest.lstrip(_LEAD_STRIP)
    if not rest.startswith("("):
        return None
    close = rest.find(")")
    while close != -1 and rest.count("(", 0, close) > rest.count(")", 0, close + 1):
        close = rest.find(")", close + 1)  # "(Uni (Bonn))": skip the inner pair
    if close == -1:
        return None  # unbalanced: no affiliation rather than half a sentence
    return clean(rest[1:close]) or None
