"""Output formats, in tables: the CLI's ``--format`` choices come from them.

As ruff's ``Emitter`` trait, each format is one implementation of one call,
``emit(subject, stream, *context)``: ``FORMATS`` writes a scan's ``ScanResult``,
``COMPARE_FORMATS`` an ``audit compare`` ``Comparison`` (with its two labels).
A format's module is imported only when chosen, so ``audit --help`` stays fast.
Adding a format is one row and one function.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, TextIO


@dataclass(frozen=True)
class OutputFormat:
    name: str
    help: str
    module: str
    function: str = "emit"

    def emit(self, subject: Any, stream: TextIO, *context: Any) -> None:
        getattr(import_module(self.module), self.function)(subject, stream, *context)


def _table(*formats: OutputFormat) -> dict[str, OutputFormat]:
    return {output.name: output for output in formats}


FORMATS = _table(
    OutputFormat("text", "findings grouped by file, for people (wrapped only in a terminal)", "audit.output.text"),
    OutputFormat("concise", "one `path:line:col: rule message` line per finding, for editors, grep and CI",
                 "audit.output.concise"),
    OutputFormat("json", "the stable JSON schema, for tools", "audit.output.json"),
    OutputFormat("sarif", "SARIF 2.1.0, for code-scanning tools (GitHub code scanning, IDEs)", "audit.output.sarif"),
    OutputFormat("github", "GitHub Actions workflow commands: one annotation per finding", "audit.output.github"),
)

COMPARE_FORMATS = _table(
    OutputFormat("text", "aligned tables", "audit.output.comparison", "emit_text"),
    OutputFormat("markdown", "markdown tables", "audit.output.comparison", "emit_markdown"),
    OutputFormat("json", "the figures as JSON", "audit.output.comparison", "emit_json"),
)


def printable(text: str) -> str:
    """``text`` with undecodable file-name bytes (lone surrogates) shown as ``\\udcXX`` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (``audit.atomic``), keeping the file's permissions.

    A new file gets the umask's. Raises ``OSError``.
    """
    from audit.atomic import replace_file

    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, printable(text).encode("utf-8"))
