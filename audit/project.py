"""Phase 2 of a scan: project rules over every file's facts, once.

Phase 1 (``audit.engine``) analyses each file on its own, in parallel, and
returns its findings plus the facts that project rules collect from it. Phase 2
builds a ``Project`` (the scanned folders, the Python files, the other files
rules asked for) and runs each selected ``ProjectRule.check_project`` on the
facts. Findings may point into any file, YAML included; they are kept only
inside the scanned folders, and ``# audit: ignore[...]`` on their line,
``select``/``ignore`` and ``per-file-ignores`` apply as for any rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.config import Settings
from audit.discovery import Discovery, display_path
from audit.model import FileError, FileResult, Finding
from audit.rule import ProjectRule
from audit.source import split_lines
from audit.suppress import Suppressions, read_suppressions, read_text_suppressions


@dataclass
class Project:
    """What phase 2 sees: the scanned folders and files, and a place for rules to share work."""

    roots: tuple[Path, ...]
    python_files: dict[str, Path]
    other_files: dict[str, Path] = field(default_factory=dict)
    display_root: Path | None = None
    shared: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_scan(cls, folders: Sequence[Path], files: Sequence[Path], others: Sequence[Path],
                root: Path | None) -> Project:
        """The project of a scan of ``folders``: its Python files and the other files project rules asked for."""
        return cls(tuple(folder.absolute() for folder in folders),
                   {display_path(file, root): file for file in files},
                   {display_path(file, root): file for file in others}, display_root=root)

    def contains(self, path: Path) -> bool:
        """Whether ``path`` lies inside one of the scanned folders."""
        absolute = path.absolute()
        return any(absolute.is_relative_to(root) for root in self.roots)

    def display(self, path: Path) -> str:
        """The name findings use for ``path`` (as the scan shows every file)."""
        return display_path(path, self.display_root)

    def locate(self, display: str) -> Path:
        """The file a finding's ``path`` names."""
        path = Path(display)
        return path if path.is_absolute() else (self.display_root or Path.cwd()) / path


def project_rules(rules: Iterable[Any], settings: Settings) -> list[ProjectRule]:
    """The selected project rules."""
    return [rule for rule in rules if isinstance(rule, ProjectRule) and rule.name in settings.select]


def other_file_patterns(rules: Iterable[Any], settings: Settings) -> tuple[str, ...]:
    """The names of non-Python files (globs) the selected project rules read, for discovery to collect."""
    return tuple(pattern for rule in project_rules(rules, settings) for pattern in rule.file_patterns)


def collect_facts(module: Any, settings: Settings, rules: Sequence[Any]) -> dict[str, Any]:
    """Phase 1's share of project rules: each facts key computed once per module."""
    facts: dict[str, Any] = {}
    for rule in project_rules(rules, settings):
        if rule.facts_key is not None and rule.facts_key not in facts:
            facts[rule.facts_key] = rule.collect(module, settings.options)
    return facts


def covers_project(paths: Sequence[Path]) -> bool:
    """Whether a scan of ``paths`` runs the project rules: it must cover whole folders."""
    return bool(paths) and all(path.is_dir() for path in paths)


def run_project_rules(paths: Sequence[Path], found: Discovery, results: Sequence[FileResult],
                      settings: Settings, rules: Sequence[Any], root: Path | None
                      ) -> tuple[list[Finding], list[FileError]]:
    """Phase 2: every selected project rule once, when the scan covers whole folders.

    Findings outside the scanned folders, or suppressed, are dropped.
    """
    selected = project_rules(rules, settings)
    if not selected or not covers_project(paths):
        return [], []
    project = Project.of_scan(paths, found.files, found.others, root)
    findings: list[Finding] = []
    errors: list[FileError] = []
    suppressions = _phase_one_suppressions(project, results)
    for rule in selected:
        facts = _facts_for(rule, results)
        try:
            produced = list(rule.check_project(project, facts, settings.options))
        except Exception as error:  # audit: ignore[broad-except] -- one rule's crash must not end the scan
            errors.append(FileError(".", f"internal error in project rule {rule.name}, please report it: "
                                         f"{type(error).__name__}: {error}"))
            continue
        findings.extend(finding for finding in produced
                        if not _is_ignored(finding, rule, project, settings, suppressions))
    return findings, errors


def _phase_one_suppressions(project: Project, results: Sequence[FileResult]) -> dict[Path, Suppressions]:
    """Python files' suppressions, read in phase 1; other files' are read when a finding points into them."""
    return {project.locate(result.path): result.suppressions or Suppressions() for result in results}


def _facts_for(rule: ProjectRule, results: Sequence[FileResult]) -> dict[str, Any]:
    """Each file's facts under the rule's key, for the files that have any."""
    if rule.facts_key is None:
        return {}
    found = ((result.path, result.facts.get(rule.facts_key)) for result in results)
    return {path: facts for path, facts in found if facts is not None}


def _is_ignored(finding: Finding, rule: ProjectRule, project: Project, settings: Settings,
                suppressions: dict[Path, Suppressions]) -> bool:
    """Outside the scanned folders, switched off by ``per-file-ignores``, or suppressed in its file."""
    location = project.locate(finding.path)
    if not project.contains(location) or rule.name in settings.ignored_for(finding.path):
        return True
    if location not in suppressions:
        suppressions[location] = _suppressions_of(location)
    return suppressions[location].suppresses(rule, finding.line)


def _suppressions_of(path: Path) -> Suppressions:
    """The directives of a file a project finding points into: Python comments, or ``#`` comments of YAML.

    Rule names are not checked against the registry (whose import a warm cached scan avoids): a name
    that is no rule's silences no rule, and the warnings are not shown here.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Suppressions()
    lines = split_lines(text)
    if path.suffix == ".py":
        return read_suppressions(text, lines, None)
    return read_text_suppressions(lines, None)
