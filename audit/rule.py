"""The contract between the engine and a rule.

A rule is a small class in its own module under ``audit/rules/``. It carries its
name, its documentation (summary, rationale, advice, a bad and a good example),
the options it reads from ``[tool.audit]`` and the flake8/ruff codes whose
``# noqa`` also silences it. The engine, the CLI and the report only ever read
these attributes; none of them knows what a rule looks for. ``fix_safety``,
``references`` and ``status`` map onto ruff's documentation headings (Fix safety,
References, and its preview marker) and feed SARIF's rule descriptors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from audit.model import Finding
    from audit.project import Project
    from audit.source import SourceModule


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key."""


@dataclass(frozen=True)
class Option:
    """A setting a rule reads from ``[tool.audit]``.

    ``from_project``, when given, derives the value from the scanned project's own
    ``pyproject.toml`` (the whole document) wherever ``[tool.audit]`` does not set it.
    """

    key: str
    default: Any
    help: str
    parse: Callable[[str, Any], Any]
    from_project: Callable[[Mapping[str, Any]], Any] | None = None

    def validate(self, value: Any) -> Any:
        return self.parse(self.key, value)


def non_negative_int(key: str, value: Any) -> int:
    """Parse a non-negative integer option."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"`{key}` must be a non-negative integer, got {value!r}")
    return value


def string_list(key: str, value: Any) -> tuple[str, ...]:
    """Parse a list of strings option."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"`{key}` must be a list of strings, got {value!r}")
    return tuple(value)


PHASES = {"quick-wins": "Quick wins", "start-up": "Start-up", "extraction": "Extraction",
          "error-handling": "Error handling"}
RISKS = ("low", "medium", "high")
HARMS = ("high", "medium", "low")  # the harm of the problem left in place, worst first


@dataclass(frozen=True)
class Remedy:
    """How the assessment plans the fix of a rule's findings.

    ``saves`` says which lines the fix takes away: ``"span"`` (the finding's lines
    and its related definition are deleted), ``"excess"`` (lines past the threshold
    move out to helpers), or ``"handler"``/``"none"`` (the code is rewritten in
    place: the handler may stay, so the assessment counts no lines for it). ``caps`` names the function figure ("lines" or
    "complexity") that the fix brings down to the rule's threshold. ``harm`` is
    how much the problem costs while it stays (one of ``HARMS``); the assessment
    orders its priorities by it first and by the cost of the fix second.
    ``measured_saving`` is the unit of what a finding's measured ``value`` says the
    fix saves (``"s per start-up"``), when the scan measured it.
    """

    title: str
    phase: str
    risk: str
    minutes: int
    saves: str = "none"
    caps: str | None = None
    harm: str = "medium"
    measured_saving: str | None = None


FIX_APPLICABILITIES = ("safe", "unsafe", "none")  # as ruff's: applied by default, only on request, no fix
STATUSES = ("stable", "preview")


@dataclass(frozen=True)
class FixSafety:
    """Whether ``audit fix`` can fix a rule's findings (one of ``FIX_APPLICABILITIES``), and why."""

    applicability: str
    explanation: str


class Rule:
    """Base class of every rule; subclasses fill in the class attributes.

    ``fix_safety``, ``references`` (URLs or doc pointers, may be empty) and ``status``
    (``"stable"`` or ``"preview"``: new, heuristic rules whose findings may still change)
    have no default: every rule states them (``tests/test_rule_metadata.py`` checks).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    rationale: ClassVar[str]
    advice: ClassVar[str]
    bad_example: ClassVar[str]
    good_example: ClassVar[str]
    options: ClassVar[tuple[Option, ...]] = ()
    # Option values under which ``bad_example`` is flagged and ``good_example`` is not.
    example_options: ClassVar[dict[str, Any]] = {}
    noqa_codes: ClassVar[frozenset[str]] = frozenset()
    remedy: ClassVar[Remedy]
    fix_safety: ClassVar[FixSafety]
    references: ClassVar[tuple[str, ...]]
    status: ClassVar[str]

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        """Yield the findings of this rule in ``module``."""
        raise NotImplementedError


class ProjectRule(Rule):
    """A rule over the whole scan, in two phases (pylint's ``get_map_data``/``reduce_map_data``).

    ``collect`` runs in the worker next to the per-file rules and returns small,
    picklable facts about one module (rules with the same ``facts_key`` share
    them); ``check_project`` runs once, over every file's facts. It only runs
    when the scan covers whole folders: a project rule that sees part of a
    project (a pre-commit run naming files) says nothing.
    """

    facts_key: ClassVar[str | None] = None
    # Names of non-Python files (globs) the rule reads, found under the scanned folders.
    file_patterns: ClassVar[tuple[str, ...]] = ()

    def collect(self, module: SourceModule, options: Mapping[str, Any]) -> Any:
        """Facts about ``module`` for ``check_project``; None when there are none."""
        return None

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        return iter(())

    def check_project(self, project: Project, facts: Mapping[str, Any], options: Mapping[str, Any]
                      ) -> Iterator[Finding]:
        """Yield findings over the whole scan; ``facts`` maps each file's display path to its facts."""
        raise NotImplementedError
