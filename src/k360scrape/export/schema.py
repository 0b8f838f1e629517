"""The JSON Schema of posts.json, generated from the models.

schema/post.schema.json is this schema, committed so consumers can validate without Python;
`scripts/refresh_schema.py` rewrites it and a test fails when it is stale.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from k360scrape.models import Post

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def post_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of posts.json: an array of Post objects."""
    schema = TypeAdapter(list[Post]).json_schema(mode="serialization")
    for definition in schema.get("$defs", {}).values():
        if "properties" in definition:
            # The exporters write every key, null included, so every property is present.
            definition["required"] = list(definition["properties"])
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "posts.json",
        "description": "Programme items harvested by k360scrape, in output order",
        **schema,
    }


def schema_text() -> str:
    """The committed file's exact text."""
    return json.dumps(post_json_schema(), ensure_ascii=False, indent=2) + "\n"
