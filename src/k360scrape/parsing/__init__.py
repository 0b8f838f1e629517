"""The parser's parts, one concern per module; the public API is `k360scrape.parse`.

- `document`: the checks that tell HTML from anything else, the parse, the page's assembly;
- `hrefs`: hrefs → canonical URLs (the page's `<base>`, www/bare twins, memoised);
- `nodes`: `Doc` (the page and its CSS queries) and the small node helpers every part uses;
- `page`: page-level facts of an archive page (main scope, entries, day, pagination);
- `entry`: one entry's landmarks and fields (URL, title, date, author, excerpt flag);
- `blocks`: the body walk, which turns an entry body into blocks (and finds their anchors);
- `body`: the body's state machine (label, subtitle, paragraphs, PDFs, images, links,
  contributors).

selectolax nodes never leave this package.
"""
