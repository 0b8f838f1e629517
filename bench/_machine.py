"""One line that says which machine a benchmark ran on."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def describe(*packages: str) -> str:
    """Cores, CPU, Python and the given packages' versions, with the UTC time of the run."""
    cpu = platform.processor() or platform.machine()
    versions = " ".join(f"{name} {_version(name)}" for name in packages)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {sys.version.split()[0]} ({platform.python_implementation()}); {versions}; "
        f"{when}"
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"
