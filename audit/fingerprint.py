"""Finding identity: a fingerprint that survives edits elsewhere in the file.

A finding's fingerprint hashes its rule, its file's path, the symbol that encloses
it (the qualified name of the innermost function or class, or ``<module>``) and
its offending code with whitespace normalised, never its line number: inserting
lines above a finding, or renaming unrelated code, leaves it unchanged. A finding
that starts on a compound statement (a ``def``, a ``class``, an ``except`` handler)
and spans its body is identified by the statement's header alone, so editing a
long function's body does not make its long-function finding new. Findings of one
rule with the same code in the same symbol are told apart by their order.
Project findings (phase 2, possibly in YAML files) keep the symbol their rule gave
and hash their lines as they are.

SARIF's ``partialFingerprints`` and the baseline (``audit.baseline``) read it.
"""

from __future__ import annotations

import ast
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from audit.digest import blake2b
from audit.model import Finding
from audit.source import Scope, SourceModule, split_lines

MODULE_SYMBOL = "<module>"
_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While, ast.With,
             ast.AsyncWith, ast.Try, ast.TryStar, ast.ExceptHandler)


def _class_name(node: ast.ClassDef, scope: Scope) -> str:
    """A class's dotted name, as ``FunctionInfo.qualname`` names functions (no ``<locals>``, lambdas skipped)."""
    names = [node.name]
    current: Scope | None = scope
    while current is not None:
        if isinstance(current.node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(current.node.name)
        current = current.parent
    return ".".join(reversed(names))


@dataclass
class _Outline:
    """What identifies findings in one module: the enclosing symbol of a line, and compound statements' headers."""

    symbol_at: Callable[[int], str]
    header_end: dict[int, int]  # first line of a compound statement -> its last header line

    @classmethod
    def of_module(cls, module: SourceModule, lines_of_interest: set[int]) -> _Outline:
        """From the module's index (built once for the rules), looking only at the findings' lines."""
        header_end: dict[int, int] = {}
        for node in module.nodes(*_COMPOUND):
            if node.lineno in lines_of_interest and node.body:
                end = max(node.lineno, node.body[0].lineno - 1)
                header_end[node.lineno] = max(header_end.get(node.lineno, end), end)
        classes = [(node.lineno, node.end_lineno or node.lineno, node, scope)
                   for node, scope in module.scoped(ast.ClassDef)]

        def symbol_at(line: int) -> str:
            function = module.enclosing_function(line)
            holding = [(start, node, scope) for start, end, node, scope in classes
                       if start <= line <= end and (function is None or start > function.start)]
            if holding:
                _, node, scope = max(holding, key=lambda item: item[0])
                return _class_name(node, scope)
            return function.qualname if function is not None else MODULE_SYMBOL

        return cls(symbol_at, header_end)

    @classmethod
    def plain(cls) -> _Outline:
        """For files not parsed here (project findings): no symbols beyond the finding's own, no headers."""
        return cls(lambda line: MODULE_SYMBOL, {})


def offending_code(finding: Finding, lines: Sequence[str], header_end: dict[int, int]) -> str:
    """The finding's lines (a compound statement's header only, when it spans the body), whitespace normalised."""
    last = finding.end_line
    header = header_end.get(finding.line)
    if header is not None and last > header:
        last = header
    return " ".join(" ".join(lines[finding.line - 1:max(last, finding.line)]).split())


def _digest(*parts: str) -> str:
    return blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _marked(findings: list[Finding], lines: Sequence[str], outline: _Outline) -> list[Finding]:
    seen: Counter[tuple[str, str, str]] = Counter()
    marked = []
    for finding in findings:
        symbol = outline.symbol_at(finding.line)
        if symbol == MODULE_SYMBOL and finding.symbol:
            symbol = finding.symbol
        key = (finding.rule, symbol, offending_code(finding, lines, outline.header_end))
        marked.append(replace(finding, fingerprint=_digest(finding.rule, finding.path, *key[1:], str(seen[key]))))
        seen[key] += 1
    return marked


def with_fingerprints(findings: Iterable[Finding], module: SourceModule) -> list[Finding]:
    """``findings`` of one parsed module (phase 1, in the worker), in source order, each with its fingerprint."""
    ordered = sorted(findings, key=Finding.sort_key)
    if not ordered:
        return []
    outline = _Outline.of_module(module, {finding.line for finding in ordered})
    return _marked(ordered, module.lines, outline)


def with_fingerprints_from_files(findings: Iterable[Finding], root: Path | None = None) -> list[Finding]:
    """Fingerprints for project findings (phase 2), reading each file they point into once, without parsing it.

    Their symbol is the one the rule gave (else ``<module>``) and their code is their lines.
    """
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
        marked += _marked(sorted(group, key=Finding.sort_key), split_lines(text), _Outline.plain())
    return sorted(marked, key=Finding.sort_key)
