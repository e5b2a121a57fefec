"""Build the benchmark corpus: the ``.py`` files of the ``lightning==2.6.6`` wheel.

Usage: ``python benchmarks/corpus.py [DEST]`` (default ``~/.cache/audit-bench/lightning-2.6.6``).
Downloads the wheel with pip once; later calls reuse the extracted tree. The
default lies outside any git work tree so that no ``.gitignore`` hides it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "lightning==2.6.6"
DEFAULT_DEST = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "audit-bench" / "lightning-2.6.6"


def build_corpus(dest: Path = DEFAULT_DEST) -> Path:
    """Extract the wheel's Python files into ``dest`` (idempotent); return ``dest``."""
    if dest.is_dir() and any(dest.rglob("*.py")):
        return dest
    with tempfile.TemporaryDirectory() as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", download, WHEEL],
                       check=True)
        wheel = next(Path(download).glob("lightning-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.endswith(".py"):
                    archive.extract(name, dest)
    return dest


if __name__ == "__main__":
    target = build_corpus(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DEST)
    files = list(target.rglob("*.py"))
    lines = sum(len(path.read_bytes().splitlines()) for path in files)
    print(f"{target}: {len(files)} files, {lines} lines")
