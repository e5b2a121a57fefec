"""From findings to a plan: prioritised recommendations and before/after estimates.

Everything here reads only what rules declare (``Rule.remedy``) and what the scan
measured, so a new rule is planned for without changes here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from audit.metrics import FileMetrics
from audit.model import Finding
from audit.registry import get_rule
from audit.rule import PHASES, RISKS, Rule


@dataclass
class Recommendation:
    """Fixing every finding of one rule."""

    rule: Rule
    findings: list[Finding]
    removed: dict[str, set[int]] = field(default_factory=dict)
    moved: int = 0
    # Findings whose lines an earlier (higher-priority) recommendation already deletes.
    covered: list[Finding] = field(default_factory=list)

    @property
    def lines_removed(self) -> int:
        return sum(len(lines) for lines in self.removed.values())

    @property
    def minutes(self) -> int:
        return self.rule.remedy.minutes * (len(self.findings) - len(self.covered))

    def priority(self) -> tuple[int, int, int, str]:
        remedy = self.rule.remedy
        return (RISKS.index(remedy.risk), list(PHASES).index(remedy.phase),
                -(self.lines_removed + self.moved), self.rule.name)


def _span(start: int, end: int) -> set[int]:
    return set(range(start, end + 1))


def _removed_by(finding: Finding, saves: str) -> set[int]:
    if saves not in ("span", "handler"):
        return set()
    lines = _span(finding.line, finding.end_line)
    if finding.related is not None:
        lines |= _span(*finding.related)
    return lines


def recommendations(findings: Iterable[Finding]) -> list[Recommendation]:
    """One recommendation per rule with findings, most worthwhile and least risky first."""
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_rule[finding.rule].append(finding)
    plans = []
    for name, group in by_rule.items():
        rule = get_rule(name)
        plan = Recommendation(rule, group)
        for finding in group:
            lines = _removed_by(finding, rule.remedy.saves)
            if lines:
                plan.removed.setdefault(finding.path, set()).update(lines)
            if rule.remedy.saves == "excess" and finding.value is not None and finding.threshold is not None:
                plan.moved += int(finding.value - finding.threshold)
        plans.append(plan)
    plans.sort(key=Recommendation.priority)
    _discount_overlaps(plans)
    return plans


def _discount_overlaps(plans: Sequence[Recommendation]) -> None:
    """Later recommendations neither count lines nor effort that earlier ones already remove."""
    gone: dict[str, set[int]] = defaultdict(set)
    for plan in plans:
        plan.covered = [finding for finding in plan.findings if finding.line in gone[finding.path]]
        for path, lines in plan.removed.items():
            lines -= gone[path]
            gone[path] |= lines


@dataclass(frozen=True)
class Figures:
    """The headline figures of a scope (or one file)."""

    lines: int
    functions: int
    longest: int
    highest: int
    mean: float
    try_blocks: int
    findings: int


def figures(metrics: Sequence[FileMetrics], findings: Sequence[Finding]) -> Figures:
    functions = [function for item in metrics for function in item.functions]
    return Figures(
        lines=sum(item.lines for item in metrics),
        functions=len(functions),
        longest=max((function.lines for function in functions), default=0),
        highest=max((function.complexity for function in functions), default=0),
        mean=sum(function.complexity for function in functions) / len(functions) if functions else 0.0,
        try_blocks=sum(item.try_blocks for item in metrics),
        findings=len(findings),
    )


def _caps(plans: Sequence[Recommendation]) -> dict[tuple[str, str, int], float]:
    """(figure, path, def line) -> the threshold a planned fix brings that function figure down to."""
    caps: dict[tuple[str, str, int], float] = {}
    for plan in plans:
        figure = plan.rule.remedy.caps
        for finding in plan.findings if figure else ():
            if finding.threshold is not None:
                caps[(figure, finding.path, finding.line)] = finding.threshold
    return caps


def _removed_lines(plans: Sequence[Recommendation]) -> int:
    removed: dict[str, set[int]] = defaultdict(set)
    for plan in plans:
        for path, lines in plan.removed.items():
            removed[path] |= lines
    return sum(len(lines) for lines in removed.values())


def _tries_removed(plans: Sequence[Recommendation]) -> int:
    handlers = [plan.findings for plan in plans if plan.rule.remedy.saves == "handler"]
    return len({(finding.path, finding.related) for group in handlers for finding in group if finding.related})


def figures_after(metrics: Sequence[FileMetrics], plans: Sequence[Recommendation]) -> Figures:
    """Estimated figures once every recommendation is applied."""
    caps = _caps(plans)
    lengths, complexities = [], []
    for item in metrics:
        for function in item.functions:
            lengths.append(min(function.lines, caps.get(("lines", item.path, function.start), function.lines)))
            complexities.append(min(function.complexity,
                                    caps.get(("complexity", item.path, function.start), function.complexity)))
    return Figures(
        lines=sum(item.lines for item in metrics) - _removed_lines(plans),
        functions=len(lengths),
        longest=int(max(lengths, default=0)),
        highest=int(max(complexities, default=0)),
        mean=sum(complexities) / len(complexities) if complexities else 0.0,
        try_blocks=sum(item.try_blocks for item in metrics) - _tries_removed(plans),
        findings=0,
    )
