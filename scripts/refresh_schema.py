"""Rewrite schema/post.schema.json from the models (run after changing models.py).

    python scripts/refresh_schema.py          # write the file
    python scripts/refresh_schema.py --check  # exit 1 if the committed file is stale

The test suite only compares, never writes, so a model change cannot silently change the
published schema.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "schema" / "post.schema.json"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "src"))  # run from a checkout without installing
    from k360scrape.export.schema import schema_text

    text = schema_text()
    current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else None
    if "--check" in argv:
        print("schema is current" if current == text else f"{SCHEMA_FILE} is stale")
        return 0 if current == text else 1
    SCHEMA_FILE.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_FILE.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {SCHEMA_FILE.relative_to(ROOT)}" + (" (unchanged)" if current == text else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
