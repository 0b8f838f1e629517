"""Tables derived from `Post`: the column lists and row builders every tabular format shares.

The models are the only source of truth: columns follow the model's field order, types and
descriptions come from the pydantic fields. Each list field of `Post` (pdfs, contributors,
images, links) becomes a child table keyed by (post_id, position), and in the flat posts table
a count column plus one joined column per summarised attribute (`JOIN` between items).

    posts (flat)   scalar fields in model order; each list field replaced in place by
                   `<item>_count` and `<item>_<attr>s` columns (e.g. pdf_count, pdf_names, pdf_urls)
    posts (scalar) scalar fields only: the SQLite posts table, where the children are tables
    <children>     post_id, position (1-based within the post), then the item model's fields

CSV, XLSX, SQLite and datapackage.json all build on these, so their columns cannot drift apart.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Final, Literal

from pydantic import BaseModel

from k360scrape.models import Contributor, Image, Link, Pdf, Post

Cell = str | int | bool | None
Row = tuple[Cell, ...]
Kind = Literal["string", "integer", "boolean", "date", "datetime"]

JOIN: Final = " | "
"""Separator of joined list values. A value containing it is ambiguous there; the child
tables hold the same data losslessly."""

# Fields stored as `str` whose content has a stricter documented form (models.py); datapackage
# declares them so frictionless checks them. Everything else keeps the type of its annotation.
_TEXT_FORMATS: Final[types.MappingProxyType[str, Kind]] = types.MappingProxyType(
    {"date": "date", "fetched_at": "datetime"}
)

_KINDS: Final[types.MappingProxyType[object, Kind]] = types.MappingProxyType(
    {str: "string", int: "integer", bool: "boolean"}
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool
    description: str = ""


@dataclass(frozen=True)
class Child:
    """How one list field of `Post` becomes a child table and summary columns."""

    field: str  # the Post field, also the child table's name
    item: str  # singular prefix of the flat columns: pdf_count, pdf_names
    model: type[BaseModel]
    joined: tuple[str, ...]  # item attributes summarised in the flat posts table


_POSTS_DESCRIPTION: Final = "One row per harvested programme item (Post)"

CHILDREN: Final[tuple[Child, ...]] = (
    Child("pdfs", "pdf", Pdf, ("name", "url")),
    Child("contributors", "contributor", Contributor, ("name", "affiliation")),
    Child("images", "image", Image, ("url", "caption")),
    Child("links", "link", Link, ("url",)),
)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    rows: Callable[[Post], Iterator[Row]]
    parent_key: str | None = None  # column referencing posts.id

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def model_columns(model: type[BaseModel]) -> tuple[Column, ...]:
    """One `Column` per field of `model`, in field order (list fields are not allowed)."""
    return tuple(_column(model, name) for name in model.model_fields)


def _column(model: type[BaseModel], name: str) -> Column:
    info = model.model_fields[name]
    kind, nullable = _kind(info.annotation)
    if model is Post and kind == "string":
        kind = _TEXT_FORMATS.get(name, kind)
    return Column(name, kind, required=not nullable, description=info.description or "")


def _kind(annotation: object) -> tuple[Kind, bool]:
    """Map `str`, `int`, `bool` and their `| None` forms; anything else is a contract change."""
    is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    options = typing.get_args(annotation) if is_union else (annotation,)
    present = [option for option in options if option is not type(None)]
    if len(present) != 1 or present[0] not in _KINDS:
        raise TypeError(f"no column type for {annotation!r}; extend export/rows.py")
    return _KINDS[present[0]], len(present) < len(options)


def _child_fields() -> frozenset[str]:
    return frozenset(child.field for child in CHILDREN)


def scalar_fields() -> tuple[str, ...]:
    """Post fields that map to one column each, in model order."""
    return tuple(name for name in Post.model_fields if name not in _child_fields())


def scalar_posts_table() -> Table:
    """posts with scalar columns only (SQLite, where the children are real tables)."""
    names = scalar_fields()
    getter = attrgetter(*names)

    def rows(post: Post) -> Iterator[Row]:
        yield getter(post)

    columns = tuple(_column(Post, name) for name in names)
    return Table("posts", _POSTS_DESCRIPTION, columns, ("id",), rows)


def flat_posts_table() -> Table:
    """posts for CSV and XLSX: one row per post, list fields summarised in place."""
    children = {child.field: child for child in CHILDREN}
    columns: list[Column] = []
    # The row is built in runs: each run of scalar fields is one attrgetter call, each list
    # field its count and joined columns (the rows of every post pass through here).
    runs: list[Callable[[Post], tuple[Cell, ...]]] = []
    scalars: list[str] = []
    for name in Post.model_fields:
        child = children.get(name)
        if child is None:
            columns.append(_column(Post, name))
            scalars.append(name)
            continue
        if scalars:
            runs.append(_getter(scalars))
            scalars = []
        columns.extend(_summary_columns(child))
        runs.append(_summary(child))
    if scalars:
        runs.append(_getter(scalars))

    def rows(post: Post) -> Iterator[Row]:
        row: list[Cell] = []
        for run in runs:
            row.extend(run(post))
        yield tuple(row)

    return Table("posts", _POSTS_DESCRIPTION, tuple(columns), ("id",), rows)


def _getter(names: Sequence[str]) -> Callable[[BaseModel], tuple[Cell, ...]]:
    """The values of these fields as a tuple (attrgetter gives a bare value for one name)."""
    if len(names) == 1:
        (name,) = names
        return lambda post: (getattr(post, name),)
    return attrgetter(*names)


def _summary_columns(child: Child) -> Iterator[Column]:
    yield Column(f"{child.item}_count", "integer", True, f"Number of {child.field}")
    for attr in child.joined:
        description = child.model.model_fields[attr].description or attr
        note = f"{description}; one value per item, in order, joined with '{JOIN}'"
        yield Column(f"{child.item}_{attr}s", "string", False, note)


def _summary(child: Child) -> Callable[[Post], tuple[Cell, ...]]:
    """A list field's count, then each summarised attribute joined (see `join_values`)."""
    field, attrs = child.field, child.joined

    def summary(post: Post) -> tuple[Cell, ...]:
        items = getattr(post, field)
        joined = [join_values([getattr(item, attr) for item in items]) for attr in attrs]
        return (len(items), *joined)

    return summary


def join_values(values: list[Cell]) -> str | None:
    """Join item values with `JOIN`; None stays an empty slot so positions line up.

    No items, or no item with a value, gives None (an empty cell).
    """
    if all(value is None for value in values):
        return None
    return JOIN.join("" if value is None else str(value) for value in values)


def child_table(child: Child) -> Table:
    """The child table of one list field: post_id, position, then the item's fields."""
    fields = tuple(child.model.model_fields)
    values = _getter(fields)
    field = child.field

    def rows(post: Post) -> Iterator[Row]:
        for position, item in enumerate(getattr(post, field), start=1):
            yield (post.id, position, *values(item))

    keys = (
        Column("post_id", "string", True, "Post.id of the post the item belongs to"),
        Column("position", "integer", True, "1-based position of the item within the post"),
    )
    description = f"{child.model.__name__} items of each post, one row per item"
    columns = keys + model_columns(child.model)
    return Table(child.field, description, columns, ("post_id", "position"), rows, "post_id")


def child_tables() -> tuple[Table, ...]:
    return tuple(child_table(child) for child in CHILDREN)


def flat_tables() -> tuple[Table, ...]:
    """The CSV/XLSX tables in output order: posts, contributors, pdfs, images, links."""
    by_name = {table.name: table for table in child_tables()}
    order = ("contributors", "pdfs", "images", "links")
    return (flat_posts_table(), *(by_name[name] for name in order))


def relational_tables() -> tuple[Table, ...]:
    """The SQLite tables in creation order: posts (scalar) then the children."""
    return (scalar_posts_table(), *flat_tables()[1:])
