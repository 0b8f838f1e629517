"""The compiled build that the benchmarks measure: k360scrape's wheel, unpacked.

A wheel of k360scrape carries its parser compiled with mypyc (`hatch_build.py`), which is
what `pip install .` gives users; the editable install of a development checkout is pure
Python. The benchmarks measure the wheel: `site()` builds it once per state of the sources
(cached below `build/compiled/`) and unpacks it into a folder that, put first on
`PYTHONPATH`, makes `import k360scrape` load it. `--pure` on a benchmark measures the source
tree instead.

    python -m bench._compiled          # build (or find) it and print its folder
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "compiled"
_REEXEC_MARK = "K360SCRAPE_BENCH_BUILD"


def source_hash(root: Path = ROOT) -> str:
    """SHA-256 over the package sources and the build hook: a new one means a new build."""
    digest = hashlib.sha256()
    files = [*sorted((root / "src" / "k360scrape").rglob("*.py")), root / "hatch_build.py"]
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_wheel(out_dir: Path, root: Path = ROOT) -> Path:
    """Build the compiled wheel into `out_dir` with this interpreter's hatchling and mypyc
    (the `dev` extra has them); compilation failing is an error here, not a fallback."""
    env = {**os.environ, "K360SCRAPE_REQUIRE_COMPILED": "1"}
    env.pop("K360SCRAPE_PURE_PYTHON", None)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
               "--quiet", "-w", str(out_dir), str(root)]  # fmt: skip
    subprocess.run(command, env=env, check=True, cwd=root)
    return next(out_dir.glob("k360scrape-*.whl"))


def unpack(wheel: Path, target: Path) -> Path:
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def site(root: Path = ROOT) -> Path:
    """The unpacked compiled build of the current sources (built when missing)."""
    folder = CACHE / source_hash(root)
    if (folder / "k360scrape").is_dir():
        return folder
    staging = CACHE / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    wheel = build_wheel(staging / "wheel", root)
    unpack(wheel, staging / "site")
    shutil.rmtree(folder, ignore_errors=True)
    (staging / "site").rename(folder)
    shutil.rmtree(staging, ignore_errors=True)
    return folder


def is_compiled() -> bool:
    """The imported k360scrape's parser is the compiled one."""
    from k360scrape.parsing import blocks

    return not str(blocks.__file__).endswith(".py")


def measure_compiled(module: str, argv: Sequence[str]) -> None:
    """Re-run `python -m module argv` with the compiled build first on the path, unless that
    is what runs already; returns only when nothing needs re-running. The benchmark's own
    subprocesses (crawlers, servers) inherit the path, so they run the same build."""
    if os.environ.get(_REEXEC_MARK) or is_compiled():
        return
    folder = site()
    path = os.pathsep.join(filter(None, (str(folder), str(ROOT), os.environ.get("PYTHONPATH"))))
    env = {**os.environ, "PYTHONPATH": path, _REEXEC_MARK: str(folder)}
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-m", module, *argv], env)


def describe_build() -> str:
    folder = os.environ.get(_REEXEC_MARK)
    if is_compiled():
        return f"k360scrape build: mypyc-compiled wheel ({folder or 'installed'})"
    return "k360scrape build: pure Python (source tree)"


if __name__ == "__main__":
    print(site())
