"""Render the fixture site's content into markup variants that `fixtures/` does not use.

The content is the same as the fixture site's (`fixtures/source/site.toml` and
`content/<slug>.html`), so `fixtures/expected/` still says what a crawl must find; only the
markup around and inside the posts differs. Each variant is built in memory in a few
milliseconds and written to a temporary folder at test time (nothing generated is committed).
Section letters refer to /work/shared/reference/site-and-markup.md.

- ``genesis312-classic``: a plain Genesis 3.1.2 child theme (B1, B2, B3a, B4a) with
  microdata, so every `time.entry-time` has a `datetime`; the German date line "29. November
  2022 von <author>" with every author linked to an author archive and a comments link;
  `div.archive-description` with the heading and an intro paragraph; a sidebar "Featured
  Posts" widget that prints `article.entry` outside `main`; `footer.entry-footer` with
  categories and tags; 3.1.2 numeric pagination („« Previous Page“, „Page “ spans,
  `li.pagination-omission`, `<a href="…" >`); titles run through wptexturize (`&#8211;`,
  `&#038;`, `&nbsp;` runs). Post bodies as the classic editor stores them (B6b, B6c): `<h3>`
  without classes, "Zu den Mitwirkenden" as a bold paragraph in some posts, contributor names
  in `<b>` or plain, "Name<br />(Affiliation)" in some (the form of the site's 2024 page, A1),
  PDFs as inline `<a href="….pdf">` paragraphs (no File blocks; adjacent files share one
  paragraph, split by `<br />`), `[caption]` output in both forms (HTML5 `figure.wp-caption`,
  older `div.wp-caption > p.wp-caption-text`), empty `<p>&nbsp;</p>` paragraphs,
  texturized punctuation and `&nbsp;` runs. Full content on the archive pages, except two
  posts cut by `<!--more-->` (teaser + `a.more-link`, B5) that must be completed from their
  single pages.
- ``mai-prevnext-excerpt``: Mai Engine archives (B3b) in content-limit mode: every entry is
  `div.entry-excerpt > <p>… &#x02026; <a class="more-link">Weiterlesen</a></p>` (B5), so every
  record must come from the single pages, which use another layout again:
  `header.entry-header > h1.entry-title` (in some posts the title is only in Mai's page
  header, outside `main`), the blog date line "DD.MM.YYYY | Blogbeitrag von <author>" (A3),
  File blocks of the middle form (B6a: `id`/`aria-describedby`, name link with
  `target="_blank"`, in some to the attachment page, button „PDF öffnen“, no
  `wp-element-button`), `<object>` previews, headings and captions without their newer block
  classes, lazy-loaded images (placeholder `src`, `data-lazy-src`, `<noscript>`), some bodies
  in a group block, an adjacent-post navigation (`div.pagination-next`) and a related-posts
  grid of `article.entry` after the post. Archive dates as "2. Dezember 2022" without
  `datetime`; root-relative title and pagination links. Pagination in prev/next mode
  (`div.archive-pagination-prev-next`, `div.pagination-previous/next`) with `link rel=prev/
  next` in the head; Mittwoch has no pagination block at all, only the head links (an Ajax
  "load more" button replaces it); Donnerstag pages by query string (`?paged=2`), the others
  by path (`/page/2/`). The day heading is a hidden page-header title on Donnerstag and absent
  on Mittwoch and Freitag (the day then comes from the URL).
- ``genesis-jsonld-excerpts``: a Genesis ≥ 3.2 child theme behind an SEO plugin's JSON-LD (no
  microdata, so no `datetime`: dates only as "29.11.2022"), authors linked or not, no archive
  heading at all (B2), the newer numeric pagination (B4b: `role="navigation"`, „Go to page“
  spans, the omission's screen-reader text) with the child theme's labels „Zurück“ / „Weiter“,
  and Theme Settings → Content Archives set to "Entry excerpts" (B5): `div.entry-content >
  <p>` with WordPress's automatic 55-word excerpt, " [&hellip;]" only where it cut, no more
  link, no File blocks or images. Short posts are printed whole as one paragraph with their
  headings run into the text. The single pages carry the block-editor content.

The variants paginate differently from the fixture site and from each other (`PER_PAGE`),
list each post once per archive, and ship a WordPress robots.txt that disallows the single
page of `interne-vorbesprechung` (so in the excerpt variants only its excerpt can be kept).

`FixtureServer` serves by path and ignores query strings, so the `?paged=N` pages are not
files: they are in `VariantSite.query_pages` for the test to serve.

    python tests/variant_sites/build_variants.py OUT_DIR [--variant NAME]
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import tomllib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "fixtures" / "source"
FIXTURE_HOST = REPO / "fixtures" / "site" / "www.kommune360.de"
HOST_DIR = "www.kommune360.de"
ORIGIN = "https://www.kommune360.de"

GENESIS = "genesis312-classic"
MAI = "mai-prevnext-excerpt"
GENESIS_EXCERPTS = "genesis-jsonld-excerpts"
VARIANTS: tuple[str, ...] = (GENESIS, MAI, GENESIS_EXCERPTS)

# Entries per archive page, per variant and archive (the fixture site has 4 / 4 / 9).
PER_PAGE: Mapping[str, Mapping[str, int]] = {
    GENESIS: {"mittwoch": 4, "donnerstag": 3, "freitag": 3},
    MAI: {"mittwoch": 2, "donnerstag": 3, "freitag": 5},
    GENESIS_EXCERPTS: {"mittwoch": 4, "donnerstag": 5, "freitag": 6},
}
QUERY_PAGING: Mapping[str, frozenset[str]] = {
    GENESIS: frozenset(),
    MAI: frozenset({"donnerstag"}),
    GENESIS_EXCERPTS: frozenset(),
}
EXCERPT_WORDS = 55  # WordPress's default excerpt_length

MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
    "Oktober", "November", "Dezember",
)  # fmt: skip
# Genesis variant: posts split by `<!--more-->`, so their archive entry is a teaser.
MORE_TAG = frozenset(
    {
        "loop-approach-ein-ansatz-zur-teamentwicklung-und-kulturveraenderung",
        "werkstatt-daten-fuer-die-sozialplanung",
    }
)
ROBOTS = (
    "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n"
    "Disallow: /programm/event/interne-vorbesprechung/\n\n"
    "Sitemap: https://kommune360.de/wp-sitemap.xml\n"
)


# --------------------------------------------------------------------------- source


@dataclass(frozen=True)
class Post:
    slug: str
    id: int
    title: str  # raw HTML as WordPress stores it (entities, U+00A0)
    date: str  # the date text shown on the fixture site
    datetime: str | None
    author: str
    author_slug: str
    content: str  # inner HTML of div.entry-content (block editor markup)
    days: tuple[tuple[str, str], ...]  # (day, archive slug) of every archive listing it

    @property
    def url(self) -> str:
        return f"{ORIGIN}/programm/event/{self.slug}/"

    @property
    def plain_title(self) -> str:
        return html.unescape(self.title)

    @property
    def ymd(self) -> tuple[int, int, int]:
        return _ymd(self.datetime or "", self.date)


@dataclass(frozen=True)
class Archive:
    day: str
    slug: str
    listing: tuple[str, ...]  # the archive's posts in order, each once


@dataclass(frozen=True)
class Source:
    archives: tuple[Archive, ...]
    posts: Mapping[str, Post]


def load_source(source: Path = SOURCE) -> Source:
    """The fixture site's archives and posts, read from `site.toml` and `content/`."""
    data = tomllib.loads((source / "site.toml").read_text(encoding="utf-8"))
    archives = tuple(
        Archive(a["day"], a["slug"], tuple(dict.fromkeys(s for page in a["pages"] for s in page)))
        for a in data["archives"]
    )
    days: dict[str, list[tuple[str, str]]] = {}
    for archive in archives:
        for slug in archive.listing:
            days.setdefault(slug, []).append((archive.day, archive.slug))
    posts = {
        slug: _post(source, slug, fields, data["authors"], tuple(days.get(slug, ())))
        for slug, fields in data["posts"].items()
    }
    return Source(archives, posts)


def _post(
    source: Path,
    slug: str,
    fields: Mapping[str, object],
    authors: Mapping[str, str],
    days: tuple[tuple[str, str], ...],
) -> Post:
    content = source / "content" / f"{slug}.html"
    author = str(fields["author"])
    return Post(
        slug=slug,
        id=int(str(fields["id"])),
        title=str(fields["title"]),
        date=str(fields["date"]),
        datetime=str(fields["datetime"]) if "datetime" in fields else None,
        author=author,
        author_slug=authors.get(author) or _slugify(author),
        content=content.read_text(encoding="utf-8") if content.exists() else "",
        days=days,
    )


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _ymd(iso: str, text: str) -> tuple[int, int, int]:
    if match := re.match(r"(\d{4})-(\d{2})-(\d{2})", iso):
        return int(match[1]), int(match[2]), int(match[3])
    if match := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text):
        return int(match[3]), int(match[2]), int(match[1])
    if match := re.fullmatch(r"(\d{1,2})\. (\w+) (\d{4})", text):
        return int(match[3]), MONTHS.index(match[2]) + 1, int(match[1])
    raise ValueError(f"unknown date form {text!r}")


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class DayLayout:
    """One day archive as a variant paginates it."""

    day: str
    slug: str
    pages: tuple[tuple[str, ...], ...]
    query_paging: bool

    def page_path(self, number: int) -> str:
        base = f"/programm/tag/{self.slug}/"
        if number == 1:
            return base
        return f"{base}?paged={number}" if self.query_paging else f"{base}page/{number}/"

    def page_url(self, number: int) -> str:
        return ORIGIN + self.page_path(number)


def layout(variant: str, source: Source | None = None) -> tuple[DayLayout, ...]:
    """The day archives of `variant`, in crawl order, with the posts of each page."""
    source = source or load_source()
    per_page, query = PER_PAGE[variant], QUERY_PAGING[variant]
    return tuple(
        DayLayout(a.day, a.slug, _chunks(a.listing, per_page[a.slug]), a.slug in query)
        for a in source.archives
    )


def _chunks(items: tuple[str, ...], size: int) -> tuple[tuple[str, ...], ...]:
    return tuple(items[start : start + size] for start in range(0, len(items), size))


# --------------------------------------------------------------------------- output


@dataclass
class VariantSite:
    """A built variant: files by URL path, the query-string pages, and its layout."""

    name: str
    layout: tuple[DayLayout, ...]
    files: dict[str, str] = field(default_factory=dict)  # "/a/b/" or "/robots.txt" → text
    query_pages: dict[str, str] = field(default_factory=dict)  # "/a/?paged=2" → HTML

    def add(self, path: str, text: str) -> None:
        target = self.query_pages if "?" in path else self.files
        target[path] = text

    def write(self, root: Path) -> Path:
        """Write the files and the fixture site's PDFs under `root/<host>/`; return `root`."""
        host = root / HOST_DIR
        for path, text in self.files.items():
            target = host / _file_for(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        for pdf in sorted(FIXTURE_HOST.rglob("*.pdf")):
            target = host / pdf.relative_to(FIXTURE_HOST)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pdf, target)
        return root


def _file_for(path: str) -> PurePosixPath:
    relative = PurePosixPath(path.lstrip("/"))
    return relative / "index.html" if path.endswith("/") else relative


def build(variant: str, source: Source | None = None) -> VariantSite:
    """Build `variant` (one of `VARIANTS`) from the fixture source."""
    source = source or load_source()
    site = VariantSite(variant, layout(variant, source))
    site.add("/robots.txt", ROBOTS)
    theme = THEMES[variant]
    for day in site.layout:
        for number in range(1, len(day.pages) + 1):
            site.add(day.page_path(number), theme.archive(day, number, source))
    for post in source.posts.values():
        if post.days:
            site.add(f"/programm/event/{post.slug}/", theme.single(post, source))
    return site


@dataclass(frozen=True)
class Theme:
    archive: Callable[[DayLayout, int, Source], str]
    single: Callable[[Post, Source], str]


# --------------------------------------------------------------------------- shared helpers

_FILE_BLOCK = re.compile(r'<div[^>]*\bclass="wp-block-file"[^>]*>(.*?)</div>', re.DOTALL)
_FILE_RUN = re.compile(rf"(?:{_FILE_BLOCK.pattern}\s*)+", re.DOTALL)
_ANCHOR = re.compile(r"<a ([^>]*)>(.*?)</a>", re.DOTALL)
_FIGURE = re.compile(r"<figure\b[^>]*>(.*?)</figure>", re.DOTALL)
_IMG = re.compile(r"<img\b[^>]*?/?>")
_HREF = re.compile(r'\bhref="([^"]*)"')
_HEADING = re.compile(r"<(/?)h[1-6]\b[^>]*>")
_STRONG = re.compile(r"<(/?)strong>")
_TEXT = re.compile(r"(?<=>)[^<]+")

_TEXTURIZE = str.maketrans(
    {"–": "&#8211;", "—": "&#8212;", "„": "&#8222;", "“": "&#8220;", "”": "&#8221;",
     "‚": "&#8218;", "‘": "&#8216;", "’": "&#8217;", "…": "&#8230;"}
)  # fmt: skip


@dataclass(frozen=True)
class FileLink:
    """A File block's file: the name link's text (HTML), URL and whether it had a preview."""

    name: str
    href: str
    preview: bool


def file_links(run: str) -> list[FileLink]:
    links = []
    for block in _FILE_BLOCK.finditer(run):
        inner = block.group(1)
        name_link = next(a for a in _ANCHOR.finditer(inner) if "__button" not in a.group(1))
        href = _HREF.search(name_link.group(1))
        assert href is not None, inner
        links.append(FileLink(name_link.group(2), href.group(1), "<object" in inner))
    return links


@dataclass(frozen=True)
class Picture:
    """An image with its caption, read from an Image block or a `[caption]` figure."""

    attachment: str
    width: int
    img: str  # the <img> tag as stored
    link: str | None  # href of a link around the image
    caption: str  # inner HTML

    @classmethod
    def parse(cls, figure: str) -> Picture:
        img = _IMG.search(figure)
        caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", figure, re.DOTALL)
        assert img is not None, figure
        assert caption is not None, figure
        attachment = re.search(r"wp-image-(\d+)", img.group())
        width = re.search(r'\bwidth="(\d+)"', img.group())
        link = re.search(r'<a href="([^"]*)"', figure)
        return cls(
            attachment=attachment.group(1) if attachment else "0",
            width=int(width.group(1)) if width else 1024,
            img=img.group(),
            link=link.group(1) if link else None,
            caption=caption.group(1),
        )

    def image(self, extra: str = "") -> str:
        img = self.img.replace("<img ", f"<img {extra}", 1) if extra else self.img
        return f'<a href="{self.link}">{img}</a>' if self.link else img


def texturize(markup: str) -> str:
    """wptexturize's entities for the typographic characters in text (not in tags)."""
    return _TEXT.sub(lambda m: m.group().translate(_TEXTURIZE), markup)


def german_date(post: Post) -> str:
    year, month, day = post.ymd
    return f"{day}. {MONTHS[month - 1]} {year}"


def numeric_date(post: Post) -> str:
    year, month, day = post.ymd
    return f"{day:02d}.{month:02d}.{year}"


def iso_datetime(post: Post) -> str:
    """The post's `datetime`, or one made from its date (microdata prints it for every post)."""
    year, month, day = post.ymd
    return post.datetime or f"{year:04d}-{month:02d}-{day:02d}T12:00:00+01:00"


def relative(url: str) -> str:
    """A root-relative URL, as themes using `wp_make_link_relative()` print them."""
    return url.removeprefix(ORIGIN)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def media_id(href: str) -> str:
    return f"wp-block-file--media-{uuid.uuid5(uuid.NAMESPACE_URL, href)}"


def listing_classes(post: Post) -> str:
    terms = " ".join(f"programm_tag-{slug}" for _, slug in post.days)
    return f"post-{post.id} programm type-programm status-publish {terms}"


def page_title(day: DayLayout, number: int) -> str:
    if number == 1:
        return f"{day.day} Archive &#8211; Kommune 360°"
    return f"{day.day} Archive &#8211; Seite {number} von {len(day.pages)} &#8211; Kommune 360°"


def document(*, comment: str, head: str, body_attributes: str, body: str) -> str:
    return (
        f"<!DOCTYPE html>\n<!-- SYNTHETIC: {comment} (tests/variant_sites/build_variants.py) -->\n"
        '<html lang="de-DE">\n<head>\n<meta charset="UTF-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"{head}</head>\n<body {body_attributes}>\n{body}</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- Genesis


@dataclass(frozen=True)
class GenesisStyle:
    """How a plain Genesis child theme is set up (site-and-markup.md B1–B5)."""

    name: str
    microdata: bool  # False: an SEO plugin outputs JSON-LD, so no itemprop and no datetime
    excerpts: bool  # Theme Settings → Content Archives → "Entry excerpts" instead of content
    archive_heading: bool  # the a11y "headings" support prints the term name as heading
    newer: bool  # Genesis ≥ 3.2 pagination (B4b) with the child theme's own labels

    def schema(self, kind: str) -> str:
        return f' itemscope itemtype="https://schema.org/{kind}"' if self.microdata else ""

    def prop(self, name: str) -> str:
        return f' itemprop="{name}"' if self.microdata else ""


CLASSIC_STYLE = GenesisStyle(
    GENESIS, microdata=True, excerpts=False, archive_heading=True, newer=False
)
EXCERPT_STYLE = GenesisStyle(
    GENESIS_EXCERPTS, microdata=False, excerpts=True, archive_heading=False, newer=True
)


def _g_skip_links() -> str:
    links = (
        ("genesis-nav-primary", "Skip to primary navigation"),
        ("genesis-content", "Skip to main content"),
        ("genesis-sidebar-primary", "Skip to primary sidebar"),
    )
    items = "".join(
        f'<li><a href="#{key}" class="screen-reader-shortcut"> {text}</a></li>'
        for key, text in links
    )
    return f'<ul class="genesis-skip-link">{items}</ul>'


def _g_header(style: GenesisStyle) -> str:
    menu = "".join(
        f'<li class="menu-item"><a href="{ORIGIN}/{path}/"{style.prop("url")}><span'
        f"{style.prop('name')}>{label}</span></a></li>"
        for label, path in (
            ("Die Initiative", "die-initiative"),
            ("Was wir tun", "was-wir-tun"),
            ("Unser Blog", "blog"),
            ("Podcast", "podcast"),
            ("Netzwerk", "netzwerk"),
        )
    )
    return (
        f'<header class="site-header"{style.schema("WPHeader")}><div class="wrap">'
        f'<div class="title-area"><p class="site-title"{style.prop("headline")}>'
        f'<a href="{ORIGIN}/">Kommune 360°</a></p><p class="site-description"'
        f"{style.prop('description')}>Kooperatives Verwaltungshandeln für gelingendes Aufwachsen"
        "</p></div></div></header>\n"
        f'<nav class="nav-primary" aria-label="Main"{style.schema("SiteNavigationElement")} '
        'id="genesis-nav-primary"><div class="wrap"><ul id="menu-haupt" '
        f'class="menu genesis-nav-menu menu-primary">{menu}</ul></div></nav>\n'
    )


def _g_sidebar(source: Source, style: GenesisStyle) -> str:
    """A "Featured Posts" widget (it prints `article.entry`) and a recent-posts list."""
    featured = source.posts["inspiration-fuer-die-ohren-der-kommunen-podcast"]
    recent = "".join(
        f'<li><a href="{post.url}">{post.title}</a></li>'
        for post in list(source.posts.values())[:5]
    )
    return (
        '<aside class="sidebar sidebar-primary widget-area" role="complementary" '
        f'aria-label="Primary Sidebar"{style.schema("WPSideBar")} id="genesis-sidebar-primary">'
        '<h2 class="genesis-sidebar-title screen-reader-text">Primary Sidebar</h2>\n'
        '<section id="featured-post-2" class="widget featured-content featuredpost">'
        '<div class="widget-wrap"><h3 class="widgettitle widget-title">Im Fokus</h3>\n'
        f'<article class="{listing_classes(featured)} entry"{style.schema("CreativeWork")}>'
        f'<header class="entry-header"><h4 class="entry-title"{style.prop("headline")}>'
        f'<a href="{featured.url}">{featured.title}</a></h4><p class="entry-meta">'
        f"{_g_time(featured, style)}</p></header></article>\n</div></section>\n"
        '<section id="recent-posts-2" class="widget widget_recent_entries">'
        '<div class="widget-wrap">'
        f'<h3 class="widgettitle widget-title">Neueste Beiträge</h3>\n<ul>{recent}</ul>'
        "</div></section>\n</aside>\n"
    )


def _g_footer(style: GenesisStyle) -> str:
    return (
        f'<footer class="site-footer"{style.schema("WPFooter")}><div class="wrap">'
        f'<p>Copyright &#x000A9;&nbsp;2023 · <a href="{ORIGIN}/impressum/">Impressum</a> · '
        f'<a href="{ORIGIN}/wp-login.php">Anmelden</a></p></div></footer>\n'
    )


def _g_page(
    style: GenesisStyle, *, title: str, body_class: str, main: str, source: Source, head: str = ""
) -> str:
    return document(
        comment=f"{style.name} variant of the fixture site",
        head=f"<title>{title}</title>\n{head}",
        body_attributes=f'class="{body_class} header-full-width content-sidebar"'
        f"{style.schema('WebPage')}",
        body=(
            f'<div class="site-container">{_g_skip_links()}{_g_header(style)}'
            '<div class="site-inner"><div class="content-sidebar-wrap">'
            f'<main class="content" id="genesis-content">\n{main}</main>'
            f"{_g_sidebar(source, style)}</div></div>\n{_g_footer(style)}</div>\n"
        ),
    )


def wptexturize_title(title: str) -> str:
    """A title as Genesis prints it: wptexturize entities, `&#038;`, `&nbsp;` after colons."""
    text = html.escape(html.unescape(title), quote=False).replace("&amp;", "&#038;")
    return text.translate(_TEXTURIZE).replace("\u00a0", "&nbsp;").replace(": ", ":&nbsp;&nbsp;")


def _g_time(post: Post, style: GenesisStyle) -> str:
    if style.microdata:  # the schema filters add `datetime` together with `itemprop`
        return (
            f'<time class="entry-time" itemprop="datePublished" datetime="{iso_datetime(post)}">'
            f"{german_date(post)}</time>"
        )
    return f'<time class="entry-time">{numeric_date(post)}</time>'


def _g_meta(post: Post, style: GenesisStyle) -> str:
    name = f'<span class="entry-author-name"{style.prop("name")}>{post.author}</span>'
    if style.microdata or post.id % 2:  # linked to the author archive, or not
        name = (
            f'<a href="{ORIGIN}/author/{post.author_slug}/" class="entry-author-link" rel="author"'
            f"{style.prop('url')}>{name}</a>"
        )
    author = (
        f'<span class="entry-author"{style.prop("author")}{style.schema("Person")}>{name}</span>'
    )
    comments = (
        f'<span class="entry-comments-link"><a href="{post.url}#respond">Schreibe einen '
        "Kommentar</a></span> "
        if post.id % 3
        else ""
    )
    return f'<p class="entry-meta">{_g_time(post, style)} von {author} {comments}</p>'


def _g_entry_footer(post: Post) -> str:
    tags = ", ".join(
        f'<a href="{ORIGIN}/programm/tag/{slug}/" rel="tag">{day}</a>' for day, slug in post.days
    )
    return (
        '<footer class="entry-footer"><p class="entry-meta"><span class="entry-categories">'
        f'Kategorie: <a href="{ORIGIN}/category/festival-2022/" rel="category tag">Festival 2022'
        f'</a></span> <span class="entry-tags">Schlagwörter: {tags}</span></p></footer>'
    )


def _g_article(post: Post, style: GenesisStyle, *, single: bool) -> str:
    title = wptexturize_title(post.title)
    headline = style.prop("headline")
    heading = (
        f'<h1 class="entry-title"{headline}>{title}</h1>'
        if single
        else f'<h2 class="entry-title"{headline}><a class="entry-title-link" '
        f'rel="bookmark" href="{post.url}">{title}</a></h2>'
    )
    return (
        f'<article class="{listing_classes(post)} entry"{style.schema("CreativeWork")}>'
        f'<header class="entry-header">{heading}\n{_g_meta(post, style)}</header>'
        f'<div class="entry-content"{style.prop("text")}>{_g_body(post, style, single=single)}'
        f"</div>{_g_entry_footer(post)}</article>\n"
    )


def _g_body(post: Post, style: GenesisStyle, *, single: bool) -> str:
    if style.excerpts:  # the block-editor content as stored; its automatic excerpt on archives
        return f"\n{post.content}" if single and post.content else wp_excerpt(post)
    body = classic_content(post)
    return _more_tag(post, body, single=single) if post.slug in MORE_TAG else body


def wp_excerpt(post: Post) -> str:
    """`the_excerpt()` of a post without a manual excerpt (B5): `wp_trim_excerpt()` drops the
    File and Image blocks and the tags, keeps 55 words and adds " [&hellip;]" only when it
    cut something; `wpautop()` makes one paragraph of it."""
    text = _FIGURE.sub(" ", _FILE_BLOCK.sub(" ", post.content))
    words = re.split(r"[\n\r\t ]+", re.sub(r"<[^>]+>", "", text).strip())
    if words == [""]:
        return ""
    if len(words) <= EXCERPT_WORDS:
        return f"<p>{' '.join(words)}</p>\n"
    return f"<p>{' '.join(words[:EXCERPT_WORDS])} [&hellip;]</p>\n"


def _more_tag(post: Post, body: str, *, single: bool) -> str:
    """A post split by `<!--more-->` after its first paragraph (B5, "full" content mode).

    The archive shows the teaser and WordPress's more link (Genesis's a11y label); the single
    page shows everything, with the `span#more-<id>` anchor where the tag was.
    """
    cut = body.index("</p>\n") + len("</p>\n")  # after the first paragraph (not a caption's)
    if single:
        return f'{body[:cut]}<p><span id="more-{post.id}"></span></p>\n{body[cut:]}'
    more = (
        f'<p> <a href="{post.url}#more-{post.id}" class="more-link">[Weiterlesen&#8230;]'
        f'<span class="screen-reader-text">über {wptexturize_title(post.title)}</span></a></p>\n'
    )
    return body[:cut] + more


def classic_content(post: Post) -> str:
    """The post body as the classic editor stores it, rendered by wpautop and `[caption]`."""
    markup = _FILE_RUN.sub(
        lambda m: _pdf_paragraph(file_links(m.group()), post) + "\n", post.content
    )
    markup = _FIGURE.sub(
        lambda m: _caption(Picture.parse(m.group()), html5=post.id % 2 == 0), markup
    )
    markup = _HEADING.sub(lambda m: f"<{m.group(1)}h3>", markup)
    bold = post.id % 4 < 2  # names in <b> in some posts, plain in the others
    markup = _STRONG.sub(lambda m: f"<{m.group(1)}b>" if bold else "", markup)
    markup = re.sub(r"\. (?=[A-ZÄÖÜ])", ".&nbsp; ", markup, count=3)  # double spaces typed
    markup = _TEXT.sub(lambda m: m.group().replace(" (", "&nbsp;("), markup)  # name&nbsp;(…)
    markup = markup.replace("<h3>Zu den Mitwirkenden", "<p>&nbsp;</p>\n<h3>Zu den Mitwirkenden")
    if post.id % 2:
        markup = _affiliation_on_next_line(markup)
    if post.id % 3 == 0:  # a bold paragraph instead of a heading
        markup = re.sub(
            r"<h3>(Zu den Mitwirkenden[^<]*)</h3>", r"<p><strong>\1</strong></p>", markup
        )
    markup = texturize(markup).replace("\n\n", "\n")
    return f"\n{markup}" if markup else ""


def _affiliation_on_next_line(markup: str) -> str:
    """ "Name<br />(Affiliation)" in the contributors section, as on the site's 2024 page (A1)."""
    head, heading, tail = markup.partition("Zu den Mitwirkenden")
    tail = re.sub(r"(<p>(?:<b>)?[^(<]{1,60}(?:</b>)?)&nbsp;\(", r"\1<br />\n(", tail)
    return head + heading + tail


def _pdf_paragraph(links: Iterable[FileLink], post: Post) -> str:
    blank = ' target="_blank" rel="noopener"' if post.id % 2 else ""
    return (
        "<p>" + "<br />\n".join(f'<a href="{f.href}"{blank}>{f.name}</a>' for f in links) + "</p>"
    )


def _caption(picture: Picture, *, html5: bool) -> str:
    """WordPress's `img_caption_shortcode()` output, with and without HTML5 caption support."""
    key = f"attachment_{picture.attachment}"
    described = f"caption-attachment-{picture.attachment}"
    if html5:
        return (
            f'<figure id="{key}" aria-describedby="{described}" style="width: {picture.width}px" '
            f'class="wp-caption aligncenter">{picture.image()}<figcaption id="{described}" '
            f'class="wp-caption-text">{picture.caption}</figcaption></figure>'
        )
    return (
        f'<div id="{key}" style="width: {picture.width + 10}px" class="wp-caption aligncenter">'
        + picture.image(f'aria-describedby="{described}" ')
        + f'<p id="{described}" class="wp-caption-text">{picture.caption}</p></div>'
    )


def _g_pagination(day: DayLayout, paged: int, style: GenesisStyle) -> str:
    """`genesis_numeric_posts_nav()` with accessibility support: 3.1.2 (B4a) or newer (B4b)
    with the child theme's labels „Zurück“ / „Weiter“."""
    last = len(day.pages)
    if last <= 1:
        return ""  # a single-page archive has no pagination block at all
    previous, following = ("Zurück", "Weiter") if style.newer else _LABELS_312
    items = []
    if paged > 1:
        items.append(
            f'<li class="pagination-previous"><a href="{day.page_url(paged - 1)}" >{previous}'
            "</a></li>"
        )
    items += [_g_number(day, number, paged, style) for number in page_items(paged, last)]
    if paged < last:
        items.append(
            f'<li class="pagination-next"><a href="{day.page_url(paged + 1)}" >{following}</a></li>'
        )
    wrapper = ' role="navigation" aria-label="Pagination"' if style.newer else ""
    return (
        f'<div class="archive-pagination pagination"{wrapper}><ul>'
        + "\n".join(items)
        + "\n</ul></div>\n"
    )


_LABELS_312 = ("&#x000AB; Previous Page", "Next Page &#x000BB;")


def _g_number(day: DayLayout, number: int | None, paged: int, style: GenesisStyle) -> str:
    if number is None:
        if style.newer:
            return (
                '<li class="pagination-omission"><span class="screen-reader-text">Interim pages '
                "omitted</span> &#x02026;</li> "
            )
        return '<li class="pagination-omission">&#x02026;</li>'
    if style.newer:
        label = f'<span class="screen-reader-text">Go to page</span> {number}'
    else:
        label = f'<span class="screen-reader-text">Page </span>{number}'
    if number == paged:
        return (
            f'<li class="active" ><a href="{day.page_url(number)}" aria-label="Current page" '
            f'aria-current="page">{label}</a></li>'
        )
    return f'<li><a href="{day.page_url(number)}">{label}</a></li>'


def page_items(paged: int, last: int) -> list[int | None]:
    """The numbers Genesis shows: first, last, current ±2; None where pages are omitted."""
    shown = {1, last, *range(max(1, paged - 2), min(last, paged + 2) + 1)}
    items: list[int | None] = []
    for number in sorted(shown):
        if items and number - (items[-1] or 0) > 1:
            items.append(None)
        items.append(number)
    return items


def g_archive(style: GenesisStyle, day: DayLayout, paged: int, source: Source) -> str:
    posts = [source.posts[slug] for slug in day.pages[paged - 1]]
    description = (
        '<div class="archive-description taxonomy-archive-description taxonomy-description">'
        f'<h1 class="archive-title">{day.day}</h1>\n<p>Das Programm des 360°-Festivals am '
        f"{day.day} in Apolda: Workshops, Foren und Pausen. Stand: 09.12.2022.</p>\n</div>\n"
        if style.archive_heading
        else ""  # no headline, no intro text: Genesis prints no archive description (B2)
    )
    main = description + "".join(_g_article(p, style, single=False) for p in posts)
    return _g_page(
        style,
        title=page_title(day, paged),
        body_class=f"archive tax-programm_tag term-{day.slug}" + (" paged" if paged > 1 else ""),
        main=main + _g_pagination(day, paged, style),
        source=source,
    )


def g_single(style: GenesisStyle, post: Post, source: Source) -> str:
    return _g_page(
        style,
        title=f"{wptexturize_title(post.title)} &#8211; Kommune 360°",
        body_class=f"programm-template-default single single-programm postid-{post.id}",
        main=_g_article(post, style, single=True),
        source=source,
        head=f'<link rel="canonical" href="{post.url}" />\n',
    )


# --------------------------------------------------------------------------- Mai, prev/next

_CONTENT_LIMIT = 180
_PLACEHOLDER = (
    "data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'%20viewBox='0%200%201024%20683'"
    "%3E%3C/svg%3E"
)
_MAI_SKIP_LINKS = (
    '<ul class="genesis-skip-link"><li><a href="#genesis-content" class="screen-reader-shortcut">'
    ' Skip to main content</a></li><li><a href="#genesis-nav-header-right" '
    'class="screen-reader-shortcut"> Skip to header right navigation</a></li><li><a '
    'href="#site-footer" class="screen-reader-shortcut"> Skip to site footer</a></li></ul>'
)


def _m_page(*, title: str, head: str, body_class: str, before: str, main: str) -> str:
    header = (
        '<header class="site-header"><div class="site-header-wrap"><div class="header-section '
        f'header-left"><div class="title-area"><p class="site-title"><a href="{ORIGIN}/" '
        'rel="home">Kommune 360°</a></p></div></div><div class="header-section header-right">'
        '<nav class="nav-header-right" id="genesis-nav-header-right" aria-label="Header Right">'
        f'<ul class="menu genesis-nav-menu"><li class="menu-item"><a href="{ORIGIN}/magazin/" '
        'class="menu-item-link"><span >Magazin</span></a></li></ul></nav></div></div></header>\n'
    )
    footer = (
        '<footer class="site-footer" id="site-footer"><div class="site-footer-wrap"><p>'
        f'<a href="{ORIGIN}/impressum/">Impressum</a></p></div></footer>\n'
    )
    return document(
        comment=f"{MAI} variant of the fixture site",
        head=f"<title>{title}</title>\n{head}",
        body_attributes=f'class="{body_class} wp-custom-logo no-sidebar has-dark-header"',
        body=(
            f'<div class="site-container">{_MAI_SKIP_LINKS}\n{header}{before}'
            '<div class="site-inner"><div class="content-sidebar-wrap">\n'
            f'<main class="content" id="genesis-content">\n{main}</main>\n</div></div>\n'
            f"{footer}</div>\n"
        ),
    )


def _m_author(post: Post) -> str:
    name = f'<span class="entry-author-name">{post.author}</span>'
    if post.id % 3:
        name = (
            f'<a href="{ORIGIN}/author/{post.author_slug}/" class="entry-author-link" '
            f'rel="author">{name}</a>'
        )
    return name


def content_limit(post: Post, limit: int = _CONTENT_LIMIT) -> str:
    """Genesis `get_the_content_limit()`: tags stripped, cut at a space, "…" and a more link."""
    text = re.sub(r"<(script|style)\b.*?</\1>", "", post.content, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", "", text).strip()
    if len(text) > limit:
        text = text[: limit + 1]
        text = text[: max(text.rfind(" "), 0)].strip()
    more = (
        f'&#x02026; <a href="{post.url}" class="more-link">Weiterlesen<span '
        f'class="screen-reader-text"> über {post.title}</span></a>'
    )
    return f"<p>{text} {more}</p>"


def _m_entry(post: Post) -> str:
    image = _IMG.search(post.content)
    image_link = (
        f'<a class="entry-image-link entry-image-link-archive" href="{post.url}" tabindex="-1" '
        f'aria-hidden="true">{image.group()}</a>\n'
        if image
        else ""
    )
    return (
        f'<article class="entry entry-archive is-column is-item {listing_classes(post)}" '
        f'aria-label="{attr(post.plain_title)}">\n{image_link}'
        '<div class="entry-wrap entry-wrap-archive">\n<h2 class="entry-title entry-title-archive">'
        f'<a class="entry-title-link" href="{relative(post.url)}" rel="bookmark">{post.title}</a>'
        f'</h2>\n<div class="entry-meta"><time class="entry-time">{german_date(post)}</time> '
        f'<span class="entry-author">von {_m_author(post)}</span></div>\n'
        f'<div class="entry-excerpt entry-excerpt-archive">{content_limit(post)}</div>\n'
        "</div>\n</article>\n"
    )


def _m_head_links(day: DayLayout, paged: int) -> str:
    links = [f'<link rel="canonical" href="{day.page_url(paged)}" />']
    if paged > 1:
        links.append(f'<link rel="prev" href="{day.page_url(paged - 1)}" />')
    if paged < len(day.pages):
        links.append(f'<link rel="next" href="{relative(day.page_url(paged + 1))}" />')
    return "\n".join(links) + "\n"


_M_BUTTON = "pagination-link button button-small button-secondary"


def _m_pagination(day: DayLayout, paged: int) -> str:
    """Mai's prev/next mode (`archive-pagination-prev-next`), `div`s instead of `li`s (B4)."""
    if len(day.pages) <= 1:
        return ""
    if day.slug == "mittwoch":  # an Ajax "load more" button replaces the pagination block
        return (
            '<div class="mai-load-more"><button class="button" data-page="2">Mehr laden</button>'
            "</div>\n"
        )
    parts = []
    if paged > 1:
        href = relative(day.page_url(paged - 1))
        parts.append(
            f'<div class="pagination-previous alignleft"><a href="{href}" class="{_M_BUTTON}">'
            "&#x000AB; Vorherige Seite</a></div>"
        )
    if paged < len(day.pages):
        href = relative(day.page_url(paged + 1))
        parts.append(
            f'<div class="pagination-next alignright"><a href="{href}" class="{_M_BUTTON}">'
            "Nächste Seite &#x000BB;</a></div>"
        )
    return (
        '<div class="archive-pagination pagination archive-pagination-prev-next" role="navigation"'
        ' aria-label="Pagination"><div class="wrap archive-pagination-wrap '
        f'archive-pagination-prev-next-wrap">{"".join(parts)}</div></div>\n'
    )


def m_archive(day: DayLayout, paged: int, source: Source) -> str:
    posts = [source.posts[slug] for slug in day.pages[paged - 1]]
    header = (
        '<section class="page-header"><div class="page-header-inner"><h1 class="page-header-title '
        f'screen-reader-text">{day.day}</h1></div></section>\n'
        if day.slug == "donnerstag"  # a hidden title; absent on the other days
        else ""
    )
    entries = (
        '<div class="entries entries-archive has-boxed" style="--columns-lg:1/3;">\n'
        '<div class="entries-wrap">\n' + "".join(_m_entry(p) for p in posts) + "</div>\n</div>\n"
    )
    return _m_page(
        title=page_title(day, paged),
        head=_m_head_links(day, paged),
        body_class=f"archive tax-programm_tag term-{day.slug}" + (" paged" if paged > 1 else ""),
        before=header,
        main=entries + _m_pagination(day, paged),
    )


def mai_single_content(post: Post) -> str:
    """The body with older block markup (middle-form File blocks, classless headings and
    captions), lazy-loaded images, and in some posts a group block around everything."""
    blocks = [file_links(m.group())[0] for m in _FILE_BLOCK.finditer(post.content)]
    pages = {0} if post.id % 3 == 2 else set()  # first file's name links its attachment page
    replacements = iter(
        _middle_file_block(f, post if i in pages else None) for i, f in enumerate(blocks)
    )
    markup = _FILE_BLOCK.sub(lambda _: next(replacements), post.content)
    markup = _IMG.sub(lambda m: lazy_image(m.group()), markup)
    markup = markup.replace(' class="wp-block-heading"', "")
    markup = markup.replace('<figcaption class="wp-element-caption">', "<figcaption>")
    if post.id % 2 == 0 and markup:
        markup = (
            '<div class="wp-block-group"><div class="wp-block-group__inner-container">\n'
            f"{markup}</div></div>\n"
        )
    return markup


def lazy_image(img: str) -> str:
    """A lazy-load plugin's image (WP Rocket style): placeholder `src`, the real one in
    `data-lazy-src`, and the original in `<noscript>`."""
    lazy = img.replace(' src="', f' src="{_PLACEHOLDER}" data-lazy-src="', 1)
    return lazy.replace(" srcset=", " data-lazy-srcset=") + f"<noscript>{img}</noscript>"


def _middle_file_block(link: FileLink, attachment_of: Post | None = None) -> str:
    """The File block as saved between WP 5.x and 6.0: `id`/`aria-describedby`, a new-tab
    name link (to the attachment page when `attachment_of` is given), custom button text."""
    key = media_id(link.href)
    name_href = link.href
    if attachment_of is not None:
        stem = PurePosixPath(link.href).stem.lower()
        name_href = f"{attachment_of.url}{stem}/"
    preview = (
        f'<object class="wp-block-file__embed" data="{link.href}" type="application/pdf" '
        f'style="width:100%;height:600px" aria-label="Einbettung von {link.name}."></object>'
        if link.preview
        else ""
    )
    return (
        f'<div class="wp-block-file">{preview}<a id="{key}" href="{name_href}" target="_blank" '
        f'rel="noreferrer noopener">{link.name}</a><a href="{link.href}" '
        f'class="wp-block-file__button" download aria-describedby="{key}">PDF öffnen</a></div>'
    )


def _m_adjacent(post: Post, source: Source) -> str:
    slugs = list(source.posts)
    index = slugs.index(post.slug)
    before, after = source.posts[slugs[index - 1]], source.posts[slugs[(index + 1) % len(slugs)]]
    return (
        '<div class="adjacent-entry-pagination pagination"><div class="pagination-previous '
        f'alignleft"><a href="{before.url}" rel="prev">« {before.title}</a></div><div '
        f'class="pagination-next alignright"><a href="{after.url}" rel="next">{after.title} »</a>'
        "</div></div>\n"
    )


def _m_related(post: Post, source: Source) -> str:
    others = [p for p in source.posts.values() if p.slug != post.slug][:3]
    cards = "".join(
        f'<article class="entry entry-grid is-column {listing_classes(p)}"><div class="entry-wrap">'
        f'<h3 class="entry-title"><a class="entry-title-link" href="{p.url}">{p.title}</a></h3>'
        f'<div class="entry-meta"><time class="entry-time">{numeric_date(p)}</time></div>'
        "</div></article>"
        for p in others
    )
    return (
        '<div class="mai-grid entries entries-grid"><h2>Das könnte Sie auch interessieren</h2>'
        f'<div class="entries-wrap">{cards}</div></div>\n'
    )


def m_single(post: Post, source: Source) -> str:
    author = f'<span class="entry-author">{_m_author(post)}</span>'
    # Some posts show their title in Mai's page header (outside <main>), not in the entry.
    in_page_header = post.id % 4 == 3
    title = f'<h1 class="entry-title entry-title-single">{post.title}</h1>\n'
    page_header = (
        '<section class="page-header"><div class="page-header-inner">'
        f'<h1 class="page-header-title">{post.title}</h1></div></section>\n'
    )
    article = (
        f'<article class="entry entry-single no-columns {listing_classes(post)}" '
        f'aria-label="{attr(post.plain_title)}">\n<div class="entry-wrap entry-wrap-single">\n'
        '<header class="entry-header entry-header-single">'
        f"{'' if in_page_header else title}"
        f'<p class="entry-meta"><time class="entry-time">{numeric_date(post)}</time> | '
        f"Blogbeitrag von {author}</p></header>\n"
        f'<div class="entry-content entry-content-single">\n{mai_single_content(post)}</div>\n'
        "</div>\n</article>\n"
    )
    return _m_page(
        title=f"{post.title} &#8211; Kommune 360°",
        head=f'<link rel="canonical" href="{post.url}" />\n',
        body_class=f"programm-template-default single single-programm postid-{post.id}",
        before=page_header if in_page_header else "",
        main=article + _m_adjacent(post, source) + _m_related(post, source),
    )


THEMES: Mapping[str, Theme] = {
    GENESIS: Theme(partial(g_archive, CLASSIC_STYLE), partial(g_single, CLASSIC_STYLE)),
    MAI: Theme(archive=m_archive, single=m_single),
    GENESIS_EXCERPTS: Theme(partial(g_archive, EXCERPT_STYLE), partial(g_single, EXCERPT_STYLE)),
}


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="folder to write <variant>/<host>/… into")
    parser.add_argument("--variant", choices=VARIANTS, action="append")
    args = parser.parse_args(argv)
    source = load_source()
    for name in args.variant or VARIANTS:
        site = build(name, source)
        root = site.write(args.out / name)
        print(f"{name}: {len(site.files)} files, {len(site.query_pages)} query pages in {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
