"""Human output: findings grouped by file, then a one-line summary.

In a terminal rich lays it out (colour, wrapping at the window's width); anywhere
else (a pipe, a file, a CI log) the same lines are written plainly, never wrapped,
so each finding stays on one line that grep and editors can read, and rich is not
imported at all (a cached rescan is mostly start-up and printing).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import TYPE_CHECKING, TextIO

from audit.model import ScanResult
from audit.output import printable

if TYPE_CHECKING:
    from rich.console import Console

Style = Callable[[str, str], str]


def _markup(text: str, style: str) -> str:
    return f"[{style}]{text}[/]"


def _plain(text: str, style: str) -> str:
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _summary(result: ScanResult, style: Style = _markup) -> str:
    if not result.findings:
        head = f"{style('No findings', 'green')} in {_count(result.files_scanned, 'file')}."
    else:
        by_rule = Counter(finding.rule for finding in result.findings)
        files = len({finding.path for finding in result.findings})
        detail = ", ".join(f"{count} {rule}" for rule, count in sorted(by_rule.items()))
        # Project rules can point into files that are not Python (a YAML config): say how many were scanned.
        where = (f"{files} of {_count(result.files_scanned, 'file')}" if files <= result.files_scanned
                 else f"{_count(files, 'file')} ({_count(result.files_scanned, 'Python file')} scanned)")
        found = f"Found {_count(len(result.findings), 'finding')}"
        head = f"{style(found, 'bold')} in {where}: {detail}."
    if result.errors:
        head += " " + style(f"{_count(len(result.errors), 'file')} could not be analysed.", "red")
    return head


def _lines(result: ScanResult, style: Style, escape: Callable[[str], str]) -> Iterator[tuple[str, bool]]:
    """The output's lines, styled with rich markup or plain, each with whether it may wrap in a terminal."""
    for path, group in groupby(result.findings, key=lambda finding: finding.path):
        yield style(escape(printable(path)), "bold underline"), True
        for finding in group:
            location = f"{finding.line}:{finding.column}"
            rule = f"{finding.rule:<22}"
            yield f"  {style(f'{location:>8}', 'dim')}  {style(rule, 'cyan')} {escape(finding.message)}", False
        yield "", True
    for error in result.errors:
        yield f"{style('error', 'red')}: {escape(printable(error.path))}: {escape(error.message)}", False
    yield _summary(result, style), True


def print_result(result: ScanResult, console: Console) -> None:
    """Print grouped findings, errors and the summary to a rich ``console`` (findings never wrap)."""
    from rich.markup import escape

    for line, wraps in _lines(result, _markup, escape):
        console.print(line, highlight=False, soft_wrap=not wraps)


def _is_terminal(stream: TextIO) -> bool:
    """As rich decides it: the variables that force a terminal on or off, else the stream itself."""
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") in ("0", "1"):
        from rich.console import Console

        return Console(file=stream).is_terminal
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def emit(result: ScanResult, stream: TextIO) -> None:
    """Print to ``stream``: rich's layout in a terminal, plain unwrapped lines elsewhere."""
    if _is_terminal(stream):
        from rich.console import Console

        print_result(result, Console(file=stream))
    else:
        stream.write("".join(f"{line}\n" for line, _ in _lines(result, _plain, str)))
