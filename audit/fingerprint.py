"""Finding identity: a fingerprint that survives edits elsewhere in the file.

A finding's fingerprint hashes its rule, its file's path, the symbol that encloses
it (the qualified name of the innermost function or class, or ``<module>``) and
its offending code with whitespace normalised, never its line number: inserting
lines above a finding, or renaming unrelated code, leaves it unchanged. A finding
that starts on a compound statement (a ``def``, a ``class``, an ``except`` handler)
and spans its body is identified by the statement's header alone, so editing a
long function's body does not make its long-function finding new. Findings of one
rule with the same code in the same symbol are told apart by their order.

SARIF's ``partialFingerprints`` and the baseline (``audit.baseline``) read it.
"""

from __future__ import annotations

import ast
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from audit.model import Finding
from audit.source import split_lines

MODULE_SYMBOL = "<module>"
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class _Outline:
    """A module's functions and classes, and the header of every compound statement."""

    scopes: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, qualified name
    header_end: dict[int, int] = field(default_factory=dict)  # first line -> last header line

    @classmethod
    def of(cls, tree: ast.AST | None) -> _Outline:
        outline = cls()
        stack: list[tuple[ast.AST, str]] = [(tree, "")] if tree is not None else []
        while stack:
            node, prefix = stack.pop()
            body = getattr(node, "body", None)
            if isinstance(node, ast.stmt | ast.excepthandler) and isinstance(body, list) and body:
                outline.header_end.setdefault(node.lineno, max(node.lineno, body[0].lineno - 1))
            if isinstance(node, _SCOPES):
                name = f"{prefix}{node.name}"
                outline.scopes.append((node.lineno, node.end_lineno or node.lineno, name))
                stack.extend((child, f"{name}.") for child in ast.iter_child_nodes(node))
            else:
                stack.extend((child, prefix) for child in ast.iter_child_nodes(node))
        return outline

    def symbol_at(self, line: int) -> str:
        """The innermost function or class whose span holds ``line``."""
        holding = [(start, name) for start, end, name in self.scopes if start <= line <= end]
        return max(holding)[1] if holding else MODULE_SYMBOL


def offending_code(finding: Finding, lines: Sequence[str], header_end: dict[int, int]) -> str:
    """The finding's lines (a compound statement's header only, when it spans the body), whitespace normalised."""
    last = finding.end_line
    header = header_end.get(finding.line)
    if header is not None and last > header:
        last = header
    return " ".join(" ".join(lines[finding.line - 1:max(last, finding.line)]).split())


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def with_fingerprints(findings: Iterable[Finding], lines: Sequence[str], tree: ast.AST | None) -> list[Finding]:
    """``findings`` of one file, in source order, each with its fingerprint."""
    findings = sorted(findings, key=Finding.sort_key)
    if not findings:
        return []
    outline = _Outline.of(tree)
    seen: Counter[tuple[str, str, str]] = Counter()
    marked = []
    for finding in findings:
        key = (finding.rule, outline.symbol_at(finding.line), offending_code(finding, lines, outline.header_end))
        marked.append(replace(finding, fingerprint=_digest(finding.rule, finding.path, *key[1:], str(seen[key]))))
        seen[key] += 1
    return marked


def with_fingerprints_from_files(findings: Iterable[Finding], root: Path | None = None) -> list[Finding]:
    """Fingerprints for findings made after phase 1 (project rules), reading each file they point into once."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_path[finding.path].append(finding)
    marked = []
    for path, group in by_path.items():
        file = Path(path) if Path(path).is_absolute() else (root or Path.cwd()) / path
        try:
            text = file.read_bytes().decode("utf-8-sig", "replace")
        except OSError:
            text = ""
        tree = None
        if file.suffix == ".py":
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
        marked += with_fingerprints(group, split_lines(text), tree)
    return sorted(marked, key=Finding.sort_key)
