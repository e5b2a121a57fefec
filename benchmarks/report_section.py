"""Several benchmark scripts share ``reports/benchmarks.md``: each owns one marked section of it."""

from __future__ import annotations

from pathlib import Path


def write_section(report: Path, name: str, text: str) -> None:
    """Replace (or append) the section ``name`` of ``report``, leaving the other sections as they are."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{text.strip()}\n{end}\n"
    current = report.read_text() if report.exists() else ""
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        current = (current.rstrip("\n") + "\n\n" if current.strip() else "") + block
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(current)
