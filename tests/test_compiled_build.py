"""The wheel's mypyc-compiled parser is the same parser: it builds, and passes the same tests.

`pip install .` compiles the parser's modules (`hatch_build.py`), while this checkout's
editable install, which the rest of the suite runs, is pure Python. So the wheel is built
here (with this interpreter's hatchling and mypyc, no network), unpacked, and the parser,
text, URL, WARC, golden, property, unseen-markup and end-to-end crawl tests are run once more
in a subprocess that imports k360scrape from it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import hatch_build  # the build hook, at the repository root
import pytest
from bench import _compiled

ROOT = Path(__file__).resolve().parents[1]

RERUN = (
    "tests/test_parse.py",
    "tests/test_parse_variants.py",
    "tests/test_parse_properties.py",
    "tests/test_unseen_markup.py",
    "tests/test_text.py",
    "tests/test_urls.py",
    "tests/test_warc.py",
    "tests/test_bench_parsers_agree.py",
    "tests/test_e2e.py",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _compiled.build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_holds_an_extension_for_every_compiled_module(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for module in hatch_build.COMPILED:
        stem = f"k360scrape/{module.removesuffix('.py')}."
        assert any(n.startswith(stem) and n.endswith((".so", ".pyd")) for n in names), module
    assert any(name.startswith("k360scrape__mypyc.") for name in names)  # the shared runtime
    assert "k360scrape/parse.py" in names  # the public boundary stays Python
    assert "-cp3" in wheel.name  # a binary wheel, tagged for this interpreter


def test_compiled_parser_passes_the_parser_tests(wheel: Path, tmp_path: Path) -> None:
    site = _compiled.unpack(wheel, tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(site), str(ROOT)))}
    probe = "import k360scrape.parsing.blocks as m; print(m.__file__)"
    where = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    compiled_file = where.stdout.strip()
    assert compiled_file.startswith(str(site))
    assert not compiled_file.endswith(".py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *RERUN],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_no_build_product_lands_in_the_source_tree(wheel: Path) -> None:
    # An editable install runs these very files: a compiled module beside one would shadow
    # it, and edits would silently stop taking effect.
    package = ROOT / "src" / "k360scrape"
    assert not [*package.rglob("*.so"), *package.rglob("*.pyd"), *package.rglob("*.c")]
