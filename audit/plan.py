"""From findings to a plan: prioritised recommendations and before/after estimates.

Everything here reads only what rules declare (``Rule.remedy``) and what the scan
measured, so a new rule is planned for without changes here. The estimates count
only what a listed fix certainly does:

- a ``"span"`` fix deletes the flagged lines and the code that only serves them;
  findings inside that code are skipped by every other priority;
- an ``"excess"`` fix moves the lines past the threshold into helpers, which
  brings that function figure down to the threshold;
- every other fix rewrites code in place: its findings go, but the plan does not
  guess what the rewrite does to line counts or complexity.

Priorities are ordered by the harm of the problem (``Remedy.harm``), handlers
whose ``try`` saves, loads or opens something first, then by the cost of the fix
(risk, then minutes).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from audit.metrics import FileMetrics, FunctionMetrics
from audit.model import Finding
from audit.registry import get_rule
from audit.rule import HARMS, RISKS, Rule

# A call whose name holds one of these words, inside a ``try``, saves or restores a run's state or data.
STATE_CALL_WORDS = frozenset({"save", "load", "open", "dump", "checkpoint", "ckpt", "resume", "restore"})


@dataclass
class Recommendation:
    """Fixing the findings of one rule (handlers guarding saves and loads get their own)."""

    rule: Rule
    findings: list[Finding]
    # Handlers whose try block saves, loads or opens: (path, line) -> the call's name.
    guards_state: dict[tuple[str, int], str] = field(default_factory=dict)
    removed: dict[str, set[int]] = field(default_factory=dict)
    moved: int = 0
    # Findings that sit in code another priority deletes, each with that priority's index in the plan.
    skipped: list[tuple[Finding, int]] = field(default_factory=list)

    @property
    def lines_removed(self) -> int:
        return sum(len(lines) for lines in self.removed.values())

    @property
    def to_fix(self) -> int:
        return len(self.findings) - len(self.skipped)

    @property
    def minutes(self) -> int:
        return self.rule.remedy.minutes * self.to_fix

    @property
    def measured_savings(self) -> dict[str, float]:
        """Per file, what the scan measured that fixing its findings saves (``Remedy.measured_saving``).

        The largest measured value among a file's findings left to fix (they measure the
        same thing, such as the module's import time); empty when nothing was measured.
        """
        if self.rule.remedy.measured_saving is None:
            return {}
        skipped = {id(finding) for finding, _ in self.skipped}
        savings: dict[str, float] = {}
        for finding in self.findings:
            if finding.value is not None and id(finding) not in skipped:
                savings[finding.path] = max(savings.get(finding.path, finding.value), finding.value)
        return dict(sorted(savings.items()))

    @property
    def harm(self) -> str:
        return "high" if self.guards_state else self.rule.remedy.harm

    def priority(self) -> tuple[int, bool, int, int, str]:
        return (HARMS.index(self.harm), not self.guards_state, RISKS.index(self.rule.remedy.risk), self.minutes,
                self.rule.name)


def _span(start: int, end: int) -> set[int]:
    return set(range(start, end + 1))


def _deleted_by(finding: Finding, saves: str) -> set[int]:
    if saves != "span":
        return set()
    lines = _span(finding.line, finding.end_line)
    if finding.related is not None:
        lines |= _span(*finding.related)
    return lines


def _call_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def _touches_state(name: str) -> bool:
    return any(word in STATE_CALL_WORDS for word in name.lower().split("_"))


def _describe_state_call(call: ast.Call) -> str | None:
    """``save`` for ``torch.save(...)``, ``fit(ckpt_path=...)`` for a resume; None for other calls."""
    name = _call_name(call)
    if _touches_state(name):
        return name
    keyword = next((item.arg for item in call.keywords if item.arg and _touches_state(item.arg)), None)
    return f"{name}({keyword}=...)" if keyword else None


def _state_call(node: ast.Try | ast.TryStar) -> str | None:
    """The first call in the ``try`` body that saves, loads, opens or resumes from a checkpoint."""
    for statement in node.body:
        for inner in ast.walk(statement):
            described = _describe_state_call(inner) if isinstance(inner, ast.Call) else None
            if described:
                return described
    return None


def state_guards(source: str) -> dict[int, str]:
    """Handler line -> the saving/loading/opening call its ``try`` block makes (empty if unparsable)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    guards = {}
    for node in ast.walk(tree):
        call = _state_call(node) if isinstance(node, (ast.Try, ast.TryStar)) else None
        if call:
            guards.update((handler.lineno, call) for handler in node.handlers)
    return guards


def recommendations(findings: Iterable[Finding], sources: Mapping[str, str] | None = None) -> list[Recommendation]:
    """The recommendations, in priority order; ``sources`` (path -> text) finds handlers guarding saves and loads."""
    findings = list(findings)
    guards = _guards(findings, sources or {})
    groups: dict[tuple[str, bool], list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[(finding.rule, (finding.path, finding.line) in guards)].append(finding)
    plans = []
    for (name, guarding), group in groups.items():
        plan = Recommendation(get_rule(name), group)
        if guarding:
            plan.guards_state = {(item.path, item.line): guards[(item.path, item.line)] for item in group}
        plans.append(plan)
    _skip_deleted(plans)  # before sorting: the effort left to do is part of a fix's cost
    plans.sort(key=Recommendation.priority)
    _skip_deleted(plans)  # again, so that each skip names the deleting priority by its place in the order
    _count_lines(plans)
    return plans


def _guards(findings: Sequence[Finding], sources: Mapping[str, str]) -> dict[tuple[str, int], str]:
    paths = {finding.path for finding in findings if finding.path in sources}
    return {(path, line): call for path in sorted(paths) for line, call in state_guards(sources[path]).items()}


def _excess(finding: Finding) -> int:
    return 0 if finding.value is None or finding.threshold is None else int(finding.value - finding.threshold)


def _skip_deleted(plans: Sequence[Recommendation]) -> None:
    """Mark findings in code another priority deletes, naming the first such priority (order-independent)."""
    deleters: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)  # (path, line) -> (plan, its line)
    for index, plan in enumerate(plans):
        for finding in plan.findings:
            for line in sorted(_deleted_by(finding, plan.rule.remedy.saves)):
                deleters[(finding.path, line)].append((index, finding.line))
    for index, plan in enumerate(plans):
        plan.skipped = []
        for finding in plan.findings:
            own = _deleted_by(finding, plan.rule.remedy.saves)
            deleter = min((other for other, line in deleters.get((finding.path, finding.line), ())
                           if other != index and line not in own), default=None)
            if deleter is not None:
                plan.skipped.append((finding, deleter))


def _count_lines(plans: Sequence[Recommendation]) -> None:
    """Give each deleted line to the first priority that deletes it; add up the lines each move takes out."""
    gone: dict[str, set[int]] = defaultdict(set)
    for plan in plans:
        skipped = {id(finding) for finding, _ in plan.skipped}
        for finding in plan.findings:
            if id(finding) in skipped:
                continue
            if plan.rule.remedy.saves == "excess":
                plan.moved += _excess(finding)
            lines = _deleted_by(finding, plan.rule.remedy.saves) - gone[finding.path]
            plan.removed.setdefault(finding.path, set()).update(lines)
            gone[finding.path] |= lines
        plan.removed = {path: lines for path, lines in plan.removed.items() if lines}


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


def deleted_lines(plans: Sequence[Recommendation]) -> dict[str, set[int]]:
    """Every line the plan deletes, per file."""
    deleted: dict[str, set[int]] = defaultdict(set)
    for plan in plans:
        for path, lines in plan.removed.items():
            deleted[path] |= lines
    return deleted


def deleted_functions(metrics: Sequence[FileMetrics], plans: Sequence[Recommendation]) -> list[
        tuple[str, FunctionMetrics]]:
    """Functions whose every line the plan deletes."""
    deleted = deleted_lines(plans)
    return [(item.path, function) for item in metrics for function in item.functions
            if _span(function.start, function.end) <= deleted.get(item.path, set())]


def removed_findings(plans: Sequence[Recommendation]) -> list[Finding]:
    """Findings the deletions and moves take away: the counted part of the plan."""
    deleted = deleted_lines(plans)
    removed = []
    for plan in plans:
        by_own_fix = plan.rule.remedy.saves in ("span", "excess")
        removed += [finding for finding in plan.findings
                    if by_own_fix or finding.line in deleted.get(finding.path, set())]
    return removed


def _caps(plans: Sequence[Recommendation]) -> dict[tuple[str, str, int], float]:
    """(figure, path, def line) -> the threshold a planned move brings that function figure down to."""
    caps: dict[tuple[str, str, int], float] = {}
    for plan in plans:
        figure = plan.rule.remedy.caps
        if not figure or plan.rule.remedy.saves != "excess":
            continue
        for finding in plan.findings:
            if finding.threshold is not None:
                caps[(figure, finding.path, finding.line)] = finding.threshold
    return caps


def figures_after(metrics: Sequence[FileMetrics], plans: Sequence[Recommendation]) -> Figures:
    """Estimated figures once the plan's deletions and moves are done (rewrites in place are not guessed)."""
    caps, deleted = _caps(plans), deleted_lines(plans)
    gone = {(path, function.start) for path, function in deleted_functions(metrics, plans)}
    lengths, complexities, tries_gone = [], [], 0
    for item in metrics:
        for function in item.functions:
            if (item.path, function.start) in gone:
                tries_gone += function.try_blocks
                continue
            lines = function.lines - len(_span(function.start, function.end) & deleted.get(item.path, set()))
            lengths.append(min(lines, caps.get(("lines", item.path, function.start), lines)))
            complexities.append(min(function.complexity,
                                    caps.get(("complexity", item.path, function.start), function.complexity)))
    findings = sum(len(plan.findings) for plan in plans)
    return Figures(
        lines=sum(item.lines for item in metrics) - sum(len(lines) for lines in deleted.values()),
        functions=len(lengths),
        longest=int(max(lengths, default=0)),
        highest=int(max(complexities, default=0)),
        mean=sum(complexities) / len(complexities) if complexities else 0.0,
        try_blocks=sum(item.try_blocks for item in metrics) - tries_gone,
        findings=findings - len(removed_findings(plans)),
    )
