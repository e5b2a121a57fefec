"""Size and shape figures of a module, for reports and before/after comparisons."""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field

from radon.visitors import ComplexityVisitor

from audit.source import FunctionNode, SourceModule


def radon_complexity(function: FunctionNode) -> int:
    """Radon's cyclomatic complexity of one function (its closures excluded, as radon does)."""
    return ComplexityVisitor.from_ast(function).functions[0].complexity


@dataclass(frozen=True, slots=True)
class FunctionMetrics:
    qualname: str
    start: int
    end: int
    complexity: int
    try_blocks: int

    @property
    def lines(self) -> int:
        return self.end - self.start + 1


@dataclass(slots=True)
class FileMetrics:
    path: str
    lines: int
    functions: list[FunctionMetrics] = field(default_factory=list)
    try_blocks: int = 0
    source: tuple[str, ...] = ()  # the text, so a report quotes exactly what was measured

    @property
    def longest(self) -> FunctionMetrics | None:
        return max(self.functions, key=lambda function: (function.lines, -function.start), default=None)

    @property
    def most_complex(self) -> FunctionMetrics | None:
        return max(self.functions, key=lambda function: (function.complexity, -function.start), default=None)


def measure(module: SourceModule) -> FileMetrics:
    """Line count, every function's span, complexity and own try blocks, and the file's try blocks."""
    tries: Counter[int] = Counter()
    total_tries = 0
    for _, scope in module.scoped(ast.Try, ast.TryStar):
        total_tries += 1
        if scope.kind == "function":
            tries[id(scope.node)] += 1
    functions = [FunctionMetrics(info.qualname, info.start, info.end, radon_complexity(info.node),
                                 tries[id(info.node)]) for info in module.functions]
    return FileMetrics(module.path, len(module.lines), functions, total_tries, tuple(module.lines))
