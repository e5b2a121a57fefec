"""Each benchmark script owns one marked section of a shared report, and rewrites only that section."""

from __future__ import annotations

import re
from pathlib import Path


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- section: {name} -->", f"<!-- end section: {name} -->"


def write_section(path: Path, name: str, text: str) -> str:
    """Put ``text`` between ``name``'s markers in ``path`` (appended when absent); return the whole file."""
    start, end = _markers(name)
    block = f"{start}\n{text.rstrip()}\n{end}\n"
    current = path.read_text() if path.exists() else ""
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _: block, current, count=1)
    else:
        updated = current + ("\n" if current and not current.endswith("\n\n") else "") + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated)
    return updated
