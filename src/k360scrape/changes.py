"""The change report between two snapshots: added, removed and changed posts, field by field.

Posts are keyed by `Post.id` (the permalink slug) and compared as normalised records, never as
raw HTML, so page chrome, a new fetch time or an unchanged page that merely moved do not count:

- provenance is ignored: `source_url`, `fetched_at`, `status`, `sha256` say how the record was
  obtained (a 304 keeps the old values, a 200 sets new ones), not what it says;
- position is ignored: `archive_url`, `archive_page`, `position` shift for every later post
  whenever one post is added at the top of a day; `day` is compared (a post moving to another
  day is a change);
- list fields (`pdfs`, `contributors`, `images`, `links`) are compared as sets: a reordering is
  not a change. Items equal on both sides are matched first; the rest are paired by a key
  (PDF url, then name; contributor name, then bio; image url, then caption; link url, then text)
  and reported as changed with the attributes that differ; what stays unpaired is added or
  removed. So "a contributor added" and "a PDF URL changed" each read as one line;
- of a PDF only `name`, `url` and, when both snapshots downloaded it, `sha256` count; the other
  download fields (path, size, page count ...) follow from those or from `--download-pdfs`.

`diff_posts()` returns plain JSON-ready data (`changes.json`); `render_markdown()` turns it into
`CHANGES.md`. Both are deterministic: new posts in output order, removed in previous order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from k360scrape.models import Post

SCALAR_FIELDS = ("url", "day", "title", "date", "author", "label", "subtitle", "description")
# list field → the keys that pair a changed item, tried in order
LIST_KEYS: dict[str, tuple[str, ...]] = {
    "pdfs": ("url", "name"),
    "contributors": ("name", "bio"),
    "images": ("url", "caption"),
    "links": ("url", "text"),
}
PDF_COMPARED = ("name", "url", "sha256")

Item = dict[str, Any]
Change = dict[str, Any]


def diff_posts(
    previous: Iterable[Post], current: Iterable[Post], *, snapshot: str, base: str | None
) -> dict[str, Any]:
    """The whole report: summary counts and the added, removed and changed posts."""
    before = {post.id: post for post in previous}
    after = {post.id: post for post in current}
    added = [_brief(post) for key, post in after.items() if key not in before]
    removed = [_brief(post) for key, post in before.items() if key not in after]
    changed = []
    for key, post in after.items():
        if key in before and (fields := diff_post(before[key], post)):
            changed.append({**_brief(post), "fields": fields})
    unchanged = len(after) - len(added) - len(changed)
    return {
        "snapshot": snapshot,
        "previous": base,
        "summary": {
            "added": len(added),
            "removed": len(removed),
            "changed": len(changed),
            "unchanged": unchanged,
        },
        "added": added,
        "removed": removed,
        "changed": changed,
    }


def is_empty(report: dict[str, Any]) -> bool:
    summary = report["summary"]
    return not (summary["added"] or summary["removed"] or summary["changed"])


def diff_post(old: Post, new: Post) -> list[Change]:
    """Field-level differences between two versions of one post ([] when they agree)."""
    changes: list[Change] = []
    for name in SCALAR_FIELDS:
        was, now = getattr(old, name), getattr(new, name)
        if was != now:
            changes.append({"field": name, "change": "changed", "before": was, "after": now})
    for name, keys in LIST_KEYS.items():
        changes += _diff_items(name, _items(old, name), _items(new, name), keys)
    return changes


def _brief(post: Post) -> Item:
    return {"id": post.id, "url": post.url, "day": post.day, "title": post.title}


def _items(post: Post, name: str) -> list[Item]:
    items = [item.model_dump(mode="json") for item in getattr(post, name)]
    if name == "pdfs":
        items = [{key: item.get(key) for key in PDF_COMPARED} for item in items]
    return items


def _diff_items(name: str, old: list[Item], new: list[Item], keys: Sequence[str]) -> list[Change]:
    old, new = _drop_common(old, new)
    changes: list[Change] = []
    for key in keys:
        for was, now in _pair_by(key, old, new):
            old.remove(was)
            new.remove(now)
            changes.append(_item_change(name, key, was, now))
    changes += [{"field": name, "change": "removed", "before": item} for item in old]
    changes += [{"field": name, "change": "added", "after": item} for item in new]
    return changes


def _drop_common(old: list[Item], new: list[Item]) -> tuple[list[Item], list[Item]]:
    """Remove the items present on both sides (as a multiset), whatever their order."""
    rest_new = list(new)
    rest_old = []
    for item in old:
        match = next((other for other in rest_new if _same(item, other)), None)
        if match is None:
            rest_old.append(item)
        else:
            rest_new.remove(match)
    return rest_old, rest_new


def _same(was: Item, now: Item) -> bool:
    return not any(_differs(key, was, now) for key in set(was) | set(now))


def _pair_by(key: str, old: list[Item], new: list[Item]) -> list[tuple[Item, Item]]:
    pairs = []
    taken: list[int] = []
    for was in old:
        for index, now in enumerate(new):
            if index not in taken and was.get(key) is not None and now.get(key) == was.get(key):
                pairs.append((was, now))
                taken.append(index)
                break
    return pairs


def _item_change(name: str, key: str, was: Item, now: Item) -> Change:
    differs = sorted(k for k in set(was) | set(now) if _differs(k, was, now))
    return {
        "field": name,
        "change": "changed",
        "key": key,
        "value": was.get(key),
        "attributes": differs,
        "before": was,
        "after": now,
    }


def _differs(key: str, was: Item, now: Item) -> bool:
    # sha256 is known only when a snapshot downloaded the file: a missing checksum on either
    # side must not turn into a change, so it is compared only when both sides have one.
    if key == "sha256" and not (was.get(key) and now.get(key)):
        return False
    return was.get(key) != now.get(key)


# --- CHANGES.md


def render_markdown(report: dict[str, Any]) -> str:
    """A short human-readable version of `changes.json`."""
    summary = report["summary"]
    lines = [f"# Changes in snapshot {report['snapshot']}", ""]
    base = report["previous"]
    lines.append(f"Compared with snapshot {base}." if base else "First snapshot: no previous one.")
    lines += ["", ", ".join(f"{summary[k]} {k}" for k in summary) + ".", ""]
    if is_empty(report):
        lines += ["No post was added, removed or changed.", ""]
    for title, key in (("Added", "added"), ("Removed", "removed")):
        if report[key]:
            lines += [f"## {title}", "", *(_post_line(p) for p in report[key]), ""]
    if report["changed"]:
        lines += ["## Changed", ""]
        for post in report["changed"]:
            lines += [f"### {_post_label(post)}", "", *map(_change_line, post["fields"]), ""]
    return "\n".join(lines)


def _post_label(post: Item) -> str:
    title = post["title"] or "(no title)"
    return f"`{post['id']}` {title}" + (f" ({post['day']})" if post["day"] else "")


def _post_line(post: Item) -> str:
    return f"- {_post_label(post)} <{post['url']}>"


def _change_line(change: Change) -> str:
    name, kind = change["field"], change["change"]
    if kind == "added":
        return f"- {name}: added {_item_text(name, change['after'])}"
    if kind == "removed":
        return f"- {name}: removed {_item_text(name, change['before'])}"
    if "key" not in change:
        return f"- {name}: {_quote(change['before'])} → {_quote(change['after'])}"
    parts = [
        f"{attr} {_quote(change['before'].get(attr))} → {_quote(change['after'].get(attr))}"
        for attr in change["attributes"]
    ]
    return f"- {name}: changed {_item_text(name, change['before'])}: " + "; ".join(parts)


def _item_text(name: str, item: Item) -> str:
    label = {"pdfs": "name", "contributors": "name", "images": "url", "links": "text"}[name]
    return _quote(item.get(label))


def _quote(value: object, limit: int = 120) -> str:
    if value is None:
        return "(none)"
    text = " ".join(str(value).split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"
