"""The plain data every part of the audit passes around."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.baseline import BaselineMatch
    from audit.metrics import FileMetrics
    from audit.suppress import Suppressions


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` with ``text``.

    ``start``/``end`` are 0-based character offsets (end exclusive) into the decoded
    source (``SourceModule.source``: after the BOM, line endings as in the file).
    """

    start: int
    end: int
    text: str = ""


SAFE, UNSAFE = "safe", "unsafe"


@dataclass(frozen=True, slots=True)
class Fix:
    """Edits that remove a finding. ``applicability`` is ``SAFE`` (``audit fix`` applies it) or ``UNSAFE``.

    Findings fixed by the same edits (two unused names of one statement) share one ``Fix``;
    all of its edits are applied, or none.
    """

    edits: tuple[Edit, ...]
    applicability: str
    title: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one place.

    ``line``/``end_line`` are 1-based and inclusive; ``column`` is 1-based and
    counts characters (not UTF-8 bytes, as ``ast`` does); ``end_column`` is the
    1-based column just past the node on ``end_line``, when known.
    ``value``/``threshold`` are set by metric rules (lines, complexity).
    ``related`` is a span a fix would also remove (a signal handler's definition,
    the ``try`` line of a lone handler); the report reads it, JSON leaves it out.
    ``also_suppressed_at`` is another line whose ``# noqa``/``# audit: ignore`` covers the
    finding (the first line of a multi-line statement, as ruff reads it); JSON leaves it out.
    ``fingerprint`` is the finding's identity across edits elsewhere in the file
    (``audit.fingerprint``), set by the engine; it takes no part in comparisons.
    ``fix`` is only computed when a command asks for fixes (``audit fix``); JSON leaves it out when it is None.
    """

    rule: str
    path: str
    line: int
    end_line: int
    column: int
    message: str
    symbol: str | None = None
    value: float | None = None
    threshold: float | None = None
    related: tuple[int, int] | None = None
    end_column: int | None = None
    also_suppressed_at: int | None = None
    fingerprint: str | None = field(default=None, compare=False)
    fix: Fix | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule)

    def to_dict(self) -> dict[str, object]:
        fields = asdict(self)
        del fields["related"], fields["also_suppressed_at"]
        if self.fix is None:
            del fields["fix"]
        return fields


@dataclass(frozen=True, slots=True)
class FileError:
    """A file that could not be analysed (or a path that does not exist).

    ``rule`` is set when one rule failed on the file: only that rule's findings are lost.
    """

    path: str
    message: str
    rule: str | None = None

    def to_dict(self) -> dict[str, str]:
        entry = {"path": self.path, "message": self.message}
        if self.rule is not None:
            entry["rule"] = self.rule
        return entry


@dataclass(frozen=True, slots=True)
class ScanWarning:
    """Something the user should know that is not a finding: a malformed suppression, a skipped file."""

    path: str
    message: str
    line: int | None = None

    def sort_key(self) -> tuple[str, int]:
        return (self.path, self.line or 0)

    def location(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "message": self.message}


@dataclass(frozen=True, slots=True)
class UnusedSuppression:
    """A suppression comment, or names in it, that silenced nothing (``--report-unused-suppressions``).

    ``unused`` holds the rule names and noqa codes that silenced nothing; it is empty for a
    blanket directive (``# audit: ignore``), which silenced nothing as a whole.
    """

    path: str
    line: int
    directive: str
    unused: tuple[str, ...]
    detail: str

    def sort_key(self) -> tuple[str, int]:
        return (self.path, self.line)

    def message(self) -> str:
        return f"unused suppression `{self.directive}`: {self.detail}"

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "directive": self.directive, "unused": list(self.unused),
                "message": self.message()}


@dataclass(slots=True)
class FileResult:
    """What the analysis of one file produced."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    error: FileError | None = None
    metrics: FileMetrics | None = None
    rule_errors: list[FileError] = field(default_factory=list)
    warnings: list[ScanWarning] = field(default_factory=list)
    # Per-file facts for project rules, by the rules' ``facts_key`` (phase 1 of a scan).
    facts: dict[str, Any] = field(default_factory=dict)
    # The file's suppressions when it has any, so phase 2 need not read the file again.
    suppressions: Suppressions | None = None


@dataclass(slots=True)
class ScanResult:
    """The outcome of a whole scan, sorted and ready for a formatter."""

    files_scanned: int
    findings: list[Finding]
    errors: list[FileError]
    metrics: list[FileMetrics] = field(default_factory=list)
    warnings: list[ScanWarning] = field(default_factory=list)
    # Filled only when asked for (``--report-unused-suppressions``); None otherwise.
    unused_suppressions: list[UnusedSuppression] | None = None
    # Set by ``--baseline``: ``findings`` then holds only the new ones (``audit.baseline``).
    baseline: BaselineMatch | None = None

    @property
    def exit_code(self) -> int:
        """0 clean, 1 findings, 2 a file could not be analysed."""
        if self.errors:
            return 2
        return 1 if self.findings else 0
