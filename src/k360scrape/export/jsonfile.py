"""posts.json, posts.jsonl and the pretty JSON of manifest.json and datapackage.json.

posts.json is byte-for-byte what `json.dumps(list_of_posts, ensure_ascii=False, indent=2)`
plus a trailing newline would give, but written one post at a time so the archive never sits
in memory. Keys follow the model's field order; None is null.
"""

from __future__ import annotations

import json
from typing import TextIO

from pydantic_core import to_jsonable_python

from k360scrape.models import Post

_INDENT = "  "


def post_object(post: Post) -> dict[str, object]:
    """The JSON object of one post: every field, in model order."""
    return post.model_dump(mode="json")


class JsonExporter:
    """A JSON array of post objects, indented by 2, with a trailing newline."""

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self._count = 0

    def start(self) -> None:
        self._count = 0

    def write(self, post: Post) -> None:
        text = json.dumps(post_object(post), ensure_ascii=False, indent=2)
        # JSON escapes newlines inside strings, so every "\n" here is a line of the layout.
        nested = "\n".join(_INDENT + line for line in text.split("\n"))
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
        line = json.dumps(post_object(post), ensure_ascii=False, separators=(",", ":"))
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
