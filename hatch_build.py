"""Build hook: a wheel of k360scrape carries its hot modules compiled with mypyc.

The parser's, the exporters' and the WARC writer's modules (`COMPILED`) are plain, strictly
typed Python; mypyc turns them into C extensions that run the same code about a quarter faster
(docs/PERFORMANCE.md). Only real wheels are compiled: an editable install stays pure Python, so
the `.py` file a developer edits is the code that runs (a compiled module next to it would
shadow it until the next build). The sources are copied to a temporary folder and compiled
there, so no build product ever lands in the source tree.

    K360SCRAPE_PURE_PYTHON=1        build a pure-Python wheel
    K360SCRAPE_REQUIRE_COMPILED=1   fail instead of falling back to pure Python when
                                    compilation fails (no C compiler, a mypyc error)

Without either, a failed compilation gives a working pure-Python wheel and a warning.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = "k360scrape"
# Relative to src/k360scrape. parse.py stays Python: it is the public boundary, whose
# "anything but text is a ParseError" would otherwise meet mypyc's own argument checks first
# (parsing/document.py holds what it calls).
COMPILED = (
    "text.py",
    "warc.py",
    "urls.py",
    "export/cells.py",
    "export/csvfile.py",
    "export/jsonfile.py",
    "export/rows.py",
    "export/sqlite.py",
    "parsing/blocks.py",
    "parsing/body.py",
    "parsing/document.py",
    "parsing/entry.py",
    "parsing/hrefs.py",
    "parsing/nodes.py",
    "parsing/page.py",
)
_SETUP = """\
import sys
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="k360scrape-mypyc",
    ext_modules=mypycify(
        ["--ignore-missing-imports", "--follow-imports=silent", *sys.argv.pop(1).split(",")],
        opt_level="3",
        group_name="k360scrape",
    ),
)
"""


def compile_package(source: Path, work: Path) -> list[Path]:
    """Compile `COMPILED` of the package at `source` in `work`; the extension files, which
    belong at the same place below `work` as in a site-packages folder."""
    shutil.copytree(source, work / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    (work / "setup_mypyc.py").write_text(_SETUP, encoding="utf-8")
    modules = ",".join(f"{PACKAGE}/{path}" for path in COMPILED)
    command = [sys.executable, "setup_mypyc.py", modules, "build_ext", "--inplace"]
    done = subprocess.run(command, cwd=work, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"mypyc failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    built = [*work.rglob("*.so"), *work.rglob("*.pyd")]  # the extension suffix by platform
    return sorted(path for path in built if "build" not in path.relative_to(work).parts)


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """hatchling's hook: compile for a wheel, add the extensions, mark the wheel binary."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._work: Path | None = None
        if self.target_name != "wheel" or version == "editable":
            return
        if os.environ.get("K360SCRAPE_PURE_PYTHON"):
            return
        self._work = Path(tempfile.mkdtemp(prefix="k360scrape-mypyc-"))
        try:
            built = compile_package(Path(self.root) / "src" / PACKAGE, self._work)
        except (OSError, RuntimeError) as exc:
            if os.environ.get("K360SCRAPE_REQUIRE_COMPILED"):
                raise
            reason = str(exc).strip().splitlines()[-1:] or ["?"]
            self.app.display_warning(f"k360scrape: not compiled, building pure Python: {reason[0]}")
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(self._work).as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
