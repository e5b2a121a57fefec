"""``--format concise``: ``path:line:col: rule message``, one finding per line (as ruff's concise output)."""

from __future__ import annotations

from typing import TextIO

from audit.model import ScanResult
from audit.output import printable


def lines(result: ScanResult) -> list[str]:
    """One line per finding, then one per file that could not be analysed, then the count."""
    out = [f"{finding.path}:{finding.line}:{finding.column}: {finding.rule} {' '.join(finding.message.split())}"
           for finding in result.findings]
    out += [f"{error.path}: error: {' '.join(error.message.split())}" for error in result.errors]
    count = len(result.findings)
    out.append(f"Found {count} finding{'' if count == 1 else 's'} in {result.files_scanned} "
               f"file{'' if result.files_scanned == 1 else 's'}.")
    return [printable(line) for line in out]


def emit(result: ScanResult, stream: TextIO) -> None:
    stream.write("\n".join(lines(result)) + "\n")
