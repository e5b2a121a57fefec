"""``audit report``: the assessment, in markdown, written from measured facts.

The words come from the rules (summary, rationale, advice, remedy), the numbers
from the scan and ``audit.plan``; the same input gives byte-identical output.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from radon.complexity import cc_rank

from audit import __version__
from audit.metrics import FileMetrics, FunctionMetrics
from audit.model import Finding, ScanResult
from audit.plan import (
    Figures,
    Recommendation,
    deleted_functions,
    deleted_lines,
    figures,
    figures_after,
    recommendations,
    removed_findings,
)
from audit.rule import PHASES, Rule

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


class ReportError(ValueError):
    """A bad ``--date`` or ``SOURCE_DATE_EPOCH``; the message says which and why."""


def report_date(explicit: str | None) -> str:
    """``--date``, else ``SOURCE_DATE_EPOCH`` (reproducible builds), else today."""
    if explicit:
        try:
            return dt.date.fromisoformat(explicit).isoformat()
        except ValueError:
            raise ReportError(f"--date must be YYYY-MM-DD, got {explicit!r}") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise ReportError(f"SOURCE_DATE_EPOCH must be seconds since 1970 within the calendar, got {epoch!r}") \
                from None
    return dt.date.today().isoformat()


def default_title(paths: Sequence[Path]) -> str:
    """``Assessment: NAME, ...``, naming each scanned folder or file by its own name (``.`` too)."""
    names = [path.resolve().name or path.resolve().as_posix() for path in paths]
    return "Assessment: " + ", ".join(names)


def excerpt(source: Sequence[str], start: int, end: int) -> str:
    """The code at ``start..end``, trimmed to a readable size with an elision marker."""
    lines = list(source[start - 1:end])
    if len(lines) > EXCERPT_LINES:
        head, tail = lines[:EXCERPT_LINES - 5], lines[-4:]
        indent = len(lines[1]) - len(lines[1].lstrip()) if len(lines) > 1 else 0
        lines = [*head, " " * indent + f"# ... {len(lines) - len(head) - len(tail)} lines elided ...", *tail]
    return "```python\n" + "\n".join(lines) + "\n```"


def span_text(start: int, end: int) -> str:
    """``48`` for one line, ``48-52`` for several."""
    return str(start) if start == end else f"{start}-{end}"


def location(finding: Finding) -> str:
    return f"{finding.path}:{span_text(finding.line, finding.end_line)}"


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
        "---", f"title: {json.dumps(options.title, ensure_ascii=False)}", f'date: "{options.date}"', 'type: "assessment"',
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
        text.append(f"The most complex function is `{function.qualname}` ({path}:{span_text(function.start, function.end)}): "
                    f"{function.lines} lines, cyclomatic complexity {function.complexity} "
                    f"(rank {cc_rank(function.complexity)}), {function.try_blocks} try/except block(s).")
    removed = sum(plan.lines_removed for plan in plans)
    moved = sum(plan.moved for plan in plans)
    first = plans[0]
    text.append(f"The {len(plans)} priorities below delete about {removed} lines and move about {moved} into named "
                f"helpers; start with *{_plan_title(first).lower()}* ({first.harm} harm, "
                f"{first.rule.remedy.risk} risk).")
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
        table += [f"| `{function.qualname}` | `{path}:{span_text(function.start, function.end)}` | {function.lines} | "
                  f"{function.complexity} | {cc_rank(function.complexity)} | {function.try_blocks} | "
                  f"{counts[(path, function.qualname)]} |" for path, function in worst]
        parts += ["### Worst functions", "\n".join(table)]
    return "\n\n".join(parts)


def _group_title(path: str, symbol: str | None, group: Sequence[Finding]) -> str:
    where = f"`{symbol}` in `{path}`" if symbol else f"module level of `{path}`"
    return f"#### {where} ({len(group)} finding{'s' if len(group) != 1 else ''})"


def _issue_groups(findings: Sequence[Finding]) -> list[tuple[tuple[str, str | None], list[Finding]]]:
    ordered = sorted(findings, key=Finding.sort_key)
    return [(key, list(group)) for key, group in groupby(ordered, key=lambda finding: (finding.path, finding.symbol))]


def _by_rule(plans: Sequence[Recommendation]) -> list[tuple[Rule, list[Finding]]]:
    """Each rule once, in the order of its first priority, with all its findings."""
    rules: dict[str, tuple[Rule, list[Finding]]] = {}
    for plan in plans:
        rules.setdefault(plan.rule.name, (plan.rule, []))[1].extend(plan.findings)
    return list(rules.values())


def _evidence(rule: Rule, findings: Sequence[Finding]) -> str:
    files = len({finding.path for finding in findings})
    text = (f"**Evidence.** The same construct appears {len(findings)} time(s) in {files} file(s) of the "
            "scanned scope.")
    related = sorted({(finding.path, finding.related) for finding in findings if finding.related})
    if related and rule.remedy.saves == "span":
        spans = ", ".join(f"`{path}:{span_text(*span)}`" for path, span in related)
        text += f" Code that exists only to serve it: {spans}."
    return text


def key_issue(number: int, rule: Rule, findings: Sequence[Finding], shown: dict[tuple[str, int, int], int],
              sources: dict[str, tuple[str, ...]]) -> str:
    """One rule's findings grouped by function; ``shown`` remembers excerpts already printed."""
    parts = [f"### {number}. {rule.summary.rstrip('.')} (`{rule.name}`)"]
    for index, ((path, symbol), group) in enumerate(_issue_groups(findings)):
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
    parts.append(_evidence(rule, findings))
    return "\n\n".join(parts)


def key_issues(plans: Sequence[Recommendation], metrics: Sequence[FileMetrics]) -> str:
    shown: dict[tuple[str, int, int], int] = {}
    sources = {item.path: item.source for item in metrics}
    issues = [key_issue(number, rule, findings, shown, sources)
              for number, (rule, findings) in enumerate(_by_rule(plans), start=1)]
    return "## Key issues\n\n" + "\n\n".join(issues)


def _plan_title(plan: Recommendation) -> str:
    title = plan.rule.remedy.title
    return title + " that drop a failed save, load or open" if plan.guards_state else title


def _to_fix(plan: Recommendation) -> list[Finding]:
    skipped = {id(finding) for finding, _ in plan.skipped}
    return [finding for finding in plan.findings if id(finding) not in skipped]


def _located(plan: Recommendation, finding: Finding) -> str:
    call = plan.guards_state.get((finding.path, finding.line))
    return f"`{location(finding)}`" + (f" (`{call}`)" if call else "")


def _locations(plan: Recommendation, limit: int = 8) -> str:
    findings = sorted(_to_fix(plan), key=Finding.sort_key)
    shown = ", ".join(_located(plan, finding) for finding in findings[:limit])
    more = len(findings) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _function_name(finding: Finding) -> str:
    return f"`{finding.symbol}`" if finding.symbol else f"`{location(finding)}`"


def _lines_estimate(plan: Recommendation) -> str:
    saves = plan.rule.remedy.saves
    if saves == "span":
        return (f"{plan.lines_removed} deleted: the flagged lines and the code that exists only to serve them "
                "(lines another priority already deletes are counted there).")
    if saves == "excess":
        moves = ", ".join(f"{_function_name(finding)} {finding.value:g} → {finding.threshold:g}"
                          for finding in _to_fix(plan) if finding.value is not None and finding.threshold is not None)
        return f"{plan.moved} moved into helpers: each function's lines past the limit ({moves})."
    return ("none counted: the fix rewrites code in place, and the plan does not guess how many lines that adds "
            "or removes.")


def _harm(plan: Recommendation) -> str:
    if plan.guards_state:
        calls = ", ".join(f"`{call}`" for call in sorted(set(plan.guards_state.values())))
        return (f"high: the `try` saves, loads or opens something ({calls}) and the handler drops the failure, so a "
                "run can go on without its checkpoint, its resumed state or its data.")
    return f"{plan.harm} (the rule's rating of the problem)."


def _saving_headline(plans: Sequence[Recommendation]) -> str | None:
    """``saves up to ~3.1 s per start-up, measured``: the largest measured saving of these priorities, if any."""
    measured = [(value, plan.rule.remedy.measured_saving) for plan in plans
                for value in plan.measured_savings.values()]
    if not measured:
        return None
    value, unit = max(measured, key=lambda item: item[0])
    return f"saves up to ~{value:.1f} {unit}, measured"


def _saving_estimate(plan: Recommendation) -> str:
    files = ", ".join(f"`{path}` {value:.2f} s" for path, value in plan.measured_savings.items())
    return (f"{_saving_headline([plan])} by `--measure-imports`: the import time of each flagged module ({files}), "
            "which moving its heavy imports shortens by at most that much.")


def recommendation(number: int, plan: Recommendation) -> str:
    remedy = plan.rule.remedy
    items = [
        f"- **Rationale:** {plan.rule.rationale}",
        f"- **Action:** {plan.rule.advice} Where: {_locations(plan) if plan.to_fix else 'nothing left (see Skip)'}.",
        f"- **Harm:** {_harm(plan)}",
        f"- **Estimated lines:** {_lines_estimate(plan)}",
        f"- **Estimated effort:** {_effort(plan.minutes)} ({plan.to_fix} × {remedy.minutes} min, the rule's "
        "estimate per finding).",
        *([f"- **Expected saving:** {_saving_estimate(plan)}"] if plan.measured_savings else []),
        f"- **Risk:** {remedy.risk} ({PHASES[remedy.phase].lower()}).",
    ]
    by_deleter: dict[int, list[Finding]] = defaultdict(list)
    for finding, deleter in plan.skipped:
        by_deleter[deleter].append(finding)
    for deleter, findings in sorted(by_deleter.items()):
        where = ", ".join(f"`{location(finding)}`" for finding in sorted(findings, key=Finding.sort_key))
        verb = "sits" if len(findings) == 1 else "sit"
        items.insert(4, f"- **Skip:** {len(findings)} of these ({where}) {verb} in code that priority {deleter + 1} "
                        "deletes.")
    title = f"### Priority {number}: {_plan_title(plan)} (`{plan.rule.name}`, {len(plan.findings)} finding(s))"
    return title + "\n\n" + "\n".join(items)


def estimate_table(plans: Sequence[Recommendation]) -> str:
    """Every priority's effort and lines, with the numbers they come from."""
    rows = ["| priority | rule | findings | skipped | to fix | minutes per finding | effort | lines deleted | "
            "lines moved |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for number, plan in enumerate(plans, start=1):
        label = f"`{plan.rule.name}`" + (" (save, load, open)" if plan.guards_state else "")
        rows.append(f"| {number} | {label} | {len(plan.findings)} | {len(plan.skipped)} | {plan.to_fix} | "
                    f"{plan.rule.remedy.minutes} | {plan.minutes} min | {plan.lines_removed} | {plan.moved} |")
    minutes = sum(plan.minutes for plan in plans)
    rows.append(f"| | total | {sum(len(plan.findings) for plan in plans)} | "
                f"{sum(len(plan.skipped) for plan in plans)} | {sum(plan.to_fix for plan in plans)} | | "
                f"{minutes} min ({_effort(minutes)}) | {sum(plan.lines_removed for plan in plans)} | "
                f"{sum(plan.moved for plan in plans)} |")
    return ("### Basis of the estimates\n\nEffort is the rule's minutes per finding (its remedy, shown by "
            "`audit rules NAME`) times the findings left to fix; a finding is skipped when it sits in code another "
            "priority deletes. Lines deleted and moved are counted only for fixes that delete code or move "
            "lines past a limit; fixes that rewrite code in place count none.\n\n" + "\n".join(rows))


def recommendations_section(plans: Sequence[Recommendation]) -> str:
    body = "\n\n".join(recommendation(number, plan) for number, plan in enumerate(plans, start=1))
    return ("## Recommendations\n\nIn order: the harm of the problem first (handlers that drop a failed save, "
            "load or open lead), then the cost of the fix (risk, then effort).\n\n" + body + "\n\n"
            + estimate_table(plans))


def _numbers(chosen: Iterable[int]) -> str:
    numbers = sorted(set(chosen))
    return ("priority " if len(numbers) == 1 else "priorities ") + ", ".join(str(number + 1) for number in numbers)


def _work_basis(plans: Sequence[Recommendation]) -> dict[str, str]:
    """Which priorities the line figures come from."""
    deleting = [index for index, plan in enumerate(plans) if plan.lines_removed]
    moving = [index for index, plan in enumerate(plans) if plan.moved]
    deleted = sum(len(lines) for lines in deleted_lines(plans).values())
    lines = f"{deleted} lines deleted by {_numbers(deleting)}" if deleting else "no priority deletes lines"
    longest = f"{_numbers(moving)} moves lines past the limit into helpers" if moving else "no priority moves lines"
    return {"lines": lines + "; moved lines still count", "longest": longest}


def _basis(metrics: Sequence[FileMetrics], plans: Sequence[Recommendation], before: Figures,
           after: Figures) -> dict[str, str]:
    """Why each estimated figure is what it is."""
    gone = deleted_functions(metrics, plans)
    removed = len(removed_findings(plans))
    names = ", ".join(f"`{function.qualname}`" for _, function in gone) or "none"
    complexity = "only deleted functions change it; rewrites in place are not estimated"
    return {
        **_work_basis(plans),
        "functions": f"deleted: {names}; helpers that moves create are not counted",
        "highest": complexity,
        "mean": complexity,
        "try_blocks": f"{before.try_blocks - after.try_blocks} inside deleted functions",
        "findings": (f"{removed} taken away by deletions and moves; the other {before.findings - removed} go "
                     "with rewrites in place, which this table does not size"),
    }


def metrics_table(before: Figures, after: Figures, after_label: str = "after (estimated)",
                  basis: dict[str, str] | None = None) -> str:
    rows = [("total lines", "lines"), ("functions", "functions"), ("longest function (lines)", "longest"),
            ("highest complexity", "highest"), ("mean complexity", "mean"), ("try/except blocks", "try_blocks"),
            ("findings", "findings")]
    header = f"| metric | before | {after_label} | change |" + (" basis |" if basis else "")
    lines = [header, "|---|---:|---:|---:|" + ("---|" if basis else "")]
    for name, key in rows:
        old, new = getattr(before, key), getattr(after, key)
        if key == "mean":
            old, new = round(old, 2), round(new, 2)
        lines.append(f"| {name} | {old} | {new} | {_percent(old, new)} |" + (f" {basis[key]} |" if basis else ""))
    return "\n".join(lines)


def _targets(findings: Sequence[Finding]) -> str:
    limits: dict[str, float] = {}
    for finding in findings:
        if finding.threshold is not None:
            limits[finding.rule] = max(limits.get(finding.rule, finding.threshold), finding.threshold)
    text = "Once every priority is done, no finding remains"
    if limits:
        text += ": each flagged function is within its rule's limit (" + ", ".join(
            f"`{rule}` {limit:g}" for rule, limit in sorted(limits.items())) + ")"
    return text + ". That is the goal, not an estimate: the table counts only what the plan can measure."


def metrics_summary(result: ScanResult, plans: Sequence[Recommendation]) -> str:
    before = figures(result.metrics, result.findings)
    after = figures_after(result.metrics, plans)
    note = ("After: the plan's deletions and moves done; moved lines still count (they now live in helpers, often "
            "in other files). " + _targets(result.findings))
    return ("## Metrics summary\n\n" + metrics_table(before, after, basis=_basis(result.metrics, plans, before, after))
            + "\n\n" + note)


def _step(index: int, number: int, plan: Recommendation) -> str:
    if not plan.to_fix:
        return f"{index}. Priority {number}: nothing left; its findings go with code another priority deletes."
    return f"{index}. Priority {number}, {_plan_title(plan).lower()}: {_locations(plan, limit=4)}."


def implementation_plan(plans: Sequence[Recommendation]) -> str:
    """The priorities grouped into phases of like work; a phase comes as early as its first priority."""
    phases: dict[str, list[tuple[int, Recommendation]]] = {}
    for number, plan in enumerate(plans, start=1):
        phases.setdefault(plan.rule.remedy.phase, []).append((number, plan))
    parts = ["## Implementation plan"]
    for order, (phase, steps) in enumerate(phases.items(), start=1):
        minutes = sum(plan.minutes for _, plan in steps)
        items = [_step(index, number, plan) for index, (number, plan) in enumerate(steps, start=1)]
        saving = _saving_headline([plan for _, plan in steps])
        heading = f"### Phase {order}: {PHASES[phase]} ({_effort(minutes)}{f'; {saving}' if saving else ''})"
        parts.append(heading + "\n\n" + "\n".join(items))
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
        plans = recommendations(result.findings, {item.path: "\n".join(item.source) for item in result.metrics})
        sections += [executive_summary(options, result, plans), current_state(result), key_issues(plans, result.metrics),
                     recommendations_section(plans), metrics_summary(result, plans), implementation_plan(plans),
                     testing_strategy(options), risks(plans), complexity_chart(result.metrics)]
    if result.errors:
        sections.append("## Files that could not be analysed\n\n"
                        + "\n".join(f"- `{error.path}`: {error.message}" for error in result.errors))
    return "\n\n".join(section for section in sections if section) + "\n"
