"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::warning file=PATH,line=N,endLine=N,col=N,endColumn=N,title=RULE::MESSAGE`` for
each finding and ``::error file=PATH,title=audit::MESSAGE`` for each file that
could not be analysed. Values are escaped as ``@actions/core`` escapes them:
``%``, ``\\r`` and ``\\n`` everywhere, and ``:`` and ``,`` inside properties.
Paths are as shown (relative to where audit ran): run it from the repository root.
"""

from __future__ import annotations

from typing import TextIO

from audit.model import FileError, Finding, ScanResult
from audit.output import printable


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, properties: dict[str, object], message: str) -> str:
    listed = ",".join(f"{key}={escape_property(printable(str(value)))}" for key, value in properties.items())
    return f"::{kind} {listed}::{escape_data(printable(message))}"


def finding_line(finding: Finding) -> str:
    properties: dict[str, object] = {"file": finding.path, "line": finding.line, "endLine": finding.end_line,
                                     "col": finding.column}
    if finding.end_column is not None:
        properties["endColumn"] = finding.end_column
    properties["title"] = finding.rule
    return command("warning", properties, finding.message)


def error_line(error: FileError) -> str:
    title = f"audit: {error.rule}" if error.rule else "audit"
    return command("error", {"file": error.path, "title": title}, error.message)


def lines(result: ScanResult) -> list[str]:
    return [*map(finding_line, result.findings), *map(error_line, result.errors)]


def emit(result: ScanResult, stream: TextIO) -> None:
    stream.write("".join(line + "\n" for line in lines(result)))
