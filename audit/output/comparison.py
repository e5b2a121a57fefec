"""``audit compare``'s renderers: per-file and total before/after tables as text, markdown or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TextIO

from audit.compare import Comparison
from audit.plan import Figures

_COLUMNS = (("lines", "lines"), ("functions", "functions"), ("longest", "longest function"),
            ("highest", "highest complexity"), ("mean", "mean complexity"), ("try_blocks", "try/except"),
            ("findings", "findings"))

def _cell(before: float | None, after: float | None, errors: tuple[bool, bool] = (False, False)) -> str:
    old = "error" if errors[0] else ("-" if before is None else f"{before:g}")
    new = "error" if errors[1] else ("-" if after is None else f"{after:g}")
    if before is None or after is None:
        return f"{old} → {new}"
    return f"{old} → {new} ({_change(before, after)})"


def _value(figures_: Figures | None, key: str) -> float | None:
    return None if figures_ is None else round(getattr(figures_, key), 2)


def _change(before: float, after: float) -> str:
    if before == after:
        return "0%"
    return "n/a" if before == 0 else f"{(after - before) / before * 100:+.0f}%"


def file_rows(comparison: Comparison) -> list[list[str]]:
    rows = [["file", *(title for _, title in _COLUMNS)]]
    for item in comparison.files:
        errors = (item.before_error is not None, item.after_error is not None)
        rows.append([item.path, *(_cell(_value(item.before, key), _value(item.after, key), errors)
                                  for key, _ in _COLUMNS)])
    return rows


def total_rows(comparison: Comparison) -> list[list[str]]:
    rows = [["metric", "before", "after", "change"]]
    counts = [("files analysed", *comparison.analysed),
              ("files not analysed", len(comparison.errors_before), len(comparison.errors_after))]
    for title, old_count, new_count in counts:
        rows.append([title, str(old_count), str(new_count), _change(old_count, new_count)])
    for key, title in _COLUMNS:
        old, new = round(getattr(comparison.before, key), 2), round(getattr(comparison.after, key), 2)
        rows.append([title, f"{old:g}", f"{new:g}", _change(old, new)])
    for rule in sorted(comparison.rules_before.keys() | comparison.rules_after.keys()):
        old_count, new_count = comparison.rules_before[rule], comparison.rules_after[rule]
        rows.append([f"{rule} findings", str(old_count), str(new_count), _change(old_count, new_count)])
    return rows


def error_rows(comparison: Comparison) -> list[list[str]]:
    """side, file and reason for every file that could not be analysed (header only when none)."""
    rows = [["side", "file", "reason"]]
    shown = {(side, item.path): path for item in comparison.files
             for side, path in (("before", item.before_path), ("after", item.after_path))}
    for side, errors in (("before", comparison.errors_before), ("after", comparison.errors_after)):
        rows += [[side, shown.get((side, error.path)) or error.path, error.message] for error in errors]
    return rows


def error_lines(comparison: Comparison) -> list[str]:
    """One line per file that could not be analysed, for stderr."""
    return [f"{path} ({side}): {reason}" for side, path, reason in error_rows(comparison)[1:]]


def _totals_note(comparison: Comparison) -> list[str]:
    missing = len(comparison.errors_before) + len(comparison.errors_after)
    if not missing:
        return []
    return ["", f"The totals leave out {missing} file(s) that could not be analysed (listed below): "
                "the comparison is incomplete."]


def _markdown_table(rows: list[list[str]]) -> list[str]:
    header, *body = rows
    escaped = [[cell.replace("|", "\\|") for cell in row] for row in body]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    return lines + ["| " + " | ".join(row) + " |" for row in escaped]


def _text_table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                       for column, (cell, width) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    return [lines[0], "-" * len(lines[0]), *lines[1:]]


def render_markdown(comparison: Comparison, labels: tuple[str, str]) -> str:
    lines = [f"## Before/after: `{labels[0]}` → `{labels[1]}`", "", "### Per file", "",
             *_markdown_table(file_rows(comparison)), "", "### Total", "",
             *_markdown_table(total_rows(comparison)), *_totals_note(comparison)]
    if comparison.has_errors:
        errors = error_rows(comparison)
        lines += ["", "### Files that could not be analysed", "", "| side | file | reason |", "|---|---|---|",
                  *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in errors[1:])]
    return "\n".join([*lines, ""])


def render_text(comparison: Comparison, labels: tuple[str, str]) -> str:
    lines = [f"Before: {labels[0]}", f"After:  {labels[1]}", "", *_text_table(file_rows(comparison)), "",
             *_text_table(total_rows(comparison)), *_totals_note(comparison)]
    if comparison.has_errors:
        lines += ["", "Files that could not be analysed:",
                  *(f"  {line}" for line in error_lines(comparison))]
    return "\n".join([*lines, ""])


def render_json(comparison: Comparison, labels: tuple[str, str]) -> str:
    def plain(figures_: Figures | None) -> dict | None:
        return None if figures_ is None else asdict(figures_)

    document = {
        "version": 1, "before": labels[0], "after": labels[1],
        "files": [{"path": item.path, "before_path": item.before_path, "after_path": item.after_path,
                   "before": plain(item.before), "after": plain(item.after),
                   "before_error": item.before_error, "after_error": item.after_error}
                  for item in comparison.files],
        "total": {"before": plain(comparison.before), "after": plain(comparison.after)},
        "files_analysed": {"before": comparison.analysed[0], "after": comparison.analysed[1]},
        "errors": {"before": [error.to_dict() for error in comparison.errors_before],
                   "after": [error.to_dict() for error in comparison.errors_after]},
        "findings_by_rule": {"before": dict(sorted(comparison.rules_before.items())),
                             "after": dict(sorted(comparison.rules_after.items()))},
    }
    return json.dumps(document, indent=2) + "\n"



def emit_text(comparison: Comparison, stream: TextIO, labels: tuple[str, str]) -> None:
    stream.write(render_text(comparison, labels))


def emit_markdown(comparison: Comparison, stream: TextIO, labels: tuple[str, str]) -> None:
    stream.write(render_markdown(comparison, labels))


def emit_json(comparison: Comparison, stream: TextIO, labels: tuple[str, str]) -> None:
    stream.write(render_json(comparison, labels))
