"""Human output: findings grouped by file, then a one-line summary.

In a terminal rich lays it out (colour, wrapping at the window's width); anywhere
else (a pipe, a file, a CI log) nothing is ever wrapped, so each finding stays on
one line that grep and editors can read.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from audit.model import ScanResult
from audit.output import printable


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _summary(result: ScanResult) -> str:
    if not result.findings:
        head = f"[green]No findings[/] in {_count(result.files_scanned, 'file')}."
    else:
        by_rule = Counter(finding.rule for finding in result.findings)
        files = len({finding.path for finding in result.findings})
        detail = ", ".join(f"{count} {rule}" for rule, count in sorted(by_rule.items()))
        # Project rules can point into files that are not Python (a YAML config): say how many were scanned.
        where = (f"{files} of {_count(result.files_scanned, 'file')}" if files <= result.files_scanned
                 else f"{_count(files, 'file')} ({_count(result.files_scanned, 'Python file')} scanned)")
        head = f"[bold]Found {_count(len(result.findings), 'finding')}[/] in {where}: {detail}."
    if result.errors:
        head += f" [red]{_count(len(result.errors), 'file')} could not be analysed.[/]"
    return head


def print_result(result: ScanResult, console: Console) -> None:
    """Print grouped findings, errors and the summary to ``console``."""
    for path, group in groupby(result.findings, key=lambda finding: finding.path):
        console.print(f"[bold underline]{escape(printable(path))}[/]")
        for finding in group:
            location = f"{finding.line}:{finding.column}"
            console.print(f"  [dim]{location:>8}[/]  [cyan]{finding.rule:<22}[/] {escape(finding.message)}",
                          highlight=False, soft_wrap=True)
        console.print()
    for error in result.errors:
        console.print(f"[red]error[/]: {escape(printable(error.path))}: {escape(error.message)}", highlight=False,
                      soft_wrap=True)
    console.print(_summary(result), highlight=False)


def emit(result: ScanResult, stream: TextIO) -> None:
    """Print to ``stream``: rich's layout in a terminal, unwrapped lines elsewhere."""
    console = Console(file=stream)
    if not console.is_terminal:
        console = Console(file=stream, soft_wrap=True, width=10**6)
    print_result(result, console)
