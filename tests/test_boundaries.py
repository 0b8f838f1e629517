"""Module boundaries: pure modules never import httpx; the public API is explicit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import k360scrape

SRC = Path(k360scrape.__file__).parent
PURE = [
    "parse.py",
    "parsing",
    "text.py",
    "selectors.py",
    "urls.py",
    "models.py",
    "records.py",
    "robots.py",
    "throttle.py",
    "encoding.py",
    "export",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _files(name: str) -> list[Path]:
    target = SRC / name
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_do_not_import_httpx(name):
    for path in _files(name):
        assert "httpx" not in _imports(path), f"{path.name} imports httpx"


def test_public_api_is_explicit_and_importable():
    assert sorted(k360scrape.__all__) == k360scrape.__all__
    for name in k360scrape.__all__:
        assert getattr(k360scrape, name) is not None
