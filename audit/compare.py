"""``audit compare``: before/after figures of two versions, per file and in total.

Versions are two sets of paths, or two git revisions read with ``git archive``
into a temporary folder (the work tree is never touched).
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from audit.config import Settings
from audit.engine import scan
from audit.model import Finding, ScanResult
from audit.plan import Figures, figures

_COLUMNS = (("lines", "lines"), ("functions", "functions"), ("longest", "longest function"),
            ("highest", "highest complexity"), ("mean", "mean complexity"), ("try_blocks", "try/except"),
            ("findings", "findings"))


class CompareError(Exception):
    """A revision or path could not be read."""


@dataclass(frozen=True)
class FileComparison:
    path: str
    before: Figures | None
    after: Figures | None


@dataclass(frozen=True)
class Comparison:
    files: list[FileComparison]
    before: Figures
    after: Figures
    rules_before: Counter[str]
    rules_after: Counter[str]


def _per_file(result: ScanResult) -> dict[str, Figures]:
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_path[finding.path].append(finding)
    return {item.path: figures([item], by_path[item.path]) for item in result.metrics}


def compare_results(before: ScanResult, after: ScanResult) -> Comparison:
    old, new = _per_file(before), _per_file(after)
    files = [FileComparison(path, old.get(path), new.get(path)) for path in sorted(old.keys() | new.keys())]
    return Comparison(files, figures(before.metrics, before.findings), figures(after.metrics, after.findings),
                      Counter(f.rule for f in before.findings), Counter(f.rule for f in after.findings))


def scan_paths(paths: Sequence[Path], settings: Settings) -> ScanResult:
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise CompareError(f"{missing[0]}: no such file or directory")
    return scan(paths, settings, measure=True)


def _git(args: Sequence[str], cwd: Path) -> bytes:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    if done.returncode != 0:
        raise CompareError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def scan_revision(revision: str, paths: Sequence[Path], settings: Settings, workdir: Path) -> ScanResult:
    """Scan ``paths`` (relative to the repository root) as they are at ``revision``."""
    top = Path(_git(["rev-parse", "--show-toplevel"], Path.cwd()).decode().strip())
    try:
        specs = [(Path.cwd() / path).resolve().relative_to(top).as_posix() for path in paths] or ["."]
    except ValueError:
        raise CompareError(f"with --git, paths must lie inside the repository {top}") from None
    archive = _git(["archive", "--format=tar", revision, "--", *specs], top)
    target = workdir / revision.replace("/", "_")
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    local = replace(settings, root=target)
    return scan([target / spec for spec in specs if (target / spec).exists()], local, measure=True, root=target)


def compare_revisions(revisions: tuple[str, str], paths: Sequence[Path], settings: Settings) -> Comparison:
    with tempfile.TemporaryDirectory(prefix="audit-compare-") as workdir:
        before = scan_revision(revisions[0], paths, settings, Path(workdir))
        after = scan_revision(revisions[1], paths, settings, Path(workdir) / "after")
    return compare_results(before, after)


def _cell(before: float | None, after: float | None) -> str:
    if before is None:
        return f"- → {after:g}"
    if after is None:
        return f"{before:g} → -"
    change = "0%" if before == after else ("n/a" if before == 0 else f"{(after - before) / before * 100:+.0f}%")
    return f"{before:g} → {after:g} ({change})"


def _value(figures_: Figures | None, key: str) -> float | None:
    return None if figures_ is None else round(getattr(figures_, key), 2)


def _change(before: float, after: float) -> str:
    return _cell(before, after).rsplit(" (", 1)[-1].rstrip(")")


def file_rows(comparison: Comparison) -> list[list[str]]:
    rows = [["file", *(title for _, title in _COLUMNS)]]
    for item in comparison.files:
        rows.append([item.path, *(_cell(_value(item.before, key), _value(item.after, key)) for key, _ in _COLUMNS)])
    return rows


def total_rows(comparison: Comparison) -> list[list[str]]:
    rows = [["metric", "before", "after", "change"]]
    for key, title in _COLUMNS:
        old, new = _value(comparison.before, key), _value(comparison.after, key)
        rows.append([title, f"{old:g}", f"{new:g}", _change(old, new)])
    for rule in sorted(comparison.rules_before.keys() | comparison.rules_after.keys()):
        old, new = comparison.rules_before[rule], comparison.rules_after[rule]
        rows.append([f"{rule} findings", str(old), str(new), _change(old, new)])
    return rows


def _markdown_table(rows: list[list[str]]) -> list[str]:
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    return lines + ["| " + " | ".join(row) + " |" for row in body]


def _text_table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                       for column, (cell, width) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    return [lines[0], "-" * len(lines[0]), *lines[1:]]


def render_markdown(comparison: Comparison, labels: tuple[str, str]) -> str:
    return "\n".join([f"## Before/after: `{labels[0]}` → `{labels[1]}`", "", "### Per file", "",
                      *_markdown_table(file_rows(comparison)), "", "### Total", "",
                      *_markdown_table(total_rows(comparison)), ""])


def render_text(comparison: Comparison, labels: tuple[str, str]) -> str:
    return "\n".join([f"Before: {labels[0]}", f"After:  {labels[1]}", "", *_text_table(file_rows(comparison)), "",
                      *_text_table(total_rows(comparison)), ""])


def render_json(comparison: Comparison, labels: tuple[str, str]) -> str:
    def plain(figures_: Figures | None) -> dict | None:
        return None if figures_ is None else asdict(figures_)

    document = {
        "version": 1, "before": labels[0], "after": labels[1],
        "files": [{"path": item.path, "before": plain(item.before), "after": plain(item.after)}
                  for item in comparison.files],
        "total": {"before": plain(comparison.before), "after": plain(comparison.after)},
        "findings_by_rule": {"before": dict(sorted(comparison.rules_before.items())),
                             "after": dict(sorted(comparison.rules_after.items()))},
    }
    return json.dumps(document, indent=2) + "\n"
