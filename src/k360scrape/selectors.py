"""Every CSS selector and markup vocabulary the parser uses, as named constants.

Tuples are fallback chains, tried in order; the first selector that matches wins. They cover
both markup families the site may use (see `site-and-markup.md`):

- Genesis core (B3a): `article.entry > header.entry-header > h2.entry-title >
  a.entry-title-link`, `p.entry-meta`, `div.entry-content`, `li`/`div` pagination;
- Mai Engine (B3b): `div.entries > article.entry.entry-archive > div.entry-wrap`,
  `div.entry-meta`, `div.entry-excerpt`, `a.entry-more-link`, button-classed pagination.

Nothing here keys on visible label text ("Nächste →", "Herunterladen"): only classes,
attributes and structure, which survive translations and child-theme filters.
"""

from __future__ import annotations

from typing import Final

# --- page level ------------------------------------------------------------------------

# Where the loop lives; entries and pagination are looked for here first so that sidebar
# and footer widgets (Mai grid blocks also print `article.entry`) cannot leak in.
MAIN: Final[tuple[str, ...]] = (
    "main#genesis-content",
    "main.content",
    "#genesis-content",
    "main",
    ".site-main",
    "#content",
)
ENTRIES: Final[tuple[str, ...]] = (
    "article.entry",
    "article.type-programm",
    "div.entries article",
    "article.hentry",
    "article.post",
    "article",
    ".hentry",
)
# The day heading of an archive: Genesis archive description, Mai page header.
DAY: Final[tuple[str, ...]] = (
    "h1.archive-title",
    ".page-header-title",
    ".archive-description h1",
    ".archive-title",
    ".taxonomy-description h1",
)
# Pagination is read with one query: every link in the block; the next page is the link in
# `.pagination-next` (a `li` in numeric mode, a `div` in prev/next mode), the current page
# the link in `li.active` or with `aria-current="page"`.
PAGINATION_LINKS: Final = ".archive-pagination a[href], .pagination a[href]"
# The same links, read as the blocks' own links: the descendant combinator above makes lexbor
# look up the ancestors of every link on the page, the blocks are one class lookup.
PAGINATION_BLOCKS: Final = ".archive-pagination, .pagination"
PAGINATION_LINK: Final = "a[href]"
NEXT_ITEM_CLASS: Final = "pagination-next"
ACTIVE_ITEM_CLASS: Final = "active"
# Outside a Genesis pagination block, in the contract's order of preference (the parser
# ranks the matches): `.pagination-next a`, core's `a.next.page-numbers`, `a[rel~=next]` (all
# in the main content), then the head's `link[rel~=next]`.
NEXT_FALLBACK: Final = ".pagination-next a[href], a.next.page-numbers[href], a[rel~=next][href]"
NEXT_LINK: Final = "link[rel~=next][href]"
ACTIVE_PAGE: Final = ".page-numbers.current, .pagination [aria-current=page]"
BASE: Final = "base[href]"
CANONICAL: Final[tuple[str, ...]] = (
    'link[rel~="canonical"][href]',
    'meta[property="og:url"][content]',
)
PUBLISHED_META: Final = 'meta[property="article:published_time"][content]'

# --- entry level -----------------------------------------------------------------------

# An entry's landmarks, each a fallback chain searched inside the entry.
TITLE: Final[tuple[str, ...]] = (
    ".entry-title",
    ".entry-header h1",
    ".entry-header h2",
    ".entry-header h3",
)
# Extra title fallbacks for single pages, where Mai may print the title in a page header.
SINGLE_TITLE: Final[tuple[str, ...]] = (".page-header-title", "h1")
# The date/author line; the first one outside the entry footer (which holds the terms).
META: Final[tuple[str, ...]] = (
    ".entry-meta",
    ".entry-meta-before-content",
    ".post-info",
    ".entry-byline",
    ".byline",
)
# The body: the full content before an excerpt.
CONTENT: Final[tuple[str, ...]] = (".entry-content", ".entry-excerpt", ".entry-summary")
# Any of these marks a shortened entry (an excerpt, a "read more" link).
SHORTENED: Final = ".entry-excerpt, .entry-summary, a.more-link, a.entry-more-link"
# Genesis prints `p.entry-permalink > a` instead of an empty title.
PERMALINK: Final = ".entry-permalink"
ENTRY_URL_FALLBACK: Final[tuple[str, ...]] = (
    "a[rel~=bookmark][href]",
    "a.entry-image-link[href]",
    "a.entry-more-link[href]",
)
# Dates: any `time` in the meta line (the `datetime` attribute before the shown text);
# without a meta line only header-ish time elements (a bare `time` in the body may be an
# event time).
TIME: Final = "time"
ENTRY_TIME: Final = "time.entry-time, time.published, .entry-time, .entry-date"
# The author, looked for in the meta line (in the entry when there is none).
AUTHOR: Final[tuple[str, ...]] = (
    ".entry-author-name",
    ".entry-author",
    '[itemprop="author"] [itemprop="name"]',
    "a[rel~=author]",
)
# Entries that may hold other articles (embedded cards, or an unclosed `</article>`): only
# then is every landmark checked to belong to the entry and not to the inner article.
NESTED_ARTICLE: Final = "article article"
# Meta children that are not part of the date line's words.
META_NOISE_CLASSES: Final = frozenset(
    ("entry-comments-link", "entry-edit-link", "post-edit-link", "comments-link", "edit-link")
)
CONTENT_CLASSES: Final[tuple[str, ...]] = ("entry-content", "entry-excerpt", "entry-summary")
MORE_LINK_CLASSES: Final = frozenset(("more-link", "entry-more-link"))

# --- inside the content ----------------------------------------------------------------

ANCHORS: Final = "a[href], img"
FIGURE_PARTS: Final = "figure, .wp-caption, img"
HEADING_TAGS: Final = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
# Leaf blocks: each one becomes one paragraph of text.
TEXT_TAGS: Final = frozenset(("p", "li", "dt", "dd", "pre", "address", "caption", "summary"))
# Blocks whose children are walked one by one.
CONTAINER_TAGS: Final = frozenset(
    {
        "div", "section", "blockquote", "ul", "ol", "dl", "menu", "table", "thead", "tbody",
        "tfoot", "tr", "figure", "details", "center", "main", "header", "footer", "aside", "body",
        "hgroup", "search",
    }
)  # fmt: skip
# Never body text: scripts, embeds, forms, and whatever a nested entry holds.
SKIP_TAGS: Final = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "object", "embed", "video", "audio",
        "canvas", "svg", "math", "form", "input", "button", "select", "textarea", "nav", "article",
        "head", "title", "meta", "link", "hr", "colgroup", "figcaption",
    }
)  # fmt: skip
# Entry chrome that may sit inside the walked container (always, or when `entry-content` is
# missing and the article itself is walked), plus share/related widgets plugins inject.
SKIP_CLASSES: Final = frozenset(
    {
        "entry-header", "entry-title", "entry-meta", "entry-meta-before-content",
        "entry-meta-after-content", "entry-footer", "entry-permalink", "entry-more",
        "entry-image-link", "entry-image", "screen-reader-text", "entry-comments-link",
        "post-edit-link", "sharedaddy", "jp-relatedposts", "shariff", "yarpp-related",
        "addtoany_share_save_container", "wp-caption-text", "blocks-gallery-caption",
    }
)  # fmt: skip
FILE_BLOCK_CLASS: Final = "wp-block-file"
FILE_BLOCK_PARTS: Final = "a[href], object[data]"
IMAGE_BLOCK_CLASSES: Final = frozenset(("wp-block-image", "wp-caption"))
# Button blocks: their links count, their label ("Download", "Anmelden") is not body text.
BUTTON_BLOCK_CLASSES: Final = frozenset(("wp-block-buttons", "wp-block-button"))
# A File block's button is told apart from its file-name link by class, never by text.
FILE_BUTTON_CLASSES: Final = frozenset(("wp-block-file__button", "wp-element-button", "button"))
IMAGE: Final = "img"
CAPTION: Final = "figcaption, .wp-caption-text"
IMAGE_SOURCE_ATTRIBUTES: Final[tuple[str, ...]] = (
    "src",
    "data-src",
    "data-lazy-src",
    "data-orig-file",
)
SKIP_IMAGE_CLASSES: Final = frozenset(("emoji", "wp-smiley"))
