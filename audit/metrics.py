"""Size and shape figures of a module, for reports and before/after comparisons."""

from __future__ import annotations

import ast
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from radon.visitors import ComplexityVisitor

from audit.source import FunctionNode, SourceModule

_Result = TypeVar("_Result")
# Radon's visitor recurses once per nesting level: code CPython compiles (a 2,000-term sum)
# can exceed the default limit of 1,000. The worker thread's stack holds far deeper code.
DEEP_STACK_BYTES = 512 * 1024 * 1024
DEEP_RECURSION_LIMIT = 1_000_000


def radon_complexity(function: FunctionNode) -> int:
    """Radon's cyclomatic complexity of one function (its closures excluded, as radon does).

    Code too deep for the default recursion limit is measured again by the same
    visitor, in a thread with a large stack and a raised limit, so the figure stays radon's.
    """
    try:
        return _radon(function)
    except RecursionError:
        return with_deep_stack(_radon, function)


def _radon(function: FunctionNode) -> int:
    return ComplexityVisitor.from_ast(function).functions[0].complexity


def with_deep_stack(work: Callable[[FunctionNode], _Result], argument: FunctionNode) -> _Result:
    """``work(argument)`` in a fresh thread with a large stack and a raised recursion limit."""
    previous_stack = threading.stack_size(DEEP_STACK_BYTES)
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, DEEP_RECURSION_LIMIT))
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(work, argument).result()
    finally:
        threading.stack_size(previous_stack)
        sys.setrecursionlimit(previous_limit)


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
