"""All-or-nothing output files: write under a temporary name, then rename into place.

    with StagedFiles(out_dir) as staged:
        with staged.open_text("posts.csv") as file:
            ...
        paths = staged.commit()      # fsync each file, os.replace it, fsync the folder

Each file is first written as `.<name>.tmp-<random>` in the output folder itself, so the final
`os.replace` is an atomic rename on the same file system: a reader sees the old file or the
new one, never half of one. Nothing is renamed before every file has been written; if anything
fails (or the `with` block is left by an exception), the temporary files are deleted and the
folder's existing files are untouched. Only a hard kill can leave a dot-named `.tmp-` file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self, TextIO

from k360scrape.atomicfile import fsync_dir


class StagedFiles:
    """Temporary files in `out_dir` that become `out_dir/<name>` on `commit()`."""

    def __init__(self, out_dir: Path) -> None:
        self._dir = out_dir
        self._staged: dict[str, Path] = {}  # final name → temporary path, in staging order

    def reserve(self, name: str) -> Path:
        """Create an empty temporary file for `name` and return its path."""
        if name in self._staged or Path(name).name != name:
            raise ValueError(f"cannot stage {name!r} twice or outside the folder")
        while True:
            path = self._dir / f".{name}.tmp-{secrets.token_hex(6)}"
            try:
                # O_EXCL: never reuse someone else's file; mode 0o666 lets the umask decide,
                # so outputs get the permissions any newly created file would.
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            except FileExistsError:
                continue
            self._staged[name] = path
            return path

    def open_text(self, name: str) -> TextIO:
        """A new UTF-8 text file; newline="" so CSV CRLF and JSON LF are written as given."""
        return self.reserve(name).open("w", encoding="utf-8", newline="")

    def open_binary(self, name: str) -> BinaryIO:
        return self.reserve(name).open("wb")

    def commit(self) -> list[Path]:
        """Make every staged file durable, then move each into place; return the final paths."""
        for path in self._staged.values():
            _fsync(path)
        final: list[Path] = []
        for name, path in self._staged.items():
            target = self._dir / name
            path.replace(target)  # os.replace: atomic on one file system
            final.append(target)
        self._staged.clear()
        fsync_dir(self._dir)
        return final

    def discard(self) -> None:
        """Delete the temporary files not yet committed."""
        for path in self._staged.values():
            path.unlink(missing_ok=True)
        self._staged.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()  # after commit() nothing is left to discard


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
