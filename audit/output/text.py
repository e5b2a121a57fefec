"""Human output: findings grouped by file, then a one-line summary."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from rich.console import Console
from rich.markup import escape

from audit.model import ScanResult


def _summary(result: ScanResult) -> str:
    if not result.findings:
        head = f"[green]No findings[/] in {result.files_scanned} files."
    else:
        by_rule = Counter(finding.rule for finding in result.findings)
        files = len({finding.path for finding in result.findings})
        detail = ", ".join(f"{count} {rule}" for rule, count in sorted(by_rule.items()))
        plural = "s" if len(result.findings) != 1 else ""
        head = (f"[bold]Found {len(result.findings)} finding{plural}[/] in {files} of "
                f"{result.files_scanned} files: {detail}.")
    if result.errors:
        head += f" [red]{len(result.errors)} file(s) could not be analysed.[/]"
    return head


def print_result(result: ScanResult, console: Console) -> None:
    """Print grouped findings, errors and the summary to ``console``."""
    for path, group in groupby(result.findings, key=lambda finding: finding.path):
        console.print(f"[bold underline]{escape(path)}[/]")
        for finding in group:
            location = f"{finding.line}:{finding.column}"
            console.print(f"  [dim]{location:>8}[/]  [cyan]{finding.rule:<22}[/] {escape(finding.message)}",
                          highlight=False, soft_wrap=True)
        console.print()
    for error in result.errors:
        console.print(f"[red]error[/]: {escape(error.path)}: {escape(error.message)}", highlight=False,
                      soft_wrap=True)
    console.print(_summary(result), highlight=False)
