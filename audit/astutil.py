"""Small helpers over ``ast`` nodes that several rules share."""

from __future__ import annotations

import ast
from collections.abc import Iterator

_FUNCTION_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def caught_names(handler: ast.ExceptHandler) -> list[str] | None:
    """Dotted names of the exception types a handler catches; None for a bare ``except:``.

    A type that is not a plain name (a call, a subscript) comes back as ``"?"``.
    """
    if handler.type is None:
        return None
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [dotted_name(node) or "?" for node in types]


def contains_raise(statements: list[ast.stmt]) -> bool:
    """Whether a ``raise`` appears anywhere in ``statements``."""
    return any(isinstance(node, ast.Raise) for statement in statements for node in ast.walk(statement))


def import_time_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node that runs when the module is imported.

    Descends into module-level ``if``/``try``/``with``/``for``/``while``/``match``
    bodies and class bodies, but not into functions, lambdas, or the body of
    ``if __name__ == "__main__":``.
    """
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _FUNCTION_SCOPES):
            stack.extend(reversed(node.decorator_list) if not isinstance(node, ast.Lambda) else ())
            continue
        if isinstance(node, ast.If) and is_main_guard(node.test):
            stack.extend(reversed(node.orelse))
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides)
    has_main = any(isinstance(side, ast.Constant) and side.value == "__main__" for side in sides)
    return has_name and has_main
