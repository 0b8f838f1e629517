"""PDF downloads: safe file names, content-addressed storage, pypdf metadata and text.

Files land in `files/<first 16 hex of sha256>/<safe name>`, so two different files that share a
name never overwrite each other and the same bytes are stored once. Names from the site are
never trusted (`safe_filename`). A download that is not a PDF (an HTML error page served
with status 200 …) is still kept as evidence, but as `<safe name>.html` or `<safe name>.bin`
so nobody opens it as a PDF; its `Pdf` says `is_pdf=False` and why. Nothing here raises for
one bad file: the failure goes into `Pdf.error`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from pypdf import PdfReader

from k360scrape.atomicfile import write_bytes_atomic
from k360scrape.errors import FetchError, HTTPStatusError, StoreError
from k360scrape.models import FetchResult, Pdf
from k360scrape.protocols import FetcherLike

_T = TypeVar("_T")

FILES_DIR = "files"
DEFAULT_NAME = "file"
PDF_SUFFIX = ".pdf"
TEXT_SUFFIX = ".txt"

_EOF_WINDOW = 1024  # PDF readers look for %%EOF within the last kilobyte
_DIRECTORY_SEPARATORS = re.compile(r"[/\\]")
_WINDOWS_ILLEGAL = re.compile(r'[<>:"|?*]')
# C0, DEL, C1 controls; bidi controls, which can disguise an extension ("…\u202efdp.exe");
# lone surrogates, which UTF-8 cannot encode.
_CONTROLS = re.compile(
    "[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_DOTS = re.compile(r"\.{2,}")
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{device}{n}" for device in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]]
)


@dataclass(frozen=True)
class PdfInfo:
    """What pypdf could tell about a body; `error` says why `is_pdf` is False."""

    is_pdf: bool
    page_count: int | None = None
    title: str | None = None
    author: str | None = None
    created: str | None = None
    error: str | None = None


# --------------------------------------------------------------------------- names


def safe_filename(name: str, *, max_length: int = 120) -> str:
    """A file name that is safe on every file system, ends in `.pdf` and keeps umlauts.

    `max_length` counts UTF-8 bytes, extension included.

    >>> safe_filename("../../Programm: Freitag?.PDF")
    'Programm Freitag.PDF'
    """
    if max_length < len(PDF_SUFFIX) + 1:
        raise ValueError(f"max_length {max_length} leaves no room for a name")
    name = _DIRECTORY_SEPARATORS.split(unicodedata.normalize("NFC", name))[-1]
    name = _WINDOWS_ILLEGAL.sub("", _CONTROLS.sub("", name))
    name = _DOTS.sub(".", " ".join(name.split())).strip(". ")
    stem, suffix = _split_pdf_suffix(name)
    budget = max_length - len(suffix.encode("utf-8"))
    stem = _fit(stem, budget) or _fit(DEFAULT_NAME, budget)
    if stem.split(".")[0].rstrip().upper() in _WINDOWS_RESERVED:
        stem = _fit("_" + stem, budget)
    return stem + suffix


def _split_pdf_suffix(name: str) -> tuple[str, str]:
    """Stem and extension, keeping the site's `.PDF` spelling; `.pdf` if it had none."""
    if name.lower().endswith(PDF_SUFFIX):
        return name[: -len(PDF_SUFFIX)], name[-len(PDF_SUFFIX) :]
    return name, PDF_SUFFIX


def _fit(stem: str, max_bytes: int) -> str:
    """Cut whole characters off the end until the UTF-8 form fits; no trailing dots/spaces."""
    encoded = stem.encode("utf-8")[:max_bytes]
    # Dropping an incomplete trailing sequence never splits a character.
    return encoded.decode("utf-8", errors="ignore").rstrip(". ")


# --------------------------------------------------------------------------- inspection


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Keep pypdf's warnings and log lines about broken files out of the user's terminal.

    A broken PDF is an expected input here, reported through `PdfInfo.error`. The logger
    level is process-wide, so it is restored afterwards.
    """
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def inspect_pdf(body: bytes) -> PdfInfo:
    """Is this a complete PDF, and what do its pages and metadata say? Never raises."""
    problem = _not_a_pdf(body)
    if problem:
        return PdfInfo(is_pdf=False, error=problem)
    with _quiet_pypdf():
        reader = _pypdf(lambda: _reader(body))
        if reader is None:
            return PdfInfo(is_pdf=True, error="encrypted PDF: pages and metadata need a password")
        if isinstance(reader, Exception):
            return _unreadable(reader)
        pages = _pypdf(lambda: len(reader.pages))
        if isinstance(pages, Exception):
            return _unreadable(pages)
        return PdfInfo(is_pdf=True, page_count=pages, **_metadata(reader))


def _unreadable(exc: Exception) -> PdfInfo:
    return PdfInfo(is_pdf=False, error=f"unreadable PDF: {_describe(exc)}")


def _pypdf(call: Callable[[], _T]) -> _T | Exception:
    """Run a pypdf call; what it raises becomes the return value.

    On broken files pypdf raises many unrelated types (PdfReadError, KeyError, TypeError,
    RecursionError …); a bad download must end up in `Pdf.error`, never stop the crawl.
    """
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - see the docstring
        return exc


def _reader(body: bytes) -> PdfReader | None:
    """An open reader, or None for a PDF that needs a password."""
    reader = PdfReader(io.BytesIO(body))
    if not reader.is_encrypted:
        return reader
    # Many PDFs are "encrypted" with an empty user password only to set permissions; an
    # exception here is e.g. AES without pypdf's optional crypto library.
    unlocked = _pypdf(lambda: reader.decrypt(""))
    return None if isinstance(unlocked, Exception) or not unlocked else reader


def _not_a_pdf(body: bytes) -> str | None:
    if not body.startswith(b"%PDF-"):
        return f"not a PDF (starts with {_preview(body)})" if body else "empty body"
    if b"%%EOF" not in body[-_EOF_WINDOW:]:
        return "truncated PDF (no %%EOF at the end)"
    return None


def _preview(body: bytes, length: int = 15) -> str:
    text = body[:length].decode("utf-8", errors="replace")
    text = " ".join(_CONTROLS.sub(" ", text).split())
    return text + ("…" if len(body) > length else "")


def _metadata(reader: PdfReader) -> dict[str, str | None]:
    """Title, author and creation date, each read on its own: broken metadata is common."""
    meta = _pypdf(lambda: reader.metadata)
    if meta is None or isinstance(meta, Exception):
        return {"title": None, "author": None, "created": None}
    return {
        "title": _or_none(_pypdf(lambda: _clean(meta.title))),
        "author": _or_none(_pypdf(lambda: _clean(meta.author))),
        "created": _or_none(_pypdf(lambda: _iso(meta.creation_date))),
    }


def _or_none(value: str | Exception | None) -> str | None:
    return None if isinstance(value, Exception) else value


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(_CONTROLS.sub(" ", value).split()) or None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def extract_text(body: bytes) -> str:
    """The text of every page, pages separated by a form feed (as pdftotext does)."""
    if _not_a_pdf(body):
        return ""
    with _quiet_pypdf():
        reader = _pypdf(lambda: _reader(body))
        pages = _pypdf(lambda: list(reader.pages)) if isinstance(reader, PdfReader) else []
        if isinstance(pages, Exception):
            return ""
        # One unreadable page should not lose the others.
        return "\f".join(_or_none(_pypdf(page.extract_text)) or "" for page in pages)


# --------------------------------------------------------------------------- storage


def store_file(body: bytes, name: str, files_dir: Path) -> Path:
    """Store `body` as `files_dir/<sha256[:16]>/<safe_filename(name)>`; idempotent."""
    return _store(body, safe_filename(name), files_dir)


def _store(body: bytes, filename: str, files_dir: Path) -> Path:
    digest = hashlib.sha256(body).hexdigest()
    folder = files_dir / digest[:16]
    target = folder / filename
    folder.mkdir(parents=True, exist_ok=True)
    _check_inside(target, files_dir)
    if target.exists():
        if hashlib.sha256(target.read_bytes()).hexdigest() == digest:
            return target  # already there: no rewrite, same path
        raise StoreError(f"{target} exists with other content; not overwritten")
    write_bytes_atomic(target, body)
    return target


def _check_inside(target: Path, files_dir: Path) -> None:
    # The name is already safe; this also catches a symlinked folder pointing elsewhere.
    if not target.resolve().is_relative_to(files_dir.resolve()):
        raise StoreError(f"refusing to write {target}: outside {files_dir}")


# --------------------------------------------------------------------------- downloads


def download_pdfs(
    pdfs: Iterable[Pdf],
    fetcher: FetcherLike,
    out_dir: Path,
    *,
    max_bytes: int,
    text: bool,
    cache: dict[str, Pdf] | None = None,
) -> tuple[Pdf, ...]:
    """Fetch, store and inspect each PDF; return the filled-in models in the same order.

    `cache` (canonical URL → finished `Pdf`) makes a file listed by several posts one
    request per crawl; failures are cached too, so a broken link is asked for once.
    """
    cache = {} if cache is None else cache
    done: list[Pdf] = []
    for pdf in pdfs:
        if pdf.url not in cache:
            cache[pdf.url] = _download(pdf, fetcher, out_dir, max_bytes=max_bytes, text=text)
        # The link text belongs to this post; the download facts are shared.
        done.append(cache[pdf.url].model_copy(update={"name": pdf.name}))
    return tuple(done)


def _download(pdf: Pdf, fetcher: FetcherLike, out_dir: Path, *, max_bytes: int, text: bool) -> Pdf:
    try:
        result = fetcher.fetch(pdf.url, kind="pdf", max_bytes=max_bytes)
    except FetchError as exc:
        status = exc.status if isinstance(exc, HTTPStatusError) else None
        return pdf.model_copy(update={"http_status": status, "error": _describe(exc)})
    facts: dict[str, object] = {
        "http_status": result.status,
        "content_type": result.header("content-type"),
    }
    if result.status != 200:
        return pdf.model_copy(update={**facts, "error": f"HTTP {result.status}"})
    try:
        facts.update(_keep(pdf.name, result, out_dir, text=text))
    except (OSError, StoreError) as exc:
        facts["error"] = f"could not store: {_describe(exc)}"
    return pdf.model_copy(update=facts)


def _keep(name: str, result: FetchResult, out_dir: Path, *, text: bool) -> dict[str, object]:
    """Store the body (and its text) and describe it in `Pdf` fields."""
    body = result.body
    info = inspect_pdf(body)
    files_dir = out_dir / FILES_DIR
    path = _store(body, _evidence_name(name, body, result), files_dir)
    facts: dict[str, object] = {
        "sha256": hashlib.sha256(body).hexdigest(),
        "bytes": len(body),
        "is_pdf": info.is_pdf,
        "page_count": info.page_count,
        "pdf_title": info.title,
        "pdf_author": info.author,
        "pdf_created": info.created,
        "path": path.relative_to(out_dir).as_posix(),
        "error": info.error,
    }
    if text and info.is_pdf:
        text_file = path.with_name(path.name + TEXT_SUFFIX)
        _store_text(extract_text(body), text_file)
        facts["text_path"] = text_file.relative_to(out_dir).as_posix()
    return facts


def _evidence_name(name: str, body: bytes, result: FetchResult) -> str:
    """`x.pdf` for anything that claims to be a PDF; a non-PDF must not look like one."""
    filename = safe_filename(name)
    if body.startswith(b"%PDF-"):
        return filename
    content_type = (result.header("content-type") or "").lower()
    looks_html = "html" in content_type or body.lstrip()[:1] == b"<"
    return filename + (".html" if looks_html else ".bin")


def _store_text(content: str, target: Path) -> None:
    data = content.encode("utf-8")
    if target.exists() and target.read_bytes() == data:
        return
    write_bytes_atomic(target, data)
