"""``audit report``: the assessment, in markdown, written from measured facts.

The words come from the rules (summary, rationale, advice, remedy), the numbers
from the scan and ``audit.plan``; the same input gives byte-identical output.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from radon.complexity import cc_rank

from audit import __version__
from audit.metrics import FileMetrics, FunctionMetrics
from audit.model import Finding, ScanResult
from audit.plan import Figures, Recommendation, figures, figures_after, recommendations
from audit.rule import PHASES

EXCERPT_LINES = 14
EXCERPTS_PER_RULE = 4
RISK_NOTES = {
    "quick-wins": ("Something used the deleted code indirectly (a re-export, `getattr`, a wrapper script "
                   "that relies on a signal handler).",
                   "Search for each removed name, run the tests, and interrupt a smoke run (Ctrl-C, SIGTERM) "
                   "to check that Lightning's own handling and checkpoints take over."),
    "start-up": ("Something relied on the import-time effect (a `sys.path` entry, an environment variable, a "
                 "library already loaded when a test patches it).",
                 "Time `python -X importtime -c \"import <module>\"` and `--help` before and after; run the "
                 "tests and a smoke run from a fresh shell, not one that already imported the libraries."),
    "extraction": ("Behaviour changes while code moves (the order of side effects, a variable the old "
                   "scope captured, a default that was set on one path only).",
                   "Move code without editing it, one helper per commit; compare a seeded smoke run's "
                   "validation metric before and after each step."),
    "error-handling": ("An error that used to be swallowed now stops the run.",
                       "That is the point, but check it early: run the smoke and the full config once, and "
                       "catch the specific exception where a failure is truly expected."),
}


@dataclass(frozen=True)
class ReportOptions:
    title: str
    date: str
    scope: Sequence[str]


def report_date(explicit: str | None) -> str:
    """``--date``, else ``SOURCE_DATE_EPOCH`` (reproducible builds), else today."""
    if explicit:
        return dt.date.fromisoformat(explicit).isoformat()
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
    return dt.date.today().isoformat()


def excerpt(source: Sequence[str], start: int, end: int) -> str:
    """The code at ``start..end``, trimmed to a readable size with an elision marker."""
    lines = list(source[start - 1:end])
    if len(lines) > EXCERPT_LINES:
        head, tail = lines[:EXCERPT_LINES - 5], lines[-4:]
        indent = len(lines[1]) - len(lines[1].lstrip()) if len(lines) > 1 else 0
        lines = [*head, " " * indent + f"# ... {len(lines) - len(head) - len(tail)} lines elided ...", *tail]
    return "```python\n" + "\n".join(lines) + "\n```"


def location(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}-{finding.end_line}"


def _percent(before: float, after: float) -> str:
    if before == after:
        return "0%"
    return "n/a" if before == 0 else f"{(after - before) / before * 100:+.0f}%"


def _effort(minutes: int) -> str:
    return f"about {minutes} min" if minutes < 90 else f"about {minutes / 60:.1f} h"


def _functions(metrics: Sequence[FileMetrics]) -> list[tuple[str, FunctionMetrics]]:
    return [(item.path, function) for item in metrics for function in item.functions]


def front_matter(options: ReportOptions, findings: Sequence[Finding]) -> str:
    tags = ["assessment", "evaluation", "audit", *sorted({finding.rule for finding in findings})]
    return "\n".join([
        "---", f'title: "{options.title}"', f'date: "{options.date}"', 'type: "assessment"',
        'category: "evaluation"', 'status: "active"', f'version: "audit {__version__}"',
        "tags: [" + ", ".join(f'"{tag}"' for tag in tags) + "]", "---",
    ])


def _by_rule_sentence(findings: Sequence[Finding]) -> str:
    counts = Counter(finding.rule for finding in findings)
    return ", ".join(f"{count} `{rule}`" for rule, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _worst_function(metrics: Sequence[FileMetrics]) -> tuple[str, FunctionMetrics] | None:
    return max(_functions(metrics), key=lambda pair: (pair[1].complexity, pair[1].lines, pair[0]), default=None)


def executive_summary(options: ReportOptions, result: ScanResult, plans: Sequence[Recommendation]) -> str:
    before = figures(result.metrics, result.findings)
    scope = ", ".join(f"`{path}`" for path in options.scope)
    text = [f"The audit read {result.files_scanned} file(s) under {scope}: {before.lines} lines in "
            f"{before.functions} functions. It found {before.findings} problems: {_by_rule_sentence(result.findings)}."]
    per_file = Counter(finding.path for finding in result.findings)
    worst_path, worst_count = min(per_file.items(), key=lambda item: (-item[1], item[0]))
    text.append(f"`{worst_path}` holds {worst_count} of them.")
    worst = _worst_function(result.metrics)
    if worst is not None:
        path, function = worst
        text.append(f"The most complex function is `{function.qualname}` ({path}:{function.start}-{function.end}): "
                    f"{function.lines} lines, cyclomatic complexity {function.complexity} "
                    f"(rank {cc_rank(function.complexity)}), {function.try_blocks} try/except block(s).")
    removed = sum(plan.lines_removed for plan in plans)
    moved = sum(plan.moved for plan in plans)
    text.append(f"The {len(plans)} recommendations below remove about {removed} lines and move about {moved} "
                f"into named helpers; start with *{plans[0].rule.remedy.title.lower()}* "
                f"({plans[0].rule.remedy.risk} risk).")
    return "## Executive summary\n\n" + " ".join(text)


def _file_row(item: FileMetrics, count: int) -> str:
    longest, complex_ = item.longest, item.most_complex
    busiest = max(item.functions, key=lambda function: (function.try_blocks, -function.start), default=None)
    longest_text = f"`{longest.qualname}` ({longest.lines})" if longest else "-"
    complex_text = f"{complex_.complexity} {cc_rank(complex_.complexity)} (`{complex_.qualname}`)" if complex_ else "-"
    try_text = str(item.try_blocks)
    if busiest is not None and busiest.try_blocks:
        try_text += f" (most in one function: {busiest.try_blocks}, `{busiest.qualname}`)"
    return f"| `{item.path}` | {item.lines} | {len(item.functions)} | {longest_text} | {complex_text} | {try_text} | {count} |"


def _function_findings(findings: Sequence[Finding]) -> Counter[tuple[str, str | None]]:
    return Counter((finding.path, finding.symbol) for finding in findings)


def current_state(result: ScanResult) -> str:
    per_file = Counter(finding.path for finding in result.findings)
    rows = [_file_row(item, per_file[item.path]) for item in result.metrics]
    parts = ["## Current state",
             "| file | lines | functions | longest function (lines) | highest complexity | try/except blocks | findings |\n"
             "|---|---:|---:|---|---|---|---:|\n" + "\n".join(rows)]
    worst = sorted(_functions(result.metrics), key=lambda pair: (-pair[1].complexity, -pair[1].lines, pair[0]))[:10]
    if worst:
        counts = _function_findings(result.findings)
        table = ["| function | location | lines | complexity | rank | try/except | findings |",
                 "|---|---|---:|---:|:-:|---:|---:|"]
        table += [f"| `{function.qualname}` | `{path}:{function.start}-{function.end}` | {function.lines} | "
                  f"{function.complexity} | {cc_rank(function.complexity)} | {function.try_blocks} | "
                  f"{counts[(path, function.qualname)]} |" for path, function in worst]
        parts += ["### Worst functions", "\n".join(table)]
    return "\n\n".join(parts)


def _group_title(path: str, symbol: str | None, group: Sequence[Finding]) -> str:
    where = f"`{symbol}` in `{path}`" if symbol else f"module level of `{path}`"
    return f"#### {where} ({len(group)} finding{'s' if len(group) != 1 else ''})"


def _issue_groups(plan: Recommendation) -> list[tuple[tuple[str, str | None], list[Finding]]]:
    ordered = sorted(plan.findings, key=Finding.sort_key)
    return [(key, list(group)) for key, group in groupby(ordered, key=lambda finding: (finding.path, finding.symbol))]


def _evidence(plan: Recommendation) -> str:
    files = len({finding.path for finding in plan.findings})
    text = (f"**Evidence.** The same construct appears {len(plan.findings)} time(s) in {files} file(s) of the "
            "scanned scope.")
    related = sorted({(finding.path, finding.related) for finding in plan.findings if finding.related})
    if related and plan.rule.remedy.saves == "span":
        spans = ", ".join(f"`{path}:{start}-{end}`" for path, (start, end) in related)
        text += f" Code that exists only to serve it: {spans}."
    return text


def key_issue(number: int, plan: Recommendation, shown: dict[tuple[str, int, int], int],
              sources: dict[str, tuple[str, ...]]) -> str:
    """One rule's findings grouped by function; ``shown`` remembers excerpts already printed."""
    rule = plan.rule
    parts = [f"### {number}. {rule.summary.rstrip('.')} (`{rule.name}`)"]
    for index, ((path, symbol), group) in enumerate(_issue_groups(plan)):
        parts.append(_group_title(path, symbol, group))
        parts.append("\n".join(f"- `{location(finding)}`: {finding.message}" for finding in group))
        spans = [(path, finding.line, finding.end_line) for finding in group]
        fresh = [span for span in spans if span not in shown]
        if not fresh:
            parts.append(f"(Code shown under issue {shown[spans[0]]}.)")
        elif index < EXCERPTS_PER_RULE:
            shown[fresh[0]] = number
            parts.append(excerpt(sources[path], *fresh[0][1:]))
    parts.append(f"**Problems.** {rule.rationale}")
    parts.append(_evidence(plan))
    return "\n\n".join(parts)


def key_issues(plans: Sequence[Recommendation], metrics: Sequence[FileMetrics]) -> str:
    shown: dict[tuple[str, int, int], int] = {}
    sources = {item.path: item.source for item in metrics}
    issues = [key_issue(number, plan, shown, sources) for number, plan in enumerate(plans, start=1)]
    return "## Key issues\n\n" + "\n\n".join(issues)


def _locations(plan: Recommendation, limit: int = 8) -> str:
    shown = ", ".join(f"`{location(finding)}`" for finding in sorted(plan.findings, key=Finding.sort_key)[:limit])
    more = len(plan.findings) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def recommendation(number: int, plan: Recommendation) -> str:
    remedy = plan.rule.remedy
    items = [
        f"- **Rationale:** {plan.rule.rationale}",
        f"- **Action:** {plan.rule.advice} Where: {_locations(plan)}.",
        f"- **Estimated lines:** {plan.lines_removed} removed, {plan.moved} moved into helpers.",
        f"- **Estimated effort:** {_effort(plan.minutes)}.",
        f"- **Risk:** {remedy.risk} ({PHASES[remedy.phase].lower()}).",
    ]
    if plan.covered:
        where = ", ".join(f"`{location(finding)}`" for finding in plan.covered)
        items.insert(3, f"- **Already done by an earlier priority:** {len(plan.covered)} of these ({where}) "
                        "sit in code an earlier recommendation deletes.")
    title = f"### Priority {number}: {remedy.title} (`{plan.rule.name}`, {len(plan.findings)} finding(s))"
    return title + "\n\n" + "\n".join(items)


def recommendations_section(plans: Sequence[Recommendation]) -> str:
    body = "\n\n".join(recommendation(number, plan) for number, plan in enumerate(plans, start=1))
    return "## Recommendations\n\nIn order: least risk and most lines saved first.\n\n" + body


def metrics_table(before: Figures, after: Figures, after_label: str = "after (estimated)") -> str:
    rows = [("total lines", before.lines, after.lines), ("functions", before.functions, after.functions),
            ("longest function (lines)", before.longest, after.longest),
            ("highest complexity", before.highest, after.highest),
            ("mean complexity", round(before.mean, 2), round(after.mean, 2)),
            ("try/except blocks", before.try_blocks, after.try_blocks), ("findings", before.findings, after.findings)]
    lines = [f"| metric | before | {after_label} | change |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {old} | {new} | {_percent(old, new)} |" for name, old, new in rows]
    return "\n".join(lines)


def metrics_summary(result: ScanResult, plans: Sequence[Recommendation]) -> str:
    before = figures(result.metrics, result.findings)
    after = figures_after(result.metrics, plans)
    note = ("After: every recommendation applied; removed lines are gone, moved lines still count (they now live "
            "in helpers, often in other files), and flagged functions are brought down to their rule's threshold.")
    return "## Metrics summary\n\n" + metrics_table(before, after) + "\n\n" + note


def implementation_plan(plans: Sequence[Recommendation]) -> str:
    parts = ["## Implementation plan"]
    number = 0
    for phase, title in PHASES.items():
        steps = [plan for plan in plans if plan.rule.remedy.phase == phase]
        if not steps:
            continue
        number += 1
        minutes = sum(plan.minutes for plan in steps)
        items = [f"{index}. {plan.rule.remedy.title}: {_locations(plan, limit=4)}."
                 for index, plan in enumerate(steps, start=1)]
        parts.append(f"### Phase {number}: {title} ({_effort(minutes)})\n\n" + "\n".join(items))
    return "\n\n".join(parts)


def testing_strategy(options: ReportOptions) -> str:
    paths = " ".join(options.scope)
    steps = [(f"audit scan {paths}", "this phase's findings are gone, none are new"),
             (f"audit compare --git HEAD~1 HEAD {paths}", "the phase's before/after figures"),
             ("python -m pytest", "the project's own tests")]
    width = max(len(command) for command, _ in steps)
    commands = "\n".join(f"{command.ljust(width)}  # {why}" for command, why in steps)
    return ("## Testing strategy\n\nAfter each phase, in its own commit:\n\n```bash\n" + commands + "\n```\n\n"
            "Then run a short seeded training (a smoke experiment) and compare its validation metric with the "
            "same run before the change: a refactor keeps the metric; a changed metric means changed behaviour.")


def risks(plans: Sequence[Recommendation]) -> str:
    rows = ["| risk | phase | level | mitigation |", "|---|---|---|---|"]
    for phase, title in PHASES.items():
        levels = sorted({plan.rule.remedy.risk for plan in plans if plan.rule.remedy.phase == phase})
        if levels:
            risk, mitigation = RISK_NOTES[phase]
            rows.append(f"| {risk} | {title} | {'/'.join(levels)} | {mitigation} |")
    return "## Risks and mitigations\n\n" + "\n".join(rows)


def complexity_chart(metrics: Sequence[FileMetrics]) -> str:
    top = sorted(_functions(metrics), key=lambda pair: (-pair[1].complexity, pair[0], pair[1].start))[:10]
    if not top:
        return ""
    names = Counter(function.qualname for _, function in top)
    labels = [function.qualname if names[function.qualname] == 1 else f"{Path(path).stem}.{function.qualname}"
              for path, function in top]
    ceiling = max(function.complexity for _, function in top) + 2
    return "\n".join([
        "## Complexity chart", "", "```mermaid", "xychart-beta",
        f'    title "Cyclomatic complexity of the {len(top)} most complex functions"',
        "    x-axis [" + ", ".join(f'"{label}"' for label in labels) + "]",
        f'    y-axis "complexity" 0 --> {ceiling}',
        "    bar [" + ", ".join(str(function.complexity) for _, function in top) + "]", "```",
    ])


def _clean_report(options: ReportOptions, result: ScanResult) -> list[str]:
    before = figures(result.metrics, result.findings)
    scope = ", ".join(f"`{path}`" for path in options.scope)
    return [
        "## Summary",
        f"The audit read {result.files_scanned} file(s) under {scope} ({before.lines} lines, {before.functions} "
        f"functions) and found nothing to fix at the current settings. Longest function: {before.longest} lines; "
        f"highest complexity: {before.highest}.",
        current_state(result),
    ]


def render_report(result: ScanResult, options: ReportOptions) -> str:
    """The whole assessment as markdown."""
    sections = [front_matter(options, result.findings), f"# {options.title}"]
    if not result.findings:
        sections += _clean_report(options, result)
    else:
        plans = recommendations(result.findings)
        sections += [executive_summary(options, result, plans), current_state(result), key_issues(plans, result.metrics),
                     recommendations_section(plans), metrics_summary(result, plans), implementation_plan(plans),
                     testing_strategy(options), risks(plans), complexity_chart(result.metrics)]
    if result.errors:
        sections.append("## Files that could not be analysed\n\n"
                        + "\n".join(f"- `{error.path}`: {error.message}" for error in result.errors))
    return "\n\n".join(section for section in sections if section) + "\n"
