"""Small helpers over ``ast`` nodes that several rules share."""

from __future__ import annotations

import ast
from collections.abc import Iterator

_FUNCTION_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def attribute_chain(node: ast.AST) -> tuple[ast.Name | None, list[str]]:
    """The name at the root of ``a.b.c`` and the attributes after it (``b``, ``c``); None for another root."""
    attributes: list[str] = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    return (node if isinstance(node, ast.Name) else None), attributes[::-1]


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    root, attributes = attribute_chain(node)
    return None if root is None else ".".join([root.id, *attributes])


def caught_types(handler: ast.ExceptHandler) -> list[ast.expr] | None:
    """The exception type expressions a handler catches, nested tuples flattened; None for a bare ``except:``."""
    if handler.type is None:
        return None
    types: list[ast.expr] = []
    pending = [handler.type]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Tuple):
            pending.extend(reversed(node.elts))  # ``except ((A, B), C)`` catches A, B and C
        else:
            types.append(node)
    return types


def caught_names(handler: ast.ExceptHandler) -> list[str] | None:
    """Dotted names of the exception types a handler catches; None for a bare ``except:``.

    A type that is not a plain name (a call, a subscript) comes back as ``"?"``.
    """
    types = caught_types(handler)
    return None if types is None else [dotted_name(node) or "?" for node in types]


BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def leaving_statements(statements: list[ast.stmt]) -> Iterator[ast.Raise | ast.Return]:
    """The ``raise`` and ``return`` statements that leave a block when they run.

    Not those in a nested ``def``, ``lambda`` or ``class`` (they run elsewhere), nor a
    ``raise`` in the body of an inner ``try`` whose handler catches it (see ``_swallows``).
    """
    stack: list[tuple[ast.AST, tuple[ast.Try, ...]]] = [(statement, ()) for statement in reversed(statements)]
    while stack:
        node, guards = stack.pop()
        if isinstance(node, _NESTED_SCOPES):
            continue
        if isinstance(node, ast.Raise) and not any(_swallows(guard, node) for guard in guards):
            yield node
        elif isinstance(node, ast.Return):
            yield node
        stack.extend(reversed(_guarded_children(node, guards)))


def _guarded_children(node: ast.AST, guards: tuple[ast.Try, ...]) -> list[tuple[ast.AST, tuple[ast.Try, ...]]]:
    """Child nodes with the ``try`` statements whose handlers guard them (a ``try`` body gains its own)."""
    if not isinstance(node, (ast.Try, ast.TryStar)):
        return [(child, guards) for child in ast.iter_child_nodes(node)]
    inner = (*guards, node) if node.handlers else guards
    children = [(child, inner) for child in node.body]
    return children + [(child, guards) for part in (node.handlers, node.orelse, node.finalbody) for child in part]


def _swallows(statement: ast.Try, raised: ast.Raise) -> bool:
    """Whether a handler of ``statement`` catches what ``raised`` raises (any broad handler does)."""
    raised_name = dotted_name(raised.exc.func if isinstance(raised.exc, ast.Call) else raised.exc) \
        if raised.exc is not None else None
    for handler in statement.handlers:
        names = caught_names(handler)
        if names is None or BROAD_EXCEPTIONS.intersection(names) or (raised_name and raised_name in names):
            return True
    return False


def propagates(statements: list[ast.stmt]) -> bool:
    """Whether a ``raise`` in ``statements`` lets an exception leave them."""
    return any(isinstance(node, ast.Raise) for node in leaving_statements(statements))


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
