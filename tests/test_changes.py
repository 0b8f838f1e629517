"""The change report: keyed by post id, normalised records, field-level differences."""

from __future__ import annotations

from k360scrape.changes import diff_post, diff_posts, is_empty, render_markdown
from k360scrape.models import Contributor, Image, Link, Pdf, Post


def post(slug: str, **fields: object) -> Post:
    values: dict[str, object] = {
        "id": slug,
        "url": f"https://www.kommune360.de/programm/event/{slug}/",
        "day": "Freitag",
        "title": f"Title {slug}",
        "date": "2023-03-17",
        "author": "Tina",
        "label": None,
        "subtitle": None,
        "description": "Text.",
        "archive_url": "https://www.kommune360.de/programm/tag/freitag/",
        "archive_page": 1,
        "position": 1,
        "source_url": "https://www.kommune360.de/programm/tag/freitag/",
        "fetched_at": "2026-01-01T00:00:00Z",
        "status": 200,
        "sha256": "0" * 64,
    }
    values.update(fields)
    return Post.model_validate(values)


PDF = Pdf(name="Programm.pdf", url="https://www.kommune360.de/wp-content/uploads/2023/03/p.pdf")
ANNA = Contributor(name="Dr. Anna Beck", affiliation="Kommune 360°", bio="Dr. Anna Beck (…)")


def test_same_records_give_an_empty_report():
    posts = [post("a"), post("b")]
    report = diff_posts(posts, posts, snapshot="S2", base="S1")
    assert is_empty(report)
    assert report["summary"] == {"added": 0, "removed": 0, "changed": 0, "unchanged": 2}
    assert "No post was added, removed or changed." in render_markdown(report)


def test_provenance_and_position_are_ignored():
    old = post("a", pdfs=(PDF,), contributors=(ANNA,))
    new = post(
        "a",
        position=7,
        archive_page=2,
        archive_url="https://www.kommune360.de/x/page/2/",
        source_url="https://www.kommune360.de/programm/event/a/",
        status=304,
        fetched_at="2026-02-02T00:00:00Z",
        sha256="f" * 64,
        pdfs=(PDF.model_copy(update={"sha256": "1" * 64, "bytes": 10, "path": "files/x"}),),
        contributors=(ANNA,),
    )
    assert diff_post(old, new) == []


def test_added_removed_and_changed_posts_by_id():
    before = [post("a"), post("b"), post("c")]
    after = [post("new"), post("a", title="Neuer Titel"), post("c")]
    report = diff_posts(before, after, snapshot="S2", base="S1")
    assert [p["id"] for p in report["added"]] == ["new"]
    assert [p["id"] for p in report["removed"]] == ["b"]
    assert report["changed"] == [
        {
            "id": "a",
            "url": post("a").url,
            "day": "Freitag",
            "title": "Neuer Titel",
            "fields": [
                {"field": "title", "change": "changed", "before": "Title a", "after": "Neuer Titel"}
            ],
        }
    ]
    assert report["summary"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 1}


def test_contributor_added_reads_as_one_change():
    bob = Contributor(name="Bob Otto", affiliation=None, bio="Bob Otto ist …")
    changes = diff_post(post("a", contributors=(ANNA,)), post("a", contributors=(ANNA, bob)))
    assert changes == [{"field": "contributors", "change": "added", "after": bob.model_dump()}]


def test_pdf_url_changed_is_paired_by_name():
    moved = PDF.model_copy(update={"url": "https://www.kommune360.de/wp-content/uploads/v2.pdf"})
    [change] = diff_post(post("a", pdfs=(PDF,)), post("a", pdfs=(moved,)))
    assert change["field"] == "pdfs"
    assert change["change"] == "changed"
    assert change["key"] == "name"
    assert change["attributes"] == ["url"]
    assert change["before"]["url"] == PDF.url
    assert change["after"]["url"] == moved.url


def test_pdf_content_change_counts_only_when_both_sides_downloaded():
    one = PDF.model_copy(update={"sha256": "1" * 64})
    two = PDF.model_copy(update={"sha256": "2" * 64})
    assert diff_post(post("a", pdfs=(PDF,)), post("a", pdfs=(one,))) == []
    [change] = diff_post(post("a", pdfs=(one,)), post("a", pdfs=(two,)))
    assert change["attributes"] == ["sha256"]
    assert change["key"] == "url"


def test_reordered_lists_are_not_a_change():
    bob = Contributor(name="Bob Otto", affiliation=None, bio="Bob")
    assert diff_post(post("a", contributors=(ANNA, bob)), post("a", contributors=(bob, ANNA))) == []


def test_affiliation_changed_and_items_removed():
    anna2 = ANNA.model_copy(update={"affiliation": "Stadt Köln"})
    image = Image(url="https://x.test/i.jpg", caption="Foto: X")
    link = Link(text="Mehr", url="https://x.test/mehr")
    changes = diff_post(
        post("a", contributors=(ANNA,), images=(image,), links=(link,)),
        post("a", contributors=(anna2,), images=(), links=(link,)),
    )
    assert [(c["field"], c["change"]) for c in changes] == [
        ("contributors", "changed"),
        ("images", "removed"),
    ]
    assert changes[0]["attributes"] == ["affiliation"]


def test_day_change_is_reported():
    [change] = diff_post(post("a"), post("a", day="Donnerstag"))
    assert change == {
        "field": "day",
        "change": "changed",
        "before": "Freitag",
        "after": "Donnerstag",
    }


def test_first_snapshot_lists_everything_as_added():
    report = diff_posts([], [post("a")], snapshot="S1", base=None)
    assert report["summary"]["added"] == 1
    assert "First snapshot" in render_markdown(report)


def test_markdown_names_each_change():
    bob = Contributor(name="Bob Otto", affiliation=None, bio="Bob")
    moved = PDF.model_copy(update={"url": "https://x.test/v2.pdf"})
    before = [post("a", pdfs=(PDF,)), post("gone")]
    after = [post("a", title="Neu", pdfs=(moved,), contributors=(bob,)), post("fresh")]
    text = render_markdown(diff_posts(before, after, snapshot="S2", base="S1"))
    assert "Compared with snapshot S1." in text
    assert "1 added, 1 removed, 1 changed, 0 unchanged." in text
    assert "## Added\n\n- `fresh` Title fresh (Freitag) <https://www.kommune360.de/" in text
    assert "## Removed\n\n- `gone` Title gone (Freitag)" in text
    assert "### `a` Neu (Freitag)" in text
    assert "- title: “Title a” → “Neu”" in text
    assert "- contributors: added “Bob Otto”" in text
    assert f"- pdfs: changed “Programm.pdf”: url “{PDF.url}” → “https://x.test/v2.pdf”" in text
