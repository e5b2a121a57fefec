"""A parsed module, shared by every rule: parsed once, indexed in one walk.

The walk records, for every node, its type and lexical scope (module, class or
function: what name resolution needs), the qualified name of each function and
an upper bound of each function's cyclomatic complexity (so exact but costly
metrics only run where they could matter).
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath
from typing import TYPE_CHECKING

from audit.model import Finding

if TYPE_CHECKING:
    from audit.semantic import SemanticModel

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Node types that add to cyclomatic complexity, and a bound of how much (see ``_decisions``).
_DECISIONS = frozenset({ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.TryStar,
                        ast.BoolOp, ast.comprehension, ast.Match, ast.Assert})


def _decisions(node: ast.AST) -> int:
    """At least as many decision points as radon counts for ``node`` (never fewer)."""
    if isinstance(node, ast.BoolOp):
        return len(node.values) - 1
    if isinstance(node, (ast.Try, ast.TryStar)):
        return len(node.handlers) + 1
    if isinstance(node, ast.comprehension):
        return len(node.ifs) + 1
    if isinstance(node, ast.Match):
        return len(node.cases)
    return 2 if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) else 1


@dataclass(eq=False, slots=True)
class Scope:
    """A lexical scope: ``kind`` is "module", "class" or "function" (lambdas too)."""

    kind: str
    node: ast.AST
    parent: Scope | None


@dataclass(eq=False, slots=True)
class FunctionInfo:
    """A function or method with its dotted qualified name (``Class.method.inner``)."""

    node: FunctionNode
    qualname: str
    complexity_bound: int = 1

    @property
    def start(self) -> int:
        return self.node.lineno

    @property
    def end(self) -> int:
        return self.node.end_lineno or self.node.lineno


@dataclass(slots=True)
class _Index:
    by_type: dict[type, list[tuple[ast.AST, Scope]]] = field(default_factory=lambda: defaultdict(list))
    functions: list[FunctionInfo] = field(default_factory=list)
    # For ``enclosing_function``: each function's ``def`` line, and the position of its enclosing function (-1: none).
    starts: list[int] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)

    def link_functions(self) -> None:
        """Sort the functions and record, for each, the innermost function whose span holds its ``def``."""
        self.functions.sort(key=lambda info: (info.start, info.node.col_offset))
        self.starts = [info.start for info in self.functions]
        open_spans: list[int] = []
        for position, info in enumerate(self.functions):
            while open_spans and self.functions[open_spans[-1]].end < info.start:
                open_spans.pop()
            self.parents.append(open_spans[-1] if open_spans else -1)
            open_spans.append(position)


LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(source: str) -> list[str]:
    """The lines as Python counts them: broken at ``\\n``, ``\\r\\n`` and ``\\r`` only.

    ``str.splitlines`` also breaks at form feeds, ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028``
    and ``\\u2029``, which may sit in comments and strings without starting a line.
    """
    lines = LINE_BREAK.split(source)
    if lines[-1] == "":
        lines.pop()
    return lines


def line_of(source: str, offset: int) -> int:
    """The 1-based line, as Python counts lines, of the character at ``offset``."""
    return len(LINE_BREAK.findall(source, 0, offset)) + 1


def character_column(line_text: str, byte_offset: int) -> int:
    """The 0-based character offset in ``line_text`` of ``ast``'s 0-based UTF-8 byte offset."""
    table = _column_table(line_text)
    return byte_offset if table is None else table[min(byte_offset, len(table) - 1)]


def _column_table(line_text: str) -> list[int] | None:
    """For each UTF-8 byte offset of a line, the character offset; None when bytes and characters agree."""
    if line_text.isascii():
        return None
    table: list[int] = []
    for index, char in enumerate(line_text):
        code = ord(char)
        table.extend([index] * (1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4))
    table.append(len(line_text))
    return table


class SourceModule:
    """The source text, its tree and the index built by one walk over that tree."""

    def __init__(self, path: str, source: str, tree: ast.Module) -> None:
        self.path = path
        self.source = source
        self.tree = tree
        self.lines = split_lines(source)
        self._column_tables: dict[int, list[int] | None] = {}
        self.is_package_init = PurePath(path).name == "__init__.py"
        self.module_scope = Scope("module", tree, None)

    @cached_property
    def _index(self) -> _Index:
        index = _Index()
        by_type = index.by_type
        stack: list[tuple[ast.AST, Scope, str, FunctionInfo | None]] = [(self.tree, self.module_scope, "", None)]
        while stack:
            node, scope, prefix, function = stack.pop()
            kind = type(node)
            by_type[kind].append((node, scope))
            if kind in _DECISIONS and function is not None:
                function.complexity_bound += _decisions(node)
            if kind in _SCOPE_HANDLERS:
                _SCOPE_HANDLERS[kind](node, scope, prefix, function, stack, index)
            elif kind is ast.arg:
                if node.annotation is not None:
                    stack.append((node.annotation, scope.parent or scope, prefix, function))
            else:
                _push_children(node, scope, prefix, function, stack)
        index.link_functions()
        return index

    @cached_property
    def semantic(self) -> SemanticModel:
        """Bindings, scopes and qualified names (``audit.semantic``), built on first use."""
        from audit.semantic import SemanticModel

        return SemanticModel(self)

    def nodes(self, *types: type) -> list[ast.AST]:
        """Every node of the given types (one walk of the tree serves all calls)."""
        return [node for kind in types for node, _ in self._index.by_type.get(kind, ())]

    def scoped(self, *types: type) -> list[tuple[ast.AST, Scope]]:
        """Every node of the given types with the lexical scope it is evaluated in."""
        return [pair for kind in types for pair in self._index.by_type.get(kind, ())]

    @property
    def functions(self) -> list[FunctionInfo]:
        """Every function and method, nested ones included, in source order."""
        return self._index.functions

    def enclosing_function(self, line: int) -> FunctionInfo | None:
        """The innermost function whose span (from its ``def`` line) holds ``line``.

        Bisection finds the last function starting at or before ``line``; when that one
        ends earlier, the answer is among its enclosing functions (spans nest).
        """
        index = self._index
        position = bisect_right(index.starts, line) - 1
        while position >= 0 and index.functions[position].end < line:
            position = index.parents[position]
        return index.functions[position] if position >= 0 else None

    def column(self, line: int, byte_offset: int) -> int:
        """The 1-based character column of ``ast``'s byte offset on 1-based ``line`` (each line's table built once)."""
        if line not in self._column_tables:
            self._column_tables[line] = _column_table(self.lines[line - 1] if 0 < line <= len(self.lines) else "")
        table = self._column_tables[line]
        return (byte_offset if table is None else table[min(byte_offset, len(table) - 1)]) + 1

    def finding(
        self,
        rule: str,
        node: ast.AST,
        message: str,
        *,
        value: float | None = None,
        threshold: float | None = None,
        end_line: int | None = None,
        related: tuple[int, int] | None = None,
        also_suppressed_at: int | None = None,
    ) -> Finding:
        """A finding located at ``node``, with the enclosing function as its symbol."""
        line = node.lineno
        enclosing = self.enclosing_function(line)
        node_end = node.end_lineno or line
        end_offset = getattr(node, "end_col_offset", None)
        end_column = None
        if end_offset is not None and end_line in (None, node_end):
            end_column = self.column(node_end, end_offset)
        return Finding(
            rule=rule,
            path=self.path,
            line=line,
            end_line=end_line if end_line is not None else node_end,
            column=self.column(line, node.col_offset),
            end_column=end_column,
            message=message,
            symbol=enclosing.qualname if enclosing else None,
            value=value,
            threshold=threshold,
            related=related,
            also_suppressed_at=also_suppressed_at if also_suppressed_at != line else None,
        )


_OPERATOR_FIELDS = frozenset({"ctx", "op", "ops"})
_Stack = list[tuple[ast.AST, Scope, str, "FunctionInfo | None"]]


def _push_children(node: ast.AST, scope: Scope, prefix: str, function: FunctionInfo | None, stack: _Stack) -> None:
    """Push every child node in the same scope (expression contexts and operators aside: no rule reads them)."""
    for name in node._fields:
        if name in _OPERATOR_FIELDS:
            continue
        value = getattr(node, name)
        if isinstance(value, list):
            stack.extend((item, scope, prefix, function) for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            stack.append((value, scope, prefix, function))


def _push_signature(arguments: ast.arguments, outer: Scope, inner: Scope, prefix: str,
                    function: FunctionInfo | None, stack: _Stack) -> None:
    """Defaults run in the outer scope; parameters bind (and annotate) from the inner one."""
    defaults = [*arguments.defaults, *(value for value in arguments.kw_defaults if value is not None)]
    stack.extend((value, outer, prefix, function) for value in defaults)
    parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    stack.extend((arg, inner, prefix, function) for arg in parameters if arg is not None)


def _enter_function(node: ast.AST, scope: Scope, prefix: str, function: FunctionInfo | None, stack: _Stack,
                    index: _Index) -> None:
    info = FunctionInfo(node, f"{prefix}{node.name}")
    index.functions.append(info)
    inner = Scope("function", node, scope)
    outer_nodes = [*node.decorator_list, *getattr(node, "type_params", ())]
    if node.returns is not None:
        outer_nodes.append(node.returns)
    stack.extend((child, scope, prefix, function) for child in outer_nodes)
    _push_signature(node.args, scope, inner, prefix, function, stack)
    stack.extend((statement, inner, f"{info.qualname}.", info) for statement in node.body)


def _enter_lambda(node: ast.Lambda, scope: Scope, prefix: str, function: FunctionInfo | None, stack: _Stack,
                  index: _Index) -> None:
    inner = Scope("function", node, scope)
    _push_signature(node.args, scope, inner, prefix, function, stack)
    stack.append((node.body, inner, prefix, function))


def _enter_class(node: ast.ClassDef, scope: Scope, prefix: str, function: FunctionInfo | None, stack: _Stack,
                 index: _Index) -> None:
    outer_nodes = [*node.decorator_list, *node.bases, *node.keywords, *getattr(node, "type_params", ())]
    stack.extend((child, scope, prefix, function) for child in outer_nodes)
    inner = Scope("class", node, scope)
    stack.extend((statement, inner, f"{prefix}{node.name}.", function) for statement in node.body)


_SCOPE_HANDLERS = {ast.FunctionDef: _enter_function, ast.AsyncFunctionDef: _enter_function,
                   ast.Lambda: _enter_lambda, ast.ClassDef: _enter_class}
