"""posts.json, posts.jsonl and the pretty JSON of manifest.json and datapackage.json.

posts.json is byte-for-byte what `json.dumps(list_of_posts, ensure_ascii=False, indent=2)`
plus a trailing newline would give, but written one post at a time so the archive never sits
in memory. Keys follow the model's field order; None is null.

Posts are serialised by pydantic's Rust encoder (`model_dump_json`), which gives the same bytes
as `json.dumps(..., ensure_ascii=False)` for these models (strings, ints, bools, null, lists;
no floats) at a quarter of the cost: with `indent` set, CPython's `json` falls back to its
pure-Python encoder. Strings it cannot encode (lone surrogates) take the `json` path as before.
"""

from __future__ import annotations

import json
from typing import TextIO

from pydantic_core import PydanticSerializationError, to_jsonable_python

from k360scrape.models import Post

_INDENT = "  "


def post_object(post: Post) -> dict[str, object]:
    """The JSON object of one post: every field, in model order."""
    return post.model_dump(mode="json")


def post_json(post: Post, *, indent: int | None = None) -> str:
    """One post as JSON text, exactly as `json.dumps(post_object(post), ensure_ascii=False)`
    with that indent (or compact separators without one) would write it."""
    try:
        return post.model_dump_json(indent=indent)
    except PydanticSerializationError:
        separators = None if indent is not None else (",", ":")
        return json.dumps(
            post_object(post), ensure_ascii=False, indent=indent, separators=separators
        )


class JsonExporter:
    """A JSON array of post objects, indented by 2, with a trailing newline."""

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self._count = 0

    def start(self) -> None:
        self._count = 0

    def write(self, post: Post) -> None:
        text = post_json(post, indent=2)
        # JSON escapes newlines inside strings, so every "\n" here is a line of the layout.
        nested = _INDENT + text.replace("\n", "\n" + _INDENT)
        self._file.write(("[\n" if self._count == 0 else ",\n") + nested)
        self._count += 1

    def finish(self) -> None:
        self._file.write("\n]\n" if self._count else "[]\n")


class JsonLinesExporter:
    """One compact JSON object per line (JSON Lines), LF line ends."""

    def __init__(self, file: TextIO) -> None:
        self._file = file

    def start(self) -> None:
        pass

    def write(self, post: Post) -> None:
        line = post_json(post)
        self._file.write(line + "\n")

    def finish(self) -> None:
        pass


def write_pretty_json(value: object, file: TextIO) -> None:
    """Indented UTF-8 JSON with a trailing newline, keys in the order given.

    Models, datetimes and paths are converted the way pydantic serialises them, so a manifest
    may carry them directly.
    """
    json.dump(value, file, ensure_ascii=False, indent=2, default=to_jsonable_python)
    file.write("\n")
