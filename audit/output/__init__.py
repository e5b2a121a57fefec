"""Output formats for a scan, in one table: the CLI's ``--format`` choices come from it.

Each format is a module here with ``emit(result, stream)``; it is imported only
when chosen, so ``audit --help`` stays fast. Adding a format is one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from audit.model import ScanResult


@dataclass(frozen=True)
class OutputFormat:
    name: str
    help: str
    module: str

    def emit(self, result: ScanResult, stream: TextIO) -> None:
        import_module(self.module).emit(result, stream)


FORMATS = {output.name: output for output in (
    OutputFormat("text", "findings grouped by file, for people (wrapped only in a terminal)", "audit.output.text"),
    OutputFormat("concise", "one `path:line:col: rule message` line per finding, for editors, grep and CI",
                 "audit.output.concise"),
    OutputFormat("json", "the stable JSON schema, for tools", "audit.output.json"),
)}


def printable(text: str) -> str:
    """``text`` with undecodable file-name bytes (lone surrogates) shown as ``\\udcXX`` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
