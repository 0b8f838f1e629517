"""posts.json, posts.jsonl and the pretty JSON of manifest.json and datapackage.json.

posts.json is byte-for-byte what `json.dumps(list_of_posts, ensure_ascii=False, indent=2)`
plus a trailing newline would give, but written one post at a time so the archive never sits
in memory. Keys follow the model's field order; None is null.

Posts are serialised by pydantic's Rust encoder (`pydantic_core.to_json`), which gives the
same text as `json.dumps(..., ensure_ascii=False)` for these models (strings, ints, bools,
null, lists; no floats) at a quarter of the cost: with `indent` set, CPython's `json` falls back
to its pure-Python encoder. It gives UTF-8 bytes, which the exporters write as they are (to
binary files: no decoding to text and encoding back). Strings it cannot encode (lone
surrogates, which UTF-8 cannot hold) take the `json` path, their surrogates written as JSON's
`\\uXXXX` escapes: still the same string to any JSON reader.
"""

from __future__ import annotations

import json
from typing import BinaryIO, Final, TextIO

from pydantic_core import PydanticSerializationError, to_json, to_jsonable_python

from k360scrape.models import Post

_INDENT: Final = b"  "


def post_object(post: Post) -> dict[str, object]:
    """The JSON object of one post: every field, in model order."""
    return post.model_dump(mode="json")


def post_json_bytes(post: Post, *, indent: int | None = None) -> bytes:
    """`post_json()` as UTF-8, made directly as bytes; a lone surrogate as a `\\uXXXX`
    escape (the file stays valid UTF-8, the JSON the same string)."""
    try:
        return to_json(post, indent=indent)
    except PydanticSerializationError:
        return post_json(post, indent=indent).encode("utf-8", "backslashreplace")


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
    """A JSON array of post objects, indented by 2, with a trailing newline (UTF-8 into a
    binary file)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._count = 0

    def start(self) -> None:
        self._count = 0

    def write(self, post: Post) -> None:
        data = post_json_bytes(post, indent=2)
        # JSON escapes newlines inside strings, so every "\n" here is a line of the layout.
        nested = _INDENT + data.replace(b"\n", b"\n" + _INDENT)
        self._file.write((b"[\n" if self._count == 0 else b",\n") + nested)
        self._count += 1

    def finish(self) -> None:
        self._file.write(b"\n]\n" if self._count else b"[]\n")


class JsonLinesExporter:
    """One compact JSON object per line (JSON Lines), LF line ends (UTF-8 into a binary
    file)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def start(self) -> None:
        pass

    def write(self, post: Post) -> None:
        self._file.write(post_json_bytes(post) + b"\n")

    def finish(self) -> None:
        pass


def write_pretty_json(value: object, file: TextIO) -> None:
    """Indented UTF-8 JSON with a trailing newline, keys in the order given.

    Models, datetimes and paths are converted the way pydantic serialises them, so a manifest
    may carry them directly.
    """
    json.dump(value, file, ensure_ascii=False, indent=2, default=to_jsonable_python)
    file.write("\n")
