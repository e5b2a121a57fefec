"""broad-except: ``except:``, ``except Exception`` or ``except BaseException`` that does not re-raise."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.astutil import attribute_chain, caught_types, dotted_name, leaving_statements, propagates
from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.semantic import ASSIGNMENT, SemanticModel
from audit.source import SourceModule

BROAD_TYPES = frozenset({"Exception", "BaseException"})
ALIAS_HOPS = 3  # ``E = F = Exception``: how many plain assignments a caught name is followed through


def is_broad_type(node: ast.expr, semantic: SemanticModel, hops: int = ALIAS_HOPS) -> bool:
    """Whether a caught type is ``Exception``/``BaseException``, by its qualified name.

    Import aliases resolve (``from builtins import Exception as E``), as do names assigned
    a type or a tuple of types (``E = Exception``); a name nothing binds keeps its spelling
    (``builtins.Exception`` without ``import builtins``), and a shadowed ``Exception`` is not
    the builtin.
    """
    if isinstance(node, ast.Tuple):
        return any(is_broad_type(item, semantic, hops) for item in node.elts)
    qualified = semantic.qualified_name(node)
    if qualified is None:
        return _is_broad_unresolved(node, semantic, hops)
    return qualified.removeprefix("builtins.") in BROAD_TYPES


def _is_broad_unresolved(node: ast.expr, semantic: SemanticModel, hops: int) -> bool:
    """A type without a qualified name: a name assigned a broad type, or an unbound spelling of one."""
    root, _ = attribute_chain(node)
    if root is None:
        return False
    binding = semantic.binding_of(root)
    if binding is None:
        return (dotted_name(node) or "").removeprefix("builtins.") in BROAD_TYPES
    return (node is root and hops > 0 and binding.kind == ASSIGNMENT and binding.value is not None
            and is_broad_type(binding.value, semantic, hops - 1))


def is_broad(handler: ast.ExceptHandler, semantic: SemanticModel) -> bool:
    """A bare ``except:`` or one that catches ``Exception``/``BaseException`` (alone or in a tuple, nested too)."""
    types = caught_types(handler)
    return types is None or any(is_broad_type(node, semantic) for node in types)


def _returns_fallback(handler: ast.ExceptHandler) -> bool:
    """A ``return`` of a value other than ``None`` that leaves the handler."""
    return any(isinstance(node, ast.Return) and node.value is not None
               and not (isinstance(node.value, ast.Constant) and node.value.value is None)
               for node in leaving_statements(handler.body))


def message(handler: ast.ExceptHandler) -> str:
    """What the handler does with the error it catches."""
    caught = "bare `except:`" if handler.type is None else f"`except {ast.unparse(handler.type)}`"
    if _returns_fallback(handler):
        return f"{caught} returns a fallback value for every error, bugs included: callers cannot tell failure from a result"
    return f"{caught} drops every error, bugs included, and carries on"


class BroadExcept(Rule):
    name = "broad-except"
    summary = "Bare `except:` or `except Exception`/`BaseException` that does not re-raise."
    remedy = Remedy("Narrow broad exception handlers", "error-handling", "medium", 15, harm="high")
    rationale = (
        "A broad handler catches the bugs along with the expected failure: a typo in a config key, a CUDA "
        "out-of-memory error or a KeyboardInterrupt (for bare `except:`) becomes a warning and the run goes "
        "on with a half-built object, so the real error surfaces hours later, somewhere else."
    )
    advice = (
        "Catch the specific exception the code expects (`FileNotFoundError`, `KeyError`, omegaconf's "
        "`InterpolationResolutionError`) or delete the `try` and let it fail fast; if the handler must be "
        "broad (a top-level crash reporter), re-raise after logging. A handler that returns a fallback value "
        "should return it only for the expected failure, so that a bug still surfaces."
    )
    bad_example = '''
try:
    os.makedirs(cfg.paths.log_dir, exist_ok=True)
except Exception as error:
    print(f"Warning: could not create {cfg.paths.log_dir}: {error}")
'''
    good_example = '''
os.makedirs(cfg.paths.log_dir, exist_ok=True)  # exist_ok already covers the expected case
'''
    noqa_codes = frozenset({"BLE001", "E722"})
    fix_safety = FixSafety(
        "none",
        "No automatic fix: which exceptions the code expects is a decision only the author can make.",
    )
    references = (
        "https://docs.astral.sh/ruff/rules/blind-except/",
        "https://docs.python.org/3/tutorial/errors.html#handling-exceptions",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        for handler in module.nodes(ast.ExceptHandler):
            if not is_broad(handler, module.semantic) or propagates(handler.body):
                continue  # narrow, or re-raised: the error still reaches someone
            yield module.finding(self.name, handler, message(handler), end_line=handler.end_lineno)
